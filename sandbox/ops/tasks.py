"""§5.1/§6 Send tasks (``task.php``: add-task, task-list, edit-task, del-task) and §2.1
(``task.php?do=list-task``).

Tasks live in :mod:`sandbox.delivery`, which also simulates their sending. Where the
documentation is silent, the choices are listed in the README ("Send tasks and the delivery
simulation"); the main ones:

* add-task refuses, in the ``<result><status>error</status><data>…</data></result>`` shape, a
  missing or foreign template (or one the content check rejected, status 0), list (or a disabled
  one), sender (a mailbox or domain that is not the account's, or not verified), a bad time,
  range or flag, an empty range, and more recipients than the quota has left. The 101st call
  within an hour answers the sandbox's rate-limit reply (``over_limit``) and creates nothing.
* ``status`` defaults to 1 (§5.1; §6.2 says 2): 1 waits for ``time``, 2 sends at once, -1 holds.
* edit-task changes only the fields it is given (``time``/``send_time`` and
  ``status``/``send_status`` both accepted); content fields only before sending starts;
  ``send_status`` moves the task: -1 hold, 1 wait, 2 send now (or resume), -2 pause (while
  sending), -3 cancel.
* del-task refuses a task that is sending or paused (cancel it first); a deleted task leaves
  §6.1/§2.1 but its statistics remain.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from sandbox import contacts_store as cs
from sandbox import delivery
from sandbox.control import control, json_error, json_response
from sandbox.faults import RATE_LIMIT_STATUS, RATE_LIMIT_TEXT
from sandbox.ops import OpContext, OpError, operation
from sandbox.seed import DEMO_ID, register_seeder
from sandbox.store import Store
from sandbox.xml import Node, leaf, node, result, text

if TYPE_CHECKING:
    from sandbox.app import SandboxApp
    from sandbox.clock import Clock

SCRIPT = "task.php"
STATUS_WORDS = {
    -3: "取消发送",
    -2: "暂停发送",
    -1: "暂不发送",
    1: "等待发送",
    2: "正在发送",
    3: "发送完成",
}
NEVER = "0000-00-00 00:00:00"
# Fields edit-task may change only before sending starts.
CONTENT_FIELDS = (
    "tpl_ids",
    "list_id",
    "acct_type",
    "acct_domain",
    "acct_address",
    "sender_name",
    "replyto",
    "send_qty_start",
    "send_qty",
    "subs_link",
    "track_status",
    "track_domain",
)


# -- parameters -----------------------------------------------------------------------------------


def _int(ctx: OpContext, name: str, default: int | None = None, *, allowed=None) -> int | None:
    raw = (ctx.param(name) or "").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise OpError("error", f"参数错误：{name}={raw}") from None
    if allowed is not None and value not in allowed:
        raise OpError("error", f"参数错误：{name}={raw}")
    return value


def _templates(ctx: OpContext, raw: str) -> list[dict[str, Any]]:
    """The templates of ``tpl_id`` ("2" or "1,2,3"), each the account's and not rejected."""
    from sandbox.ops.templates import _own_template, _tpl_id, _verdict, check_seconds

    ids = [p.strip() for p in raw.split(",") if p.strip()]
    if not ids:
        raise OpError("error", "缺少参数：tpl_id")
    rows = []
    for piece in ids:
        row = _own_template(ctx, _tpl_id(piece))
        checked = ctx.clock.now().timestamp() - row["check_started"] >= check_seconds(ctx.store)
        if checked and _verdict(ctx.store, row)["status"] == 0:
            raise OpError("error", f"模板未通过审核，不能发送：{row['id']}")
        if row not in rows:
            rows.append(row)
    return rows


def _list(ctx: OpContext, raw: str):
    row = cs.get_list(ctx.store.conn, ctx.account["id"], raw.strip())
    if row is None:
        raise OpError("error", f"联系人分类不存在：{raw.strip()}")
    if row["status"] != "enabled":
        raise OpError("error", f"联系人分类已停用：{row['subject']}")
    return row


