"""§3.3 click detail, §3.4 tracked-address export and §3.5 link statistics.

``track.php?do=click-detail`` and ``do=link-stat`` take ``id`` (send id) or ``ident`` (wins),
and optionally ``link_id``; ``trackexport.php`` takes the §3.1 ``track_id``. All are computed
from the delivery simulation's rows as of now, exactly like §3.1 and §3.2 in
:mod:`sandbox.ops.tracking` (same clock, same "clicks so far" arithmetic), so §3.5 equals §3.1's
``link_statistic`` and §3.3's rows add up to it.

Where the documentation is silent:

* §3.3 ``click_id`` is a stable id of one recipient's clicks on one link
  (``email_id * 1000 + the link's position in the task``); ``click_unique`` is 1 per row.
* An unknown ``link_id`` (or another task's) answers ``error`` / ``链接不存在：ID``.
* §3.4's format is not documented: a UTF-8 CSV attachment with a header row, one tracked
  address a line (an opener; with ``is_click=1`` or ``link_id`` only clickers):
  ``email,open_total,click_total,open_first,open_last,click_first,click_last,browser,os,area``.
  ``email_id`` narrows it to that address. An unknown or another account's ``track_id`` is
  ``error`` / ``任务不存在``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from werkzeug.wrappers import Response

from sandbox import delivery
from sandbox.ops import OpContext, OpError, operation
from sandbox.ops.tracking import count_sql, latest_sql, resolve_task
from sandbox.xml import XML_CONTENT_TYPE, XML_DECLARATION, Node, _render, leaf, node, text

SCRIPT = "track.php"
EXPORT_HEADER = (
    "email",
    "open_total",
    "click_total",
    "open_first",
    "open_last",
    "click_first",
    "click_last",
    "browser",
    "os",
    "area",
)


def _links(conn, task_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, url FROM delivery_links WHERE task_id = ? ORDER BY position, id", (task_id,)
    )
    return [dict(r) for r in rows]


def _link_filter(ctx: OpContext, links: list[dict[str, Any]]) -> int | None:
    raw = (ctx.param("link_id") or "").strip()
    if not raw:
        return None
    try:
        link_id = int(raw)
    except ValueError:
        raise OpError("error", f"参数错误：link_id={raw}") from None
    if link_id not in {link["id"] for link in links}:
        raise OpError("error", f"链接不存在：{link_id}")
    return link_id


def _stream(root: str, nodes: Iterator[Node]) -> Response:
    def body() -> Iterator[bytes]:
        yield (XML_DECLARATION + f"\n<{root}>\n").encode()
        batch: list[str] = []
        for n in nodes:
            _render(n, 1, batch)
            if len(batch) >= 3000:
                yield ("\n".join(batch) + "\n").encode()
                batch = []
        if batch:
            yield ("\n".join(batch) + "\n").encode()
        yield f"</{root}>\n".encode()

    return Response(body(), content_type=XML_CONTENT_TYPE)


@operation(SCRIPT, "link-stat")
def link_stat(ctx: OpContext) -> Node:
    """§3.5 指定批次的邮件各链接的点击统计."""
    task = resolve_task(ctx)
    conn = ctx.store.conn
    links = _links(conn, task["id"])
    only = _link_filter(ctx, links)
    p = delivery.progress(conn, task, ctx.clock.now().timestamp())
    when, tz = p.timeline.epoch, ctx.clock.tz
    stats = {
        r["link_id"]: r
        for r in conn.execute(
            f"SELECT c.link_id, COUNT(*) AS uniq, SUM({count_sql('c.first', 'c.last', 'c.count')})"  # noqa: S608, E501
            f" AS total, MIN(c.first) AS first, MAX({latest_sql('c.first', 'c.last', 'c.count')})"
            " AS last FROM delivery_clicks c JOIN delivery_recipients r "
            "ON r.task_id = c.task_id AND r.seq = c.seq "
            "WHERE c.task_id = :task AND c.first <= :t AND r.sent_off <= :limit "
            "GROUP BY c.link_id",
            {"task": task["id"], "t": p.sim, "limit": p.sent_limit},
        )
    }
    out = []
    for link in links:
        if only is not None and link["id"] != only:
            continue
        s = stats.get(link["id"])
        out.append(
            node(
                "link",
                leaf("link_id", link["id"]),
                text("link", link["url"]),
                leaf("click_unique", s["uniq"] if s else 0),
                leaf("click_total", s["total"] if s else 0),
                leaf("click_first", delivery.fmt_epoch(when(s["first"]), tz) if s else ""),
                leaf("click_last", delivery.fmt_epoch(when(s["last"]), tz) if s else ""),
            )
        )
    return node("data", out)


@operation(SCRIPT, "click-detail")
def click_detail(ctx: OpContext) -> Response:
    """§3.3 获取指定任务链接点击统计详情: one ``<click>`` per recipient and link clicked,
    in the order of the first click, streamed."""
    task = resolve_task(ctx)
    conn = ctx.store.conn
    links = _links(conn, task["id"])
    only = _link_filter(ctx, links)
    position = {link["id"]: i for i, link in enumerate(links)}
    urls = {link["id"]: link["url"] for link in links}
    p = delivery.progress(conn, task, ctx.clock.now().timestamp())
    when, tz = p.timeline.epoch, ctx.clock.tz
    where = "c.task_id = :task AND c.first <= :t AND r.sent_off <= :limit"
    if only is not None:
        where += " AND c.link_id = :link"
    rows = conn.execute(
        f"SELECT r.id AS email_id, r.email, c.link_id, "  # noqa: S608
        f"{count_sql('c.first', 'c.last', 'c.count')} AS total, c.first, "
        f"{latest_sql('c.first', 'c.last', 'c.count')} AS last "
        "FROM delivery_clicks c JOIN delivery_recipients r "
        f"ON r.task_id = c.task_id AND r.seq = c.seq WHERE {where} ORDER BY c.first, r.id",
        {"task": task["id"], "t": p.sim, "limit": p.sent_limit, "link": only},
    )

    def clicks() -> Iterator[Node]:
        for r in rows:
            yield node(
                "click",
                leaf("click_id", r["email_id"] * 1000 + position.get(r["link_id"], 999)),
                text("email", r["email"]),
                text("link", urls.get(r["link_id"], "")),
                leaf("click_unique", 1),
                leaf("click_total", r["total"]),
                leaf("click_first", delivery.fmt_epoch(when(r["first"]), tz)),
                leaf("click_last", delivery.fmt_epoch(when(r["last"]), tz)),
            )

    return _stream("data", clicks())


def _csv(value: object) -> str:
    raw = "" if value is None else str(value)
    if any(c in raw for c in ',"\r\n'):
        return '"' + raw.replace('"', '""') + '"'
    return raw


@operation("trackexport.php")
def track_export(ctx: OpContext) -> Response:
    """§3.4 导出指定群发任务跟踪邮箱信息 (the format is not documented: CSV, see above)."""
    raw = (ctx.require("track_id") or "").strip()
    try:
        track_id = int(raw)
    except ValueError:
        raise OpError("error", f"参数错误：track_id={raw}") from None
    conn = ctx.store.conn
    row = conn.execute(
        "SELECT id FROM send_tasks WHERE track_id = ? AND account_id = ?",
        (track_id, ctx.account["id"]),
    ).fetchone()
    if row is None:
        raise OpError("error", f"任务不存在：{track_id}")
    delivery.advance(ctx.store, ctx.clock, task_id=row["id"])
    task = dict(conn.execute("SELECT * FROM send_tasks WHERE id = ?", (row["id"],)).fetchone())
    links = _links(conn, task["id"])
    link_id = _link_filter(ctx, links)
    is_click = (ctx.param("is_click") or "0").strip()
    if is_click not in ("0", "1"):
        raise OpError("error", f"参数错误：is_click={is_click}")
    email_id = None
    if (ctx.param("email_id") or "").strip():
        try:
            email_id = int(ctx.param("email_id"))
        except ValueError:
            raise OpError("error", f"参数错误：email_id={ctx.param('email_id')}") from None
    p = delivery.progress(conn, task, ctx.clock.now().timestamp())
    when, tz = p.timeline.epoch, ctx.clock.tz
    click_filter = "c.seq IS NOT NULL" if (is_click == "1" or link_id is not None) else "1"
    rows = conn.execute(
        "SELECT r.id, r.email, r.browser, r.os, r.addr_first, r.open_first, r.open_last, "  # noqa: S608
        "r.open_count, c.total AS click_total, c.first AS click_first, c.last AS click_last "
        "FROM delivery_recipients r LEFT JOIN ("
        f"  SELECT seq, SUM({count_sql('first', 'last', 'count')}) AS total, MIN(first) AS first,"
        f"  MAX({latest_sql('first', 'last', 'count')}) AS last FROM delivery_clicks "
        "  WHERE task_id = :task AND first <= :t AND (:link IS NULL OR link_id = :link) "
        "  GROUP BY seq"
        ") c ON c.seq = r.seq "
        "WHERE r.task_id = :task AND r.open_first <= :t AND r.sent_off <= :limit "
        f"AND (:email IS NULL OR r.id = :email) AND {click_filter} ORDER BY r.open_first, r.id",
        {
            "task": task["id"],
            "t": p.sim,
            "limit": p.sent_limit,
            "link": link_id,
            "email": email_id,
        },
    )

    def lines() -> Iterator[bytes]:
        yield (",".join(EXPORT_HEADER) + "\r\n").encode()
        batch: list[str] = []
        for r in rows:
            opened = delivery.count_at(r["open_first"], r["open_last"], r["open_count"], p.sim)
            latest = delivery.latest_at(r["open_first"], r["open_last"], r["open_count"], p.sim)
            values = (
                r["email"],
                opened,
                r["click_total"] or 0,
                delivery.fmt_epoch(when(r["open_first"]), tz),
                delivery.fmt_epoch(when(latest), tz),
                delivery.fmt_epoch(when(r["click_first"]), tz),
                delivery.fmt_epoch(when(r["click_last"]), tz),
                r["browser"],
                r["os"],
                r["addr_first"],
            )
            batch.append(",".join(_csv(v) for v in values) + "\r\n")
            if len(batch) >= 2000:
                yield "".join(batch).encode()
                batch = []
        if batch:
            yield "".join(batch).encode()

    response = Response(lines(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f"attachment; filename=track-{track_id}.csv"
    return response
