"""The strict profile (default), the permissive one, and the --quirks switch."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from sandbox.seed import AGENT_ID
from sandbox.tests.conftest import parse_xml

DEMO = ("demo", "demo-pass")
AGENT = ("agent", "agent-pass")
MANAGER = ("manager", "manager-pass")


def status(response):
    root = parse_xml(response)
    assert root.tag == "result"
    return root.findtext("status"), root.findtext("data")


def sub_account_id(app):
    return app.store.sub_accounts(AGENT_ID)[0]["id"]


def test_strict_is_the_default_and_the_control_endpoint_switches(sandbox_client):
    assert sandbox_client.get("/_sandbox/profile").get_json() == {
        "profile": "strict",
        "quirks": False,
    }
    r = sandbox_client.post("/_sandbox/profile", json={"profile": "permissive", "quirks": True})
    assert r.get_json() == {"profile": "permissive", "quirks": True}
    assert sandbox_client.post("/_sandbox/profile", json={"profile": "lax"}).status_code == 400
    sandbox_client.post("/_sandbox/reset")
    assert sandbox_client.get("/_sandbox/profile").get_json()["profile"] == "strict"


def test_a_get_parameter_sent_by_post_is_refused(sandbox_client):
    r = sandbox_client.post(
        "/mm-ms/apinew/bs.php?do=customer-domain-add", auth=DEMO, data={"domain": "x.example.cn"}
    )
    assert status(r) == ("error", "参数 domain 须通过 GET 方式传递")
    # and a POST-only one sent in the query string
    r = sandbox_client.get(
        "/mm-ms/apinew/mloperate.php",
        query_string={"do": "maillist-add", "subject": "x", "status": "enabled"},
        auth=DEMO,
    )
    assert status(r)[0] == "error" and "POST" in status(r)[1]
    # where the manual allows either (§6.3, L3053), both work
    r = sandbox_client.post("/mm-ms/apinew/task.php?do=edit-task", auth=DEMO, data={"id": "424242"})
    assert "GET" not in (status(r)[1] or "")


@pytest.mark.sandbox_profile("permissive")
def test_permissive_merges_get_and_post(sandbox_client):
    r = sandbox_client.post(
        "/mm-ms/apinew/bs.php?do=customer-domain-add", auth=DEMO, data={"domain": "x.example.cn"}
    )
    assert status(r)[0].startswith("success")


def test_only_the_administrator_acts_as_manager(sandbox_app, sandbox_client):
    sub = sub_account_id(sandbox_app)
    for do, extra in (("domain-list", {"user_type": "manager"}), ("domain-add", {})):
        r = sandbox_client.get(
            "/mm-ms/apinew/bs.php",
            query_string={"do": do, "customer_id": sub, "domain": "p.example.cn", **extra},
            auth=AGENT,
        )
        assert status(r) == ("error", "无权限：只有管理员账号才可调用此接口")
    r = sandbox_client.get(
        "/mm-ms/apinew/bs.php",
        query_string={"do": "domain-add", "customer_id": sub, "domain": "p.example.cn"},
        auth=MANAGER,
    )
    assert status(r)[0].startswith("success")


def test_edit_task_takes_only_the_documented_statuses(sandbox_client):
    for value in ("-2", "-3", "3"):
        r = sandbox_client.get(
            "/mm-ms/apinew/task.php",
            query_string={"do": "edit-task", "id": "1", "send_status": value},
            auth=DEMO,
        )
        assert status(r) == ("error", f"参数错误：send_status={value}")


def test_quirks_serve_replies_as_the_manual_prints_them(sandbox_client):
    sandbox_client.post("/_sandbox/profile", json={"quirks": True})
    r = sandbox_client.get("/mm-ms/apinew/account.php?do=service-info", auth=DEMO)
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    body = r.get_data(as_text=True)
    assert body.startswith('\n<?xml version="1.0" encoding="UTF-8"?>')
    dates = re.findall(r"<(?:beginning|expiration)_date>([^<]*)<", body)
    assert dates and all(re.fullmatch(r"\d{4}-[1-9]\d?-[1-9]\d?", d) for d in dates), dates
    detail = sandbox_client.get(
        "/mm-ms/apinew/mloperate.php?do=maillist-detail&id=501", auth=DEMO
    ).get_data(as_text=True)
    assert "<descrīption>" in detail and detail.rstrip().endswith("</aillist>")


def test_unpadding_keeps_times_readable():
    from sandbox.profile import apply_quirks

    body, ctype = apply_quirks(
        "x.php",
        None,
        b"<a><t>2017-01-05 09:03:00</t><d>2019-08-05</d><z>0000-00-00</z></a>",
        "text/xml; charset=utf-8",
    )
    assert body == b"\n<a><t>2017-1-5 9:03:00</t><d>2019-8-5</d><z>0000-00-00</z></a>"
    assert datetime.strptime("2017-1-5 9:03:00", "%Y-%m-%d %H:%M:%S").day == 5
    assert ctype.startswith("text/html")
