"""§4 mloperate.php: lists, addresses, imports, exports, subscriptions, against the WSGI app."""

from __future__ import annotations

import io
import time

import pytest

from sandbox.contacts_import import worker_for
from sandbox.tests.conftest import legacy_query, parse_xml

AUTH = ("demo", "demo-pass")
URL = "/mm-ms/apinew/mloperate.php"


def call(client, do, *, auth=AUTH, query=None, data=None, method=None):
    query = {"do": do, **(query or {})}
    if method == "POST" or data is not None:
        return client.post(URL, query_string=query, data=data or {}, auth=auth)
    return client.get(URL, query_string=query, auth=auth)


def status_of(response):
    root = parse_xml(response)
    assert root.tag == "result"
    return root.findtext("status"), root.findtext("data")


def new_list(client, subject="测试列表", status="enabled", description="说明"):
    st, data = status_of(
        call(
            client,
            "maillist-add",
            data={"subject": subject, "status": status, "description": description},
        )
    )
    assert st == "success", data
    return int(data)


def addresses(client, list_id=None, **query):
    if list_id is not None:
        query["list_id"] = list_id
    root = parse_xml(call(client, "ml-addr-list", query=query))
    assert root.tag == "data"
    return int(root.findtext("total_num")), root.findall("addr")


def wait_parsed(client, import_id, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st, data = status_of(call(client, "ml-addr-add-file-query", query={"id": import_id}))
        if st != "no_complete":
            return st, data
        time.sleep(0.05)
    raise AssertionError("parse did not finish")


# -- lists --------------------------------------------------------------------------------------


def test_seeded_lists_and_description_element(sandbox_client):
    root = parse_xml(call(sandbox_client, "maillist-list"))
    assert root.tag == "maillist"
    items = root.findall("item")
    assert [i.findtext("id") for i in items] == ["501", "502", "503"]
    first = items[0]
    assert [c.tag for c in first] == ["id", "subject", "description", "count", "status"]
    assert first.findtext("subject") == "VIP 客户"
    assert first.findtext("count") == "25"
    assert items[2].findtext("status") == "disabled"


def test_list_crud(sandbox_client):
    list_id = new_list(sandbox_client)
    detail = parse_xml(call(sandbox_client, "maillist-detail", query={"id": list_id}))
    assert detail.tag == "maillist"
    assert detail.findtext("subject") == "测试列表" and detail.findtext("count") == "0"

    st, _ = status_of(
        call(
            sandbox_client,
            "maillist-edit",
            query={"id": list_id},
            data={"subject": "改名", "status": "disabled"},
        )
    )
    assert st == "success"
    detail = parse_xml(call(sandbox_client, "maillist-detail", query={"id": list_id}))
    assert (detail.findtext("subject"), detail.findtext("status")) == ("改名", "disabled")
    assert detail.findtext("description") == "说明"  # not sent, not changed

    assert status_of(call(sandbox_client, "maillist-del", query={"id": list_id}))[0] == "success"
    st, data = status_of(call(sandbox_client, "maillist-detail", query={"id": list_id}))
    assert st == "error" and "不存在" in data


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"status": "enabled"}, "error"),  # missing subject
        ({"subject": "x"}, "error"),  # missing status
        ({"subject": "x", "status": "open"}, "add_maillist_error"),
        ({"subject": "VIP 客户", "status": "enabled"}, "add_maillist_error"),  # duplicate name
        ({"subject": "x", "status": "enabled", "description": "d" * 501}, "add_describe_error"),
    ],
)
def test_list_add_refusals(sandbox_client, data, status):
    assert status_of(call(sandbox_client, "maillist-add", data=data))[0] == status


def test_other_accounts_list_is_not_there(sandbox_client):
    for do, query in [
        ("maillist-detail", {"id": 601}),
        ("ml-addr-empty", {"list_id": 601}),
        ("subscription-export", {"id": 601}),
    ]:
        st, data = status_of(call(sandbox_client, do, query=query))
        assert st == "error" and "不存在" in data
    assert status_of(call(sandbox_client, "maillist-del", query={"id": 601}))[0] == (
        "delete_maillist_error"
    )
    assert addresses(sandbox_client, 601)[0] == 0
    root = parse_xml(
        call(sandbox_client, "ml-addr-list", query={"list_id": 601}, auth=("other", "other-pass"))
    )
    foreign_id = root.find("addr").findtext("id")
    assert addresses(sandbox_client, address_id=foreign_id)[0] == 0
    st, _ = status_of(call(sandbox_client, "ml-addr-del", query={"id": foreign_id}))
    assert st == "error"


