"""§8 the platform console: /sendstat/ login, session cookie, index page."""

from __future__ import annotations

LOGIN = "/sendstat/?module=base&action=login"
INDEX = "/sendstat/?module=index&action=index"
ERRURL = "http://portal.example.com/login/?failed=1"


def login(client, username, password, user_type="", errurl=None):
    form = {"username": username, "password": password, "user_type": user_type}
    if errurl is not None:
        form["errurl"] = errurl
    return client.post(LOGIN, data=form)


def session_cookie(client):
    return client.get_cookie("PHPSESSID")


def test_login_success_sets_session_and_redirects(sandbox_client):
    r = login(sandbox_client, "demo", "demo-pass", errurl=ERRURL)
    assert r.status_code == 302
    assert r.headers["Location"] == INDEX
    assert "PHPSESSID=" in r.headers["Set-Cookie"]
    cookie = session_cookie(sandbox_client)
    assert cookie is not None and len(cookie.value) == 26
    page = sandbox_client.get(INDEX)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    text = page.get_data(as_text=True)
    assert "demo" in text and "深圳示例科技有限公司" in text


def test_login_each_user_type(sandbox_client):
    assert login(sandbox_client, "agent", "agent-pass", "agents").status_code == 302
    page = sandbox_client.get(INDEX).get_data(as_text=True)
    assert "代理商" in page and "shop-a" in page and "shop-b" in page
    assert login(sandbox_client, "manager", "manager-pass", "manager").status_code == 302
    assert "管理员" in sandbox_client.get(INDEX).get_data(as_text=True)


def test_login_failure_redirects_to_errurl(sandbox_client):
    r = login(sandbox_client, "demo", "wrong", errurl=ERRURL)
    assert r.status_code == 302
    assert r.headers["Location"] == ERRURL
    assert "Set-Cookie" not in r.headers


def test_wrong_user_type_fails(sandbox_client):
    r = login(sandbox_client, "agent", "agent-pass", "", errurl=ERRURL)
    assert r.status_code == 302 and r.headers["Location"] == ERRURL
    r = login(sandbox_client, "demo", "demo-pass", "manager", errurl=ERRURL)
    assert r.status_code == 302 and r.headers["Location"] == ERRURL
    assert session_cookie(sandbox_client) is None


def test_login_failure_without_errurl_shows_error_page(sandbox_client):
    r = login(sandbox_client, "demo", "wrong")
    assert r.status_code == 200
    assert "用户名或密码错误" in r.get_data(as_text=True)


def test_relative_errurl_is_ignored(sandbox_client):
    for errurl in ("/login/", "javascript:alert(1)", "ftp://example.com/", "http://"):
        r = login(sandbox_client, "demo", "wrong", errurl=errurl)
        assert r.status_code == 200, errurl


def test_index_without_session_redirects_to_login(sandbox_client):
    r = sandbox_client.get(INDEX)
    assert r.status_code == 302
    assert r.headers["Location"] == LOGIN
    sandbox_client.set_cookie("PHPSESSID", "forged")
    assert sandbox_client.get(INDEX).status_code == 302


def test_login_page_is_a_form(sandbox_client):
    r = sandbox_client.get(LOGIN)
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    assert 'name="username"' in text and 'name="user_type"' in text


def test_logout_ends_the_session(sandbox_client):
    login(sandbox_client, "demo", "demo-pass")
    sid = session_cookie(sandbox_client).value
    r = sandbox_client.get("/sendstat/?module=base&action=logout")
    assert r.status_code == 302 and r.headers["Location"] == LOGIN
    sandbox_client.set_cookie("PHPSESSID", sid)
    assert sandbox_client.get(INDEX).status_code == 302


def test_unknown_console_page_is_404(sandbox_client):
    assert sandbox_client.get("/sendstat/?module=nope&action=x").status_code == 404


def test_console_login_is_in_call_log_without_password(sandbox_client):
    login(sandbox_client, "demo", "demo-pass")
    calls = sandbox_client.get("/_sandbox/calls").get_json()["calls"]
    assert calls[-1]["mode"] == "sendstat"
    assert calls[-1]["username"] == "demo"
    assert calls[-1]["authenticated"] is True
    assert "demo-pass" not in str(calls)
