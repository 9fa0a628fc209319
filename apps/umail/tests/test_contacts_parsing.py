"""§4 client against the documentation's samples, with Session.request faked."""

import io

import pytest
from requests_toolbelt.multipart.encoder import MultipartEncoder

from apps.umail.contacts import ContactsAPI, address_line
from apps.umail.errors import MalformedReply, PlatformRejected

from .fakes import canned, make_response
from .test_parsing import client_with

# Pure logic: part of `make check`.
pytestmark = pytest.mark.unit


def streamed(body: bytes, **kwargs):
    response = make_response(body, **kwargs)
    response._content_consumed = True  # iter_lines() then reads the canned body
    return response


def test_maillist_list_reads_both_description_spellings():
    client, session = client_with(make_response(canned("maillist-list.xml")))
    lists = client.contacts.maillist_list()
    assert [(m.id, m.subject, m.count, m.enabled) for m in lists] == [
        (12, "VIP 客户", 2500, True),
        (13, "Newsletter & news", 0, False),
    ]
    assert lists[0].description == "消费满一万元的会员"
    assert session.sent[0]["params"] == {"do": "maillist-list"}
    assert session.sent[0]["url"].endswith("/mm-ms/apinew/mloperate.php")


def test_maillist_detail_and_the_documented_typo():
    client, session = client_with(make_response(canned("maillist-detail.xml")))
    detail = client.contacts.maillist_detail(12)
    assert (detail.id, detail.subject, detail.count) == (12, "VIP 客户", 2500)
    assert session.sent[0]["params"] == {"do": "maillist-detail", "id": 12}
    # The manual's own sample: `</aillist>` and `descrīption` are read as meant.
    client, _ = client_with(make_response(canned("malformed-maillist-detail.xml")))
    detail = client.contacts.maillist_detail(12)
    assert (detail.id, detail.description, detail.count) == (12, "联系人分类说明", 3)
    truncated = canned("malformed-maillist-detail.xml").rsplit(b"<status>", 1)[0]
    client, _ = client_with(*[make_response(truncated)] * 3)
    with pytest.raises(MalformedReply):  # cut off: a clear error, not a crash
        client.contacts.maillist_detail(12)


def test_maillist_add_posts_and_returns_id():
    client, session = client_with(make_response(canned("maillist-add.xml")))
    assert client.contacts.maillist_add(subject="新列表", description="说明") == 78
    sent = session.sent[0]
    assert sent["method"] == "POST"
    assert sent["data"] == {"subject": "新列表", "status": "enabled", "description": "说明"}


def test_maillist_add_refusal_is_not_retried():
    client, session = client_with(make_response(canned("maillist-add-error.xml")))
    with pytest.raises(PlatformRejected) as err:
        client.contacts.maillist_add(subject="x")
    assert err.value.status == "add_maillist_error"
    assert len(session.sent) == 1


def test_address_page_with_documentation_quirks():
    client, session = client_with(make_response(canned("ml-addr-list.xml")))
    page = client.contacts.addr_list(list_id=12, keyword="example", page=1, limit=50)
    assert page.total == 2
    first, second = page.addresses
    # `![CDATA[...]]` as printed in the documentation, `brithday`, `</fullname >`.
    assert (first.address, first.fullname, first.area) == (
        "zhang@example.com",
        "张三",
        "深圳市福田区科技园中路 3号",
    )
    assert first.birthday == "1986-08-15" and first.var1 == "金卡" and first.var10 == "十"
    assert first.variables[:2] == ["金卡", "变量 2"]
    assert second.birthday == ""  # 0000-00-00 means none
    assert session.sent[0]["params"] == {
        "do": "ml-addr-list",
        "list_id": 12,
        "keyword": "example",
        "page": 1,
        "limit": 50,
    }


def test_list_id_zero_is_sent_and_none_is_not():
    client, session = client_with(
        make_response(canned("ml-addr-list.xml")), make_response(canned("ml-addr-list.xml"))
    )
    client.contacts.addr_list(list_id=0, page=1)
    client.contacts.addr_list(page=1)
    assert session.sent[0]["params"]["list_id"] == 0
    assert "list_id" not in session.sent[1]["params"]


def page_reply(ids, total):
    rows = "".join(
        f"<addr><id>{i}</id><list_id>1</list_id><address>a{i}@x.com</address></addr>" for i in ids
    )
    return make_response(f"<data><total_num>{total}</total_num>{rows}</data>")


def test_iter_addresses_pages_until_total():
    client, session = client_with(page_reply([1, 2], 5), page_reply([3, 4], 5), page_reply([5], 5))
    ids = [a.id for a in client.contacts.iter_addresses(list_id=1, page_size=2)]
    assert ids == [1, 2, 3, 4, 5]
    assert [s["params"]["page"] for s in session.sent] == [1, 2, 3]


