"""§8 the platform's web console (``/sendstat/``): login form target, session, index page.

The query string selects the page, as on the platform: ``?module=base&action=login``
(GET: the login form; POST: check username / password / user_type, honour ``errurl``),
``?module=index&action=index`` (the console, needs the ``PHPSESSID`` cookie) and
``?module=base&action=logout``. A bare ``/sendstat/`` is the index.
"""

from __future__ import annotations

import hmac
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from sandbox.app import SandboxApp

SESSION_COOKIE = "PHPSESSID"
LOGIN_URL = "/sendstat/?module=base&action=login"
INDEX_URL = "/sendstat/?module=index&action=index"
LOGOUT_URL = "/sendstat/?module=base&action=logout"

USER_TYPES = {"": "普通用户", "agents": "代理商", "manager": "管理员"}


def _page(title: str, body: str, status: int = 200) -> Response:
    html = (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head><meta charset="utf-8">'
        f"<title>{escape(title)} - U-Mail 群发平台</title></head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
    return Response(html, status=status, content_type="text/html; charset=utf-8")


def _login_form(message: str = "") -> str:
    options = "".join(
        f'<option value="{escape(value)}">{label}</option>' for value, label in USER_TYPES.items()
    )
    note = f'<p class="error">{escape(message)}</p>\n' if message else ""
    return (
        f"<h1>U-Mail 群发平台登录</h1>\n{note}"
        f'<form action="{escape(LOGIN_URL)}" method="post">\n'
        '<p><label>用户名 <input type="text" name="username"></label></p>\n'
        '<p><label>密码 <input type="password" name="password"></label></p>\n'
        f'<p><label>用户类型 <select name="user_type">{options}</select></label></p>\n'
        '<p><input name="Submit" type="submit" value="提交"></p>\n</form>'
    )


def _is_absolute_http(url: str) -> bool:
    # The docs: errurl "必须要有 http://"; anything else would be an open redirect to nowhere.
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _check(app: SandboxApp, form: Any) -> dict[str, Any] | None:
    account = app.store.account_by_username(form.get("username", ""))
    if account is None:
        return None
    password = form.get("password", "")
    if not hmac.compare_digest(password.encode(), account["password"].encode()):
        return None
    # The chosen user type must be the account's own: an agent cannot log in as ordinary user.
    if form.get("user_type", "") != account["user_type"]:
        return None
    return account


def login(app: SandboxApp, request: Request) -> Response:
    if request.method != "POST":
        return _page("登录", _login_form())
    account = _check(app, request.form)
    username = request.form.get("username", "")
    if account is None:
        errurl = request.form.get("errurl", "")
        if _is_absolute_http(errurl):
            response = redirect(errurl, 302)
        else:
            response = _page(
                "登录失败",
                _login_form("用户名或密码错误，或用户类型不正确。"),
            )
    else:
        sid = app.store.create_session(account["id"], app.clock.timestamp())
        response = redirect(INDEX_URL, 302)
        response.set_cookie(SESSION_COOKIE, sid, path="/", httponly=True)
    app.record_call(
        request,
        "sendstat",
        "sendstat",
        "base.login",
        username,
        account is not None,
        response.status_code,
    )
    return response


def logout(app: SandboxApp, request: Request) -> Response:
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        app.store.delete_session(sid)
    response = redirect(LOGIN_URL, 302)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def index(app: SandboxApp, request: Request) -> Response:
    sid = request.cookies.get(SESSION_COOKIE)
    account = app.store.session_account(sid) if sid else None
    if account is None:
        return redirect(LOGIN_URL, 302)
    a = {k: escape(str(v if v is not None else "")) for k, v in account.items()}
    rows = [
        ("用户名", a["username"]),
        ("用户类型", escape(USER_TYPES.get(account["user_type"], account["user_type"]))),
        ("公司名称", a["company"]),
        ("联系人", a["contact"]),
        ("群发服务状态", a["service_status"]),
        ("服务期限", f"{a['beginning_date']} 至 {a['expiration_date']}"),
        ("剩余有效群发量", a["qty_available"]),
        ("群发量购买总计", a["qty_buytotal"]),
    ]
    table = "\n".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    body = (
        f'<h1>欢迎，<span class="username">{a["username"]}</span></h1>\n'
        f"<p>{a['company']}</p>\n<table>\n{table}\n</table>\n"
    )
    if account["user_type"] == "agents":
        subs = app.store.sub_accounts(account["id"])
        items = "".join(f"<li>{escape(s['username'])}：{escape(s['company'])}</li>" for s in subs)
        body += f"<h2>子帐号</h2>\n<ul>{items}</ul>\n"
    body += f'<p><a href="{escape(LOGOUT_URL)}">退出</a></p>'
    return _page("控制台", body)


PAGES = {
    ("base", "login"): login,
    ("base", "logout"): logout,
    ("index", "index"): index,
}


def sendstat(app: SandboxApp, request: Request) -> Response:
    module = request.args.get("module") or "index"
    action = request.args.get("action") or "index"
    page = PAGES.get((module, action))
    if page is None:
        return _page("页面不存在", "<h1>页面不存在</h1>", status=404)
    return page(app, request)
