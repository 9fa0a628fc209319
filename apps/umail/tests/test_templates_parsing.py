"""§5 templates against the documentation's XML samples, with Session.request faked."""

import datetime as dt

import pytest
import requests

from apps.umail.client import UmailClient
from apps.umail.errors import MalformedReply, PlatformRejected, PlatformTimeout
from apps.umail.templates import join_subjects, split_subjects
from apps.umail.transport import Transport, TransportConfig

from .fakes import FakeSession, canned, make_response

# Pure logic: part of `make check`.
pytestmark = pytest.mark.unit

FAST = TransportConfig(read_retries=2, retry_backoff=0.001)


def client_with(*replies):
    session = FakeSession(*replies)
    transport = Transport(
        platform_url="http://platform.test/",
        username="demo",
        password="pw",
        config=FAST,
        session=session,
    )
    return UmailClient(transport), session


def test_status_from_the_documentation_sample():
    client, session = client_with(make_response(canned("tpl-status.xml")))
    status = client.templates.status(53)
    assert status.id == 53
    assert status.name == "模板名称"
    assert (status.status, status.colour) == (1, "green")
    assert status.update_date == dt.datetime(2017, 11, 11, 11, 11, 11)
    assert (status.size_status, status.size) == (1, 78)
    assert status.subject == "模板主题"
    assert status.final and not status.checking
    sent = session.sent[0]
    assert sent["method"] == "GET"
    assert sent["url"] == "http://platform.test/mm-ms/apinew/template.php"
    assert sent["params"] == {"do": "get-tpl-status", "tpl_id": 53}


def test_status_while_checking_is_not_final():
    client, _ = client_with(make_response(canned("tpl-status-checking.xml")))
    status = client.templates.status(54)
    assert status.checking and status.counting and not status.final
    assert status.colour == ""
    assert status.subjects == ["主题一", "主题二"]


def test_status_with_colour_but_size_still_counting_is_not_final():
    body = canned("tpl-status.xml").replace(b"<size_status>1", b"<size_status>-1")
    client, _ = client_with(make_response(body))
    status = client.templates.status(53)
    assert not status.checking and status.counting and not status.final


def test_list_reads_subjects_content_and_attachments():
    client, session = client_with(make_response(canned("tpl-list.xml")))
    templates = client.templates.list()
    assert session.sent[0]["params"] == {"do": "list-tpl"}
    first, second = templates
    assert first.id == 53 and first.user_id == 1001
    assert first.name == "模板名称"  # whitespace around the CDATA is formatting
    assert [(s.id, s.name) for s in first.subjects] == [(301, "模板主题 1"), (302, "模板主题 2")]
    assert first.subject_names == ["模板主题 1", "模板主题 2"]
    assert first.content == "<p>模板内容 & <b>粗体</b></p>"
    assert first.content_type == "html"
    assert [(a.atta_id, a.atta_name) for a in first.attachments] == [(9001, "价目表.pdf")]
    assert first.created == dt.datetime(2017, 11, 10, 9, 0)
    assert second.attachments == ()
    assert second.subject_names == ["唯一主题"]


def test_get_one_sends_tpl_id():
    client, session = client_with(make_response(canned("tpl-list.xml")))
    assert client.templates.get(54).name == "没有附件"
    assert session.sent[0]["params"] == {"do": "list-tpl", "tpl_id": 54}


def test_add_posts_fields_and_files_and_reads_the_id():
    client, session = client_with(make_response(canned("tpl-add.xml")))
    new_id = client.templates.add(
        name="春季促销",
        subjects=["主题一", "主题二"],
        content="<p>你好</p>",
        text_content="你好",
        encoding="quoted-printable",
        files=[("a.pdf", b"%PDF", "application/pdf"), ("图.png", b"\x89PNG", "image/png")],
    )
    assert new_id == 67
    sent = session.sent[0]
    assert sent["method"] == "POST"
    assert sent["params"] == {"do": "add-tpl"}
    assert sent["data"] == {
        "name": "春季促销",
        "subject": "主题一|主题二",
        "content": "<p>你好</p>",
        "text_content": "你好",
        "encoding": "quoted-printable",
    }
    # Several files go as file[] (§5.2), in one multipart request.
    assert [name for name, _ in sent["files"]] == ["file[]", "file[]"]
    assert sent["files"][1][1] == ("图.png", b"\x89PNG", "image/png")


