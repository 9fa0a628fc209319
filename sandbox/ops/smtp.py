"""§10 SMTP: the mailboxes that may log in, the received messages, and their control pages.

The SMTP service itself (:mod:`sandbox.smtp_server`) runs beside the HTTP server; this module
holds what both share through the store: who may authenticate (:func:`find_mailbox`), where a
received message goes (:func:`store_message`), and the ``/_sandbox/mail`` pages and JSON that
demos and tests read. It lives in ``sandbox/ops`` so that its tables, seeder and control routes
register like every other section's, although §10 has no HTTP operation.
"""

from __future__ import annotations

import email
import email.policy
import json
import secrets
from email.parser import BytesHeaderParser
from html import escape
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from sandbox.clock import Clock
from sandbox.control import control, json_error, json_response
from sandbox.seed import DEMO_ID, OTHER_ID, register_seeder
from sandbox.store import Store, register_schema

if TYPE_CHECKING:
    from sandbox.app import SandboxApp

register_schema(
    """
-- SMTP logins for a tree without §7 (sandbox/ops/domains.py and its "mailboxes" table);
-- find_mailbox() uses §7's mailboxes whenever that table exists, and then this stays empty.
CREATE TABLE IF NOT EXISTS smtp_mailboxes (
    mailbox    TEXT    PRIMARY KEY COLLATE NOCASE,
    password   TEXT    NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS smtp_messages (
    id          INTEGER PRIMARY KEY,
    queue_id    TEXT    NOT NULL,
    received_at TEXT    NOT NULL,
    account_id  INTEGER,
    mailbox     TEXT    NOT NULL,
    mail_from   TEXT    NOT NULL,
    rcpt_to     TEXT    NOT NULL,          -- JSON list of the accepted recipients
    subject     TEXT    NOT NULL DEFAULT '',
    size        INTEGER NOT NULL,
    peer        TEXT    NOT NULL DEFAULT '',
    helo        TEXT    NOT NULL DEFAULT '',
    tls         INTEGER NOT NULL DEFAULT 0,
    raw         BLOB    NOT NULL
);
CREATE INDEX IF NOT EXISTS smtp_messages_account ON smtp_messages(account_id);
-- Behaviour switches for tests and demos (POST /_sandbox/smtp/settings); a reset clears them.
CREATE TABLE IF NOT EXISTS smtp_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
)

# Used only without §7 (see above); deterministic like every seed.
FALLBACK_MAILBOXES = (
    ("notice@demo-shop.cn", "Notice-pass-2026", DEMO_ID),
    ("service@other-trade.cn", "Service-pass-2026", OTHER_ID),
)


def _table_exists(store: Store, name: str) -> bool:
    row = store.conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return row is not None


def uses_section7_mailboxes(store: Store) -> bool:
    """Whether §7's mailboxes (created with bs.php mailbox-add) are the SMTP logins."""
    return _table_exists(store, "mailboxes")


@register_seeder
def seed_mailboxes(store: Store, clock: Clock) -> None:
    if uses_section7_mailboxes(store):
        return
    with store.transaction() as conn:
        for mailbox, password, account_id in FALLBACK_MAILBOXES:
            conn.execute(
                "INSERT OR IGNORE INTO smtp_mailboxes (mailbox, password, account_id) "
                "VALUES (?, ?, ?)",
                (mailbox, password, account_id),
            )


# name -> default; values are JSON.
SMTP_SETTINGS = {
    # False: answer EHLO with 502 like an old HELO-only server (clients must fall back to HELO).
    "ehlo": True,
}


def smtp_setting(store: Store, name: str) -> Any:
    row = store.conn.execute("SELECT value FROM smtp_settings WHERE key = ?", (name,)).fetchone()
    return json.loads(row["value"]) if row is not None else SMTP_SETTINGS[name]


def find_mailbox(store: Store, address: str) -> dict[str, Any] | None:
    """The mailbox an SMTP login names, ``{"mailbox", "password", "account_id"}``, or None.

    The one place that knows where SMTP credentials live: §7's mailboxes when that section is
    present, else the fallback table above. Mailbox names are compared without regard to case,
    as mail systems do.
    """
    # Both tables have (mailbox COLLATE NOCASE, password, account_id): §7 keeps that shape for us.
    table = "mailboxes" if uses_section7_mailboxes(store) else "smtp_mailboxes"
    row = store.conn.execute(
        f"SELECT mailbox, password, account_id FROM {table} WHERE mailbox = ?",  # noqa: S608
        (address.strip(),),
    ).fetchone()
    return dict(row) if row is not None else None


def all_mailboxes(store: Store) -> list[dict[str, Any]]:
    """Every SMTP login with its owner's username (no passwords), for the received-mail page."""
    table = "mailboxes" if uses_section7_mailboxes(store) else "smtp_mailboxes"
    rows = store.conn.execute(
        f"SELECT m.mailbox, a.username FROM {table} m "  # noqa: S608 - a fixed table name
        "LEFT JOIN accounts a ON a.id = m.account_id ORDER BY a.username, m.mailbox"
    )
    return [dict(r) for r in rows]


def decoded_subject(raw: bytes) -> str:
    """The Subject header as a person reads it (RFC 2047 words decoded)."""
    # Headers only: the body of a large message need not be parsed to store it.
    msg = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
    try:
        # strip(): a folded first line ("Subject:\r\n =?utf-8?b?...?=", as Django writes long
        # subjects) unfolds with a leading space that mail clients do not show.
        return str(msg.get("Subject", "") or "").strip()
    except Exception:  # a broken encoded word: show it undecoded rather than fail to store
        return str(msg.get_all("Subject", [""])[0])


def store_message(
    store: Store,
    *,
    received_at: str,
    account_id: int | None,
    mailbox: str,
    mail_from: str,
    rcpt_to: list[str],
    raw: bytes,
    peer: str = "",
    helo: str = "",
    tls: bool = False,
) -> tuple[int, str]:
    """Keep one accepted message; return its id and the queue id the server announces."""
    queue_id = secrets.token_hex(6).upper()
    cur = store.conn.execute(
        "INSERT INTO smtp_messages (queue_id, received_at, account_id, mailbox, mail_from, "
        "rcpt_to, subject, size, peer, helo, tls, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            queue_id,
            received_at,
            account_id,
            mailbox,
            mail_from,
            json.dumps(rcpt_to, ensure_ascii=False),
            decoded_subject(raw),
            len(raw),
            peer,
            helo,
            int(tls),
            raw,
        ),
    )
    return cur.lastrowid, queue_id


