"""§7 bs.php: domains and mailboxes, sub-accounts, DNS verification and the control endpoints."""

from __future__ import annotations

import time

import pytest

from sandbox.ops.domains import expected_records, normalise_domain
from sandbox.tests.conftest import legacy_query, parse_xml

DEMO = ("demo", "demo-pass")
AGENT = ("agent", "agent-pass")
MANAGER = ("manager", "manager-pass")
OTHER = ("other", "other-pass")
BS = "/mm-ms/apinew/bs.php"


def call(client, do, auth=DEMO, method="get", **params):
    if method == "post" or do == "domain-check":
        # Only §7.3's domains is a POST parameter (L3208); the rest stay in the query string.
        data = {k: v for k, v in params.items() if k == "domains"}
        query = {k: v for k, v in params.items() if k != "domains"}
        return parse_xml(client.post(BS, query_string={"do": do, **query}, auth=auth, data=data))
    return parse_xml(client.get(BS, auth=auth, query_string={"do": do, **params}))


def status(root):
    assert root.tag == "result", root.tag
    return root.findtext("status"), root.findtext("data")


def domains(root):
    assert root.tag == "domain_list"
    return [(int(d.findtext("customer_id")), d.findtext("domain")) for d in root.findall("data")]


def checks(root):
    return {
        d.findtext("val"): (
            int(d.findtext("status")),
            int(d.findtext("domain_id")),
            int(d.findtext("customer_id")),
        )
        for d in root.findall("domain")
    }


@pytest.fixture(autouse=True)
def no_delay(sandbox_client):
    """Only "publish" verifies, unless a test sets a delay."""
    r = sandbox_client.post("/_sandbox/domains/settings", json={"verify_delay": None})
    assert r.get_json() == {"verify_delay": None}


def test_domain_list_own_and_system_domains(sandbox_client):
    root = call(sandbox_client, "domain-list")
    assert domains(root) == [
        (0, "edm.bestedm.org"),
        (1001, "demo-shop.cn"),
        (1001, "mail.demo-shop.cn"),
    ]
    raw = sandbox_client.get(f"{BS}?do=domain-list", auth=DEMO).get_data(as_text=True)
    assert "<customer_id>1001</customer_id>" in raw
    assert "<domain><![CDATA[demo-shop.cn]]></domain>" in raw


def test_domain_list_legacy_auth(sandbox_client):
    q = {"do": "domain-list", **legacy_query("other", "other-pass")}
    root = parse_xml(sandbox_client.get("/mm-ms/api/bs.php", query_string=q))
    assert domains(root) == [(0, "edm.bestedm.org"), (1004, "other-trade.cn")]


@pytest.mark.sandbox_profile("permissive")
def test_agent_sees_its_sub_accounts_domains(sandbox_client):
    root = call(sandbox_client, "domain-list", auth=AGENT)
    assert domains(root) == [
        (0, "edm.bestedm.org"),
        (100, "agent-sh.cn"),
        (1002, "shop-a.cn"),
        (1003, "shop-b.cn"),
    ]
    one = call(sandbox_client, "domain-list", auth=AGENT, customer_id="1002", user_type="manager")
    assert domains(one) == [(0, "edm.bestedm.org"), (1002, "shop-a.cn")]


def test_customer_id_of_someone_else_is_refused(sandbox_client):
    # An ordinary user changing the customer_id, in either mode.
    for params in ({"customer_id": "1002"}, {"customer_id": "1002", "user_type": "manager"}):
        st, data = status(call(sandbox_client, "domain-list", **params))
        assert st == "error" and "无权" in data, params
    # Its own id is fine.
    assert domains(call(sandbox_client, "domain-list", customer_id="1001"))[1][0] == 1001
    # An agent reaches only its own sub-accounts.
    for cid in ("1001", "1004", "1", "100"):
        root = call(sandbox_client, "domain-list", auth=AGENT, customer_id=cid, user_type="manager")
        assert status(root)[0] == "error", cid
    st, data = status(call(sandbox_client, "domain-list", auth=AGENT, user_type="manager"))
    assert (st, data) == ("error", "缺少参数：customer_id")
    st, _ = status(call(sandbox_client, "domain-list", user_type="boss"))
    assert st == "error"


def test_manager_reaches_every_customer(sandbox_client):
    root = call(
        sandbox_client, "domain-list", auth=MANAGER, customer_id="1004", user_type="manager"
    )
    assert domains(root) == [(0, "edm.bestedm.org"), (1004, "other-trade.cn")]
    everything = domains(call(sandbox_client, "domain-list", auth=MANAGER))
    assert {cid for cid, _ in everything} == {0, 100, 1001, 1002, 1003, 1004}


