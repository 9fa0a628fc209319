"""§2.2–§2.5 Sending statistics: ``statistic.php``, ``failexport.php``, ``failexportall.php``,
``stask.php`` and ``deduction.php``.

Every number is computed from the delivery simulation's rows (:mod:`sandbox.delivery`) as of
now, with the same notion of "processed so far" as §2.1 and §3.1 (:func:`delivery.progress`),
so the endpoints agree with each other:

* §2.4 ``success`` = §3.1 ``real_send_count``; §2.4 ``total`` = §3.1 ``send_count`` = §2.1
  ``send_count`` (delivered + bounced); §2.4 ``failed`` = bounced + spam-rejected; ``invalid`` =
  invalid addresses + format errors; ``actual`` (credits really used) = ``total``.
* §2.3 lists exactly the recipients §2.4 counts under each type.
* §2.2 for a day sums §2.4 over the day's tasks: ``ws_count`` (processed) = ``actual_send``
  (delivered) + ``send_error`` (§2.4 failed) + ``invalid_addr`` + ``format_error``;
  ``ws_error`` = Σ §2.1 ``error_count`` (never sent); ``send_count`` / ``deduc_count`` = the
  recipients planned and pre-charged; ``actual_deduc`` = Σ §2.4 ``actual``.
* §2.5 splits a day's credits into ``群发扣点`` (really used: Σ §2.4 ``actual``) and, while a task
  has not ended, ``群发预扣`` (charged at its start for recipients not yet sent, refunded at the
  end for the ones never sent).

A task belongs to the day of its ``send_time`` (as in §2.1's ``date``); deleted tasks keep their
statistics. The statistics ``task_id`` of §2.3/§2.4 is the §3.1 ``task_id``, never the send id.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from sandbox import delivery
from sandbox.control import control, json_error, json_response
from sandbox.ops import OpContext, OpError, operation
from sandbox.xml import XML_CONTENT_TYPE, XML_DECLARATION, Node, _render, leaf, node, text

if TYPE_CHECKING:
    from sandbox.app import SandboxApp

#: §2.3 ``type``: the names and the codes both work; "all"/-1 is every failure.
FAIL_TYPES = {
    "format_error": 9,
    "invalid_addr": 8,
    "not_exist": 1,
    "over_quota": 2,
    "user_reject": 3,
}
FAIL_CODES = (1, 2, 3, 5, 8, 9)
OUT_TYPES = ("", "file", "json", "xml")
DEDUCTION_USED = "群发扣点"
DEDUCTION_RESERVED = "群发预扣"
_STRICT_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# -- counting ------------------------------------------------------------------------------------


@dataclass
class Counts:
    """One task's statistics as of now."""

    recipients: int = 0  # planned (copied from the list at the start)
    processed: int = 0
    delivered: int = 0
    send_count: int = 0  # handed to the receiving servers: delivered + bounced
    error_count: int = 0  # never sent: spam-rejected, invalid, format errors
    not_exist: int = 0
    over_quota: int = 0
    user_reject: int = 0
    spam: int = 0
    invalid: int = 0
    format_error: int = 0
    reserved: int = 0  # pre-charged credits not yet used or refunded

    @property
    def failed(self) -> int:
        return self.not_exist + self.over_quota + self.user_reject + self.spam

    @property
    def invalid_total(self) -> int:
        return self.invalid + self.format_error

    @property
    def actual(self) -> int:
        return self.send_count


def task_counts(conn, task: dict[str, Any], now: float) -> Counts:
    if not task["recipients"]:
        return Counts()
    p = delivery.progress(conn, task, now)
    by = dict.fromkeys(FAIL_CODES, 0)
    for outcome, count in conn.execute(
        "SELECT outcome, COUNT(*) FROM delivery_recipients WHERE task_id = ? AND outcome <> 0 "
        "AND seq < ? GROUP BY outcome",
        (task["id"], p.processed),
    ):
        by[outcome] = count
    counts = Counts(
        recipients=task["recipients"],
        processed=p.processed,
        delivered=p.delivered,
        send_count=p.send_count,
        error_count=p.error_count,
        not_exist=by[1],
        over_quota=by[2],
        user_reject=by[3],
        spam=by[5],
        invalid=by[8],
        format_error=by[9],
    )
    if task["quota_charged"] and not task["quota_settled"]:
        counts.reserved = max(0, task["recipients"] - p.send_count)
    return counts


