"""§3 Tracking — ``track.php``: §3.1 overview and §3.2 open detail.

Both are computed from the delivery simulation's rows (:mod:`sandbox.delivery`) as of now: a
recipient counts as an opener once its first open's simulated offset has passed, its opens so
far are spread evenly between its first and last open, and clicks likewise per link. §3.3–§3.5
(click detail, tracked-address export, link statistics) belong to the analytics section and
build on the same rows and the helpers here (:func:`resolve_task`, :func:`count_sql`).

``id`` is the send id (what add-task returned), ``ident`` the batch number; with both, ``ident``
wins (as §3.2 says). An unknown or another account's task answers ``error`` / ``任务不存在``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

from sandbox import delivery
from sandbox.ops import OpContext, OpError, operation
from sandbox.xml import XML_CONTENT_TYPE, XML_DECLARATION, Node, cdata, leaf, node, text

SCRIPT = "track.php"
STAMP = "%Y-%m-%d %H:%M:%S"


def resolve_task(ctx: OpContext) -> dict[str, Any]:
    """The account's task named by ``ident`` (wins) or ``id``, advanced to now."""
    ident = (ctx.param("ident") or "").strip()
    raw_id = (ctx.param("id") or "").strip()
    if not ident and not raw_id:
        raise OpError("error", "缺少参数：id 或 ident 必须传一个")
    conn = ctx.store.conn
    if ident:
        row = conn.execute(
            "SELECT id FROM send_tasks WHERE sn = ? AND account_id = ?",
            (ident, ctx.account["id"]),
        ).fetchone()
    else:
        try:
            task_id = int(raw_id)
        except ValueError:
            raise OpError("error", f"参数错误：id={raw_id}") from None
        row = conn.execute(
            "SELECT id FROM send_tasks WHERE id = ? AND account_id = ?",
            (task_id, ctx.account["id"]),
        ).fetchone()
    if row is None:
        raise OpError("error", f"任务不存在：{ident or raw_id}")
    delivery.advance(ctx.store, ctx.clock, task_id=row["id"])
    return dict(conn.execute("SELECT * FROM send_tasks WHERE id = ?", (row["id"],)).fetchone())


def count_sql(first: str, last: str, count: str) -> str:
    """SQL for :func:`sandbox.delivery.count_at` with the offset bound as ``:t``."""
    return (
        f"(CASE WHEN {first} IS NULL OR {first} > :t THEN 0 "
        f"WHEN {last} <= :t OR {count} <= 1 THEN {count} "
        f"ELSE 1 + CAST((:t - {first}) / ({last} - {first}) * ({count} - 1) AS INTEGER) END)"
    )


def latest_sql(first: str, last: str, count: str) -> str:
    """SQL for :func:`sandbox.delivery.latest_at` (only meaningful where ``first <= :t``)."""
    k = f"CAST((:t - {first}) / ({last} - {first}) * ({count} - 1) AS INTEGER)"
    return (
        f"(CASE WHEN {last} <= :t OR {count} <= 1 THEN {last} "
        f"ELSE {first} + {k} * ({last} - {first}) / ({count} - 1) END)"
    )


def _ratio(part: int, whole: int) -> str:
    return f"{(100.0 * part / whole) if whole else 0.0:.2f}%"


@operation(SCRIPT, "overview")
def overview(ctx: OpContext) -> Node:
    """§3.1 获取指定群发任务的跟踪统计概览."""
    task = resolve_task(ctx)
    conn = ctx.store.conn
    now = ctx.clock.now().timestamp()
    p = delivery.progress(conn, task, now)
    when = p.timeline.epoch
    tz = ctx.clock.tz
    args = {"task": task["id"], "t": p.sim, "limit": p.sent_limit}
    opens = conn.execute(
        f"SELECT COUNT(*), SUM({count_sql('open_first', 'open_last', 'open_count')}), "  # noqa: S608
        f"MIN(open_first), MAX({latest_sql('open_first', 'open_last', 'open_count')}) "
        "FROM delivery_recipients WHERE task_id = :task AND open_first <= :t "
        "AND sent_off <= :limit",
        args,
    ).fetchone()
    clicks_by_link = {
        r["link_id"]: r
        for r in conn.execute(
            f"SELECT c.link_id, COUNT(*) AS uniq, SUM({count_sql('c.first', 'c.last', 'c.count')})"  # noqa: S608, E501
            f" AS total, MIN(c.first) AS first, MAX({latest_sql('c.first', 'c.last', 'c.count')})"
            " AS last FROM delivery_clicks c JOIN delivery_recipients r "
            "ON r.task_id = c.task_id AND r.seq = c.seq "
            "WHERE c.task_id = :task AND c.first <= :t AND r.sent_off <= :limit "
            "GROUP BY c.link_id",
            args,
        )
    }
    clicks = conn.execute(
        f"SELECT COUNT(DISTINCT c.seq), SUM({count_sql('c.first', 'c.last', 'c.count')}), "  # noqa: S608
        f"MIN(c.first), MAX({latest_sql('c.first', 'c.last', 'c.count')}) "
        "FROM delivery_clicks c JOIN delivery_recipients r "
        "ON r.task_id = c.task_id AND r.seq = c.seq "
        "WHERE c.task_id = :task AND c.first <= :t AND r.sent_off <= :limit",
        args,
    ).fetchone()
    links = conn.execute(
        "SELECT id, url FROM delivery_links WHERE task_id = ? ORDER BY position, id", (task["id"],)
    ).fetchall()
    open_unique, click_unique = opens[0] or 0, clicks[0] or 0
    return node(
        "track",
        leaf("track_id", task["track_id"]),
        leaf("task_id", task["stat_task_id"]),
        leaf("task_sn", task["sn"]),
        leaf("send_id", task["id"]),
        leaf("send_count", p.send_count),
        leaf("real_send_count", p.delivered),
        leaf("error_send_count", p.bounced),
        leaf("open_unique", open_unique),
        leaf("open_total", opens[1] or 0),
        leaf("open_first", delivery.fmt_epoch(when(opens[2]), tz)),
        leaf("open_last", delivery.fmt_epoch(when(opens[3]), tz)),
        leaf("click_unique", click_unique),
        leaf("click_total", clicks[1] or 0),
        leaf("click_first", delivery.fmt_epoch(when(clicks[2]), tz)),
        leaf("click_last", delivery.fmt_epoch(when(clicks[3]), tz)),
        leaf("open_ratio", _ratio(open_unique, p.delivered)),
        leaf("click_ratio", _ratio(click_unique, p.delivered)),
        node(
            "link_statistic",
            (_link_node(link, clicks_by_link.get(link["id"]), when, tz) for link in links),
        ),
    )