@pytest.mark.sandbox_profile("permissive")
def test_second_agent_cannot_reach_the_first_agents_sub_accounts(sandbox_client):
    sandbox_client.post("/_sandbox/accounts/other", json={"user_type": "agents"})
    sandbox_client.post("/_sandbox/accounts/shop-b", json={"parent_id": 1004})
    root = call(sandbox_client, "domain-list", auth=OTHER, customer_id="1002", user_type="manager")
    assert status(root)[0] == "error"
    root = call(sandbox_client, "domain-list", auth=OTHER, customer_id="1003", user_type="manager")
    assert domains(root) == [(0, "edm.bestedm.org"), (1003, "shop-b.cn")]
    assert (1003, "shop-b.cn") not in domains(call(sandbox_client, "domain-list", auth=AGENT))


def test_add_check_publish_verify_and_delete(sandbox_client):
    st, domain_id = status(call(sandbox_client, "customer-domain-add", domain="News.Example.COM"))
    assert st == "success" and int(domain_id) > 0
    root = call(sandbox_client, "domain-check", method="post", domains="news.example.com,nope.cn")
    assert checks(root) == {
        "news.example.com": (2, int(domain_id), 1001),
        "nope.cn": (0, 0, 1001),
    }
    state = sandbox_client.post("/_sandbox/domains/news.example.com/publish").get_json()
    assert state["published"] and not state["verified"]
    assert state["records"] == expected_records("news.example.com")
    root = call(sandbox_client, "domain-check", method="post", domains="news.example.com")
    assert checks(root)["news.example.com"][0] == 3
    assert root.find("domain").findtext("info") == "添加成功并验证通过"
    assert sandbox_client.get("/_sandbox/domains/news.example.com").get_json()["verified"]
    # Verified: §7.6 refuses, with the reason.
    st, data = status(call(sandbox_client, "customer-domain-del", domain="news.example.com"))
    assert st == "del_domain_error" and "验证通过" in data
    # Unpublishing the records does not unverify it.
    sandbox_client.post("/_sandbox/domains/news.example.com/unpublish")
    assert (
        checks(call(sandbox_client, "domain-check", domains="news.example.com"))[
            "news.example.com"
        ][0]
        == 3
    )


def test_unverified_domain_can_be_deleted(sandbox_client):
    call(sandbox_client, "customer-domain-add", domain="temp.example.net")
    assert status(call(sandbox_client, "customer-domain-del", domain="temp.example.net")) == (
        "success",
        "删除成功",
    )
    assert "temp.example.net" not in [d for _, d in domains(call(sandbox_client, "domain-list"))]
    st, data = status(call(sandbox_client, "customer-domain-del", domain="temp.example.net"))
    assert st == "del_domain_error" and "不存在" in data
    # Someone else's domain is "not found" too.
    st, _ = status(call(sandbox_client, "customer-domain-del", domain="other-trade.cn"))
    assert st == "del_domain_error"


def test_published_before_adding_verifies_at_once(sandbox_client):
    sandbox_client.post("/_sandbox/domains/ready.example.org/publish")
    root = call(sandbox_client, "domain-check", domains="ready.example.org")
    assert checks(root)["ready.example.org"] == (1, 0, 1001)
    st, _ = status(call(sandbox_client, "customer-domain-add", domain="ready.example.org"))
    assert st == "success_and_check_ok"


def test_verification_delay(sandbox_client):
    r = sandbox_client.post("/_sandbox/domains/settings", json={"verify_delay": 0.3})
    assert r.get_json() == {"verify_delay": 0.3}
    call(sandbox_client, "customer-domain-add", domain="slow.example.org")
    assert (
        checks(call(sandbox_client, "domain-check", domains="slow.example.org"))[
            "slow.example.org"
        ][0]
        == 2
    )
    time.sleep(0.35)
    assert (
        checks(call(sandbox_client, "domain-check", domains="slow.example.org"))[
            "slow.example.org"
        ][0]
        == 3
    )
    for bad in ({"verify_delay": -1}, {"verify_delay": "soon"}, {"delay": 3}):
        assert sandbox_client.post("/_sandbox/domains/settings", json=bad).status_code == 400


def test_add_refusals(sandbox_client):
    for bad in ("not a domain", "localhost", "-x.com", "a..com", "x.c0m"):
        st, data = status(call(sandbox_client, "customer-domain-add", domain=bad))
        assert st == "add_domain_error" and "格式" in data, bad
    st, data = status(call(sandbox_client, "customer-domain-add", domain="other-trade.cn"))
    assert st == "add_domain_error" and "已存在" in data
    st, data = status(call(sandbox_client, "customer-domain-add"))
    assert (st, data) == ("error", "缺少参数：domain")