def _sender(ctx: OpContext, send_domain: str, send_account: str) -> dict[str, str]:
    """§5.1 备注 2–4: all senders of all domains, all of one domain, or one mailbox."""
    from sandbox.ops.domains import _domain_row, normalise_domain, refresh_verification

    domain_raw = (send_domain or "all").strip()
    account_raw = (send_account or "all").strip()
    me = ctx.account["id"]
    if account_raw.lower() == "all":
        if domain_raw.lower() == "all":
            return {"acct_type": "all", "acct_domain": "", "acct_address": ""}
        domain = normalise_domain(domain_raw)
        row = _domain_row(ctx.store, domain) if domain else None
        if row is None or row["account_id"] not in (0, me):
            raise OpError("error", f"发件人域名不存在：{domain_raw}")
        if not refresh_verification(ctx.store, ctx.clock, row):
            raise OpError("error", f"发件人域名未通过验证：{domain}")
        return {"acct_type": "domain", "acct_domain": domain, "acct_address": ""}
    box = ctx.store.conn.execute(
        "SELECT m.mailbox, m.account_id, d.domain, d.id AS domain_id FROM mailboxes m "
        "JOIN domains d ON d.id = m.domain_id WHERE m.mailbox = ?",
        (account_raw,),
    ).fetchone()
    if box is None or box["account_id"] != me:
        raise OpError("error", f"发件人不存在：{account_raw}")
    if domain_raw.lower() != "all" and normalise_domain(domain_raw) != box["domain"]:
        raise OpError("error", f"发件人不属于域名：{domain_raw}")
    domain_row = _domain_row(ctx.store, box["domain"])
    if not refresh_verification(ctx.store, ctx.clock, domain_row):
        raise OpError("error", f"发件人域名未通过验证：{box['domain']}")
    return {"acct_type": "address", "acct_domain": box["domain"], "acct_address": box["mailbox"]}


def _time(ctx: OpContext, raw: str) -> dt.datetime:
    when = delivery.parse_platform_time(raw, ctx.clock.tz)
    if when is None:
        raise OpError("error", f"时间格式错误：{raw}（格式 2017-7-4 16:08:56）")
    return when


def _range(ctx: OpContext, start: int | None, qty: int | None) -> tuple[int, int]:
    start = 1 if start is None else start
    qty = 0 if qty is None else qty
    if start < 1:
        raise OpError("error", "send_qty_start 必须大于等于 1，不能传 0")
    if qty < 0 or (qty and qty < start):
        raise OpError("error", f"发送地址范围错误：{start}-{qty}")
    return start, qty


def _check_quota(ctx: OpContext, count: int) -> None:
    account = ctx.store.account_by_id(ctx.account["id"])
    if account["service_status"] != "enabled":
        raise OpError("error", "群发服务已停用，不能添加群发任务")
    if count > account["qty_available"]:
        raise OpError(
            "error", f"可用点数不足：需要 {count}，剩余 {account['qty_available']}"
        )  # fmt: skip


def _own_task(ctx: OpContext, raw: str | None) -> dict[str, Any]:
    try:
        task_id = int((raw or "").strip())
    except ValueError:
        raise OpError("error", f"参数错误：id={raw}") from None
    row = ctx.store.conn.execute(
        "SELECT * FROM send_tasks WHERE id = ? AND account_id = ? AND deleted = 0",
        (task_id, ctx.account["id"]),
    ).fetchone()
    if row is None:
        raise OpError("error", f"任务不存在：{task_id}")
    return dict(row)


def _rate_limit(ctx: OpContext) -> None:
    now = ctx.clock.now().timestamp()
    conn = ctx.store.conn
    used = conn.execute(
        "SELECT COUNT(*) FROM task_add_calls WHERE account_id = ? AND epoch > ?",
        (ctx.account["id"], now - delivery.ADD_TASK_WINDOW),
    ).fetchone()[0]
    if used >= delivery.ADD_TASK_LIMIT:
        raise OpError(RATE_LIMIT_STATUS, RATE_LIMIT_TEXT)
    # Every call that passes the limit counts, refused or not, as the platform counts calls.
    conn.execute(
        "INSERT INTO task_add_calls (account_id, epoch) VALUES (?, ?)", (ctx.account["id"], now)
    )


# -- §5.1 / §6.2 add-task ---------------------------------------------------------------------


