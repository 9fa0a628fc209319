"""The delivery simulation behind §5.1/§6 send tasks, §2 statistics and §3 tracking.

A send task is a row of ``send_tasks``. When it becomes due it *starts*: the addresses of its
list range are copied into ``delivery_recipients`` (one row each, the list as it is at that
moment) and every recipient's fate is drawn from a generator seeded by the task, so the same
task always gets the same outcomes: delivered or one of the §2.3 failure types, and, for
tracked tasks, when and how often it is opened and clicked, from which browser, OS, IP and area.
The platform's quota is charged for the recipients at the start (``预扣``); recipients that
were never sent (spam-rejected, invalid, format errors, or cut off by a cancel) are refunded
when the task ends.

Every time is an offset in *simulated* seconds from the task's start. The task's clock runs at
``speed`` simulated seconds per real second (``--speed`` on the command line, ``SANDBOX_DELIVERY_
SPEED``, or ``POST /_sandbox/delivery/settings``) and is recorded as segments in
``delivery_segments`` (a pause closes one, a resume or a speed change opens the next), so what a
reply shows is derived from the real clock and the stored rows alone: deterministic, and the same
after a restart. Nothing needs to run in the background for correctness; operations call
:func:`advance` before they answer, and ``serve`` also runs :class:`Engine` so that tasks start
(and quota is charged) while nobody asks.

See the "Send tasks and the delivery simulation" section of ``sandbox/README.md``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import logging
import os
import random
import re
import threading
import weakref
import zlib
from dataclasses import dataclass
from typing import Any

from sandbox import contacts_store as cs
from sandbox.clock import Clock
from sandbox.store import Store, register_schema

log = logging.getLogger("sandbox.delivery")

register_schema(
    """
CREATE TABLE IF NOT EXISTS send_tasks (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,   -- the send id (§6.1 id, §3.1 send_id)
    account_id     INTEGER NOT NULL,
    sn             TEXT    NOT NULL,                    -- the batch number (ident, task_sn)
    stat_task_id   INTEGER NOT NULL,                    -- the statistics task id (§2.3, §3.1)
    track_id       INTEGER NOT NULL,                    -- §3.1 track_id, §3.4
    tpl_ids        TEXT    NOT NULL,                    -- comma-separated, in rotation order
    list_id        INTEGER NOT NULL,
    list_name      TEXT    NOT NULL DEFAULT '',
    addr_type      INTEGER NOT NULL DEFAULT 0,
    acct_type      TEXT    NOT NULL,                    -- all / domain / address
    acct_domain    TEXT    NOT NULL DEFAULT '',
    acct_address   TEXT    NOT NULL DEFAULT '',
    sender_name    TEXT    NOT NULL DEFAULT '',
    replyto        TEXT    NOT NULL DEFAULT '',
    send_qty_start INTEGER NOT NULL DEFAULT 1,
    send_qty       INTEGER NOT NULL DEFAULT 0,
    send_qty_remak INTEGER NOT NULL DEFAULT 0,
    send_time      TEXT    NOT NULL,                    -- Beijing time, YYYY-MM-DD HH:MM:SS
    send_epoch     REAL    NOT NULL,
    immediate      INTEGER NOT NULL DEFAULT 0,          -- status 2: start without waiting
    status         INTEGER NOT NULL,                    -- -3 -2 -1 1 2 3
    subs_link      INTEGER NOT NULL DEFAULT 1,
    track_status   INTEGER NOT NULL DEFAULT 0,
    track_domain   TEXT    NOT NULL DEFAULT '',
    created_at     TEXT    NOT NULL,
    created_epoch  REAL    NOT NULL,
    queued_epoch   REAL    NOT NULL,                    -- last put in the queue (add, resume)
    fixed_speed    REAL,                                -- seeded history runs at real time
    seed           INTEGER NOT NULL,
    recipients     INTEGER,                             -- NULL until the task started
    duration       REAL,                                -- simulated seconds to send them all
    cutoff         REAL,                                -- cancelled at this simulated offset
    start_epoch    REAL,
    end_epoch      REAL,
    time_start     TEXT    NOT NULL DEFAULT '',
    time_end       TEXT    NOT NULL DEFAULT '',
    quota_charged  INTEGER NOT NULL DEFAULT 0,          -- 1: charged at start (or seeded)
    quota_settled  INTEGER NOT NULL DEFAULT 0,          -- 1: refunds of the unsent done
    note           TEXT    NOT NULL DEFAULT '',         -- why the platform held a task
    deleted        INTEGER NOT NULL DEFAULT 0           -- §6.4: gone from §6.1, kept for §2
);
CREATE INDEX IF NOT EXISTS send_tasks_account ON send_tasks(account_id, id);
CREATE INDEX IF NOT EXISTS send_tasks_due ON send_tasks(status, send_epoch);
CREATE INDEX IF NOT EXISTS send_tasks_sn ON send_tasks(sn);
CREATE UNIQUE INDEX IF NOT EXISTS send_tasks_stat ON send_tasks(stat_task_id);