def test_domain_check_hides_other_customers_domains(sandbox_client):
    root = call(sandbox_client, "domain-check", domains="other-trade.cn, edm.bestedm.org")
    assert checks(root) == {"other-trade.cn": (0, 0, 1001), "edm.bestedm.org": (3, 1, 0)}
    # An agent sees its sub-accounts' domains as known.
    root = call(sandbox_client, "domain-check", auth=AGENT, domains="shop-a.cn,shop-b.cn")
    got = checks(root)
    assert got["shop-a.cn"][0] == 3 and got["shop-a.cn"][2] == 1002
    assert got["shop-b.cn"][0] == 2 and got["shop-b.cn"][2] == 1003


@pytest.mark.sandbox_profile("permissive")
def test_manager_only_domain_add_and_del(sandbox_client):
    # Ordinary users are refused with the platform's error shape.
    st, data = status(
        call(sandbox_client, "domain-add", customer_id="1001", domain="x.example.com")
    )
    assert st == "error" and "管理员" in data
    st, _ = status(call(sandbox_client, "domain-del", customer_id="1001", domain="demo-shop.cn"))
    assert st == "error"
    # The agent adds to and removes from its own sub-account...
    st, new_id = status(
        call(sandbox_client, "domain-add", auth=AGENT, customer_id="1002", domain="promo.shop-a.cn")
    )
    assert st == "success" and int(new_id) > 0
    root = call(sandbox_client, "domain-list", auth=AGENT, customer_id="1002", user_type="manager")
    assert (1002, "promo.shop-a.cn") in domains(root)
    # ... but not to someone else's.
    st, _ = status(
        call(sandbox_client, "domain-add", auth=AGENT, customer_id="1001", domain="y.example.com")
    )
    assert st == "error"
    # §7.5 removes verified domains too (with their mailboxes).
    st, _ = status(
        call(sandbox_client, "domain-del", auth=AGENT, customer_id="1002", domain="shop-a.cn")
    )
    assert st == "success"
    assert sandbox_client.get("/_sandbox/domains/shop-a.cn").get_json()["known"] is False
    st, _ = status(
        call(sandbox_client, "domain-del", auth=AGENT, customer_id="1002", domain="shop-b.cn")
    )
    assert st == "del_domain_error"  # shop-b.cn belongs to 1003
    # The administrator reaches anyone.
    st, _ = status(
        call(sandbox_client, "domain-add", auth=MANAGER, customer_id="1004", domain="m.example.com")
    )
    assert st == "success"
    st, data = status(
        call(sandbox_client, "domain-add", auth=MANAGER, customer_id="99", domain="z.cn")
    )
    assert st == "error" and "不存在" in data


def test_mailboxes_add_list_page_edit_delete(sandbox_client):
    st, _ = status(
        call(
            sandbox_client,
            "mailbox-add",
            method="post",
            mailbox="Sales@demo-shop.cn",
            pwd="Str0ng-pass!",
        )
    )
    assert st == "success"
    root = call(sandbox_client, "mailbox-list", domain="demo-shop.cn")
    assert root.tag == "mailbox_list"
    rows = [
        (d.findtext("name"), d.findtext("mailbox"), d.findtext("domain"))
        for d in root.findall("data")
    ]
    assert rows == [
        ("notice", "notice@demo-shop.cn", "demo-shop.cn"),
        ("news", "news@demo-shop.cn", "demo-shop.cn"),
        ("sales", "sales@demo-shop.cn", "demo-shop.cn"),
    ]
    assert {d.findtext("customer_id") for d in root.findall("data")} == {"1001"}
    page2 = call(sandbox_client, "mailbox-list", domain="demo-shop.cn", page="2", limit="2")
    assert [d.findtext("name") for d in page2.findall("data")] == ["sales"]
    page1 = call(sandbox_client, "mailbox-list", domain="demo-shop.cn", page="1")
    assert len(page1.findall("data")) == 3  # limit defaults to 30
    st, _ = status(call(sandbox_client, "mailbox-list", domain="demo-shop.cn", page="x"))
    assert st == "error"

    st, data = status(
        call(
            sandbox_client,
            "mailbox-add",
            method="post",
            mailbox="sales@demo-shop.cn",
            pwd="Another-pass1",
        )
    )
    assert st == "add_mailbox_error" and "已存在" in data
    st, _ = status(
        call(
            sandbox_client,
            "mailbox-edit",
            method="post",
            mailbox="sales@demo-shop.cn",
            pwd="Changed-pass-9",
        )
    )
    assert st == "success"
    from sandbox.ops.smtp import find_mailbox  # the SMTP section authenticates from this table

    assert (
        sandbox_client.application.store
        and find_mailbox(sandbox_client.application.store, "sales@demo-shop.cn")["password"]
        == "Changed-pass-9"
    )
    st, _ = status(call(sandbox_client, "mailbox-del", mailbox="sales@demo-shop.cn"))
    assert st == "success"
    st, data = status(call(sandbox_client, "mailbox-del", mailbox="sales@demo-shop.cn"))
    assert st == "del_mailbox_error" and "不存在" in data
    st, _ = status(
        call(sandbox_client, "mailbox-edit", mailbox="ghost@demo-shop.cn", pwd="Whatever-1")
    )
    assert st == "edit_mailbox_error"