@operation(SCRIPT, "add-task")
def add_task(ctx: OpContext) -> Node:
    """§5.1 / §6.2 创建群发任务."""
    _rate_limit(ctx)
    delivery.advance(ctx.store, ctx.clock, account_id=ctx.account["id"])
    templates = _templates(ctx, ctx.require("tpl_id"))
    maillist = _list(ctx, ctx.require("maillist_id"))
    sender = _sender(ctx, ctx.param("send_domain", "all"), ctx.param("send_account", "all"))
    when = _time(ctx, ctx.require("time"))
    status = _int(ctx, "status", 1, allowed=(1, -1, 2))
    start, qty = _range(ctx, _int(ctx, "send_qty_start"), _int(ctx, "send_qty"))
    subs_link = _int(ctx, "subs_link", 1, allowed=(0, 1))
    track_status = _int(ctx, "track_status", 0, allowed=(0, 1, 2))
    count = delivery.range_count(ctx.store.conn, ctx.account["id"], maillist["id"], start, qty)
    if count == 0:
        raise OpError(
            "error", f"发送地址数量为 0：联系人分类 {maillist['id']} 的第 {start} 个起没有地址"
        )
    _check_quota(ctx, count)
    now = ctx.clock.now()
    with ctx.store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO send_tasks (account_id, sn, stat_task_id, track_id, tpl_ids, list_id, "
            "list_name, acct_type, acct_domain, acct_address, sender_name, replyto, "
            "send_qty_start, send_qty, send_qty_remak, send_time, send_epoch, immediate, status, "
            "subs_link, track_status, track_domain, created_at, created_epoch, queued_epoch, "
            "seed) VALUES (?, '', 0, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?, 0)",
            (
                ctx.account["id"],
                ",".join(str(t["id"]) for t in templates),
                maillist["id"],
                maillist["subject"],
                sender["acct_type"],
                sender["acct_domain"],
                sender["acct_address"],
                ctx.param("send_fullname", "") or "",
                (ctx.param("send_replyto", "") or "").strip(),
                start,
                qty,
                count,
                when.strftime(delivery.PLATFORM_FORMAT),
                when.timestamp(),
                1 if status == 2 else 0,
                -1 if status == -1 else 1,
                subs_link,
                track_status,
                (ctx.param("track_domain", "") or "").strip(),
                now.strftime(delivery.PLATFORM_FORMAT),
                now.timestamp(),
                now.timestamp(),
            ),
        )
        task_id = cur.lastrowid
        conn.execute(
            "UPDATE send_tasks SET sn = ?, stat_task_id = ?, track_id = ?, seed = ? WHERE id = ?",
            _identities(task_id, ctx.account["id"], now),
        )
    return result("success", "添加群发任务成功！", id=task_id)


def _identities(task_id: int, account_id: int, now: dt.datetime) -> tuple:
    """(sn, statistics task id, track id, seed, id): the batch number looks like the
    documentation's ``20180402101814-7020-53``; the statistics ids differ from the send id."""
    sn = f"{now.strftime('%Y%m%d%H%M%S')}-{account_id}-{task_id}"
    seed = zlib.crc32(f"task:{task_id}:{account_id}".encode())
    return sn, 1_024_000 + task_id, 52_000 + task_id, seed, task_id


# -- §6.1 task-list ---------------------------------------------------------------------------


def _sender_text(row: dict[str, Any]) -> str:
    if row["acct_type"] == "address":
        return row["acct_address"]
    if row["acct_type"] == "domain":
        return row["acct_domain"]
    return "all"