-- The task's clock: simulated offset `sim_from` at real time `epoch_from`, running at `speed`
-- until `epoch_to` (NULL: still running).
CREATE TABLE IF NOT EXISTS delivery_segments (
    task_id    INTEGER NOT NULL,
    idx        INTEGER NOT NULL,
    sim_from   REAL    NOT NULL,
    epoch_from REAL    NOT NULL,
    speed      REAL    NOT NULL,
    epoch_to   REAL,
    PRIMARY KEY (task_id, idx)
);

-- One row per recipient; offsets are simulated seconds from the task's start.
-- outcome: 0 delivered, 1 not exist, 2 over quota, 3 user reject, 5 spam-rejected (not sent),
-- 8 invalid address (not sent), 9 format error (not sent) — the §2.3 type codes.
CREATE TABLE IF NOT EXISTS delivery_recipients (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,      -- §3.2 email_id
    task_id     INTEGER NOT NULL,
    seq         INTEGER NOT NULL,                       -- position in the send, from 0
    email       TEXT    NOT NULL,
    tpl_id      INTEGER NOT NULL,
    subject_idx INTEGER NOT NULL DEFAULT 0,
    outcome     INTEGER NOT NULL,
    sent_off    REAL    NOT NULL,
    open_first  REAL,
    open_last   REAL,
    open_count  INTEGER NOT NULL DEFAULT 0,
    click_first REAL,
    click_last  REAL,
    click_count INTEGER NOT NULL DEFAULT 0,
    browser     TEXT    NOT NULL DEFAULT '',
    os          TEXT    NOT NULL DEFAULT '',
    ip_first    TEXT    NOT NULL DEFAULT '',
    ip_last     TEXT    NOT NULL DEFAULT '',
    addr_first  TEXT    NOT NULL DEFAULT '',
    addr_last   TEXT    NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX IF NOT EXISTS delivery_recipients_seq ON delivery_recipients(task_id, seq);
CREATE INDEX IF NOT EXISTS delivery_recipients_open
    ON delivery_recipients(task_id, open_first) WHERE open_first IS NOT NULL;
CREATE INDEX IF NOT EXISTS delivery_recipients_outcome
    ON delivery_recipients(task_id, outcome, seq) WHERE outcome <> 0;

-- Links of the task's templates (tracked tasks), and each recipient's clicks per link.
CREATE TABLE IF NOT EXISTS delivery_links (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,         -- §3.1 link_id
    task_id  INTEGER NOT NULL,
    tpl_id   INTEGER NOT NULL,
    position INTEGER NOT NULL,
    url      TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS delivery_links_task ON delivery_links(task_id, id);
CREATE TABLE IF NOT EXISTS delivery_clicks (
    task_id INTEGER NOT NULL,
    link_id INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    first   REAL    NOT NULL,
    last    REAL    NOT NULL,
    count   INTEGER NOT NULL,
    PRIMARY KEY (task_id, link_id, seq)
) WITHOUT ROWID;

-- add-task calls, for the platform's 100-an-hour limit (real time, not the simulated clock).
CREATE TABLE IF NOT EXISTS task_add_calls (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    epoch      REAL    NOT NULL
);
CREATE INDEX IF NOT EXISTS task_add_calls_account ON task_add_calls(account_id, epoch);

CREATE TABLE IF NOT EXISTS delivery_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
)

# -- settings -------------------------------------------------------------------------------------

SPEED_ENV = "SANDBOX_DELIVERY_SPEED"
ADD_TASK_LIMIT = 100  # add-task calls an hour per account (§5.1 备注)
ADD_TASK_WINDOW = 3600.0

#: Defaults; ``speed`` can be changed for the process (``--speed``) with :func:`set_default_speed`.
DEFAULTS: dict[str, Any] = {
    # Simulated seconds per real second. At 60 a simulated hour takes a real minute.
    "speed": float(os.environ.get(SPEED_ENV, "60") or 60),
    # The platform sends 10,000 messages a simulated hour (2.8 a second) ...
    "rate_per_hour": 10000.0,
    # ... but spreads even a small task over ten simulated minutes,
    "min_send_seconds": 600.0,
    # after keeping it in its queue ("waiting") for five simulated minutes.
    "start_delay": 300.0,
    # null: each template/subject has its own open rate; a number forces one (load tests).
    "open_rate": None,
}
_NUMBERS = ("speed", "rate_per_hour", "min_send_seconds", "start_delay")


def set_default_speed(speed: float) -> None:
    if not speed > 0:
        raise ValueError("speed must be positive")
    DEFAULTS["speed"] = float(speed)


def settings(store: Store) -> dict[str, Any]:
    values = dict(DEFAULTS)
    for row in store.conn.execute("SELECT key, value FROM delivery_settings"):
        if row["key"] in values:
            values[row["key"]] = json.loads(row["value"])
    return values


def validate_settings(changes: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key in _NUMBERS:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key} must be a number")
            if key in ("speed", "rate_per_hour") and not value > 0:
                raise ValueError(f"{key} must be positive")
            if value < 0 or value > 1e9:
                raise ValueError(f"{key} is out of range")
            clean[key] = float(value)
        elif key == "open_rate":
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1
            ):
                raise ValueError("open_rate must be null or a number from 0 to 1")
            clean[key] = None if value is None else float(value)
        else:
            raise ValueError(f"unknown setting: {key}")
    return clean