def test_mailbox_refusals(sandbox_client):
    cases = [
        ({"mailbox": "x@other-trade.cn", "pwd": "Good-pass-1"}, "不存在"),  # another customer's
        ({"mailbox": "x@edm.bestedm.org", "pwd": "Good-pass-1"}, "系统域名"),
        ({"mailbox": "not-an-address", "pwd": "Good-pass-1"}, "格式"),
        ({"mailbox": "a b@demo-shop.cn", "pwd": "Good-pass-1"}, "格式"),
        ({"mailbox": "ok@demo-shop.cn", "pwd": "short"}, "密码"),
        ({"mailbox": "ok@demo-shop.cn", "pwd": "has space 123"}, "密码"),
    ]
    for params, words in cases:
        st, data = status(call(sandbox_client, "mailbox-add", method="post", **params))
        assert st == "add_mailbox_error" and words in data, params
    assert status(call(sandbox_client, "mailbox-add", mailbox="ok@demo-shop.cn")) == (
        "error",
        "缺少参数：pwd",
    )
    st, _ = status(call(sandbox_client, "mailbox-list", domain="other-trade.cn"))
    assert st == "error"


@pytest.mark.sandbox_profile("permissive")
def test_agent_manages_sub_account_mailboxes(sandbox_client):
    scope = {"customer_id": "1002", "user_type": "manager"}
    st, _ = status(
        call(
            sandbox_client,
            "mailbox-add",
            auth=AGENT,
            method="post",
            mailbox="vip@shop-a.cn",
            pwd="Vip-pass-2026",
            **scope,
        )
    )
    assert st == "success"
    root = call(sandbox_client, "mailbox-list", auth=AGENT, domain="shop-a.cn", **scope)
    assert [d.findtext("mailbox") for d in root.findall("data")] == [
        "sale@shop-a.cn",
        "vip@shop-a.cn",
    ]
    assert {d.findtext("customer_id") for d in root.findall("data")} == {"1002"}
    # Without the scope the agent itself owns no such domain.
    st, _ = status(call(sandbox_client, "mailbox-list", auth=AGENT, domain="shop-a.cn"))
    assert st == "error"
    # Another sub-account's domain through the wrong customer_id.
    st, _ = status(
        call(
            sandbox_client,
            "mailbox-list",
            auth=AGENT,
            domain="shop-a.cn",
            customer_id="1003",
            user_type="manager",
        )
    )
    assert st == "error"
    # An ordinary user pretending to be a manager.
    st, _ = status(call(sandbox_client, "mailbox-del", mailbox="sale@shop-a.cn", **scope))
    assert st == "error"
    for do, extra in (("mailbox-edit", {"pwd": "New-pass-2026"}), ("mailbox-del", {})):
        st, _ = status(
            call(sandbox_client, do, auth=AGENT, mailbox="vip@shop-a.cn", **scope, **extra)
        )
        assert st == "success", do


def test_passwords_never_reach_the_call_log(sandbox_client):
    call(sandbox_client, "mailbox-add", mailbox="log@demo-shop.cn", pwd="Secret-in-query-1")
    call(
        sandbox_client,
        "mailbox-edit",
        method="post",
        mailbox="log@demo-shop.cn",
        pwd="Secret-in-body-2",
    )
    text = sandbox_client.get("/_sandbox/calls").get_data(as_text=True)
    assert "Secret-in-query-1" not in text and "Secret-in-body-2" not in text
    assert "log@demo-shop.cn" in text


def test_reset_restores_the_seeded_domains(sandbox_client):
    call(sandbox_client, "customer-domain-add", domain="gone.example.com")
    sandbox_client.post("/_sandbox/reset")
    names = [d for _, d in domains(call(sandbox_client, "domain-list"))]
    assert names == ["edm.bestedm.org", "demo-shop.cn", "mail.demo-shop.cn"]


def test_normalise_domain():
    assert normalise_domain(" Example.COM. ") == "example.com"
    assert normalise_domain("例子.中国") == "xn--fsqu00a.xn--fiqs8s"
    assert normalise_domain("example") is None
    assert normalise_domain("exa mple.com") is None
    assert normalise_domain("a" * 64 + ".com") is None


def test_control_rejects_bad_names(sandbox_client):
    assert sandbox_client.post("/_sandbox/domains/not_a_domain/publish").status_code == 400
    state = sandbox_client.get("/_sandbox/domains/unknown.example.com").get_json()
    assert state["known"] is False and state["records"][0]["type"] == "TXT"