def test_legacy_mode_lists(sandbox_client):
    r = sandbox_client.get(
        "/mm-ms/api/mloperate.php", query_string={"do": "maillist-list", **legacy_query(*AUTH)}
    )
    assert len(parse_xml(r).findall("item")) == 3


# -- addresses ----------------------------------------------------------------------------------


def test_address_list_shape_and_paging(sandbox_client):
    total, rows = addresses(sandbox_client, 501, page=2, limit=10)
    assert total == 25 and len(rows) == 10
    assert [c.tag for c in rows[0]] == [
        "id",
        "list_id",
        "address",
        "brithday",
        "phone",
        "area",
        "fullname",
        "time",
        *[f"var{i}" for i in range(1, 11)],
    ]
    assert rows[0].findtext("address") == "member011@list501.example.com"
    total, rows = addresses(sandbox_client, 501, page=3, limit=10)
    assert len(rows) == 5
    total, rows = addresses(sandbox_client, 501)  # no page: everything
    assert len(rows) == 25
    total, rows = addresses(sandbox_client, page=1)  # no list_id: every list, default limit 50
    assert total == 25 + 12 + 3 and len(rows) == 40
    assert addresses(sandbox_client, 0)[0] == 0  # unfiled


def test_keyword_search_address_and_name(sandbox_client):
    total, rows = addresses(sandbox_client, 501, keyword="member01", page=1)
    assert total == 10  # member010..member019
    total, rows = addresses(sandbox_client, 501, keyword="MEMBER011", page=1)
    assert total == 1  # case-insensitive
    name = rows[0].findtext("fullname")
    total, rows = addresses(sandbox_client, 501, keyword=name, page=1)  # two Chinese characters
    assert total >= 1 and all(name in r.findtext("fullname") for r in rows)
    assert addresses(sandbox_client, 501, keyword="%", page=1)[0] == 0  # LIKE wildcards are text


def test_add_edit_delete_one_address(sandbox_client):
    list_id = new_list(sandbox_client)
    st, data = status_of(
        call(
            sandbox_client,
            "ml-addr-add",
            data={
                "list_id": list_id,
                "address": "li.lei@example.cn",
                "fullname": "李雷",
                "sex": "M",
                "birthday": "1990-05-06",
                "phone": "13500000000",
                "area": "北京市丰台",
                "var1": "金卡",
                "return_id": "1",
            },
        )
    )
    assert st == "success"
    address_id = int(data)
    total, rows = addresses(sandbox_client, address_id=address_id)
    row = rows[0]
    assert (row.findtext("fullname"), row.findtext("brithday"), row.findtext("var1")) == (
        "李雷",
        "1990-05-06",
        "金卡",
    )
    assert (
        status_of(
            call(
                sandbox_client,
                "ml-addr-add",
                data={"list_id": list_id, "address": "LI.LEI@example.cn"},
            )
        )[0]
        == "address_exists"
    )
    assert (
        status_of(
            call(
                sandbox_client, "ml-addr-add", data={"list_id": list_id, "address": "not-an-email"}
            )
        )[0]
        == "address_error"
    )

    st, _ = status_of(
        call(
            sandbox_client,
            "ml-addr-edit",
            query={"id": address_id},
            data={"fullname": "韩梅梅", "var2": "VIP"},
        )
    )
    assert st == "success"
    row = addresses(sandbox_client, address_id=address_id)[1][0]
    assert (row.findtext("fullname"), row.findtext("var1"), row.findtext("var2")) == (
        "韩梅梅",
        "金卡",
        "VIP",
    )
    assert addresses(sandbox_client, list_id, keyword="韩梅梅", page=1)[0] == 1  # FTS updated

    assert status_of(call(sandbox_client, "ml-addr-del", query={"id": address_id}))[0] == "success"
    assert addresses(sandbox_client, list_id)[0] == 0
    assert status_of(call(sandbox_client, "ml-addr-del", query={"id": address_id}))[0] == "error"