def _link_node(link, stats, when, tz) -> Node:
    return node(
        "link",
        leaf("link_id", link["id"]),
        text("link", link["url"]),
        leaf("click_unique", stats["uniq"] if stats else 0),
        leaf("click_total", stats["total"] if stats else 0),
        leaf("click_first", delivery.fmt_epoch(when(stats["first"]), tz) if stats else ""),
        leaf("click_last", delivery.fmt_epoch(when(stats["last"]), tz) if stats else ""),
    )


@operation(SCRIPT, "open-detail")
def open_detail(ctx: OpContext) -> Response:
    """§3.2 获取指定任务邮件打开统计详情: one ``<user>`` per opener, streamed (a million rows
    are never built in memory)."""
    task = resolve_task(ctx)
    conn = ctx.store.conn
    now = ctx.clock.now().timestamp()
    p = delivery.progress(conn, task, now)
    when = p.timeline.epoch
    rows = conn.execute(
        "SELECT r.id, r.email, r.browser, r.os, r.ip_first, r.ip_last, r.addr_first, r.addr_last, "  # noqa: S608, E501
        "r.open_first, r.open_last, r.open_count, c.total AS click_total, c.first AS click_first,"
        " c.last AS click_last FROM delivery_recipients r LEFT JOIN ("
        f"  SELECT seq, SUM({count_sql('first', 'last', 'count')}) AS total, MIN(first) AS first,"
        f"  MAX({latest_sql('first', 'last', 'count')}) AS last FROM delivery_clicks "
        "  WHERE task_id = :task AND first <= :t GROUP BY seq"
        ") c ON c.seq = r.seq "
        "WHERE r.task_id = :task AND r.open_first <= :t AND r.sent_off <= :limit "
        "ORDER BY r.open_first, r.id",
        {"task": task["id"], "t": p.sim, "limit": p.sent_limit},
    )

    offset = ctx.clock.now().utcoffset().total_seconds()

    def fmt(sim: float | None) -> str:
        epoch = when(sim)
        # time.strftime on a shifted gmtime: several times faster than datetime per row.
        return "" if epoch is None else time.strftime(STAMP, time.gmtime(epoch + offset))

    def users() -> Iterator[bytes]:
        yield (XML_DECLARATION + "\n<data>\n").encode()
        batch: list[str] = []
        for r in rows:
            opened = delivery.count_at(r["open_first"], r["open_last"], r["open_count"], p.sim)
            latest = delivery.latest_at(r["open_first"], r["open_last"], r["open_count"], p.sim)
            moved = opened > 1
            # The same shape sandbox.xml renders (CDATA for free text), written directly.
            batch.append(
                " <user>\n"
                f"  <email_id>{r['id']}</email_id>\n"
                f"  <email>{cdata(r['email'])}</email>\n"
                f"  <browser>{cdata(r['browser'])}</browser>\n"
                f"  <os>{cdata(r['os'])}</os>\n"
                f"  <addr_first>{cdata(r['addr_first'])}</addr_first>\n"
                f"  <ip_first>{escape(r['ip_first'])}</ip_first>\n"
                f"  <ip_last>{escape(r['ip_last'] if moved else r['ip_first'])}</ip_last>\n"
                f"  <addr_last>{cdata(r['addr_last'] if moved else r['addr_first'])}</addr_last>\n"
                f"  <open_total>{opened}</open_total>\n"
                f"  <click_total>{r['click_total'] or 0}</click_total>\n"
                f"  <open_first>{fmt(r['open_first'])}</open_first>\n"
                f"  <open_last>{fmt(latest)}</open_last>\n"
                f"  <click_first>{fmt(r['click_first'])}</click_first>\n"
                f"  <click_last>{fmt(r['click_last'])}</click_last>\n"
                " </user>\n"
            )
            if len(batch) >= 2000:
                yield "".join(batch).encode()
                batch = []
        if batch:
            yield "".join(batch).encode()
        yield b"</data>\n"

    return Response(users(), content_type=XML_CONTENT_TYPE)
