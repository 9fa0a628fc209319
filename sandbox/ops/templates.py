"""§5.2–§5.8 Mail templates — ``template.php``.

Templates belong to the authenticated account; another account's id answers like a missing one.
Subjects are stored one row each (§5.4 lists them with their own ids) and travel as one
``|``-separated value (§5.2, §5.6). What the client sends is stored exactly as received.

The content check (§5.3) is deterministic: for ``check_seconds`` after a create or an edit the
template is "checking" (status -1, no colour; the size is counted in the first half of that
time), then its colour follows from the content by :func:`check_content`. See the README.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from sandbox.control import control, json_error, json_response
from sandbox.ops import OpContext, OpError, operation
from sandbox.seed import DEMO_ID, OTHER_ID, register_seeder
from sandbox.store import Store, register_schema
from sandbox.xml import Node, leaf, node, result, text

if TYPE_CHECKING:
    from sandbox.app import SandboxApp
    from sandbox.clock import Clock

register_schema(
    """
CREATE TABLE IF NOT EXISTS templates (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    content       TEXT    NOT NULL,
    text_content  TEXT    NOT NULL DEFAULT '',
    encoding      TEXT    NOT NULL DEFAULT '',
    content_type  TEXT    NOT NULL DEFAULT 'html',
    created       TEXT    NOT NULL,
    updated       TEXT    NOT NULL,
    -- When the current content check began (seconds since the epoch, from the Clock).
    check_started REAL    NOT NULL
);
CREATE INDEX IF NOT EXISTS templates_account ON templates(account_id);
CREATE TABLE IF NOT EXISTS template_subjects (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    template_id INTEGER NOT NULL REFERENCES templates(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    name        TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS template_subjects_template ON template_subjects(template_id);
CREATE TABLE IF NOT EXISTS template_attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    template_id  INTEGER NOT NULL REFERENCES templates(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT    NOT NULL,
    content_type TEXT    NOT NULL DEFAULT '',
    created      TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS template_attachments_template ON template_attachments(template_id);
-- One row: how long a content check takes (changed through /_sandbox/templates/check-delay).
CREATE TABLE IF NOT EXISTS template_check_settings (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    seconds REAL    NOT NULL
);
"""
)

SCRIPT = "template.php"
ENCODINGS = ("base64", "quoted-printable")
DEFAULT_CHECK_SECONDS = 4.0
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

# Content-check rules (documented in sandbox/README.md). Matched case-insensitively in the
# subjects, the HTML and the text part; each distinct word counts once.
SPAM_WORDS = (
    "免费",
    "中奖",
    "发票",
    "代开",
    "赚钱",
    "贷款",
    "博彩",
    "viagra",
    "casino",
    "lottery",
    "winner",
    "click here",
    "act now",
    "100% free",
    "risk-free",
    "earn cash",
)
# Active content mail clients strip and filters punish: each kind adds one point.
ACTIVE_CONTENT = (re.compile(r"<script\b", re.I), re.compile(r"<form\b", re.I))
RED_SCORE, RED_PASS_SCORE, YELLOW_SCORE = 3, 2, 1
RED_KB, RED_PASS_KB, YELLOW_KB = 3072, 1024, 300


def check_content(
    *, subjects: list[str], content: str, text_content: str, attachment_bytes: int
) -> dict[str, Any]:
    """The deterministic verdict: status, colour, size in KB, and why."""
    haystack = "\n".join([*subjects, content, text_content]).lower()
    reasons = [f"spam word: {w}" for w in SPAM_WORDS if w in haystack]
    reasons += [f"active content: {p.pattern}" for p in ACTIVE_CONTENT if p.search(content)]
    score = len(reasons)
    # Attachments travel base64-encoded in the message: 4 bytes for every 3.
    total = len(content.encode()) + len(text_content.encode()) + 4 * math.ceil(attachment_bytes / 3)
    size_kb = max(1, math.ceil(total / 1024))
    if score >= RED_SCORE or size_kb > RED_KB:
        status, colour = 0, "red"
    elif score >= RED_PASS_SCORE or size_kb > RED_PASS_KB:
        status, colour = 1, "red_pass"
    elif score >= YELLOW_SCORE or size_kb > YELLOW_KB:
        status, colour = 1, "yellow"
    else:
        status, colour = 1, "green"
    return {"status": status, "colour": colour, "size": size_kb, "score": score, "why": reasons}


# -- store helpers -----------------------------------------------------------------------------


def check_seconds(store: Store) -> float:
    row = store.conn.execute("SELECT seconds FROM template_check_settings WHERE id = 1").fetchone()
    return float(row[0]) if row is not None else DEFAULT_CHECK_SECONDS


def _tpl_id(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise OpError("error", f"参数错误：tpl_id={raw}") from None


def _own_template(ctx: OpContext, tpl_id: int) -> dict[str, Any]:
    row = ctx.store.conn.execute(
        "SELECT * FROM templates WHERE id = ? AND account_id = ?", (tpl_id, ctx.account["id"])
    ).fetchone()
    if row is None:
        raise OpError("error", f"模板不存在：{tpl_id}")
    return dict(row)


def _subjects(store: Store, tpl_id: int) -> list[dict[str, Any]]:
    rows = store.conn.execute(
        "SELECT id, name FROM template_subjects WHERE template_id = ? ORDER BY position, id",
        (tpl_id,),
    )
    return [dict(r) for r in rows]


def _attachments(store: Store, tpl_id: int) -> list[dict[str, Any]]:
    rows = store.conn.execute(
        "SELECT id, name, size, sha256, content_type, created FROM template_attachments "
        "WHERE template_id = ? ORDER BY id",
        (tpl_id,),
    )
    return [dict(r) for r in rows]


def _split_subjects(value: str) -> list[str]:
    # Empty pieces ("a||b", a trailing "|") carry no subject.
    return [s for s in value.split("|") if s.strip()]


def _check_encoding(value: str | None) -> str:
    if value is None or value == "":
        return ""
    if value not in ENCODINGS:
        raise OpError("error", "encoding 只能是 base64 或 quoted-printable")
    return value


def _uploads(ctx: OpContext) -> list:
    return [f for key in ("file", "file[]") for f in ctx.files.getlist(key) if f.filename]


def _store_attachments(ctx: OpContext, tpl_id: int, files: list) -> list[int]:
    ids = []
    for upload in files:
        data = upload.read()
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise OpError("error", f"附件过大：{upload.filename}（单个附件不能超过 10MB）")
        cur = ctx.store.conn.execute(
            "INSERT INTO template_attachments (template_id, name, size, sha256, content_type, "
            "created) VALUES (?, ?, ?, ?, ?, ?)",
            (
                tpl_id,
                upload.filename,
                len(data),
                hashlib.sha256(data).hexdigest(),
                upload.mimetype or "",
                ctx.clock.timestamp(),
            ),
        )
        ids.append(cur.lastrowid)
    return ids


def _restart_check(ctx: OpContext, tpl_id: int) -> None:
    ctx.store.conn.execute(
        "UPDATE templates SET updated = ?, check_started = ? WHERE id = ?",
        (ctx.clock.timestamp(), ctx.clock.now().timestamp(), tpl_id),
    )


# -- operations --------------------------------------------------------------------------------


@operation(SCRIPT, "add-tpl")
def add_tpl(ctx: OpContext) -> Node:
    """§5.2 上传邮件模板: name, subject(s), content required; text_content, encoding, files."""
    name = ctx.require("name")
    subject = ctx.require("subject")
    content = ctx.require("content")
    text_content = ctx.param("text_content", "") or ""
    encoding = _check_encoding(ctx.param("encoding"))
    subjects = _split_subjects(subject)
    if not subjects:
        raise OpError("error", "缺少参数：subject")
    files = _uploads(ctx)
    now = ctx.clock.timestamp()
    with ctx.store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO templates (account_id, name, content, text_content, encoding, created, "
            "updated, check_started) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ctx.account["id"],
                name,
                content,
                text_content,
                encoding,
                now,
                now,
                ctx.clock.now().timestamp(),
            ),
        )
        tpl_id = cur.lastrowid
        conn.executemany(
            "INSERT INTO template_subjects (template_id, position, name) VALUES (?, ?, ?)",
            [(tpl_id, i, s) for i, s in enumerate(subjects)],
        )
        _store_attachments(ctx, tpl_id, files)
    return result("success", tpl_id, data_cdata=False)


def _verdict(store: Store, row: dict[str, Any]) -> dict[str, Any]:
    subjects = [s["name"] for s in _subjects(store, row["id"])]
    attachment_bytes = sum(a["size"] for a in _attachments(store, row["id"]))
    return check_content(
        subjects=subjects,
        content=row["content"],
        text_content=row["text_content"],
        attachment_bytes=attachment_bytes,
    ) | {"subjects": subjects}


@operation(SCRIPT, "get-tpl-status")
def get_tpl_status(ctx: OpContext) -> Node:
    """§5.3 获取邮件模板检测状态和模板信息."""
    row = _own_template(ctx, _tpl_id(ctx.require("tpl_id")))
    verdict = _verdict(ctx.store, row)
    elapsed = ctx.clock.now().timestamp() - row["check_started"]
    delay = check_seconds(ctx.store)
    checking = elapsed < delay
    counting = elapsed < delay / 2
    return node(
        "template",
        leaf("id", row["id"]),
        text("name", row["name"]),
        leaf("status", -1 if checking else verdict["status"]),
        leaf("colour", "" if checking else verdict["colour"]),
        leaf("update_date", row["updated"]),
        leaf("size_status", -1 if counting else 1),
        leaf("size", 0 if counting else verdict["size"]),
        text("subject", "|".join(verdict["subjects"])),
    )


def _template_node(store: Store, row: dict[str, Any]) -> Node:
    return node(
        "template",
        leaf("id", row["id"]),
        leaf("user_id", row["account_id"]),
        text("name", row["name"]),
        (
            node("subject", leaf("id", s["id"]), text("name", s["name"]))
            for s in _subjects(store, row["id"])
        ),
        text("content", row["content"]),
        leaf("content_type", row["content_type"]),
        node(
            "attachments",
            (
                node("attachment", leaf("atta_id", a["id"]), text("atta_name", a["name"]))
                for a in _attachments(store, row["id"])
            ),
        ),
        leaf("created", row["created"]),
        leaf("updated", row["updated"]),
    )


@operation(SCRIPT, "list-tpl")
def list_tpl(ctx: OpContext) -> Node:
    """§5.4 模板列表: all of the account's templates, or only ``tpl_id``."""
    sql = "SELECT * FROM templates WHERE account_id = ?"
    args: tuple = (ctx.account["id"],)
    raw = ctx.param("tpl_id", "") or ""
    if raw.strip():
        sql += " AND id = ?"
        args += (_tpl_id(raw),)
    rows = [dict(r) for r in ctx.store.conn.execute(sql + " ORDER BY id", args)]
    return node("template_list", (_template_node(ctx.store, r) for r in rows))


@operation(SCRIPT, "del-tpl")
def del_tpl(ctx: OpContext) -> Node:
    """§5.5 删除模板 (subjects and attachments go with it)."""
    row = _own_template(ctx, _tpl_id(ctx.require("tpl_id")))
    ctx.store.conn.execute("DELETE FROM templates WHERE id = ?", (row["id"],))
    return result("success", "删除成功")


@operation(SCRIPT, "edit-tpl")
def edit_tpl(ctx: OpContext) -> Node:
    """§5.6 修改模板: at least one of name, subject, content; any edit restarts the check."""
    row = _own_template(ctx, _tpl_id(ctx.require("tpl_id")))
    name, subject, content = (ctx.param(k) for k in ("name", "subject", "content"))
    if not any(v is not None and v.strip() for v in (name, subject, content)):
        raise OpError("error", "name、subject、content 三个参数必须至少有一个")
    changes: dict[str, str] = {}
    if name is not None and name.strip():
        changes["name"] = name
    if content is not None and content.strip():
        changes["content"] = content
    if ctx.param("text_content") is not None:
        changes["text_content"] = ctx.param("text_content") or ""
    if ctx.param("encoding") is not None:
        changes["encoding"] = _check_encoding(ctx.param("encoding"))
    subjects = _split_subjects(subject) if subject is not None and subject.strip() else None
    if subjects == []:
        raise OpError("error", "缺少参数：subject")
    with ctx.store.transaction() as conn:
        if changes:
            sets = ", ".join(f"{k} = ?" for k in changes)
            # Column names are the fixed keys above; values are bound.
            conn.execute(
                f"UPDATE templates SET {sets} WHERE id = ?",  # noqa: S608
                (*changes.values(), row["id"]),
            )
        if subjects:
            conn.execute("DELETE FROM template_subjects WHERE template_id = ?", (row["id"],))
            conn.executemany(
                "INSERT INTO template_subjects (template_id, position, name) VALUES (?, ?, ?)",
                [(row["id"], i, s) for i, s in enumerate(subjects)],
            )
        _restart_check(ctx, row["id"])
    return result("success", "修改成功")


@operation(SCRIPT, "tpl-attachment-add")
def tpl_attachment_add(ctx: OpContext) -> Node:
    """§5.7 上传模板附件: ``file`` or ``file[]``; answers the new attachment ids."""
    row = _own_template(ctx, _tpl_id(ctx.require("tpl_id")))
    files = _uploads(ctx)
    if not files:
        raise OpError("error", "缺少参数：file")
    with ctx.store.transaction():
        ids = _store_attachments(ctx, row["id"], files)
        _restart_check(ctx, row["id"])
    return result("success", ",".join(str(i) for i in ids), data_cdata=False)


@operation(SCRIPT, "tpl-attachment-del")
def tpl_attachment_del(ctx: OpContext) -> Node:
    """§5.8 删除模板附件: ``attachment_id`` (default ``all``)."""
    row = _own_template(ctx, _tpl_id(ctx.require("tpl_id")))
    which = (ctx.param("attachment_id", "") or "").strip() or "all"
    with ctx.store.transaction() as conn:
        if which == "all":
            conn.execute("DELETE FROM template_attachments WHERE template_id = ?", (row["id"],))
        else:
            try:
                atta_id = int(which)
            except ValueError:
                raise OpError("error", f"参数错误：attachment_id={which}") from None
            cur = conn.execute(
                "DELETE FROM template_attachments WHERE id = ? AND template_id = ?",
                (atta_id, row["id"]),
            )
            if cur.rowcount == 0:
                raise OpError("error", f"附件不存在：{atta_id}")
        _restart_check(ctx, row["id"])
    return result("success", "删除成功")


# -- demo data ---------------------------------------------------------------------------------

WELCOME_HTML = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>欢迎</title></head>
<body style="font-family:sans-serif;margin:0;padding:24px;background:#f6f7f9">
<table role="presentation" width="100%" style="max-width:600px;margin:auto;background:#fff">
<tr><td style="padding:24px">
<h1 style="font-size:22px">{$fullname}，欢迎加入深圳示例科技！</h1>
<p>感谢您注册我们的会员。您的会员编号是 {$var1}。</p>
<p><img src="https://example.com/banner.png" alt="会员礼包" width="552"></p>
<p><a href="https://example.com/member">查看会员权益</a></p>
<p style="font-size:12px;color:#888">不想再收到此类邮件？<a href="https://example.com/unsubscribe">退订</a></p>
</td></tr></table></body></html>"""

SALE_HTML = """<html><body>
<h1>春季促销</h1>
<p>全场八折，另有免费配送。</p>
<p><img src="https://example.com/sale.jpg"></p>
</body></html>"""


def _seed_template(store: Store, clock: Clock, tpl: dict[str, Any]) -> None:
    conn = store.conn
    if conn.execute("SELECT 1 FROM templates WHERE id = ?", (tpl["id"],)).fetchone():
        return
    stamp = (clock.now().replace(microsecond=0)).strftime("%Y-%m-%d %H:%M:%S")
    started = clock.now().timestamp() - 86400  # checked long ago: final from the start
    conn.execute(
        "INSERT INTO templates (id, account_id, name, content, text_content, encoding, created, "
        "updated, check_started) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            tpl["id"],
            tpl["account_id"],
            tpl["name"],
            tpl["content"],
            tpl.get("text_content", ""),
            tpl.get("encoding", "base64"),
            stamp,
            stamp,
            started,
        ),
    )
    conn.executemany(
        "INSERT INTO template_subjects (template_id, position, name) VALUES (?, ?, ?)",
        [(tpl["id"], i, s) for i, s in enumerate(tpl["subjects"])],
    )


@register_seeder
def seed_templates(store: Store, clock: Clock) -> None:
    with store.transaction():
        _seed_template(
            store,
            clock,
            {
                "id": 501,
                "account_id": DEMO_ID,
                "name": "会员欢迎邮件",
                "subjects": ["欢迎加入深圳示例科技", "{$fullname}，您的会员礼包已到账"],
                "content": WELCOME_HTML,
                "text_content": "欢迎加入深圳示例科技！查看会员权益：https://example.com/member",
            },
        )
        _seed_template(
            store,
            clock,
            {
                "id": 502,
                "account_id": DEMO_ID,
                "name": "春季促销",
                "subjects": ["春季促销：全场八折"],
                "content": SALE_HTML,
                "encoding": "quoted-printable",
            },
        )
        _seed_template(
            store,
            clock,
            {
                "id": 601,
                "account_id": OTHER_ID,
                "name": "另一家公司的模板",
                "subjects": ["北京另一家贸易有限公司通讯"],
                "content": "<p>仅 other 账户可见</p>",
            },
        )


# -- control endpoints -------------------------------------------------------------------------


@control("/templates/check-delay")
def get_check_delay(app: SandboxApp, request: Request) -> Response:
    return json_response({"seconds": check_seconds(app.store)})


@control("/templates/check-delay", methods=("POST",))
def set_check_delay(app: SandboxApp, request: Request) -> Response:
    """Body ``{"seconds": 0.5}``: how long a content check stays "checking" (reset: 4 s)."""
    try:
        body = json.loads(request.get_data(as_text=True) or "{}")
        seconds = float(body["seconds"])
        if not (0 <= seconds <= 86400) or isinstance(body["seconds"], bool):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return json_error('body must be {"seconds": a number from 0 to 86400}', 400)
    app.store.conn.execute(
        "INSERT INTO template_check_settings (id, seconds) VALUES (1, ?) "
        "ON CONFLICT(id) DO UPDATE SET seconds = excluded.seconds",
        (seconds,),
    )
    return json_response({"seconds": seconds})


@control("/templates/<int:tpl_id>")
def get_template(app: SandboxApp, request: Request, tpl_id: int) -> Response:
    """A template exactly as stored (for byte-exact checks), with the check's verdict."""
    row = app.store.conn.execute("SELECT * FROM templates WHERE id = ?", (tpl_id,)).fetchone()
    if row is None:
        return json_error(f"no such template: {tpl_id}", 404)
    row = dict(row)
    verdict = _verdict(app.store, row)
    return json_response(
        row
        | {
            "subjects": verdict.pop("subjects"),
            "attachments": _attachments(app.store, tpl_id),
            "verdict": verdict,
        }
    )