def test_iter_addresses_is_lazy_and_stops_on_empty_page():
    client, session = client_with(page_reply([1, 2], 10), page_reply([], 10))
    iterator = client.contacts.iter_addresses(list_id=1, page_size=2)
    assert next(iterator).id == 1
    assert len(session.sent) == 1  # the next page is fetched only when needed
    assert [a.id for a in iterator] == [2]


def test_file_upload_is_a_streamed_multipart_body():
    client, session = client_with(make_response(canned("ml-addr-add-file.xml")))
    content = b"a@example.com;A\nb@example.com;B\n"
    assert (
        client.contacts.addr_add_file(list_id=418804, fileobj=io.BytesIO(content), filename="x.txt")
        == 10
    )
    sent = session.sent[0]
    assert sent["method"] == "POST"
    assert sent["params"] == {"do": "ml-addr-add-file", "list_id": 418804}
    encoder = sent["data"]
    assert isinstance(encoder, MultipartEncoder)  # read in chunks by requests, not all at once
    assert sent["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    assert sent["headers"]["Authorization"].startswith("Basic ")
    body = encoder.read()
    assert b'name="file"; filename="x.txt"' in body and content in body


def test_file_status_states():
    client, _ = client_with(
        make_response(canned("ml-addr-add-file-query-pending.xml")),
        make_response(canned("ml-addr-add-file-query.xml")),
        make_response("<result><status>not_exist</status><data>x</data></result>"),
    )
    pending = client.contacts.addr_file_status(10)
    assert (pending.state, pending.finished) == ("no_complete", False)
    done = client.contacts.addr_file_status(10)
    assert (done.state, done.detail, done.finished) == ("success", "解析完成", True)
    assert client.contacts.addr_file_status(10).state == "not_exist"


def test_import_log_with_the_documentation_comments():
    client, _ = client_with(make_response(canned("ml-addr-add-log.xml")))
    logs = client.contacts.import_log()
    assert [(g.filename, g.status, g.ok) for g in logs] == [
        ("emaillist2017.csv", -2, False),
        ("edmportal-7.txt", 1, True),
    ]
    assert (logs[1].count_all, logs[1].count_err_1, logs[1].count_err_2) == (1000, 3, 5)
    assert logs[1].subject == "VIP 客户"


def test_exports_stream_lines():
    body = "\ufeffa@example.com\t张三\r\nb@example.com\t\n\n".encode()
    client, session = client_with(
        streamed(body, headers={"Content-Type": "text/plain; charset=utf-8"})
    )
    rows = list(client.contacts.export_subscriptions(12))
    assert rows == [("a@example.com", "张三"), ("b@example.com", "")]
    assert session.sent[0]["stream"] is True


def test_export_error_reply_raises_before_streaming():
    client, _ = client_with(streamed(canned("maillist-add-error.xml")))
    with pytest.raises(PlatformRejected):
        client.contacts.export_unsubscribes(12)


def test_write_helpers_send_documented_parameters():
    ok = "<result><status>success</status><data>done</data></result>"
    client, session = client_with(*[make_response(ok) for _ in range(5)])
    api: ContactsAPI = client.contacts
    api.addr_edit(5, fullname="王五", var3="x")
    api.addr_empty(12)
    api.subscribe_many(list_id=12, entries=[("a@x.com", "A; B"), ("b@x.com", "")])
    api.unsubscribe(list_id=12, addresses=["a@x.com", "b@x.com"])
    result = api.addr_add_batch(list_id=12, lines=["a@x.com;A", "b@x.com;B"])
    assert result.data == "done"
    assert session.sent[0]["params"] == {"do": "ml-addr-edit", "id": 5}
    assert session.sent[0]["data"] == {"fullname": "王五", "var3": "x"}
    assert session.sent[1]["params"] == {"do": "ml-addr-empty", "list_id": 12}
    assert session.sent[2]["data"] == {"maillist": "a@x.com\tA, B\nb@x.com"}
    assert session.sent[3]["data"] == {"address": "a@x.com\nb@x.com"}
    assert session.sent[4]["data"] == {"ml_addr": "a@x.com;A\nb@x.com;B"}
    with pytest.raises(TypeError):
        api.addr_edit(5, nickname="x")


def test_address_line_escapes_separators():
    line = address_line({"address": "a@x.com", "fullname": "A;B", "area": "line\nbreak"})
    assert line == "a@x.com;A,B;;;;line break;;;;;;;;;;"
    assert line.count(";") == 15
