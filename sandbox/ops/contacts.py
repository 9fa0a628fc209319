"""§4 Contact lists (联系人分类) and their addresses — ``mloperate.php``.

Tables and queries live in :mod:`sandbox.contacts_store`, the background file parse in
:mod:`sandbox.contacts_import`. Where the documentation is silent (error statuses of the
address operations, the wording of ``<data>``), the choices are listed in ``sandbox/README.md``.
"""

from __future__ import annotations

import json
import secrets
import time

from werkzeug.wrappers import Request, Response

from sandbox import contacts_store as cs
from sandbox.clock import Clock
from sandbox.contacts_import import DEFAULT_PARSE_SECONDS, uploads_dir, worker_for
from sandbox.control import control, json_error, json_response
from sandbox.ops import OpContext, OpError, operation
from sandbox.seed import DEMO_ID, OTHER_ID, register_seeder
from sandbox.store import Store
from sandbox.xml import Node, leaf, node, result, text

STATUSES = ("enabled", "disabled")
MAX_LIMIT = 5000


def _list_node(tag: str, row) -> Node:
    return node(
        tag,
        leaf("id", row["id"]),
        text("subject", row["subject"]),
        text("description", row["description"]),
        leaf("count", row["addr_count"]),
        leaf("status", row["status"]),
    )


def _description(ctx: OpContext) -> str | None:
    # The documentation prints the parameter as `descrīption`; take either spelling.
    for name in ("description", "descrīption"):
        if name in ctx.params:
            return ctx.params.get(name, "")
    return None


def _own_list(ctx: OpContext, list_id, status: str = "error"):
    row = cs.get_list(ctx.store.conn, ctx.account["id"], list_id)
    if row is None:
        raise OpError(status, "联系人分类不存在")
    return row


# -- §4.1 – §4.5 lists ----------------------------------------------------------------------------


@operation("mloperate.php", "maillist-list")
def maillist_list(ctx: OpContext) -> Node:
    """§4.1 取得联系人分类列表"""
    rows = ctx.store.conn.execute(
        "SELECT * FROM maillists WHERE account_id = ? ORDER BY id", (ctx.account["id"],)
    )
    return node("maillist", (_list_node("item", r) for r in rows))


@operation("mloperate.php", "maillist-detail")
def maillist_detail(ctx: OpContext) -> Node:
    """§4.2 取得联系人分类详情 (without the documentation's `</aillist>` typo)."""
    return _list_node("maillist", _own_list(ctx, ctx.require("id")))


@operation("mloperate.php", "maillist-add")
def maillist_add(ctx: OpContext) -> Node:
    """§4.3 添加联系人分类: subject and status required; answers the new id."""
    subject = ctx.require("subject").strip()
    status = ctx.require("status").strip()
    if status not in STATUSES:
        raise OpError("add_maillist_error", "联系人分类状态只能是 enabled 或 disabled")
    if len(subject) > 100:
        raise OpError("add_maillist_error", "联系人分类名称不能超过 100 个字符")
    description = _description(ctx) or ""
    if len(description) > 500:
        raise OpError("add_describe_error", "分类说明不能超过 500 个字符")
    conn = ctx.store.conn
    with ctx.store.transaction():
        if conn.execute(
            "SELECT 1 FROM maillists WHERE account_id = ? AND subject = ?",
            (ctx.account["id"], subject),
        ).fetchone():
            raise OpError("add_maillist_error", "联系人分类名称已存在")
        cur = conn.execute(
            "INSERT INTO maillists (account_id, subject, description, status, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (ctx.account["id"], subject, description, status, ctx.clock.timestamp()),
        )
    return result("success", cur.lastrowid)


