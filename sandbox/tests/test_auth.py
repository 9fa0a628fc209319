"""§9 authentication on both bases, and the error shape for unknown operations."""

from __future__ import annotations

import base64

from sandbox.tests.conftest import legacy_query, parse_xml

URL_NEW = "/mm-ms/apinew/account.php?do=customer-info"


def test_new_api_wrong_password_is_401(sandbox_client):
    r = sandbox_client.get(URL_NEW, auth=("demo", "wrong"))
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Basic realm="U-Mail API"'
    assert r.headers["Content-Type"].startswith("text/plain")
    assert "Unauthorized" in r.get_data(as_text=True)


def test_new_api_without_credentials_is_401(sandbox_client):
    assert sandbox_client.get(URL_NEW).status_code == 401


def test_new_api_unknown_user_is_401(sandbox_client):
    assert sandbox_client.get(URL_NEW, auth=("nobody", "demo-pass")).status_code == 401


def test_new_api_refuses_legacy_credentials(sandbox_client):
    r = sandbox_client.get(
        "/mm-ms/apinew/account.php",
        query_string={"do": "customer-info", **legacy_query("demo", "demo-pass")},
    )
    assert r.status_code == 401


def test_new_api_refuses_md5_password(sandbox_client):
    md5 = legacy_query("demo", "demo-pass")["password"]
    assert sandbox_client.get(URL_NEW, auth=("demo", md5)).status_code == 401


def test_new_api_garbage_authorization_header(sandbox_client):
    r = sandbox_client.get(URL_NEW, headers={"Authorization": "Basic %%%not-base64"})
    assert r.status_code == 401
    token = base64.b64encode(b"demo:demo-pass").decode()
    r = sandbox_client.get(URL_NEW, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_legacy_wrong_password_is_auth_error(sandbox_client):
    r = sandbox_client.get(
        "/mm-ms/api/account.php",
        query_string={"do": "customer-info", **legacy_query("demo", "wrong")},
    )
    assert r.status_code == 200
    root = parse_xml(r)
    assert root.tag == "result"
    assert root.findtext("status") == "auth_error"
    assert root.findtext("data") == "用户名或密码错误"
    assert "<data>用户名或密码错误</data>" in r.get_data(as_text=True)


def test_legacy_plain_password_is_refused(sandbox_client):
    r = sandbox_client.get(
        "/mm-ms/api/account.php",
        query_string={"do": "customer-info", "username": "demo", "password": "demo-pass"},
    )
    assert parse_xml(r).findtext("status") == "auth_error"


def test_legacy_without_credentials_is_auth_error(sandbox_client):
    r = sandbox_client.get("/mm-ms/api/account.php?do=customer-info")
    assert r.status_code == 200
    assert parse_xml(r).findtext("status") == "auth_error"


def test_legacy_base_accepts_basic_auth_like_the_samples(sandbox_client):
    # §9.1's curl and Python samples send Basic auth to /mm-ms/api/ URLs.
    r = sandbox_client.get("/mm-ms/api/account.php?do=customer-info", auth=("demo", "demo-pass"))
    assert parse_xml(r).tag == "customer"


def test_legacy_credentials_only_count_from_get(sandbox_client):
    r = sandbox_client.post(
        "/mm-ms/api/account.php?do=customer-info", data=legacy_query("demo", "demo-pass")
    )
    assert parse_xml(r).findtext("status") == "auth_error"


def test_password_change_takes_effect(sandbox_client):
    sandbox_client.post("/_sandbox/accounts/demo", json={"password": "new-secret"})
    assert sandbox_client.get(URL_NEW, auth=("demo", "demo-pass")).status_code == 401
    assert sandbox_client.get(URL_NEW, auth=("demo", "new-secret")).status_code == 200


def test_unknown_do_is_error_result(sandbox_client):
    r = sandbox_client.get("/mm-ms/apinew/account.php?do=nope", auth=("demo", "demo-pass"))
    assert r.status_code == 200
    root = parse_xml(r)
    assert [c.tag for c in root] == ["status", "data"]
    assert root.findtext("status") == "error"
    assert "nope" in root.findtext("data")


def test_missing_do_is_error_result(sandbox_client):
    r = sandbox_client.get("/mm-ms/apinew/account.php", auth=("demo", "demo-pass"))
    assert parse_xml(r).findtext("status") == "error"


def test_do_only_counts_from_get(sandbox_client):
    r = sandbox_client.post(
        "/mm-ms/apinew/account.php", auth=("demo", "demo-pass"), data={"do": "customer-info"}
    )
    assert parse_xml(r).findtext("status") == "error"


def test_unknown_script_is_error_result(sandbox_client):
    r = sandbox_client.get("/mm-ms/apinew/nosuch.php?do=x", auth=("demo", "demo-pass"))
    assert r.status_code == 200
    root = parse_xml(r)
    assert root.findtext("status") == "error"
    assert "nosuch.php" in root.findtext("data")


def test_unknown_script_still_needs_auth(sandbox_client):
    assert sandbox_client.get("/mm-ms/apinew/nosuch.php?do=x").status_code == 401