def test_batch_add_filters_invalid_and_duplicates(sandbox_client):
    list_id = new_list(sandbox_client)
    body = "\n".join(
        [
            "a@example.com;Alice;F;1990-01-01;13500000001;上海;v1;v2",
            "b@example.com;Bob",
            "A@EXAMPLE.COM;dup",
            "broken-line",
            "c@example.com;张三;M;;;;;;;;;;;;;x10",
        ]
    )
    st, data = status_of(
        call(sandbox_client, "ml-addr-add", query={"list_id": list_id}, data={"ml_addr": body})
    )
    assert st == "success"
    assert data == "成功添加 3 个地址，无效地址 1 个，重复地址 1 个"
    total, rows = addresses(sandbox_client, list_id)
    assert total == 3
    c = [r for r in rows if r.findtext("address") == "c@example.com"][0]
    assert c.findtext("var10") == "x10" and c.findtext("fullname") == "张三"
    count = parse_xml(call(sandbox_client, "maillist-detail", query={"id": list_id}))
    assert count.findtext("count") == "3"


def test_empty_list(sandbox_client):
    st, data = status_of(call(sandbox_client, "ml-addr-empty", query={"list_id": 502}))
    assert st == "success" and "12" in data
    assert addresses(sandbox_client, 502)[0] == 0
    assert (
        parse_xml(call(sandbox_client, "maillist-detail", query={"id": 502})).findtext("count")
        == "0"
    )


# -- file import (§4.9.3, §4.9.4, §4.15) --------------------------------------------------------


def upload(client, list_id, content: bytes, filename="addr.txt"):
    return status_of(
        client.post(
            URL,
            query_string={"do": "ml-addr-add-file", "list_id": list_id},
            data={"file": (io.BytesIO(content), filename)},
            auth=AUTH,
        )
    )


def test_file_import_is_asynchronous_and_logged(sandbox_app, sandbox_client):
    worker_for(sandbox_app.store, sandbox_app.clock).parse_seconds = 0.3
    list_id = new_list(sandbox_client)
    lines = [f"user{i}@example.com;用户{i};M;1990-01-01;135;北京;v1" for i in range(300)]
    lines += ["bad address;x", "user1@example.com;dup", "USER2@example.com;dup"]
    st, data = upload(sandbox_client, list_id, "\n".join(lines).encode(), "客户名单.txt")
    assert st == "success"
    import_id = int(data)
    st, _ = status_of(call(sandbox_client, "ml-addr-add-file-query", query={"id": import_id}))
    assert st == "no_complete"
    assert wait_parsed(sandbox_client, import_id) == ("success", "解析完成")
    assert addresses(sandbox_client, list_id)[0] == 300

    root = parse_xml(call(sandbox_client, "ml-addr-add-log"))
    assert root.findtext("status") == "success"
    log = root.find("data").findall("address_log")[0]
    assert [c.tag for c in log] == [
        "filename",
        "filepath",
        "time_import",
        "count_all",
        "count_err_1",
        "count_err_2",
        "status",
        "subject",
    ]
    assert log.findtext("filename") == "客户名单.txt"
    assert (
        log.findtext("count_all"),
        log.findtext("count_err_1"),
        log.findtext("count_err_2"),
    ) == (
        "303",
        "1",
        "2",
    )
    assert log.findtext("status") == "1" and log.findtext("subject") == "测试列表"


OK_LINE = b"ok@example.com;fine\n"


@pytest.mark.parametrize(
    ("content", "log_status"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00binary", "-1"),
        (b"", "-2"),
        (OK_LINE + "张三@例子;GBK".encode("gbk") + b"\xff\xfe\n", "-1"),
        (OK_LINE + b"a@example.com;" + b"x" * 70_000 + b"\n", "-1"),
    ],
    ids=["binary", "empty", "not-utf8", "huge-line"],
)
def test_malformed_files_end_in_error_and_change_nothing(
    sandbox_app, sandbox_client, content, log_status
):
    worker_for(sandbox_app.store, sandbox_app.clock).parse_seconds = 0
    list_id = new_list(sandbox_client)
    st, data = upload(sandbox_client, list_id, content)
    st, detail = wait_parsed(sandbox_client, int(data))
    assert st == "error" and detail
    assert addresses(sandbox_client, list_id)[0] == 0
    log = parse_xml(call(sandbox_client, "ml-addr-add-log")).find("data/address_log")
    assert log.findtext("status") == log_status