@operation("mloperate.php", "maillist-edit")
def maillist_edit(ctx: OpContext) -> Node:
    """§4.4 修改联系人分类: only the fields sent change."""
    row = _own_list(ctx, ctx.require("id"), "update_maillist_error")
    changes: dict[str, str] = {}
    if "subject" in ctx.params:
        subject = ctx.params["subject"].strip()
        if not subject or len(subject) > 100:
            raise OpError("update_maillist_error", "联系人分类名称不能为空或超过 100 个字符")
        changes["subject"] = subject
    if "status" in ctx.params:
        if ctx.params["status"] not in STATUSES:
            raise OpError("update_maillist_error", "联系人分类状态只能是 enabled 或 disabled")
        changes["status"] = ctx.params["status"]
    description = _description(ctx)
    if description is not None:
        if len(description) > 500:
            raise OpError("update_describe_error", "分类说明不能超过 500 个字符")
        changes["description"] = description
    conn = ctx.store.conn
    with ctx.store.transaction():
        if (
            "subject" in changes
            and conn.execute(
                "SELECT 1 FROM maillists WHERE account_id = ? AND subject = ? AND id != ?",
                (ctx.account["id"], changes["subject"], row["id"]),
            ).fetchone()
        ):
            raise OpError("update_maillist_error", "联系人分类名称已存在")
        if changes:
            sets = ", ".join(f"{k} = ?" for k in changes)  # keys from the fixed set above
            conn.execute(
                f"UPDATE maillists SET {sets} WHERE id = ?",  # noqa: S608
                (*changes.values(), row["id"]),
            )
    return result("success", "修改联系人分类成功")


@operation("mloperate.php", "maillist-del")
def maillist_del(ctx: OpContext) -> Node:
    """§4.5 删除联系人分类 and its addresses and unsubscribes."""
    row = _own_list(ctx, ctx.require("id"), "delete_maillist_error")
    conn = ctx.store.conn
    with ctx.store.transaction():
        conn.execute(
            "DELETE FROM ml_addresses WHERE account_id = ? AND list_id = ?",
            (ctx.account["id"], row["id"]),
        )
        conn.execute(
            "DELETE FROM ml_unsubscribes WHERE account_id = ? AND list_id = ?",
            (ctx.account["id"], row["id"]),
        )
        conn.execute("DELETE FROM maillists WHERE id = ?", (row["id"],))
    return result("success", "删除联系人分类成功")


# -- §4.6, §4.7 text exports ----------------------------------------------------------------------


def _text_export(lines, filename: str) -> Response:
    def body():
        # Lines go out in blocks: one chunk per line would cost both sides a chunk header each.
        block = []
        for line in lines:
            block.append(line)
            if len(block) >= 1000:
                yield ("\n".join(block) + "\n").encode("utf-8")
                block.clear()
        if block:
            yield ("\n".join(block) + "\n").encode("utf-8")

    return Response(
        body(),
        content_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        direct_passthrough=True,
    )


@operation("mloperate.php", "subscription-export")
def subscription_export(ctx: OpContext) -> Response:
    """§4.6 导出联系人分类地址: `email<TAB>name` a line, streamed from the table."""
    row = _own_list(ctx, ctx.require("id"))
    # A connection of its own: the generator outlives this request's thread-local cursor use.
    conn = ctx.store._connect()
    cursor = conn.execute(
        "SELECT address, fullname FROM ml_addresses WHERE account_id = ? AND list_id = ? "
        "ORDER BY id",
        (ctx.account["id"], row["id"]),
    )

    def lines():
        try:
            for address, fullname in cursor:
                yield f"{address}\t{fullname}"
        finally:
            conn.close()

    return _text_export(lines(), f"maillist-{row['id']}.txt")


@operation("mloperate.php", "unsubscribe-export")
def unsubscribe_export(ctx: OpContext) -> Response:
    """§4.7 导出退订地址: `time<TAB>email` a line."""
    row = _own_list(ctx, ctx.require("id"))
    conn = ctx.store._connect()
    cursor = conn.execute(
        "SELECT time, address FROM ml_unsubscribes WHERE account_id = ? AND list_id = ? "
        "ORDER BY id",
        (ctx.account["id"], row["id"]),
    )

    def lines():
        try:
            for when, address in cursor:
                yield f"{when}\t{address}"
        finally:
            conn.close()

    return _text_export(lines(), f"unsubscribe-{row['id']}.txt")


# -- §4.8 – §4.12 addresses -----------------------------------------------------------------------


def _addr_node(row) -> Node:
    return node(
        "addr",
        leaf("id", row["id"]),
        leaf("list_id", row["list_id"]),
        text("address", row["address"]),
        leaf("brithday", row["birthday"] or "0000-00-00"),  # sic: the platform's spelling
        leaf("phone", row["phone"]),
        text("area", row["area"]),
        text("fullname", row["fullname"]),
        leaf("time", row["time"]),
        *(text(v, row[v]) for v in cs.VAR_COLUMNS),
    )


def _int_param(ctx: OpContext, name: str) -> int | None:
    raw = ctx.params.get(name, "").strip()
    if raw == "":
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise OpError("error", f"参数错误：{name}") from exc


