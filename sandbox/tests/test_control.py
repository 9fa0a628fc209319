"""The /_sandbox/ control endpoints, and keeping passwords out of the call log."""

from __future__ import annotations

from sandbox.tests.conftest import legacy_query

SEEDED = ["manager", "agent", "demo", "shop-a", "shop-b", "other"]


def test_health(sandbox_client):
    r = sandbox_client.get("/_sandbox/health")
    assert r.status_code == 200
    assert r.get_data(as_text=True).strip() == "ok"


def test_accounts_list(sandbox_client):
    accounts = sandbox_client.get("/_sandbox/accounts").get_json()
    assert [a["username"] for a in accounts] == SEEDED
    by_name = {a["username"]: a for a in accounts}
    assert all("password" not in a for a in accounts)
    assert by_name["agent"]["user_type"] == "agents"
    assert by_name["manager"]["user_type"] == "manager"
    assert by_name["shop-a"]["parent_id"] == by_name["agent"]["id"]
    assert by_name["shop-b"]["parent_id"] == by_name["agent"]["id"]
    assert by_name["demo"]["parent_id"] is None
    assert by_name["demo"]["company"] == "深圳示例科技有限公司"


def test_patch_account(sandbox_client):
    r = sandbox_client.post(
        "/_sandbox/accounts/demo", json={"qty_available": 5, "expiration_date": "2030-01-31"}
    )
    assert r.status_code == 200
    row = r.get_json()
    assert row["qty_available"] == 5 and row["expiration_date"] == "2030-01-31"
    assert "password" not in row
    assert sandbox_client.get("/_sandbox/accounts/demo").get_json()["qty_available"] == 5
    r = sandbox_client.get("/mm-ms/apinew/account.php?do=service-info", auth=("demo", "demo-pass"))
    assert "<qty_available>5</qty_available>" in r.get_data(as_text=True)


def test_patch_validation(sandbox_client):
    bad = [
        {"qty_available": "many"},
        {"expiration_date": "31/01/2030"},
        {"expiration_date": "2030-02-30"},
        {"service_status": "frozen"},
        {"id": 7},
        {"nonsense": 1},
        {"username": "agent"},  # taken
    ]
    for body in bad:
        r = sandbox_client.post("/_sandbox/accounts/demo", json=body)
        assert r.status_code == 400, body
        assert "error" in r.get_json()
    assert sandbox_client.post("/_sandbox/accounts/demo", data="not json").status_code == 400
    assert sandbox_client.post("/_sandbox/accounts/demo", json=[1]).status_code == 400
    assert sandbox_client.post("/_sandbox/accounts/ghost", json={}).status_code == 404


def test_reset_restores_seed_and_clears_calls(sandbox_client):
    sandbox_client.post("/_sandbox/accounts/demo", json={"qty_available": 1, "company": "X"})
    sandbox_client.get("/mm-ms/apinew/account.php?do=service-info", auth=("demo", "demo-pass"))
    r = sandbox_client.post("/_sandbox/reset")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "accounts": len(SEEDED)}
    demo = sandbox_client.get("/_sandbox/accounts/demo").get_json()
    assert demo["qty_available"] == 63250 and demo["company"] == "深圳示例科技有限公司"
    assert sandbox_client.get("/_sandbox/calls").get_json()["calls"] == []


def test_seed_is_idempotent_and_keeps_changes(sandbox_app, sandbox_client):
    from sandbox.seed import seed

    sandbox_client.post("/_sandbox/accounts/demo", json={"qty_available": 7})
    seed(sandbox_app.store, sandbox_app.clock)
    accounts = sandbox_client.get("/_sandbox/accounts").get_json()
    assert [a["username"] for a in accounts] == SEEDED
    assert sandbox_client.get("/_sandbox/accounts/demo").get_json()["qty_available"] == 7


def test_calls_log(sandbox_client):
    sandbox_client.get("/mm-ms/apinew/account.php?do=customer-info", auth=("demo", "demo-pass"))
    sandbox_client.get("/mm-ms/apinew/account.php?do=customer-info", auth=("demo", "bad"))
    sandbox_client.get(
        "/mm-ms/api/account.php",
        query_string={"do": "service-info", **legacy_query("other", "other-pass")},
    )
    log = sandbox_client.get("/_sandbox/calls").get_json()
    calls = log["calls"]
    assert [c["seq"] for c in calls] == [1, 2, 3]
    assert log["last_seq"] == 3
    first, second, third = calls
    assert first["mode"] == "apinew" and first["script"] == "account.php"
    assert first["do"] == "customer-info" and first["username"] == "demo"
    assert first["status"] == 200 and first["authenticated"] is True
    assert second["status"] == 401 and second["authenticated"] is False
    assert third["mode"] == "api" and third["username"] == "other" and third["status"] == 200
    # Control requests are not platform calls.
    assert len(sandbox_client.get("/_sandbox/calls?since=2").get_json()["calls"]) == 1
    assert sandbox_client.get("/_sandbox/calls?since=x").status_code == 400


def test_calls_clear_keeps_sequence(sandbox_client):
    sandbox_client.get("/mm-ms/apinew/account.php?do=customer-info", auth=("demo", "demo-pass"))
    r = sandbox_client.post("/_sandbox/calls/clear")
    assert r.get_json() == {"status": "ok", "last_seq": 1}
    assert sandbox_client.get("/_sandbox/calls").get_json()["calls"] == []
    sandbox_client.get("/mm-ms/apinew/account.php?do=service-info", auth=("demo", "demo-pass"))
    calls = sandbox_client.get("/_sandbox/calls?since=1").get_json()["calls"]
    assert [c["seq"] for c in calls] == [2]


def test_call_log_is_bounded(sandbox_app):
    from sandbox.calllog import CallLog

    log = CallLog(maxlen=3)
    for i in range(5):
        log.record(n=i)
    assert [e["seq"] for e in log.since(0)] == [3, 4, 5]
    assert sandbox_app.calls._entries.maxlen == 10_000


def test_passwords_never_in_call_log(sandbox_client):
    md5 = legacy_query("demo", "demo-pass")["password"]
    sandbox_client.get("/mm-ms/apinew/account.php?do=customer-info", auth=("demo", "demo-pass"))
    sandbox_client.get(
        "/mm-ms/api/account.php",
        query_string={"do": "customer-info", "username": "demo", "password": md5},
    )
    sandbox_client.post(
        "/mm-ms/apinew/account.php?do=customer-info&pwd=mailbox-secret",
        auth=("demo", "demo-pass"),
        data={"password": "posted-secret", "pwd": "posted-mailbox-secret"},
    )
    sandbox_client.post(
        "/sendstat/?module=base&action=login",
        data={"username": "demo", "password": "demo-pass", "user_type": ""},
    )
    dump = sandbox_client.get("/_sandbox/calls").get_data(as_text=True)
    assert '"calls"' in dump and "customer-info" in dump
    for secret in ("demo-pass", md5, "mailbox-secret", "posted-secret", "password", "pwd"):
        assert secret not in dump, secret