# -- parameters and task selection ----------------------------------------------------------------


def _date(ctx: OpContext, *, required: bool, strict: bool = False) -> str | None:
    raw = (ctx.param("date") or "").strip()
    if not raw:
        if required:
            raise OpError("error", "缺少参数：date")
        return None
    if strict and not _STRICT_DATE.match(raw):
        raise OpError("error", f"参数错误：date={raw}（格式必须是 YYYY-MM-DD）")
    try:
        return dt.date.fromisoformat(raw).isoformat()
    except ValueError:
        raise OpError("error", f"参数错误：date={raw}（格式 YYYY-MM-DD）") from None


def _int_param(ctx: OpContext, name: str) -> int | None:
    raw = (ctx.param(name) or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise OpError("error", f"参数错误：{name}={raw}") from None


def _tasks(
    ctx: OpContext,
    *,
    day: str | None = None,
    send_id: int | None = None,
    ident: str | None = None,
    stat_id: int | None = None,
) -> list[dict[str, Any]]:
    """The account's tasks (deleted ones too) matching every given filter, advanced to now."""
    delivery.advance(ctx.store, ctx.clock, account_id=ctx.account["id"])
    where, args = ["account_id = ?"], [ctx.account["id"]]
    if day:
        where.append("substr(send_time, 1, 10) = ?")
        args.append(day)
    if send_id is not None:
        where.append("id = ?")
        args.append(send_id)
    if ident:
        where.append("sn = ?")
        args.append(ident)
    if stat_id is not None:
        where.append("stat_task_id = ?")
        args.append(stat_id)
    sql = f"SELECT * FROM send_tasks WHERE {' AND '.join(where)} ORDER BY id"  # noqa: S608
    return [dict(r) for r in ctx.store.conn.execute(sql, args)]


def _fail_type(ctx: OpContext) -> tuple[int, ...]:
    raw = (ctx.param("type") or "").strip()
    if not raw:
        raise OpError("error", "缺少参数：type")
    if raw in ("all", "-1"):
        return FAIL_CODES
    if raw in FAIL_TYPES:
        return (FAIL_TYPES[raw],)
    if raw.lstrip("-").isdigit() and int(raw) in FAIL_CODES:
        return (int(raw),)
    raise OpError("error", f"参数错误：type={raw}")


def _out_type(ctx: OpContext) -> str:
    raw = (ctx.param("out_type") or "").strip().lower()
    if raw not in OUT_TYPES:
        raise OpError("error", f"参数错误：out_type={raw}（可取 file、json、xml）")
    return raw


# -- §2.2 ----------------------------------------------------------------------------------------


@operation("statistic.php")
def statistic(ctx: OpContext) -> Node:
    """§2.2 获取指定日期的群发统计概览."""
    day = _date(ctx, required=True)
    now = ctx.clock.now().timestamp()
    conn = ctx.store.conn
    total = Counts()
    started = 0
    for task in _tasks(ctx, day=day):
        if task["recipients"] is None:
            continue
        started += 1
        c = task_counts(conn, task, now)
        for name in (
            "recipients",
            "processed",
            "delivered",
            "send_count",
            "error_count",
            "not_exist",
            "over_quota",
            "user_reject",
            "spam",
            "invalid",
            "format_error",
        ):
            setattr(total, name, getattr(total, name) + getattr(c, name))
    return node(
        "statistic",
        leaf("date", day),
        leaf("ws_qty", started),
        leaf("ws_error", total.error_count),
        leaf("ws_count", total.processed),
        leaf("invalid_addr", total.invalid),
        leaf("format_error", total.format_error),
        leaf("send_count", total.recipients),
        leaf("deduc_count", total.recipients),
        leaf("actual_send", total.delivered),
        leaf("send_error", total.failed),
        leaf("actual_deduc", total.actual),
    )


# -- §2.4 ----------------------------------------------------------------------------------------


def _stask_node(task: dict[str, Any], c: Counts) -> Node:
    return node(
        "task",
        leaf("task_id", task["stat_task_id"]),
        leaf("task_date", task["send_time"][:10]),
        leaf("task_ident", task["sn"]),
        leaf("totalsum", c.recipients),
        leaf("total", c.send_count),
        leaf("invalid", c.invalid_total),
        leaf("failed", c.failed),
        leaf("success", c.delivered),
        leaf("email_not_exist", c.not_exist),
        leaf("actual", c.actual),
        leaf("over_quota", c.over_quota),
        leaf("user_reject", c.user_reject),
        leaf("rubbish", c.spam),
    )


@operation("stask.php")
def stask(ctx: OpContext) -> Node:
    """§2.4 指定日期邮件批次发送统计表信息: a day's batches, or one by ``ident`` / ``id``.

    Only batches that have started have statistics (one not yet sent is left out)."""
    day = _date(ctx, required=False)
    ident = (ctx.param("ident") or "").strip() or None
    send_id = _int_param(ctx, "id")
    if not (day or ident or send_id is not None):
        raise OpError("error", "缺少参数：date、ident、id 必须传一个")
    if ident or send_id is not None:
        tasks = _tasks(ctx, ident=ident, send_id=None if ident else send_id)
        if not tasks:
            raise OpError("error", f"任务不存在：{ident or send_id}")
    else:
        tasks = _tasks(ctx, day=day)
    now = ctx.clock.now().timestamp()
    conn = ctx.store.conn
    rows = [_stask_node(t, task_counts(conn, t, now)) for t in tasks if t["recipients"] is not None]
    return node("data", rows)


# -- §2.5 ----------------------------------------------------------------------------------------


@operation("deduction.php")
def deduction(ctx: OpContext) -> Node:
    """§2.5 指定日期扣点信息: the day's credits, used and still reserved."""
    day = _date(ctx, required=True)
    now = ctx.clock.now().timestamp()
    conn = ctx.store.conn
    used_num = used = reserved_num = reserved = 0
    for task in _tasks(ctx, day=day):
        if task["recipients"] is None:
            continue
        c = task_counts(conn, task, now)
        used_num += c.send_count
        used += c.actual
        if c.reserved:
            reserved_num += c.reserved
            reserved += c.reserved
    company = ctx.account.get("company") or ctx.account["username"]
    rows = []
    if used_num or used:
        rows.append(_deduction_node(day, company, DEDUCTION_USED, used_num, used))
    if reserved:
        rows.append(_deduction_node(day, company, DEDUCTION_RESERVED, reserved_num, reserved))
    return node("data", rows)


def _deduction_node(day: str, company: str, kind: str, send_num: int, total: int) -> Node:
    return node(
        "list",
        leaf("date", day),
        text("company", company),
        text("deduction", kind),
        leaf("send_num", send_num),
        leaf("total", total),
    )


# -- §2.3 ----------------------------------------------------------------------------------------


def _failures(
    conn, tasks: list[dict[str, Any]], codes: tuple[int, ...], now: float
) -> Iterator[tuple[str, int, int]]:
    """(email, type, statistics task id) of every failure processed so far, task by task."""
    marks = ",".join("?" for _ in codes)
    for task in tasks:
        if not task["recipients"]:
            continue
        processed = delivery.progress(conn, task, now).processed
        rows = conn.execute(
            f"SELECT email, outcome FROM delivery_recipients WHERE task_id = ? "  # noqa: S608
            f"AND outcome IN ({marks}) AND seq < ? ORDER BY seq",
            (task["id"], *codes, processed),
        )
        for email, outcome in rows:
            yield email, outcome, task["stat_task_id"]


def _export(rows: Iterable[tuple[str, int, int]], out_type: str, *, full: bool) -> Response:
    """The failures in the requested format, streamed."""

    def chunks(lines: Iterable[str], head: str = "", tail: str = "") -> Iterator[bytes]:
        batch: list[str] = [head] if head else []
        for line in lines:
            batch.append(line)
            if len(batch) >= 2000:
                yield "".join(batch).encode()
                batch = []
        if tail:
            batch.append(tail)
        if batch:
            yield "".join(batch).encode()

    if out_type == "json":

        def items() -> Iterator[str]:
            for i, (email, code, task_id) in enumerate(rows):
                sep = "," if i else ""
                if full:
                    item = {"email": email, "type": str(code), "task_id": str(task_id)}
                    yield f"{sep}\n    {json.dumps(item, ensure_ascii=False)}"
                else:
                    yield f"{sep}\n    {json.dumps(email, ensure_ascii=False)}"

        return Response(
            chunks(items(), "[", "\n]\n"), content_type="application/json; charset=utf-8"
        )
    if out_type == "xml":

        def recipients() -> Iterator[str]:
            for email, code, task_id in rows:
                parts: list[str] = []
                children = [text("email", email)]
                if full:
                    children += [leaf("type", code), leaf("task_id", task_id)]
                _render(node("recipient", children), 1, parts)
                yield "\n".join(parts) + "\n"

        head = XML_DECLARATION + "\n<fail_recipient_list>\n"
        return Response(
            chunks(recipients(), head, "</fail_recipient_list>\n"),
            content_type=XML_CONTENT_TYPE,
        )
    if out_type == "file":

        def csv_lines() -> Iterator[str]:
            for email, code, task_id in rows:
                yield f"{_csv(email)},{code},{task_id}\r\n" if full else f"{_csv(email)}\r\n"

        head = "email,type,task_id\r\n" if full else "email\r\n"
        response = Response(chunks(csv_lines(), head), content_type="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = "attachment; filename=failexport.csv"
        return response
    return Response(
        chunks(f"{email}\n" for email, _, _ in rows), content_type="text/plain; charset=utf-8"
    )


def _csv(value: str) -> str:
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


@operation("failexport.php")
def failexport(ctx: OpContext) -> Response:
    """§2.3.1 只导出发送失败地址: ``date`` (strict YYYY-MM-DD) and ``type`` required; for types
    1, 2, 3 also ``task_id`` (the statistics id) or ``task_ident``."""
    day = _date(ctx, required=True, strict=True)
    codes = _fail_type(ctx)
    out_type = _out_type(ctx)
    stat_id = _int_param(ctx, "task_id")
    ident = (ctx.param("task_ident") or "").strip() or None
    if codes in ((1,), (2,), (3,)) and stat_id is None and not ident:
        raise OpError("error", "type 为 1、2、3 时，task_id 或 task_ident 必须传一个")
    tasks = _tasks(ctx, day=day, stat_id=stat_id, ident=ident)
    if (stat_id is not None or ident) and not tasks:
        raise OpError("error", f"任务不存在：{ident or stat_id}")
    now = ctx.clock.now().timestamp()
    return _export(_failures(ctx.store.conn, tasks, codes, now), out_type, full=False)


@operation("failexportall.php")
def failexportall(ctx: OpContext) -> Response:
    """§2.3.2 导出发送失败地址以及错误类型以及 task_id: one of ``date``, ``task_id``,
    ``task_ident``; ``type`` required."""
    day = _date(ctx, required=False, strict=True)
    stat_id = _int_param(ctx, "task_id")
    ident = (ctx.param("task_ident") or "").strip() or None
    if not (day or stat_id is not None or ident):
        raise OpError("error", "缺少参数：date、task_id、task_ident 必须传一个")
    codes = _fail_type(ctx)
    # L456-458: types 1, 2, 3 need task_id or task_ident (a whole day only when permissive).
    if ctx.strict and codes in ((1,), (2,), (3,)) and stat_id is None and not ident:
        raise OpError("error", "type 为 1、2、3 时，task_id 或 task_ident 必须传一个")
    out_type = _out_type(ctx)
    tasks = _tasks(ctx, day=day, stat_id=stat_id, ident=ident)
    if (stat_id is not None or ident) and not tasks:
        raise OpError("error", f"任务不存在：{ident or stat_id}")
    now = ctx.clock.now().timestamp()
    return _export(_failures(ctx.store.conn, tasks, codes, now), out_type, full=True)


# -- control: history for load tests ------------------------------------------------------------


@control("/stats/generate", methods=("POST",))
def generate_history(app: SandboxApp, request: Request) -> Response:
    """``{"username": "demo", "tasks": 10000, "days": 365, "list_id": 501, "tpl_id": 501}``:
    add that many finished send tasks spread over the last ``days`` days (every third one
    tracks opens only, one in ten none), each run through the delivery simulation like the
    seeded history, so §2, §3 and §6.1 all see them. For benchmarks and demos."""
    from sandbox.ops.tasks import _identities

    try:
        body = json.loads(request.get_data(as_text=True) or "{}")
        username = str(body.get("username", "demo"))
        count = int(body.get("tasks", 100))
        days = int(body.get("days", 30))
        list_id = int(body.get("list_id", 501))
        tpl_id = int(body.get("tpl_id", 501))
    except (ValueError, TypeError, AttributeError) as exc:
        return json_error(f"bad body: {exc}", 400)
    if not 0 < count <= 100_000 or not 0 < days <= 3660:
        return json_error("tasks must be 1..100000 and days 1..3660", 400)
    account = app.store.account_by_username(username)
    if account is None:
        return json_error(f"no such account: {username}", 404)
    store, clock = app.store, app.clock
    conn = store.conn
    maillist = conn.execute(
        "SELECT subject FROM maillists WHERE id = ? AND account_id = ?", (list_id, account["id"])
    ).fetchone()
    if maillist is None:
        return json_error(f"no list {list_id} for {username}", 404)
    now = clock.now()
    # Oldest first, all at least a day old so that they have finished.
    step = max(1.0, (days - 1) * 86400 / count)
    ids: list[int] = []
    with store.transaction():
        for i in range(count):
            when = now - dt.timedelta(days=days) + dt.timedelta(seconds=step * i)
            created = when - dt.timedelta(hours=1)
            track = 0 if i % 10 == 9 else (1 if i % 3 == 2 else 2)
            cur = conn.execute(
                "INSERT INTO send_tasks (account_id, sn, stat_task_id, track_id, tpl_ids, "
                "list_id, list_name, acct_type, send_time, send_epoch, status, track_status, "
                "created_at, created_epoch, queued_epoch, fixed_speed, seed, quota_charged) "
                "VALUES (?, '', 0, 0, ?, ?, ?, 'all', ?, ?, 1, ?, ?, ?, ?, 1, 0, 1)",
                (
                    account["id"],
                    str(tpl_id),
                    list_id,
                    maillist["subject"],
                    when.strftime(delivery.PLATFORM_FORMAT),
                    when.timestamp(),
                    track,
                    created.strftime(delivery.PLATFORM_FORMAT),
                    created.timestamp(),
                    created.timestamp(),
                ),
            )
            sn, stat_id, track_id, seed, task_id = _identities(
                cur.lastrowid, account["id"], created
            )
            conn.execute(
                "UPDATE send_tasks SET sn = ?, stat_task_id = ?, track_id = ?, seed = ? "
                "WHERE id = ?",
                (sn, stat_id, track_id, seed, task_id),
            )
            ids.append(task_id)
    delivery.advance(store, clock, account_id=account["id"])
    finished = conn.execute(
        "SELECT COUNT(*) FROM send_tasks WHERE status = 3 AND id BETWEEN ? AND ?",
        (ids[0], ids[-1]),
    ).fetchone()[0]
    return json_response(
        {"created": len(ids), "first_id": ids[0], "last_id": ids[-1], "finished": finished}
    )