@operation("mloperate.php", "ml-addr-list")
def ml_addr_list(ctx: OpContext) -> Node:
    """§4.8 分类地址列表: by list (absent: all, 0: no list), one address, keyword, pages."""
    conn = ctx.store.conn
    account_id = ctx.account["id"]
    # list_id counts only from the query string ("必须以 get 方式传递").
    raw_list = ctx.request.args.get("list_id", "").strip()
    try:
        list_id = int(raw_list) if raw_list != "" else None
    except ValueError as exc:
        raise OpError("error", "参数错误：list_id") from exc
    address_id = _int_param(ctx, "address_id")
    if address_id and address_id > 0:
        row = conn.execute(
            "SELECT * FROM ml_addresses WHERE id = ? AND account_id = ?", (address_id, account_id)
        ).fetchone()
        rows = [row] if row is not None else []
        return node("data", leaf("total_num", len(rows)), (_addr_node(r) for r in rows))
    keyword = (ctx.params.get("keyword") or "").strip()
    page = _int_param(ctx, "page")
    limit = _int_param(ctx, "limit") or 50
    limit = max(1, min(limit, MAX_LIMIT))
    total = cs.count_addresses(conn, account_id, list_id, keyword)
    if page is None:  # "否则为查找全部"
        rows = cs.page_addresses(conn, account_id, list_id, keyword, limit=None, offset=0)
    else:
        page = max(1, page)
        rows = cs.page_addresses(
            conn, account_id, list_id, keyword, limit=limit, offset=(page - 1) * limit
        )
    return node("data", leaf("total_num", total), (_addr_node(r) for r in rows))


def _address_values(ctx: OpContext) -> dict[str, str]:
    values = {}
    for column in cs.LINE_COLUMNS:
        if column in ctx.params:
            values[column] = ctx.params.get(column, "").strip()
    if "sex" in values:
        values["sex"] = values["sex"].upper() if values["sex"].upper() in ("M", "F") else ""
    return values


def _check_list_id(ctx: OpContext) -> int:
    list_id = _int_param(ctx, "list_id") or 0
    if list_id:
        _own_list(ctx, list_id)
    return list_id


@operation("mloperate.php", "ml-addr-add")
def ml_addr_add(ctx: OpContext) -> Node:
    """§4.9.1 one address, or §4.9.2 a batch in `ml_addr` (lines of `email;name;...`)."""
    list_id = _check_list_id(ctx)
    conn = ctx.store.conn
    now = ctx.clock.timestamp()
    if "ml_addr" in ctx.params:
        separator = ctx.params.get("separate") or "\n"
        separator = separator.replace("\\n", "\n")
        raw = ctx.params["ml_addr"].replace("\r\n", "\n")
        lines = [line for line in raw.split(separator) if line.strip()]
        if not lines:
            raise OpError("error", "缺少参数：ml_addr")
        with ctx.store.transaction():
            total, invalid, duplicate = cs.insert_addresses(
                conn,
                account_id=ctx.account["id"],
                list_id=list_id,
                rows=(cs.parse_line(line) for line in lines),
                now=now,
            )
        added = total - invalid - duplicate
        return result(
            "success", f"成功添加 {added} 个地址，无效地址 {invalid} 个，重复地址 {duplicate} 个"
        )
    address = ctx.require("address").strip()
    if not cs.valid_email(address):
        raise OpError("address_error", f"邮箱地址格式不正确：{address}")
    values = _address_values(ctx)
    values["address"] = address
    with ctx.store.transaction():
        total, invalid, duplicate = cs.insert_addresses(
            conn, account_id=ctx.account["id"], list_id=list_id, rows=[values], now=now
        )
        if duplicate:
            raise OpError("address_exists", f"地址已存在：{address}")
        new_id = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
    if ctx.params.get("return_id", "0").strip() == "1":
        return result("success", new_id)
    return result("success", "添加地址成功")


@operation("mloperate.php", "ml-addr-add-file")
def ml_addr_add_file(ctx: OpContext) -> Node:
    """§4.9.3 从文件导入: store the upload, answer the id; the parse runs in the background."""
    list_row = _own_list(ctx, ctx.require("list_id"))
    upload = ctx.files.get("file")
    if upload is None or not upload.filename:
        raise OpError("error", "缺少参数：file")
    folder = uploads_dir(ctx.store)
    suffix = "".join(
        c
        for c in (upload.filename.rsplit(".", 1)[-1] if "." in upload.filename else "txt")
        if c.isalnum()
    )[:8]
    path = folder / f"{int(time.time())}_{secrets.token_hex(4)}.{suffix or 'txt'}"
    upload.save(path)
    worker = worker_for(ctx.store, ctx.clock)
    cur = ctx.store.conn.execute(
        "INSERT INTO ml_imports (account_id, list_id, subject, filename, filepath, time_import, "
        "ready_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            ctx.account["id"],
            list_row["id"],
            list_row["subject"],
            upload.filename,
            str(path),
            ctx.clock.timestamp(),
            time.time() + worker.parse_seconds,
        ),
    )
    worker.notify()
    return result("success", cur.lastrowid)


