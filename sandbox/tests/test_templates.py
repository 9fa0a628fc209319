"""§5 template.php: every operation, the deterministic content check, isolation, byte-exactness."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from werkzeug.test import Client

from sandbox.app import create_app
from sandbox.clock import Clock
from sandbox.ops.templates import DEFAULT_CHECK_SECONDS, check_content
from sandbox.tests.conftest import legacy_query, parse_xml

DEMO = ("demo", "demo-pass")
OTHER = ("other", "other-pass")
API = "/mm-ms/apinew/template.php"


class ManualClock(Clock):
    """A clock the test moves by hand, so "checking for a few seconds" needs no sleeping."""

    def __init__(self):
        self.at = dt.datetime(2026, 3, 1, 10, 0, tzinfo=self.tz)

    def now(self) -> dt.datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def tclient(tmp_path, clock):
    app = create_app(tmp_path / "state.sqlite3", seed_data=True, clock=clock)
    yield Client(app)
    app.store.close()


def add(client, auth=DEMO, files=None, **fields):
    data = {"name": "月度通讯", "subject": "主题一|主题二", "content": "<p>你好</p>"} | fields
    data = {k: v for k, v in data.items() if v is not None}
    for key, (name, payload) in (files or {}).items():
        data.setdefault(key, [])
        data[key].append((io.BytesIO(payload), name))
    return client.post(f"{API}?do=add-tpl", data=data, auth=auth)


def new_id(response) -> int:
    root = parse_xml(response)
    assert root.tag == "result", response.get_data(as_text=True)
    assert root.findtext("status") == "success", response.get_data(as_text=True)
    return int(root.findtext("data"))


def status(client, tpl_id, auth=DEMO):
    return parse_xml(client.get(f"{API}?do=get-tpl-status&tpl_id={tpl_id}", auth=auth))


def listing(client, auth=DEMO, **params):
    query = "".join(f"&{k}={v}" for k, v in params.items())
    return parse_xml(client.get(f"{API}?do=list-tpl{query}", auth=auth))


def error_of(response) -> tuple[str, str]:
    root = parse_xml(response)
    assert root.tag == "result"
    return root.findtext("status"), root.findtext("data")


# -- §5.2 add-tpl and §5.4 list-tpl -----------------------------------------------------------


def test_add_then_list_returns_subjects_content_and_attachments(tclient):
    tpl_id = new_id(
        add(
            tclient,
            files={"file[]": ("价目表.pdf", b"%PDF-1.4 x")},
            text_content="你好",
            encoding="base64",
        )
    )
    root = listing(tclient, tpl_id=tpl_id)
    assert root.tag == "template_list"
    [tpl] = root.findall("template")
    assert [c.tag for c in tpl] == [
        "id",
        "user_id",
        "name",
        "subject",
        "subject",
        "content",
        "content_type",
        "attachments",
        "created",
        "updated",
    ]
    assert tpl.findtext("id") == str(tpl_id)
    assert tpl.findtext("user_id") == "1001"
    assert tpl.findtext("name") == "月度通讯"
    assert [s.findtext("name") for s in tpl.findall("subject")] == ["主题一", "主题二"]
    assert all(s.findtext("id").isdigit() for s in tpl.findall("subject"))
    assert tpl.findtext("content") == "<p>你好</p>"
    assert tpl.findtext("content_type") == "html"
    [atta] = tpl.find("attachments").findall("attachment")
    assert atta.findtext("atta_name") == "价目表.pdf"
    assert atta.findtext("atta_id").isdigit()
    assert dt.datetime.fromisoformat(tpl.findtext("created"))


def test_list_all_is_scoped_to_the_account(tclient):
    mine = {t.findtext("id") for t in listing(tclient).findall("template")}
    assert mine == {"501", "502"}  # seeded for demo
    theirs = {t.findtext("id") for t in listing(tclient, auth=OTHER).findall("template")}
    assert theirs == {"601"}
    # Someone else's id lists nothing, like a missing one.
    assert listing(tclient, tpl_id=601).findall("template") == []


def test_several_files_at_once_and_a_single_file(tclient):
    tpl_id = new_id(add(tclient, files={"file": ("a.txt", b"A")}))
    r = tclient.post(
        f"{API}?do=tpl-attachment-add&tpl_id={tpl_id}",
        data={"file[]": [(io.BytesIO(b"B" * 10), "b.txt"), (io.BytesIO(b"C" * 20), "c.txt")]},
        auth=DEMO,
    )
    ids = parse_xml(r).findtext("data").split(",")
    assert len(ids) == 2
    stored = tclient.get(f"/_sandbox/templates/{tpl_id}").get_json()
    assert [(a["name"], a["size"]) for a in stored["attachments"]] == [
        ("a.txt", 1),
        ("b.txt", 10),
        ("c.txt", 20),
    ]
    assert stored["attachments"][1]["sha256"] == hashlib.sha256(b"B" * 10).hexdigest()


def test_chinese_subjects_and_body_are_stored_and_listed_byte_exact(tclient):
    body = "<p>尊敬的客户：\r\n\t您好！特价 ¥99 — “限时” 😀 &amp; <b>]]></b> 结束</p>"
    subjects = ["【新品】春季上新 😀", "您好，{$fullname}：限时优惠"]
    tpl_id = new_id(add(tclient, name="模板 ①", subject="|".join(subjects), content=body))
    stored = tclient.get(f"/_sandbox/templates/{tpl_id}").get_json()
    assert stored["content"] == body
    assert stored["subjects"] == subjects
    assert stored["name"] == "模板 ①"
    raw = tclient.get(f"{API}?do=list-tpl&tpl_id={tpl_id}", auth=DEMO).get_data()
    # "]]>" cannot sit inside one CDATA section: it is split across two, as PHP code must do.
    assert body.replace("]]>", "]]]]><![CDATA[>").encode() in raw
    [tpl] = listing(tclient, tpl_id=tpl_id).findall("template")
    # Any XML parser turns CR LF into LF (XML 1.0 §2.11); the portal sends LF only for that reason.
    assert tpl.findtext("content") == body.replace("\r\n", "\n")
    assert [s.findtext("name") for s in tpl.findall("subject")] == subjects


def test_add_requires_name_subject_content(tclient):
    for missing in ("name", "subject", "content"):
        status_, data = error_of(add(tclient, **{missing: None}))
        assert (status_, data) == ("error", f"缺少参数：{missing}")
    assert error_of(add(tclient, encoding="utf-8"))[0] == "error"


def test_legacy_base_works_too(tclient):
    q = legacy_query("demo", "demo-pass")
    r = tclient.get(
        "/mm-ms/api/template.php",
        query_string={"do": "list-tpl", **q},
    )
    assert {t.findtext("id") for t in parse_xml(r).findall("template")} == {"501", "502"}


# -- §5.3 get-tpl-status: the deterministic check ---------------------------------------------


def test_checking_then_green_with_size(tclient, clock):
    tpl_id = new_id(add(tclient, files={"file": ("x.bin", b"\0" * 3000)}))
    first = status(tclient, tpl_id)
    assert [c.tag for c in first] == [
        "id",
        "name",
        "status",
        "colour",
        "update_date",
        "size_status",
        "size",
        "subject",
    ]
    assert first.findtext("status") == "-1"
    assert first.findtext("colour") == ""
    assert first.findtext("size_status") == "-1"
    assert first.findtext("subject") == "主题一|主题二"
    clock.advance(DEFAULT_CHECK_SECONDS / 2 + 0.1)
    middle = status(tclient, tpl_id)
    assert middle.findtext("size_status") == "1" and middle.findtext("status") == "-1"
    clock.advance(DEFAULT_CHECK_SECONDS)
    done = status(tclient, tpl_id)
    assert done.findtext("status") == "1"
    assert done.findtext("colour") == "green"
    assert done.findtext("size") == "4"  # 3000 bytes → 4000 in base64, + 13 bytes of HTML


def test_spammy_template_turns_red(tclient, clock):
    tpl_id = new_id(
        add(tclient, subject="免费中奖", content="<p>Click here to claim your lottery prize</p>")
    )
    clock.advance(DEFAULT_CHECK_SECONDS + 1)
    root = status(tclient, tpl_id)
    assert (root.findtext("status"), root.findtext("colour")) == ("0", "red")


def test_check_delay_is_configurable_and_reset_restores_it(tclient, clock):
    assert tclient.get("/_sandbox/templates/check-delay").get_json() == {
        "seconds": DEFAULT_CHECK_SECONDS
    }
    assert tclient.post("/_sandbox/templates/check-delay", json={"seconds": 0}).status_code == 200
    tpl_id = new_id(add(tclient))
    assert status(tclient, tpl_id).findtext("colour") == "green"
    assert tclient.post("/_sandbox/templates/check-delay", json={"seconds": -1}).status_code == 400
    assert tclient.post("/_sandbox/templates/check-delay", json={}).status_code == 400
    tclient.post("/_sandbox/reset")
    assert tclient.get("/_sandbox/templates/check-delay").get_json()["seconds"] == (
        DEFAULT_CHECK_SECONDS
    )


def test_edit_restarts_the_check(tclient, clock):
    tpl_id = new_id(add(tclient))
    clock.advance(DEFAULT_CHECK_SECONDS + 1)
    assert status(tclient, tpl_id).findtext("colour") == "green"
    r = tclient.post(
        f"{API}?do=edit-tpl", data={"tpl_id": tpl_id, "content": "<p>免费</p>"}, auth=DEMO
    )
    assert parse_xml(r).findtext("status") == "success"
    assert status(tclient, tpl_id).findtext("status") == "-1"
    clock.advance(DEFAULT_CHECK_SECONDS + 1)
    assert status(tclient, tpl_id).findtext("colour") == "yellow"


def test_seeded_templates_are_final(tclient):
    assert status(tclient, 501).findtext("colour") == "green"
    assert status(tclient, 502).findtext("colour") == "yellow"


@pytest.mark.parametrize(
    ("subjects", "content", "attachment_bytes", "colour", "status_"),
    [
        (["Hello"], "<p>Hi</p>", 0, "green", 1),
        (["Hello"], "<p>Hi</p><script src=x></script>", 0, "yellow", 1),
        (["免费"], "<p>Click here</p>", 0, "red_pass", 1),
        (["免费", "中奖"], "<p>casino</p>", 0, "red", 0),
        (["Hello"], "<p>Hi</p>", 400 * 1024, "yellow", 1),
        (["Hello"], "<p>Hi</p>", 1024 * 1024, "red_pass", 1),
        (["Hello"], "<p>Hi</p>", 3 * 1024 * 1024, "red", 0),
    ],
)
def test_check_rules(subjects, content, attachment_bytes, colour, status_):
    verdict = check_content(
        subjects=subjects, content=content, text_content="", attachment_bytes=attachment_bytes
    )
    assert (verdict["colour"], verdict["status"]) == (colour, status_)


def test_status_of_unknown_or_foreign_template(tclient):
    assert error_of(tclient.get(f"{API}?do=get-tpl-status&tpl_id=601", auth=DEMO)) == (
        "error",
        "模板不存在：601",
    )
    assert error_of(tclient.get(f"{API}?do=get-tpl-status", auth=DEMO)) == (
        "error",
        "缺少参数：tpl_id",
    )
    assert error_of(tclient.get(f"{API}?do=get-tpl-status&tpl_id=abc", auth=DEMO))[0] == "error"


# -- §5.5 del-tpl, §5.6 edit-tpl --------------------------------------------------------------


def test_delete(tclient):
    tpl_id = new_id(add(tclient, files={"file": ("a.txt", b"A")}))
    r = tclient.get(f"{API}?do=del-tpl&tpl_id={tpl_id}", auth=DEMO)
    assert parse_xml(r).findtext("status") == "success"
    assert listing(tclient, tpl_id=tpl_id).findall("template") == []
    assert error_of(tclient.get(f"{API}?do=del-tpl&tpl_id={tpl_id}", auth=DEMO))[0] == "error"
    # Another account's template cannot be deleted.
    assert error_of(tclient.get(f"{API}?do=del-tpl&tpl_id=601", auth=DEMO))[0] == "error"
    assert listing(tclient, auth=OTHER).findall("template")


def test_edit_by_get_and_post(tclient):
    tpl_id = new_id(add(tclient))
    r = tclient.get(
        API,
        query_string={"do": "edit-tpl", "tpl_id": tpl_id, "name": "新名", "subject": "甲|乙|丙"},
        auth=DEMO,
    )
    assert parse_xml(r).findtext("status") == "success"
    stored = tclient.get(f"/_sandbox/templates/{tpl_id}").get_json()
    assert stored["name"] == "新名"
    assert stored["subjects"] == ["甲", "乙", "丙"]
    assert stored["content"] == "<p>你好</p>"  # untouched
    r = tclient.post(
        f"{API}?do=edit-tpl",
        data={"tpl_id": tpl_id, "text_content": "纯文本", "encoding": "quoted-printable"},
        auth=DEMO,
    )
    assert error_of(r) == ("error", "name、subject、content 三个参数必须至少有一个")
    r = tclient.post(
        f"{API}?do=edit-tpl",
        data={"tpl_id": tpl_id, "content": "<p>新</p>", "text_content": "纯文本"},
        auth=DEMO,
    )
    stored = tclient.get(f"/_sandbox/templates/{tpl_id}").get_json()
    assert (stored["content"], stored["text_content"]) == ("<p>新</p>", "纯文本")
    assert error_of(
        tclient.post(f"{API}?do=edit-tpl", data={"tpl_id": 601, "name": "x"}, auth=DEMO)
    ) == ("error", "模板不存在：601")


# -- §5.7, §5.8 attachments -------------------------------------------------------------------


def test_attachment_delete_one_and_all(tclient):
    tpl_id = new_id(
        add(tclient, files={"file[]": ("a.txt", b"A")})
    )  # one file under file[] is fine
    tclient.post(
        f"{API}?do=tpl-attachment-add",
        data={"tpl_id": tpl_id, "file[]": [(io.BytesIO(b"B"), "b.txt"), (io.BytesIO(b"C"), "c")]},
        auth=DEMO,
    )
    attachments = tclient.get(f"/_sandbox/templates/{tpl_id}").get_json()["attachments"]
    assert len(attachments) == 3
    first = attachments[0]["id"]
    r = tclient.get(f"{API}?do=tpl-attachment-del&tpl_id={tpl_id}&attachment_id={first}", auth=DEMO)
    assert parse_xml(r).findtext("status") == "success"
    assert len(tclient.get(f"/_sandbox/templates/{tpl_id}").get_json()["attachments"]) == 2
    r = tclient.get(f"{API}?do=tpl-attachment-del&tpl_id={tpl_id}&attachment_id={first}", auth=DEMO)
    assert error_of(r) == ("error", f"附件不存在：{first}")
    r = tclient.get(f"{API}?do=tpl-attachment-del&tpl_id={tpl_id}", auth=DEMO)  # default: all
    assert parse_xml(r).findtext("status") == "success"
    assert tclient.get(f"/_sandbox/templates/{tpl_id}").get_json()["attachments"] == []


def test_attachment_add_needs_a_file_and_an_own_template(tclient):
    tpl_id = new_id(add(tclient))
    r = tclient.post(f"{API}?do=tpl-attachment-add&tpl_id={tpl_id}", data={}, auth=DEMO)
    assert error_of(r) == ("error", "缺少参数：file")
    r = tclient.post(
        f"{API}?do=tpl-attachment-add&tpl_id=601",
        data={"file": (io.BytesIO(b"x"), "x.txt")},
        auth=DEMO,
    )
    assert error_of(r)[0] == "error"


def test_too_large_attachment_is_refused_and_nothing_is_stored(tclient, monkeypatch):
    monkeypatch.setattr("sandbox.ops.templates.MAX_ATTACHMENT_BYTES", 10)
    r = add(tclient, files={"file": ("big.bin", b"x" * 11)})
    assert error_of(r)[0] == "error"
    ids = {t.findtext("id") for t in listing(tclient).findall("template")}
    assert ids == {"501", "502"}  # the template was not created either


def test_calls_are_logged(tclient):
    tpl_id = new_id(add(tclient))
    calls = tclient.get("/_sandbox/calls").get_json()["calls"]
    last = calls[-1]
    assert (last["script"], last["do"], last["method"]) == ("template.php", "add-tpl", "POST")
    assert last["params"]["name"] == "月度通讯"
    assert tpl_id