def change_settings(store: Store, clock: Clock, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply validated settings; a new speed re-times every running task from now on."""
    clean = validate_settings(changes)
    now = clock.now().timestamp()
    with store.transaction() as conn:
        for key, value in clean.items():
            conn.execute(
                "INSERT INTO delivery_settings (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )
        if "speed" in clean:
            running = conn.execute(
                "SELECT s.task_id FROM delivery_segments s JOIN send_tasks t ON t.id = s.task_id "
                "WHERE s.epoch_to IS NULL AND t.fixed_speed IS NULL"
            ).fetchall()
            for row in running:
                _close_segment(conn, row["task_id"], now)
                _open_segment(conn, row["task_id"], now, clean["speed"])
    return settings(store)


def reset_settings(store: Store) -> dict[str, Any]:
    store.conn.execute("DELETE FROM delivery_settings")
    return settings(store)


# -- time -----------------------------------------------------------------------------------------

PLATFORM_FORMAT = "%Y-%m-%d %H:%M:%S"
_TIME_RE = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?\s*$"
)


def parse_platform_time(raw: str, tz: dt.tzinfo) -> dt.datetime | None:
    """§5.1/§6.2 ``time``: ``2017-7-4 16:08:56``, ``2017-7-4 16:08`` or ``2017-7-4``."""
    match = _TIME_RE.match(raw or "")
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None


def fmt_epoch(epoch: float | None, tz: dt.tzinfo) -> str:
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(epoch, tz).strftime(PLATFORM_FORMAT)


# -- the task clock ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    sim_from: float
    epoch_from: float
    speed: float
    epoch_to: float | None


def segments(conn, task_id: int) -> list[Segment]:
    rows = conn.execute(
        "SELECT sim_from, epoch_from, speed, epoch_to FROM delivery_segments "
        "WHERE task_id = ? ORDER BY idx",
        (task_id,),
    )
    return [Segment(r[0], r[1], r[2], r[3]) for r in rows]


def elapsed(segs: list[Segment], now: float) -> float:
    """Simulated seconds since the task started (0 before it did)."""
    if not segs:
        return 0.0
    last = segs[-1]
    until = now if last.epoch_to is None else min(now, last.epoch_to)
    return last.sim_from + max(0.0, until - last.epoch_from) * last.speed


class Timeline:
    """Simulated offset → real epoch, through the task's segments."""

    def __init__(self, segs: list[Segment]):
        self.segs = segs
        self._starts = [s.sim_from for s in segs]

    def epoch(self, offset: float | None) -> float | None:
        if offset is None or not self.segs:
            return None
        i = max(0, bisect.bisect_right(self._starts, offset) - 1)
        seg = self.segs[i]
        at = seg.epoch_from + (offset - seg.sim_from) / seg.speed
        # Offsets a fast-forward jumped over happened at the jump.
        return at if seg.epoch_to is None else min(at, seg.epoch_to)


def _open_segment(conn, task_id: int, epoch: float, speed: float) -> None:
    segs = segments(conn, task_id)
    sim = elapsed(segs, epoch) if segs else 0.0
    conn.execute(
        "INSERT INTO delivery_segments (task_id, idx, sim_from, epoch_from, speed) "
        "VALUES (?, ?, ?, ?, ?)",
        (task_id, len(segs), sim, epoch, speed),
    )


def _close_segment(conn, task_id: int, epoch: float) -> None:
    conn.execute(
        "UPDATE delivery_segments SET epoch_to = ? WHERE task_id = ? AND epoch_to IS NULL",
        (epoch, task_id),
    )


# -- what happens to each recipient -----------------------------------------------------------

DELIVERED, NOT_EXIST, OVER_QUOTA, USER_REJECT, SPAM, INVALID, FORMAT_ERROR = 0, 1, 2, 3, 5, 8, 9
NOT_SENT = (SPAM, INVALID, FORMAT_ERROR)
BOUNCES = (NOT_EXIST, OVER_QUOTA, USER_REJECT)
# Test hooks: addresses whose local part starts with these always get the outcome.
FORCED = (("bounce", NOT_EXIST), ("full", OVER_QUOTA), ("reject", USER_REJECT), ("spam", SPAM))
# (browser, os, weight): a Chinese audience's mail clients.
CLIENTS = (
    ("Chrome", "Windows 10", 22),
    ("WeChat", "Android", 14),
    ("Safari", "iOS", 16),
    ("Apple Mail", "macOS", 6),
    ("Outlook", "Windows 11", 8),
    ("Foxmail", "Windows 10", 9),
    ("QQ Browser", "Android", 10),
    ("Edge", "Windows 11", 7),
    ("Firefox", "Linux", 2),
    ("QQ Mail", "iOS", 6),
)
AREAS = (
    ("广东省深圳市", "113.116"),
    ("广东省广州市", "183.6"),
    ("北京市", "123.125"),
    ("上海市", "101.227"),
    ("浙江省杭州市", "115.236"),
    ("江苏省南京市", "180.110"),
    ("四川省成都市", "171.221"),
    ("湖北省武汉市", "27.17"),
    ("福建省厦门市", "117.28"),
    ("香港", "203.198"),
    ("美国 加利福尼亚州", "104.28"),
)
_CLIENT_WEIGHTS = [c[2] for c in CLIENTS]
_LINK_RE = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*["']?(https?://[^"'\s>]+)""", re.IGNORECASE)


def template_links(html: str) -> list[str]:
    """The http(s) links of a template, each once, in order (the platform rewrites these)."""
    seen: list[str] = []
    for url in _LINK_RE.findall(html or ""):
        if url not in seen:
            seen.append(url)
    return seen


def _unit(text: str) -> float:
    """A stable number in [0, 1) for a text."""
    return (zlib.crc32(text.encode("utf-8")) % 10007) / 10007


@dataclass(frozen=True)
class Variant:
    """What a template (with one of its subjects) does to readers, derived from its content."""

    tpl_id: int
    open_rates: tuple[float, ...]  # one per subject: the subject decides who opens
    click_rate: float
    spam_rate: float
    links: list[int]  # link ids of this template in the task


def variant_rates(*, subject: str, html: str, colour: str) -> tuple[float, float, float]:
    """(open rate, click rate among openers, spam-rejection rate): 12–38 % opens by subject,
    10–35 % clicks by content, spam rejections by the §5.3 colour."""
    open_rate = 0.12 + 0.26 * _unit("open:" + subject)
    click_rate = 0.10 + 0.25 * _unit("click:" + html)
    spam_rate = {"green": 0.006, "yellow": 0.02, "red_pass": 0.08}.get(colour, 0.006)
    return open_rate, click_rate, spam_rate


def _ip(rng: random.Random, prefix: str) -> str:
    parts = prefix.split(".")
    while len(parts) < 4:
        parts.append(str(rng.randint(1, 254)))
    return ".".join(parts)


def draw(
    rng: random.Random,
    *,
    email: str,
    sent_off: float,
    variant: Variant,
    subject_idx: int,
    track_status: int,
    open_rate: float | None,
) -> tuple[dict[str, Any], list[tuple[int, float, float, int]]]:
    """One recipient's fate: the row values and its clicks (link_id, first, last, count)."""
    local, _, domain = email.lower().partition("@")
    roll = rng.random()
    outcome = DELIVERED
    if domain.endswith(".invalid"):
        outcome = INVALID
    elif not cs.valid_email(email):
        outcome = FORMAT_ERROR
    else:
        forced = next((code for prefix, code in FORCED if local.startswith(prefix)), None)
        if forced is not None:
            outcome = forced
        elif roll < variant.spam_rate:
            outcome = SPAM
        elif roll < variant.spam_rate + 0.030:
            outcome = NOT_EXIST
        elif roll < variant.spam_rate + 0.040:
            outcome = OVER_QUOTA
        elif roll < variant.spam_rate + 0.048:
            outcome = USER_REJECT
        elif roll < variant.spam_rate + 0.053:
            outcome = INVALID
        elif roll < variant.spam_rate + 0.055:
            outcome = FORMAT_ERROR
    row: dict[str, Any] = {"outcome": outcome}
    clicks: list[tuple[int, float, float, int]] = []
    if outcome != DELIVERED or track_status == 0:
        return row, clicks
    rate = open_rate if open_rate is not None else variant.open_rates[subject_idx]
    if rng.random() >= rate:
        return row, clicks
    first = sent_off + 30 + min(rng.expovariate(1 / 7200), 72 * 3600)
    count = 1
    while count < 20 and rng.random() < 0.45:
        count += 1
    last = first + (rng.uniform(600, 86400) if count > 1 else 0.0)
    browser, os_name, _ = rng.choices(CLIENTS, weights=_CLIENT_WEIGHTS)[0]
    area_first = rng.choice(AREAS)
    area_last = rng.choice(AREAS) if count > 1 and rng.random() < 0.3 else area_first
    ip_first = _ip(rng, area_first[1])
    ip_last = ip_first if area_last is area_first else _ip(rng, area_last[1])
    row.update(
        open_first=first,
        open_last=last,
        open_count=count,
        browser=browser,
        os=os_name,
        ip_first=ip_first,
        ip_last=ip_last,
        addr_first=area_first[0],
        addr_last=area_last[0],
    )
    if track_status == 2 and variant.links and rng.random() < variant.click_rate:
        chosen = rng.sample(variant.links, k=rng.randint(1, min(3, len(variant.links))))
        for link_id in chosen:
            c_first = first + rng.uniform(5, 600)
            c_count = 1
            while c_count < 10 and rng.random() < 0.3:
                c_count += 1
            c_last = c_first + (rng.uniform(60, 7200) if c_count > 1 else 0.0)
            clicks.append((link_id, c_first, c_last, c_count))
        row.update(
            click_first=min(c[1] for c in clicks),
            click_last=max(c[2] for c in clicks),
            click_count=sum(c[3] for c in clicks),
        )
    return row, clicks


# -- starting, finishing, pausing -------------------------------------------------------------


def start_moment(task: dict[str, Any], conf: dict[str, Any]) -> float | None:
    """The real time a waiting task starts (None: it does not, e.g. on hold)."""
    if task["status"] != 1:
        return None
    queued = task["queued_epoch"] + conf["start_delay"] / conf["speed"]
    if task["immediate"]:
        return queued
    return max(task["send_epoch"], queued)


class _ConnStore:
    """What the templates module's helpers need of a Store: this transaction's connection."""

    def __init__(self, conn):
        self.conn = conn


def _variants(conn, task: dict[str, Any]) -> dict[int, Variant]:
    # The templates module owns its tables; its own helper gives the §5.3 verdict.
    from sandbox.ops.templates import _verdict

    variants: dict[int, Variant] = {}
    for position, tpl_id in enumerate(int(t) for t in task["tpl_ids"].split(",") if t):
        row = conn.execute("SELECT * FROM templates WHERE id = ?", (tpl_id,)).fetchone()
        if row is None:  # deleted after the task was created: the platform sends what it has
            variants[tpl_id] = Variant(tpl_id, (0.2,), 0.2, 0.006, [])
            continue
        verdict = _verdict(_ConnStore(conn), dict(row))
        rates = [
            variant_rates(subject=subject, html=row["content"], colour=verdict["colour"])
            for subject in (verdict.get("subjects") or [""])
        ]
        click_rate, spam_rate = rates[0][1], rates[0][2]
        links: list[int] = []
        if task["track_status"] == 2:
            for i, url in enumerate(template_links(row["content"])):
                cur = conn.execute(
                    "INSERT INTO delivery_links (task_id, tpl_id, position, url) "
                    "VALUES (?, ?, ?, ?)",
                    (task["id"], tpl_id, position * 1000 + i, url),
                )
                links.append(cur.lastrowid)
        open_rates = tuple(r[0] for r in rates)
        variants[tpl_id] = Variant(tpl_id, open_rates, click_rate, spam_rate, links)
    return variants


def range_count(conn, account_id: int, list_id: int, start: int, qty: int) -> int:
    """How many addresses §5.1's range ``send_qty_start``..``send_qty`` covers now."""
    total = cs.count_addresses(conn, account_id, list_id, "")
    end = total if qty == 0 else min(qty, total)
    return max(0, end - start + 1)


def _start(conn, task: dict[str, Any], at: float, conf: dict[str, Any], clock: Clock) -> None:
    """Copy the range, draw every recipient's fate, charge the quota, start the clock."""
    account = conn.execute("SELECT * FROM accounts WHERE id = ?", (task["account_id"],)).fetchone()
    if cs.get_list(conn, task["account_id"], task["list_id"]) is None:
        conn.execute(
            "UPDATE send_tasks SET status = -3, note = ?, recipients = 0 WHERE id = ?",
            ("联系人分类不存在，任务已取消", task["id"]),
        )
        return
    start, qty = task["send_qty_start"], task["send_qty"]
    n = range_count(conn, task["account_id"], task["list_id"], start, qty)
    if not task["quota_charged"] and (
        account is None or account["service_status"] != "enabled" or account["qty_available"] < n
    ):
        conn.execute(
            "UPDATE send_tasks SET status = -1, note = ? WHERE id = ?",
            ("可用点数不足或群发服务已停用，任务暂不发送", task["id"]),
        )
        return
    variants = _variants(conn, task)
    order = [int(t) for t in task["tpl_ids"].split(",") if t]
    rng = random.Random(task["seed"])
    duration = max(n / (conf["rate_per_hour"] / 3600.0), conf["min_send_seconds"]) if n else 0.0
    # Read lazily: a million addresses are not held in memory.
    rows = cs.page_addresses(
        conn, task["account_id"], task["list_id"], "", limit=n, offset=start - 1
    )
    recipients: list[tuple] = []
    clicks: list[tuple] = []

    def flush() -> None:
        conn.executemany(
            "INSERT INTO delivery_recipients (task_id, seq, email, tpl_id, subject_idx, outcome, "
            "sent_off, open_first, open_last, open_count, click_first, click_last, click_count, "
            "browser, os, ip_first, ip_last, addr_first, addr_last) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            recipients,
        )
        conn.executemany(
            "INSERT INTO delivery_clicks (task_id, link_id, seq, first, last, count) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            clicks,
        )
        recipients.clear()
        clicks.clear()

    k = len(order)
    for seq, address in enumerate(rows):
        email = address["address"]
        tpl_id = order[seq % k]
        variant = variants[tpl_id]
        subject_idx = (seq // k) % len(variant.open_rates)
        sent_off = duration * seq / n
        row, its_clicks = draw(
            rng,
            email=email,
            sent_off=sent_off,
            variant=variant,
            subject_idx=subject_idx,
            track_status=task["track_status"],
            open_rate=conf["open_rate"],
        )
        recipients.append(
            (
                task["id"],
                seq,
                email,
                tpl_id,
                subject_idx,
                row["outcome"],
                sent_off,
                row.get("open_first"),
                row.get("open_last"),
                row.get("open_count", 0),
                row.get("click_first"),
                row.get("click_last"),
                row.get("click_count", 0),
                row.get("browser", ""),
                row.get("os", ""),
                row.get("ip_first", ""),
                row.get("ip_last", ""),
                row.get("addr_first", ""),
                row.get("addr_last", ""),
            )
        )
        clicks += [(task["id"], link, seq, f, la, c) for link, f, la, c in its_clicks]
        if len(recipients) >= 20_000:
            flush()
    flush()
    if not task["quota_charged"]:
        conn.execute(
            "UPDATE accounts SET qty_available = qty_available - ? WHERE id = ?",
            (n, task["account_id"]),
        )
    conn.execute(
        "UPDATE send_tasks SET status = 2, recipients = ?, duration = ?, send_qty_remak = ?, "
        "start_epoch = ?, time_start = ?, quota_charged = 1 WHERE id = ?",
        (n, duration, n, at, fmt_epoch(at, clock.tz), task["id"]),
    )
    speed = task["fixed_speed"] or conf["speed"]
    conn.execute(
        "INSERT INTO delivery_segments (task_id, idx, sim_from, epoch_from, speed) "
        "VALUES (?, 0, 0, ?, ?)",
        (task["id"], at, speed),
    )


def _settle(conn, task: dict[str, Any], end_at: float, clock: Clock) -> None:
    """The task has ended: refund what was never sent and record the end."""
    if not task["quota_settled"] and task["quota_charged"]:
        cutoff = task["cutoff"]
        if cutoff is None:
            unsent = conn.execute(
                "SELECT COUNT(*) FROM delivery_recipients WHERE task_id = ? AND outcome IN "
                "(5, 8, 9)",
                (task["id"],),
            ).fetchone()[0]
        else:
            charged = conn.execute(
                "SELECT COUNT(*) FROM delivery_recipients WHERE task_id = ? AND sent_off <= ? "
                "AND outcome NOT IN (5, 8, 9)",
                (task["id"], cutoff),
            ).fetchone()[0]
            unsent = (task["recipients"] or 0) - charged
        if unsent:
            conn.execute(
                "UPDATE accounts SET qty_available = qty_available + ? WHERE id = ?",
                (unsent, task["account_id"]),
            )
    conn.execute(
        "UPDATE send_tasks SET quota_settled = 1, end_epoch = COALESCE(end_epoch, ?), "
        "time_end = CASE WHEN time_end = '' THEN ? ELSE time_end END WHERE id = ?",
        (end_at, fmt_epoch(end_at, clock.tz), task["id"]),
    )


def advance(
    store: Store, clock: Clock, *, account_id: int | None = None, task_id: int | None = None
) -> int:
    """Start every due task and finish every task whose clock has run out; returns how many
    changed. Idempotent and safe to call from several threads (each step re-reads its row inside
    a write transaction)."""
    conf = settings(store)
    now = clock.now().timestamp()
    where, args = "status IN (1, 2) AND deleted = 0", []
    if account_id is not None:
        where += " AND account_id = ?"
        args.append(account_id)
    if task_id is not None:
        where += " AND id = ?"
        args.append(task_id)
    candidates = store.conn.execute(
        f"SELECT id FROM send_tasks WHERE {where} ORDER BY id",  # noqa: S608 - fixed clauses
        args,
    ).fetchall()
    changed = 0
    for (tid,) in candidates:
        with store.transaction() as conn:
            task = dict(conn.execute("SELECT * FROM send_tasks WHERE id = ?", (tid,)).fetchone())
            if task["status"] == 1:
                at = start_moment(task, conf)
                if at is not None and at <= now:
                    _start(conn, task, at, conf, clock)
                    changed += 1
                    task = dict(
                        conn.execute("SELECT * FROM send_tasks WHERE id = ?", (tid,)).fetchone()
                    )
            if task["status"] == 2:
                segs = segments(conn, tid)
                if elapsed(segs, now) >= (task["duration"] or 0.0):
                    end_at = Timeline(segs).epoch(task["duration"] or 0.0) or now
                    conn.execute("UPDATE send_tasks SET status = 3 WHERE id = ?", (tid,))
                    _settle(conn, task, end_at, clock)
                    changed += 1
    return changed


def pause(conn, task: dict[str, Any], now: float) -> None:
    _close_segment(conn, task["id"], now)
    conn.execute("UPDATE send_tasks SET status = -2 WHERE id = ?", (task["id"],))


def resume(conn, task: dict[str, Any], now: float, speed: float) -> None:
    _open_segment(conn, task["id"], now, speed)
    conn.execute("UPDATE send_tasks SET status = 2 WHERE id = ?", (task["id"],))


def cancel(conn, task: dict[str, Any], now: float, clock: Clock) -> None:
    """Stop sending; what was sent stays sent (and keeps being opened: the clock runs on)."""
    if task["start_epoch"] is None:
        conn.execute("UPDATE send_tasks SET status = -3 WHERE id = ?", (task["id"],))
        return
    segs = segments(conn, task["id"])
    cut = min(elapsed(segs, now), task["duration"] or 0.0)
    if task["status"] == -2:  # paused: the clock stopped; let it run on for the tracking
        _open_segment(conn, task["id"], now, segs[-1].speed if segs else DEFAULTS["speed"])
    conn.execute("UPDATE send_tasks SET status = -3, cutoff = ? WHERE id = ?", (cut, task["id"]))
    task = dict(conn.execute("SELECT * FROM send_tasks WHERE id = ?", (task["id"],)).fetchone())
    _settle(conn, task, now, clock)


# -- reading progress -------------------------------------------------------------------------


@dataclass
class Progress:
    """A task as of now: how far its clock has run and the counts that follow from it."""

    sim: float  # tracking clock
    sent_limit: float  # recipients with sent_off <= this were processed
    processed: int
    send_count: int  # handed to the receiving servers (delivered + bounced)
    error_count: int  # not sent: spam-rejected, invalid, format errors
    delivered: int
    bounced: int
    timeline: Timeline


def progress(conn, task: dict[str, Any], now: float) -> Progress:
    segs = segments(conn, task["id"])
    sim = elapsed(segs, now)
    timeline = Timeline(segs)
    if not task["recipients"]:
        return Progress(sim, -1.0, 0, 0, 0, 0, 0, timeline)
    limit = min(sim, task["duration"] or 0.0)
    if task["cutoff"] is not None:
        limit = min(limit, task["cutoff"])
    n, duration = task["recipients"], task["duration"] or 0.0
    # Recipient seq is sent at duration*seq/n: those with seq <= limit*n/duration are out.
    upto = n if duration <= 0 or limit >= duration else int(limit * n / duration) + 1
    upto = max(0, min(n, upto))
    counts = dict.fromkeys((0, 1, 2, 3, 5, 8, 9), 0)
    for outcome, count in conn.execute(
        "SELECT outcome, COUNT(*) FROM delivery_recipients WHERE task_id = ? AND outcome <> 0 "
        "AND seq < ? GROUP BY outcome",
        (task["id"], upto),
    ):
        counts[outcome] = count
    failed = sum(counts[c] for c in (1, 2, 3, 5, 8, 9))
    delivered = upto - failed
    bounced = sum(counts[c] for c in BOUNCES)
    error_count = sum(counts[c] for c in NOT_SENT)
    return Progress(
        sim=sim,
        sent_limit=limit,
        processed=upto,
        send_count=delivered + bounced,
        error_count=error_count,
        delivered=delivered,
        bounced=bounced,
        timeline=timeline,
    )


def count_at(first: float | None, last: float | None, count: int, t: float) -> int:
    """Events spread evenly from first to last: how many happened by offset t."""
    if first is None or count <= 0 or t < first:
        return 0
    if t >= last or count == 1 or last <= first:
        return count
    return 1 + int((t - first) / (last - first) * (count - 1))


def latest_at(first: float, last: float, count: int, t: float) -> float:
    """The offset of the last of those events that happened by t."""
    k = count_at(first, last, count, t)
    if k <= 1 or count <= 1:
        return first
    if k >= count:
        return last
    return first + (k - 1) * (last - first) / (count - 1)


# -- the background engine ----------------------------------------------------------------------


class Engine:
    """Starts due tasks and finishes ended ones while nobody asks (so §1.2 shows the quota
    charged on time). Optional: every operation also calls :func:`advance` itself."""

    def __init__(self, store: Store, clock: Clock, interval: float = 0.5):
        self._store = weakref.ref(store)
        self.clock = clock
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-delivery", daemon=True)

    def start(self) -> Engine:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            store = self._store()
            if store is None:
                return
            try:
                advance(store, self.clock)
            except Exception:  # a reset may drop the tables under us; try again shortly
                log.exception("delivery engine tick failed")
            finally:
                store = None


def start_engine(store: Store, clock: Clock) -> Engine:
    return Engine(store, clock).start()