def _template_names(conn, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    marks = ",".join("?" for _ in ids)
    rows = conn.execute(f"SELECT id, name FROM templates WHERE id IN ({marks})", ids)  # noqa: S608
    return {r["id"]: r["name"] for r in rows}


def _counts(conn, row: dict[str, Any], now: float) -> tuple[int, int]:
    if row["recipients"] is None:
        return 0, 0
    p = delivery.progress(conn, row, now)
    return p.send_count, p.error_count


def _task_node(conn, row: dict[str, Any], now: float) -> Node:
    ids = [int(t) for t in row["tpl_ids"].split(",") if t]
    names = _template_names(conn, ids)
    send_count, error_count = _counts(conn, row, now)
    return node(
        "task",
        leaf("id", row["id"]),
        leaf("sn", row["sn"]),
        leaf("acct_type", row["acct_type"]),
        leaf("acct_domain", row["acct_domain"]),
        leaf("acct_address", row["acct_address"]),
        text("sender", _sender_text(row)),
        text("replyto", row["replyto"]),
        text("sender_name", row["sender_name"]),
        node(
            "templates",
            (node("template", leaf("tpl_id", i), text("tpl_name", names.get(i, ""))) for i in ids),
        ),
        leaf("addr_type", row["addr_type"]),
        node(
            "listes",
            node("item", leaf("list_id", row["list_id"]), text("list_name", row["list_name"])),
        ),
        leaf("send_qty", row["send_qty"]),
        leaf("send_qty_remak", row["send_qty_remak"]),
        leaf("send_time", row["send_time"]),
        leaf("time_start", row["time_start"] or NEVER),
        leaf("time_end", row["time_end"] or NEVER),
        leaf("send_count", send_count),
        leaf("error_count", error_count),
        leaf("send_status", row["status"]),
        leaf("track_status", row["track_status"]),
    )


def _date(ctx: OpContext, name: str) -> str | None:
    raw = (ctx.param(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw).isoformat()
    except ValueError:
        raise OpError("error", f"参数错误：{name}={raw}（格式 YYYY-MM-DD）") from None


@operation(SCRIPT, "task-list")
def task_list(ctx: OpContext) -> Node:
    """§6.1 群发任务列表: newest first; without page and limit, every task."""
    delivery.advance(ctx.store, ctx.clock, account_id=ctx.account["id"])
    where, args = ["account_id = ?", "deleted = 0"], [ctx.account["id"]]
    task_id = _int(ctx, "id")
    if task_id is not None:
        where.append("id = ?")
        args.append(task_id)
    day = _date(ctx, "date")
    if day:
        where.append("substr(send_time, 1, 10) = ?")
        args.append(day)
    status = (ctx.param("send_status") or "all").strip()
    if status != "all":
        where.append("status = ?")
        args.append(_int(ctx, "send_status", allowed=(1, 2, 3, -1, -2, -3)))
    sql = f"SELECT * FROM send_tasks WHERE {' AND '.join(where)} ORDER BY id DESC"  # noqa: S608
    page, limit = _int(ctx, "page"), _int(ctx, "limit")
    if page is not None or limit is not None:
        page, limit = max(1, page or 1), max(1, limit or 30)
        sql += " LIMIT ? OFFSET ?"
        args += [limit, (page - 1) * limit]
    conn = ctx.store.conn
    now = ctx.clock.now().timestamp()
    rows = [dict(r) for r in conn.execute(sql, args)]
    return node("task_list", (_task_node(conn, r, now) for r in rows))


# -- §6.3 edit-task -----------------------------------------------------------------------------


def _same_sender(task: dict[str, Any], send_domain: str, send_account: str) -> bool:
    domain, account = (
        (send_domain or "all").strip().lower(),
        (send_account or "all").strip().lower(),
    )
    if task["acct_type"] == "address":
        return account == task["acct_address"].lower() and domain in ("all", task["acct_domain"])
    if task["acct_type"] == "domain":
        return account == "all" and domain == task["acct_domain"]
    return account == "all" and domain == "all"


def _proposed(ctx: OpContext, task: dict[str, Any]) -> dict[str, Any]:
    """The content fields as the call would set them (unchanged when not given). Values equal to
    the task's are not checked again, so a pause or cancel that repeats every field passes even
    if, say, the template was edited since."""
    new = {k: task[k] for k in CONTENT_FIELDS}
    new["list_name"] = task["list_name"]
    raw_tpl = (ctx.param("tpl_id") or "").strip()
    if raw_tpl and ",".join(p.strip() for p in raw_tpl.split(",") if p.strip()) != task["tpl_ids"]:
        new["tpl_ids"] = ",".join(str(t["id"]) for t in _templates(ctx, raw_tpl))
    raw_list = (ctx.param("maillist_id") or "").strip()
    if raw_list and raw_list != str(task["list_id"]):
        maillist = _list(ctx, raw_list)
        new["list_id"], new["list_name"] = maillist["id"], maillist["subject"]
    send_domain, send_account = ctx.param("send_domain"), ctx.param("send_account")
    if (send_domain is not None or send_account is not None) and not _same_sender(
        task, send_domain or "all", send_account or "all"
    ):
        new.update(_sender(ctx, send_domain or "all", send_account or "all"))
    if ctx.param("send_fullname") is not None:
        new["sender_name"] = ctx.param("send_fullname") or ""
    if ctx.param("send_replyto") is not None:
        new["replyto"] = (ctx.param("send_replyto") or "").strip()
    start = _int(ctx, "send_qty_start", task["send_qty_start"])
    qty = _int(ctx, "send_qty", task["send_qty"])
    new["send_qty_start"], new["send_qty"] = _range(ctx, start, qty)
    new["subs_link"] = _int(ctx, "subs_link", task["subs_link"], allowed=(0, 1))
    new["track_status"] = _int(ctx, "track_status", task["track_status"], allowed=(0, 1, 2))
    if ctx.param("track_domain") is not None:
        new["track_domain"] = (ctx.param("track_domain") or "").strip()
    return new


@operation(SCRIPT, "edit-task")
def edit_task(ctx: OpContext) -> Node:
    """§6.3 修改群发任务."""
    delivery.advance(ctx.store, ctx.clock, account_id=ctx.account["id"])
    task = _own_task(ctx, ctx.require("id"))
    new = _proposed(ctx, task)
    raw_time = ctx.param("send_time") or ctx.param("time")
    when = _time(ctx, raw_time) if (raw_time or "").strip() else None
    changed = {k: v for k, v in new.items() if k in task and task[k] != v}
    if when is not None and when.strftime(delivery.PLATFORM_FORMAT) != task["send_time"]:
        changed["send_time"] = when.strftime(delivery.PLATFORM_FORMAT)
        changed["send_epoch"] = when.timestamp()
    raw_status = ctx.param("send_status") or ctx.param("status")
    target = None
    if (raw_status or "").strip():
        name = "send_status" if ctx.param("send_status") else "status"
        # §6.3 L3035 documents 1, -1 and 2 only; -2/-3 under the permissive profile.
        target = _int(ctx, name, allowed=(-1, 1, 2) if ctx.strict else (-3, -2, -1, 1, 2))
    status = task["status"]
    if status in (3, -3) and (changed or (target is not None and target != status)):
        raise OpError("error", f"任务已{STATUS_WORDS[status]}，不能修改：{task['id']}")
    if changed and status not in (-1, 1):
        raise OpError("error", f"任务{STATUS_WORDS.get(status, status)}，只能修改发送状态")
    if {"list_id", "send_qty_start", "send_qty"} & changed.keys():
        count = delivery.range_count(
            ctx.store.conn, ctx.account["id"], new["list_id"], new["send_qty_start"],
            new["send_qty"],
        )  # fmt: skip
        if count == 0:
            raise OpError("error", "发送地址数量为 0")
        _check_quota(ctx, count)
        changed["send_qty_remak"] = count
    now = ctx.clock.now().timestamp()
    conf = delivery.settings(ctx.store)
    with ctx.store.transaction() as conn:
        if changed:
            sets = ", ".join(f"{k} = ?" for k in changed)
            conn.execute(
                f"UPDATE send_tasks SET {sets} WHERE id = ?",  # noqa: S608 - whitelisted keys
                (*changed.values(), task["id"]),
            )
        if target is not None and target != status:
            _move(conn, ctx, task, status, target, now, conf)
    return result("success", "修改群发任务成功！")


def _move(conn, ctx: OpContext, task, status: int, target: int, now: float, conf) -> None:
    refuse = OpError(
        "error",
        f"任务当前状态为{STATUS_WORDS.get(status, status)}，不能改为{STATUS_WORDS[target]}",
    )
    if target == -1:
        if status != 1:
            raise refuse
        conn.execute("UPDATE send_tasks SET status = -1 WHERE id = ?", (task["id"],))
    elif target in (1, 2) and status in (-1, 1):
        conn.execute(
            "UPDATE send_tasks SET status = 1, immediate = ?, queued_epoch = ?, note = '' "
            "WHERE id = ?",
            (1 if target == 2 else 0, now, task["id"]),
        )
    elif target == 2 and status == -2:
        delivery.resume(conn, task, now, task["fixed_speed"] or conf["speed"])
    elif target == -2:
        if status != 2:
            raise refuse
        delivery.pause(conn, task, now)
    elif target == -3:
        if status not in (1, -1, 2, -2):
            raise refuse
        delivery.cancel(conn, task, now, ctx.clock)
    else:
        raise refuse


# -- §6.4 del-task ------------------------------------------------------------------------------


@operation(SCRIPT, "del-task")
def del_task(ctx: OpContext) -> Node:
    """§6.4 删除群发任务."""
    delivery.advance(ctx.store, ctx.clock, account_id=ctx.account["id"])
    task = _own_task(ctx, ctx.require("id"))
    if task["status"] in (2, -2):
        raise OpError(
            "error", f"任务{STATUS_WORDS[task['status']]}，不能删除，请先取消：{task['id']}"
        )
    ctx.store.conn.execute("UPDATE send_tasks SET deleted = 1 WHERE id = ?", (task["id"],))
    return result("success", "删除群发任务成功！")


# -- §2.1 list-task -----------------------------------------------------------------------------


@operation(SCRIPT, "list-task")
def list_task(ctx: OpContext) -> Node:
    """§2.1 取得指定的群发任务或者指定发送日期的群发任务列表 (date, ident or id; state)."""
    delivery.advance(ctx.store, ctx.clock, account_id=ctx.account["id"])
    day = _date(ctx, "date")
    ident = (ctx.param("ident") or "").strip()
    task_id = _int(ctx, "id")
    if not (day or ident or task_id is not None):
        raise OpError("error", "缺少参数：date、ident、id 必须传一个")
    where, args = ["account_id = ?", "deleted = 0"], [ctx.account["id"]]
    if day:
        where.append("substr(send_time, 1, 10) = ?")
        args.append(day)
    if ident:
        where.append("sn = ?")
        args.append(ident)
    if task_id is not None:
        where.append("id = ?")
        args.append(task_id)
    state = _int(ctx, "state", allowed=range(-5, 5))
    if state is not None:
        where.append("status = ?")
        args.append(state)
    conn = ctx.store.conn
    now = ctx.clock.now().timestamp()
    rows = [
        dict(r)
        for r in conn.execute(
            f"SELECT * FROM send_tasks WHERE {' AND '.join(where)} ORDER BY id",  # noqa: S608
            args,
        )
    ]
    out = []
    for row in rows:
        ids = [int(t) for t in row["tpl_ids"].split(",") if t]
        names = _template_names(conn, ids)
        send_count, error_count = _counts(conn, row, now)
        out.append(
            node(
                "task",
                leaf("id", row["id"]),
                leaf("sn", row["sn"]),
                text("sender", _sender_text(row)),
                text("sender_name", row["sender_name"]),
                text("replyto", row["replyto"]),
                leaf("tpl_id", row["tpl_ids"]),
                text("tpl_name", ",".join(names.get(i, "") for i in ids)),
                leaf("addr_type", row["addr_type"]),
                leaf("list_id", row["list_id"]),
                text("list_name", row["list_name"]),
                leaf("send_qty", row["send_qty"]),
                leaf("send_qty_remak", row["send_qty_remak"]),
                leaf("send_time", row["send_time"]),
                leaf("send_satus", row["status"]),
                leaf("time_start", row["time_start"] or NEVER),
                leaf("time_end", row["time_end"] or NEVER),
                leaf("send_count", send_count),
                leaf("error_count", error_count),
                leaf("track_status", row["track_status"]),
            )
        )
    return node("task_list", out)


# -- seeded history -------------------------------------------------------------------------------

# Two finished campaigns of `demo`, so the portal's list, calendar and statistics have a past.
# They ran at real speed (fixed_speed 1) and their quota was charged long ago.
SEEDED = (
    # (seed, days ago, hour, tpl_ids, list_id, list name, acct, domain, address, name, track)
    (9101, 3, 10, "501", 501, "VIP 客户", "address", "demo-shop.cn", "notice@demo-shop.cn",
     "深圳示例科技", 2),
    (9102, 1, 15, "502", 502, "Newsletter subscribers", "domain", "demo-shop.cn", "",
     "深圳示例科技 新闻", 1),
)  # fmt: skip


@register_seeder
def seed_tasks(store: Store, clock: Clock) -> None:
    conn = store.conn
    today = clock.now().date()
    with store.transaction():
        for (
            seed,
            days,
            hour,
            tpls,
            list_id,
            list_name,
            acct,
            domain,
            address,
            name,
            track,
        ) in SEEDED:
            if conn.execute("SELECT 1 FROM send_tasks WHERE seed = ?", (seed,)).fetchone():
                continue
            when = dt.datetime.combine(
                today - dt.timedelta(days=days), dt.time(hour, 0), tzinfo=clock.tz
            )
            created = when - dt.timedelta(hours=2)
            cur = conn.execute(
                "INSERT INTO send_tasks (account_id, sn, stat_task_id, track_id, tpl_ids, "
                "list_id, list_name, acct_type, acct_domain, acct_address, sender_name, replyto, "
                "send_time, send_epoch, status, track_status, created_at, created_epoch, "
                "queued_epoch, fixed_speed, seed, quota_charged) "
                "VALUES (?, '', 0, 0, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, 1, ?, ?, ?, ?, 1, ?, 1)",
                (
                    DEMO_ID,
                    tpls,
                    list_id,
                    list_name,
                    acct,
                    domain,
                    address,
                    name,
                    when.strftime(delivery.PLATFORM_FORMAT),
                    when.timestamp(),
                    track,
                    created.strftime(delivery.PLATFORM_FORMAT),
                    created.timestamp(),
                    created.timestamp(),
                    seed,
                ),
            )
            sn, stat_id, track_id, _, task_id = _identities(cur.lastrowid, DEMO_ID, created)
            conn.execute(
                "UPDATE send_tasks SET sn = ?, stat_task_id = ?, track_id = ? WHERE id = ?",
                (sn, stat_id, track_id, task_id),
            )


# -- control endpoints ----------------------------------------------------------------------------


def _body(request: Request) -> dict[str, Any] | Response:
    try:
        body = json.loads(request.get_data(as_text=True) or "{}")
    except ValueError as exc:
        return json_error(f"body is not JSON: {exc}", 400)
    if not isinstance(body, dict):
        return json_error("body must be a JSON object", 400)
    return body


@control("/delivery/settings")
def delivery_settings(app: SandboxApp, request: Request) -> Response:
    return json_response(delivery.settings(app.store))


@control("/delivery/settings", methods=("POST",))
def change_delivery_settings(app: SandboxApp, request: Request) -> Response:
    """`{"speed": 600}`, `{"open_rate": 1}`, … or `{"reset": true}` for the defaults."""
    body = _body(request)
    if isinstance(body, Response):
        return body
    if body.pop("reset", False):
        delivery.reset_settings(app.store)
    try:
        return json_response(delivery.change_settings(app.store, app.clock, body))
    except ValueError as exc:
        return json_error(str(exc), 400)


def task_state(app: SandboxApp, row: dict[str, Any]) -> dict[str, Any]:
    conn = app.store.conn
    now = app.clock.now().timestamp()
    state = {k: row[k] for k in row if k not in ("seed",)}
    if row["recipients"] is not None:
        p = delivery.progress(conn, row, now)
        outcomes = {
            str(code): count
            for code, count in conn.execute(
                "SELECT outcome, COUNT(*) FROM delivery_recipients WHERE task_id = ? "
                "GROUP BY outcome",
                (row["id"],),
            )
        }
        state.update(
            elapsed=round(p.sim, 3),
            processed=p.processed,
            send_count=p.send_count,
            error_count=p.error_count,
            delivered=p.delivered,
            outcomes_final=outcomes,
            openers=conn.execute(
                "SELECT COUNT(*) FROM delivery_recipients WHERE task_id = ? AND open_first <= ? "
                "AND sent_off <= ?",
                (row["id"], p.sim, p.sent_limit),
            ).fetchone()[0],
        )
    return state


@control("/tasks")
def list_tasks(app: SandboxApp, request: Request) -> Response:
    """Every task (any account), newest first; `?username=` narrows to one account."""
    delivery.advance(app.store, app.clock)
    sql, args = "SELECT * FROM send_tasks", []
    username = request.args.get("username")
    if username:
        account = app.store.account_by_username(username)
        if account is None:
            return json_error(f"no such account: {username}", 404)
        sql += " WHERE account_id = ?"
        args.append(account["id"])
    rows = [dict(r) for r in app.store.conn.execute(sql + " ORDER BY id DESC", args)]
    return json_response({"tasks": [task_state(app, r) for r in rows]})


@control("/tasks/<int:task_id>")
def get_task(app: SandboxApp, request: Request, task_id: int) -> Response:
    delivery.advance(app.store, app.clock, task_id=task_id)
    row = app.store.conn.execute("SELECT * FROM send_tasks WHERE id = ?", (task_id,)).fetchone()
    if row is None:
        return json_error(f"no such task: {task_id}", 404)
    return json_response(task_state(app, dict(row)))


@control("/tasks/<int:task_id>/fast-forward", methods=("POST",))
def fast_forward(app: SandboxApp, request: Request, task_id: int) -> Response:
    """`{"seconds": 3600}`: move the task's clock on by that many simulated seconds (a waiting
    task starts now first), for demos and tests that want opens without waiting."""
    body = _body(request)
    if isinstance(body, Response):
        return body
    try:
        seconds = float(body.get("seconds", 0))
    except (TypeError, ValueError):
        return json_error('body must be {"seconds": <number>}', 400)
    if not 0 <= seconds <= 365 * 86400:
        return json_error("seconds must be between 0 and a year", 400)
    store, clock = app.store, app.clock
    row = store.conn.execute("SELECT * FROM send_tasks WHERE id = ?", (task_id,)).fetchone()
    if row is None:
        return json_error(f"no such task: {task_id}", 404)
    now = clock.now().timestamp()
    if row["status"] == 1:  # start it now: its queue time is over
        conf = delivery.settings(store)
        with store.transaction() as conn:
            conn.execute(
                "UPDATE send_tasks SET immediate = 1, queued_epoch = ? WHERE id = ?",
                (now - conf["start_delay"] / conf["speed"], task_id),
            )
    delivery.advance(store, clock, task_id=task_id)
    with store.transaction() as conn:
        segs = delivery.segments(conn, task_id)
        if segs and segs[-1].epoch_to is None:
            sim = delivery.elapsed(segs, now)
            conn.execute(
                "UPDATE delivery_segments SET epoch_to = ? WHERE task_id = ? AND epoch_to IS NULL",
                (now, task_id),
            )
            conn.execute(
                "INSERT INTO delivery_segments (task_id, idx, sim_from, epoch_from, speed) "
                "VALUES (?, ?, ?, ?, ?)",
                (task_id, len(segs), sim + seconds, now, segs[-1].speed),
            )
    delivery.advance(store, clock, task_id=task_id)
    row = store.conn.execute("SELECT * FROM send_tasks WHERE id = ?", (task_id,)).fetchone()
    return json_response(task_state(app, dict(row)))


@control("/tasks/<int:task_id>/links", methods=("POST",))
def set_link_url(app: SandboxApp, request: Request, task_id: int) -> Response:
    """`{"position": 0, "url": "javascript:alert(1)"}`: what §3 reports as the URL of one of a
    tracked task's links (a hostile or odd value, for tests of the portal's escaping). Only
    http(s) links of a template are tracked, so no API call can make such a value."""
    body = _body(request)
    if isinstance(body, Response):
        return body
    url, position = body.get("url"), body.get("position", 0)
    if not isinstance(url, str) or not isinstance(position, int):
        return json_error('body must be {"position": <int>, "url": <text>}', 400)
    delivery.advance(app.store, app.clock, task_id=task_id)  # a started task has its links
    with app.store.transaction() as conn:
        row = conn.execute(
            "SELECT id FROM delivery_links WHERE task_id = ? ORDER BY id LIMIT 1 OFFSET ?",
            (task_id, position),
        ).fetchone()
        if row is None:
            return json_error(f"task {task_id} has no tracked link {position}", 404)
        conn.execute("UPDATE delivery_links SET url = ? WHERE id = ?", (url, row["id"]))
    return json_response({"task_id": task_id, "link_id": row["id"], "url": url})


@control("/delivery/rate-limit")
def rate_limit_state(app: SandboxApp, request: Request) -> Response:
    """`?username=demo`: add-task calls counted in the last hour."""
    account = app.store.account_by_username(request.args.get("username", ""))
    if account is None:
        return json_error("no such account", 404)
    now = app.clock.now().timestamp()
    used = app.store.conn.execute(
        "SELECT COUNT(*) FROM task_add_calls WHERE account_id = ? AND epoch > ?",
        (account["id"], now - delivery.ADD_TASK_WINDOW),
    ).fetchone()[0]
    return json_response({"used": used, "limit": delivery.ADD_TASK_LIMIT})