@operation("mloperate.php", "ml-addr-add-file-query")
def ml_addr_add_file_query(ctx: OpContext) -> Node:
    """§4.9.4 success / not_exist / error / no_complete."""
    worker_for(ctx.store, ctx.clock).ensure_started()  # resumes parses after a restart
    import_id = _int_param(ctx, "id")
    if import_id is None:
        raise OpError("error", "缺少参数：id")
    row = ctx.store.conn.execute(
        "SELECT state, detail FROM ml_imports WHERE id = ? AND account_id = ?",
        (import_id, ctx.account["id"]),
    ).fetchone()
    if row is None:
        return result("not_exist", "不存在的 id")
    if row["state"] == "no_complete":
        return result("no_complete", "正在解析")
    if row["state"] == "error":
        return result("error", row["detail"] or "文件解析失败")
    return result("success", "解析完成")


@operation("mloperate.php", "ml-addr-edit")
def ml_addr_edit(ctx: OpContext) -> Node:
    """§4.10 修改分类地址: only the fields sent change."""
    address_id = _int_param(ctx, "id")
    if not address_id:
        raise OpError("error", "缺少参数：id")
    conn = ctx.store.conn
    row = conn.execute(
        "SELECT * FROM ml_addresses WHERE id = ? AND account_id = ?",
        (address_id, ctx.account["id"]),
    ).fetchone()
    if row is None:
        raise OpError("error", "地址不存在")
    values = _address_values(ctx)
    if "address" in values:
        if not cs.valid_email(values["address"]):
            raise OpError("address_error", f"邮箱地址格式不正确：{values['address']}")
        values["address_lc"] = values["address"].lower()
    if not values:
        return result("success", "修改地址成功")
    with ctx.store.transaction():
        if (
            "address_lc" in values
            and conn.execute(
                "SELECT 1 FROM ml_addresses WHERE account_id = ? AND list_id = ? "
                "AND address_lc = ? AND id != ?",
                (ctx.account["id"], row["list_id"], values["address_lc"], address_id),
            ).fetchone()
        ):
            raise OpError("address_exists", f"地址已存在：{values['address']}")
        sets = ", ".join(f"{k} = ?" for k in values)  # keys from LINE_COLUMNS only
        conn.execute(
            f"UPDATE ml_addresses SET {sets} WHERE id = ?",  # noqa: S608
            (*values.values(), address_id),
        )
    return result("success", "修改地址成功")


@operation("mloperate.php", "ml-addr-del")
def ml_addr_del(ctx: OpContext) -> Node:
    """§4.11 删除分类地址"""
    address_id = _int_param(ctx, "id")
    if not address_id:
        raise OpError("error", "缺少参数：id")
    conn = ctx.store.conn
    with ctx.store.transaction():
        row = conn.execute(
            "SELECT list_id FROM ml_addresses WHERE id = ? AND account_id = ?",
            (address_id, ctx.account["id"]),
        ).fetchone()
        if row is None:
            raise OpError("error", "地址不存在")
        conn.execute("DELETE FROM ml_addresses WHERE id = ?", (address_id,))
        cs.bump_count(conn, row["list_id"], -1)
    return result("success", "删除地址成功")


@operation("mloperate.php", "ml-addr-empty")
def ml_addr_empty(ctx: OpContext) -> Node:
    """§4.12 清空联系人分类: every address of the list goes; the list stays."""
    row = _own_list(ctx, ctx.require("list_id"))
    conn = ctx.store.conn
    with ctx.store.transaction():
        cur = conn.execute(
            "DELETE FROM ml_addresses WHERE account_id = ? AND list_id = ?",
            (ctx.account["id"], row["id"]),
        )
        conn.execute("UPDATE maillists SET addr_count = 0 WHERE id = ?", (row["id"],))
    return result("success", f"已清空 {cur.rowcount} 个地址")