def test_add_with_one_file_uses_file_and_without_files_sends_none():
    client, session = client_with(
        make_response(canned("tpl-add.xml")), make_response(canned("tpl-add.xml"))
    )
    client.templates.add(
        name="n", subjects=["s"], content="c", files=[("a.txt", b"A", "text/plain")]
    )
    assert [name for name, _ in session.sent[0]["files"]] == ["file"]
    client.templates.add(name="n", subjects=["s"], content="c")
    assert session.sent[1]["files"] is None
    assert "text_content" not in session.sent[1]["data"]


def test_add_accepts_a_bare_id():
    # §5.2 says only "returns the new template's id"; a bare number is the other reading.
    client, _ = client_with(make_response("68", headers={"Content-Type": "text/html"}))
    assert client.templates.add(name="n", subjects=["s"], content="c") == 68


def test_add_error_status_is_rejected_and_not_retried():
    client, session = client_with(make_response(canned("result-error.xml")))
    with pytest.raises(PlatformRejected):
        client.templates.add(name="n", subjects=["s"], content="c")
    assert len(session.sent) == 1


def test_add_without_an_id_is_malformed():
    client, _ = client_with(make_response(canned("tpl-result-success.xml")))
    with pytest.raises(MalformedReply):
        client.templates.add(name="n", subjects=["s"], content="c")


def test_add_timeout_is_not_retried():
    client, session = client_with(requests.ReadTimeout("slow"), make_response(b"never"))
    with pytest.raises(PlatformTimeout):
        client.templates.add(name="n", subjects=["s"], content="c")
    assert len(session.sent) == 1


def test_subjects_are_checked_before_anything_is_sent():
    client, session = client_with()
    with pytest.raises(ValueError, match="cannot contain"):
        client.templates.add(name="n", subjects=["a|b"], content="c")
    with pytest.raises(ValueError):
        client.templates.add(name="n", subjects=["  "], content="c")
    with pytest.raises(ValueError):
        client.templates.add(name="n", subjects=["s"], content="c", encoding="utf-8")
    assert session.sent == []
    assert join_subjects([" 甲 ", "", "乙"]) == "甲|乙"
    assert split_subjects("甲| |乙|") == ["甲", "乙"]


def test_edit_posts_only_given_fields():
    client, session = client_with(make_response(canned("tpl-result-success.xml")))
    client.templates.edit(67, subjects=["新主题"], text_content="")
    sent = session.sent[0]
    assert sent["method"] == "POST"
    assert sent["params"] == {"do": "edit-tpl"}
    assert sent["data"] == {"tpl_id": "67", "subject": "新主题", "text_content": ""}


def test_edit_needs_name_subject_or_content():
    client, session = client_with()
    with pytest.raises(ValueError):
        client.templates.edit(67, text_content="x")
    assert session.sent == []


def test_edit_of_a_missing_template_is_rejected():
    client, _ = client_with(make_response(canned("tpl-not-found.xml")))
    with pytest.raises(PlatformRejected) as err:
        client.templates.edit(67, name="x")
    assert err.value.detail == "模板不存在：67"


def test_delete_and_attachment_operations():
    ok = canned("tpl-result-success.xml")
    client, session = client_with(*[make_response(ok)] * 4)
    client.templates.delete(67)
    client.templates.attachment_add(
        67, [("a.txt", b"A", "text/plain"), ("b.txt", b"B", "text/plain")]
    )
    client.templates.attachment_delete(67, 9001)
    client.templates.attachment_delete(67)
    params = [s["params"] for s in session.sent]
    assert params == [
        {"do": "del-tpl", "tpl_id": 67},
        {"do": "tpl-attachment-add", "tpl_id": 67},
        {"do": "tpl-attachment-del", "tpl_id": 67, "attachment_id": 9001},
        {"do": "tpl-attachment-del", "tpl_id": 67, "attachment_id": "all"},
    ]
    assert all(s["method"] == "POST" for s in session.sent)
    assert [name for name, _ in session.sent[1]["files"]] == ["file[]", "file[]"]


def test_attachment_add_needs_files():
    client, session = client_with()
    with pytest.raises(ValueError):
        client.templates.attachment_add(67, [])
    assert session.sent == []


def test_list_with_wrong_root_is_malformed():
    client, _ = client_with(*[make_response(canned("tpl-status.xml"))] * 3)
    with pytest.raises(MalformedReply, match="template_list"):
        client.templates.list()