def _public(row: Any, usernames: dict[int, str]) -> dict[str, Any]:
    out = dict(row)  # sqlite3.Row
    out.pop("raw", None)
    out["rcpt_to"] = json.loads(out["rcpt_to"])
    out["tls"] = bool(out["tls"])
    out["account"] = usernames.get(row["account_id"])
    return out


def _usernames(store: Store) -> dict[int, str]:
    return {a["id"]: a["username"] for a in store.list_accounts()}


def list_messages(store: Store, *, since: int = 0, limit: int = 200) -> list[dict[str, Any]]:
    rows = store.conn.execute(
        "SELECT * FROM smtp_messages WHERE id > ? ORDER BY id DESC LIMIT ?", (since, limit)
    ).fetchall()
    names = _usernames(store)
    return [_public(r, names) for r in rows]


def message_row(store: Store, message_id: int) -> Any:
    return store.conn.execute("SELECT * FROM smtp_messages WHERE id = ?", (message_id,)).fetchone()


# -- control pages and JSON ---------------------------------------------------------------------


def _wants_html(request: Request) -> bool:
    fmt = request.args.get("format")
    if fmt in ("json", "html"):
        return fmt == "html"
    # Browsers ask for text/html first; urllib, curl and tests send */* and get JSON.
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def _page(title: str, body: str) -> Response:
    html = (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
        f"<title>{escape(title)} · U-Mail sandbox</title>\n<style>"
        "body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem;color:#222}"
        "table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;"
        "padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#f4f4f4}"
        "pre{background:#f7f7f7;padding:.75rem;overflow:auto;white-space:pre-wrap}"
        "iframe{width:100%;height:24rem;border:1px solid #ccc}.muted{color:#777}"
        "</style></head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
    return Response(html, content_type="text/html; charset=utf-8")


def _since(request: Request) -> int | None:
    try:
        return int(request.args.get("since", "0") or 0)
    except ValueError:
        return None


@control("/mail")
def mail_list(app: SandboxApp, request: Request) -> Response:
    """Received messages, newest first: an HTML page for browsers, JSON otherwise."""
    since = _since(request)
    if since is None:
        return json_error("since must be an integer", 400)
    messages = list_messages(app.store, since=since)
    if not _wants_html(request):
        return json_response({"messages": messages})
    rows = "".join(
        "<tr>"
        f'<td><a href="/_sandbox/mail/{m["id"]}">{m["id"]}</a></td>'
        f"<td>{escape(m['received_at'])}</td>"
        f"<td>{escape(m['mailbox'])}<br><span class=muted>{escape(m['account'] or '')}</span></td>"
        f"<td>{escape(', '.join(m['rcpt_to']))}</td>"
        f'<td><a href="/_sandbox/mail/{m["id"]}">{escape(m["subject"]) or "(no subject)"}</a></td>'
        f"<td>{m['size']:,}</td>"
        "</tr>"
        for m in messages
    )
    boxes = ", ".join(
        f"{escape(r['mailbox'])} ({escape(r['username'] or '?')})" for r in all_mailboxes(app.store)
    )
    body = (
        "<h1>Received mail</h1>\n"
        f'<p class="muted">Messages the sandbox SMTP service accepted ({len(messages)} shown, '
        "newest first). JSON: <code>?format=json</code>. SMTP logins (mailbox and owner): "
        f"{boxes or 'none'}.</p>\n"
        + (
            "<table><thead><tr><th>#</th><th>Received (CST)</th><th>Mailbox</th>"
            f"<th>Recipients</th><th>Subject</th><th>Bytes</th></tr></thead><tbody>{rows}"
            "</tbody></table>"
            if messages
            else "<p>No mail received yet.</p>"
        )
    )
    return _page("Received mail", body)


def _parts(raw: bytes) -> tuple[Any, str, str, list[dict[str, Any]]]:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    text = html = ""
    attachments = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        ctype = part.get_content_type()
        if filename or part.get_content_disposition() == "attachment":
            payload = part.get_payload(decode=True) or b""
            attachments.append({"filename": filename or "", "type": ctype, "size": len(payload)})
        elif ctype == "text/plain" and not text:
            text = part.get_content()
        elif ctype == "text/html" and not html:
            html = part.get_content()
    return msg, text, html, attachments


@control("/mail/<int:message_id>")
def mail_detail(app: SandboxApp, request: Request, message_id: int) -> Response:
    row = message_row(app.store, message_id)
    if row is None:
        return json_error(f"no such message: {message_id}", 404)
    data = _public(row, _usernames(app.store))
    msg, text, html, attachments = _parts(row["raw"])
    if not _wants_html(request):
        data.update(text=text, html=html, attachments=attachments)
        return json_response(data)
    headers = "".join(
        f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in msg.items()
    )
    files = "".join(
        f"<li>{escape(a['filename'])} ({escape(a['type'])}, {a['size']:,} bytes)</li>"
        for a in attachments
    )
    body = (
        f'<p><a href="/_sandbox/mail">← Received mail</a> · <a href="/_sandbox/mail/{message_id}'
        f'/raw">raw message</a></p>\n<h1>{escape(data["subject"]) or "(no subject)"}</h1>\n'
        f"<p>Envelope: from <code>{escape(data['mail_from'])}</code> to "
        f"<code>{escape(', '.join(data['rcpt_to']))}</code>; login {escape(data['mailbox'])}; "
        f"received {escape(data['received_at'])} from {escape(data['peer'])} "
        f"({'TLS' if data['tls'] else 'plain'}); queue id {escape(data['queue_id'])}.</p>\n"
        f"<h2>Headers</h2><table>{headers}</table>\n"
        + (f"<h2>Text</h2><pre>{escape(text)}</pre>\n" if text else "")
        # Mail HTML is untrusted: shown only in a sandboxed frame, scripts and forms off.
        + (f'<h2>HTML</h2><iframe sandbox="" srcdoc="{escape(html)}"></iframe>\n' if html else "")
        + (f"<h2>Attachments</h2><ul>{files}</ul>\n" if files else "")
    )
    return _page(data["subject"] or "Message", body)


@control("/mail/<int:message_id>/raw")
def mail_raw(app: SandboxApp, request: Request, message_id: int) -> Response:
    row = message_row(app.store, message_id)
    if row is None:
        return json_error(f"no such message: {message_id}", 404)
    # text/plain so that browsers show the source instead of downloading it.
    ctype = "message/rfc822" if request.args.get("download") else "text/plain; charset=utf-8"
    return Response(bytes(row["raw"]), content_type=ctype)


@control("/mail/clear", methods=("POST",))
def mail_clear(app: SandboxApp, request: Request) -> Response:
    cur = app.store.conn.execute("DELETE FROM smtp_messages")
    return json_response({"status": "ok", "deleted": cur.rowcount})


@control("/smtp/settings")
def smtp_settings(app: SandboxApp, request: Request) -> Response:
    return json_response({name: smtp_setting(app.store, name) for name in SMTP_SETTINGS})


@control("/smtp/settings", methods=("POST",))
def change_smtp_settings(app: SandboxApp, request: Request) -> Response:
    """Body: ``{"ehlo": false}`` makes the SMTP service refuse EHLO (HELO only)."""
    try:
        body = json.loads(request.get_data(as_text=True) or "{}")
    except ValueError as exc:
        return json_error(f"body is not JSON: {exc}", 400)
    if not isinstance(body, dict) or not body:
        return json_error("body must be a JSON object of settings", 400)
    for name, value in body.items():
        if name not in SMTP_SETTINGS:
            return json_error(f"unknown setting: {name} (known: {sorted(SMTP_SETTINGS)})", 400)
        if not isinstance(value, type(SMTP_SETTINGS[name])):
            return json_error(f"{name} must be a {type(SMTP_SETTINGS[name]).__name__}", 400)
    for name, value in body.items():
        app.store.conn.execute(
            "INSERT OR REPLACE INTO smtp_settings (key, value) VALUES (?, ?)",
            (name, json.dumps(value)),
        )
    return smtp_settings(app, request)