# -- §4.13, §4.14 subscriptions -------------------------------------------------------------------


@operation("mloperate.php", "ml-sub")
def ml_sub(ctx: OpContext) -> Node:
    """§4.13 邮件订阅: `address` (+ `name`), or `maillist` for many; re-subscribing clears a
    earlier unsubscribe of the same list."""
    row = _own_list(ctx, ctx.require("list_id"))
    if ctx.params.get("maillist", "").strip():
        entries = cs.split_subscriptions(ctx.params["maillist"])
    elif ctx.params.get("address", "").strip():
        entries = [(ctx.params["address"].strip(), (ctx.params.get("name") or "").strip())]
    else:
        raise OpError("error", "缺少参数：address")
    valid = [(e, n or cs.default_name(e)) for e, n in entries if cs.valid_email(e)]
    invalid = len(entries) - len(valid)
    conn = ctx.store.conn
    with ctx.store.transaction():
        total, _, duplicate = cs.insert_addresses(
            conn,
            account_id=ctx.account["id"],
            list_id=row["id"],
            rows=({"address": e, "fullname": n} for e, n in valid),
            now=ctx.clock.timestamp(),
        )
        conn.executemany(
            "DELETE FROM ml_unsubscribes WHERE account_id = ? AND list_id = ? AND address_lc = ?",
            [(ctx.account["id"], row["id"], e.lower()) for e, _ in valid],
        )
    if not valid:
        raise OpError("address_error", f"没有有效的邮箱地址（无效 {invalid} 个）")
    added = total - duplicate
    return result("success", f"订阅成功 {added} 个，已存在 {duplicate} 个，无效地址 {invalid} 个")


@operation("mloperate.php", "ml-unsub")
def ml_unsub(ctx: OpContext) -> Node:
    """§4.14 邮件退订: remove from the list and record for §4.7."""
    row = _own_list(ctx, ctx.require("list_id"))
    addresses = cs.split_addresses(ctx.require("address"))
    valid = [a for a in dict.fromkeys(addresses) if cs.valid_email(a)]
    invalid = len(addresses) - len(valid)
    if not valid:
        raise OpError("address_error", f"没有有效的邮箱地址（无效 {invalid} 个）")
    conn = ctx.store.conn
    now = ctx.clock.timestamp()
    removed = 0
    with ctx.store.transaction():
        for address in valid:
            cur = conn.execute(
                "DELETE FROM ml_addresses WHERE account_id = ? AND list_id = ? AND address_lc = ?",
                (ctx.account["id"], row["id"], address.lower()),
            )
            removed += cur.rowcount
            conn.execute(
                "INSERT OR IGNORE INTO ml_unsubscribes (account_id, list_id, address, address_lc, "
                "time) VALUES (?, ?, ?, ?, ?)",
                (ctx.account["id"], row["id"], address, address.lower(), now),
            )
        cs.bump_count(conn, row["id"], -removed)
    return result(
        "success",
        f"退订成功 {len(valid)} 个（从分类中移除 {removed} 个），无效地址 {invalid} 个",
    )


# -- §4.15 import log -----------------------------------------------------------------------------


@operation("mloperate.php", "ml-addr-add-log")
def ml_addr_add_log(ctx: OpContext) -> Node:
    """§4.15 导入分类地址记录查询, newest first."""
    rows = ctx.store.conn.execute(
        "SELECT * FROM ml_imports WHERE account_id = ? ORDER BY id DESC LIMIT 200",
        (ctx.account["id"],),
    )
    return node(
        "result",
        leaf("status", "success"),
        node(
            "data",
            (
                node(
                    "address_log",
                    text("filename", r["filename"]),
                    text("filepath", r["filepath"]),
                    leaf("time_import", r["time_import"]),
                    leaf("count_all", r["count_all"]),
                    leaf("count_err_1", r["count_err_1"]),
                    leaf("count_err_2", r["count_err_2"]),
                    leaf("status", r["status"]),
                    text("subject", r["subject"]),
                )
                for r in rows
            ),
        ),
    )


# -- demo data ------------------------------------------------------------------------------------

DEMO_LISTS = [
    # (id, account, subject, description, status)
    (501, DEMO_ID, "VIP 客户", "消费满一万元的会员", "enabled"),
    (502, DEMO_ID, "Newsletter subscribers", "Monthly product news", "enabled"),
    (503, DEMO_ID, "旧客户（停用）", "", "disabled"),
    (601, OTHER_ID, "北京客户", "另一家公司的列表", "enabled"),
]
_SURNAMES = "王李张刘陈杨黄赵吴周"
_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军"]
_AREAS = ["北京市朝阳区", "上海市浦东新区", "广州市天河区", "深圳市南山区", "杭州市西湖区"]