def test_file_query_unknown_and_foreign_ids(sandbox_app, sandbox_client):
    worker_for(sandbox_app.store, sandbox_app.clock).parse_seconds = 0
    st, data = upload(sandbox_client, 501, b"new@example.com;x\n")
    import_id = int(data)
    assert status_of(call(sandbox_client, "ml-addr-add-file-query", query={"id": 999999}))[0] == (
        "not_exist"
    )
    r = call(
        sandbox_client,
        "ml-addr-add-file-query",
        query={"id": import_id},
        auth=("other", "other-pass"),
    )
    assert status_of(r)[0] == "not_exist"
    assert (
        status_of(call(sandbox_client, "ml-addr-add-file", method="POST", query={"list_id": 501}))[
            0
        ]
        == "error"
    )  # no file


# -- exports and subscriptions --------------------------------------------------------------------


def test_subscription_export_format(sandbox_client):
    r = call(sandbox_client, "subscription-export", query={"id": 501})
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    lines = r.get_data(as_text=True).splitlines()
    assert len(lines) == 25
    email, name = lines[0].split("\t")
    assert email == "member001@list501.example.com" and name


def test_subscribe_and_unsubscribe(sandbox_client):
    st, data = status_of(
        call(
            sandbox_client,
            "ml-sub",
            query={"list_id": 502},
            data={"maillist": "x1@example.com,小明\nx2@example.com\tName, with comma\nbad"},
        )
    )
    assert st == "success" and data == "订阅成功 2 个，已存在 0 个，无效地址 1 个"
    total, rows = addresses(sandbox_client, 502, keyword="x2@example", page=1)
    assert rows[0].findtext("fullname") == "Name, with comma"
    st, data = status_of(
        call(
            sandbox_client,
            "ml-sub",
            query={"list_id": 502, "address": "solo@example.com"},
        )
    )
    assert st == "success"
    row = addresses(sandbox_client, 502, keyword="solo@", page=1)[1][0]
    assert row.findtext("fullname") == "solo"  # the local part by default
    # Format 1: "a,name;b,name"
    st, _ = status_of(
        call(
            sandbox_client,
            "ml-sub",
            query={"list_id": 502},
            data={"maillist": "f1@example.com,一;f2@example.com,二"},
        )
    )
    assert addresses(sandbox_client, 502)[0] == 12 + 3 + 2

    st, data = status_of(
        call(
            sandbox_client,
            "ml-unsub",
            query={"list_id": 502},
            data={"address": "x1@example.com,member001@list502.example.com\nnever@example.com"},
        )
    )
    assert st == "success" and "退订成功 3 个" in data and "移除 2 个" in data
    assert addresses(sandbox_client, 502)[0] == 15
    r = call(sandbox_client, "unsubscribe-export", query={"id": 502})
    lines = r.get_data(as_text=True).splitlines()
    emails = [line.split("\t")[1] for line in lines]
    assert emails == [
        "left@list502.example.com",
        "x1@example.com",
        "member001@list502.example.com",
        "never@example.com",
    ]
    when = lines[1].split("\t")[0]
    assert len(when) == 19 and when[4] == "-"

    # Subscribing again clears the unsubscribe.
    call(sandbox_client, "ml-sub", query={"list_id": 502, "address": "x1@example.com"})
    lines = call(sandbox_client, "unsubscribe-export", query={"id": 502}).get_data(as_text=True)
    assert "x1@example.com" not in lines


def test_control_settings_and_generate(sandbox_client):
    r = sandbox_client.post("/_sandbox/contacts/settings", json={"parse_seconds": 1.5})
    assert r.json == {"parse_seconds": 1.5}
    assert sandbox_client.get("/_sandbox/contacts/settings").json == {"parse_seconds": 1.5}
    assert sandbox_client.post("/_sandbox/contacts/settings", json={"x": 1}).status_code == 400
    r = sandbox_client.post(
        "/_sandbox/contacts/generate", json={"username": "demo", "list_id": 503, "count": 2000}
    )
    assert r.json["added"] == 2000
    assert addresses(sandbox_client, 503, page=40, limit=50)[0] == 2003


def test_reset_drops_contacts_and_reseeds(sandbox_app, sandbox_client):
    new_list(sandbox_client)
    assert sandbox_client.post("/_sandbox/reset").status_code == 200
    assert len(parse_xml(call(sandbox_client, "maillist-list")).findall("item")) == 3
    assert addresses(sandbox_client, 501, keyword="member001", page=1)[0] == 1