def _demo_addresses(list_id: int, count: int, domain: str):
    for i in range(1, count + 1):
        yield {
            "address": f"member{i:03d}@{domain}",
            "fullname": _SURNAMES[i % 10] + _GIVEN[(i * 7) % 10],
            "sex": "M" if i % 2 else "F",
            "birthday": f"19{70 + i % 30}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "phone": f"1380013{i:04d}",
            "area": _AREAS[i % 5],
            "var1": ["金卡", "银卡", "铜卡"][i % 3],
            "var2": str(100 * i),
        }


@register_seeder
def seed_contacts(store: Store, clock: Clock) -> None:
    worker_for(store, clock).parse_seconds = DEFAULT_PARSE_SECONDS
    conn = store.conn
    now = clock.timestamp()
    for list_id, account_id, subject, description, status in DEMO_LISTS:
        with store.transaction():
            exists = conn.execute("SELECT 1 FROM maillists WHERE id = ?", (list_id,)).fetchone()
            if exists:
                continue
            conn.execute(
                "INSERT INTO maillists (id, account_id, subject, description, status, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (list_id, account_id, subject, description, status, now),
            )
            count = {501: 25, 502: 12, 503: 3, 601: 5}[list_id]
            cs.insert_addresses(
                conn,
                account_id=account_id,
                list_id=list_id,
                rows=_demo_addresses(list_id, count, f"list{list_id}.example.com"),
                now=now,
            )
    with store.transaction():
        if not conn.execute("SELECT 1 FROM ml_unsubscribes WHERE list_id = 502").fetchone():
            conn.execute(
                "INSERT INTO ml_unsubscribes (account_id, list_id, address, address_lc, time) "
                "VALUES (?, 502, 'left@list502.example.com', 'left@list502.example.com', ?)",
                (DEMO_ID, now),
            )


# -- control endpoints ----------------------------------------------------------------------------


@control("/contacts/settings")
def contacts_settings(app, request: Request) -> Response:
    worker = worker_for(app.store, app.clock)
    return json_response({"parse_seconds": worker.parse_seconds})


@control("/contacts/settings", methods=("POST",))
def contacts_settings_patch(app, request: Request) -> Response:
    """`{"parse_seconds": 0.5}`: how long a §4.9.3 upload stays `no_complete` at least."""
    try:
        body = json.loads(request.get_data(as_text=True) or "{}")
        seconds = float(body["parse_seconds"])
    except (ValueError, KeyError, TypeError):
        return json_error('body must be {"parse_seconds": <number>}', 400)
    if not 0 <= seconds <= 3600:
        return json_error("parse_seconds must be between 0 and 3600", 400)
    worker = worker_for(app.store, app.clock)
    worker.parse_seconds = seconds
    return json_response({"parse_seconds": seconds})


@control("/contacts/generate", methods=("POST",))
def contacts_generate(app, request: Request) -> Response:
    """`{"username": "demo", "list_id": 501, "count": 1000000}`: add synthetic addresses fast
    (for load tests and benchmarks of page queries)."""
    try:
        body = json.loads(request.get_data(as_text=True) or "{}")
        username, list_id, count = body["username"], int(body["list_id"]), int(body["count"])
    except (ValueError, KeyError, TypeError):
        return json_error('body must be {"username", "list_id", "count"}', 400)
    account = app.store.account_by_username(username)
    if account is None or cs.get_list(app.store.conn, account["id"], list_id) is None:
        return json_error("no such account or list", 404)
    start = time.monotonic()
    prefix = secrets.token_hex(3)
    rows = (
        {
            "address": f"gen{prefix}.{i}@load{i % 97}.example.com",
            "fullname": _SURNAMES[i % 10] + _GIVEN[(i * 3) % 10] + str(i % 1000),
            "area": _AREAS[i % 5],
        }
        for i in range(count)
    )
    total, invalid, duplicate = cs.insert_addresses(
        app.store.conn,
        account_id=account["id"],
        list_id=list_id,
        rows=rows,
        now=app.clock.timestamp(),
        batch=20_000,
        commit_each_batch=True,
    )
    return json_response(
        {"added": total - invalid - duplicate, "seconds": round(time.monotonic() - start, 2)}
    )
