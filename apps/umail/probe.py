"""A conformance probe for real accounts: every read-only operation of the manual, once.

`run_probe(client)` discovers ids from the list operations (§4.1 lists, §5.4 templates, §6.1
tasks, §3.1 tracking, §7.1 domains), calls each read-only operation and reports, per operation,
`understood` (the reply parsed as the manual describes it), `refused` (the platform's own words)
or `skipped` (and why: no data to ask about). Skipped operations do not count in M. It never
calls an operation that changes anything on the platform: only the read methods below, and §7.3
(a POST that only checks DNS).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from .client import UmailClient
from .errors import PlatformRejected, UmailError
from .times import BEIJING

UNDERSTOOD, REFUSED, FAILED, SKIPPED = "understood", "refused", "failed", "skipped"


@dataclass
class ProbeResult:
    section: str
    operation: str
    outcome: str
    detail: str = ""

    @property
    def line(self) -> str:
        words = {
            UNDERSTOOD: "understood",
            REFUSED: "REFUSED",
            FAILED: "NOT UNDERSTOOD",
            SKIPPED: "skipped",
        }[self.outcome]
        tail = f": {self.detail}" if self.detail else ""
        return f"§{self.section:<6} {self.operation:<38} {words}{tail}"


@dataclass
class ProbeReport:
    results: list[ProbeResult] = field(default_factory=list)

    @property
    def attempted(self) -> list[ProbeResult]:
        return [r for r in self.results if r.outcome != SKIPPED]

    @property
    def understood(self) -> int:
        return sum(r.outcome == UNDERSTOOD for r in self.results)

    @property
    def ok(self) -> bool:
        return bool(self.attempted) and self.understood == len(self.attempted)

    @property
    def summary(self) -> str:
        return f"{self.understood} of {len(self.attempted)} operations understood"

    def as_json(self) -> dict:
        return {
            "understood": self.understood,
            "attempted": len(self.attempted),
            "ok": self.ok,
            "results": [asdict(r) for r in self.results],
        }


def _first(items: Iterable, default=None):
    return next(iter(items), default)


class _Probe:
    def __init__(self, client: UmailClient, *, upload_id: int | None, on_result):
        self.client = client
        self.upload_id = upload_id
        self.report = ProbeReport()
        self.on_result = on_result

    def run(self, section: str, operation: str, call: Callable[[], str | None], *, needs=None):
        """`call` returns a short description of what was read; `needs` (a reason) skips it."""
        if needs:
            result = ProbeResult(section, operation, SKIPPED, needs)
        else:
            try:
                result = ProbeResult(section, operation, UNDERSTOOD, call() or "")
            except PlatformRejected as exc:
                words = f"{exc.status}: {exc.detail}" if exc.detail else exc.status
                result = ProbeResult(section, operation, REFUSED, words)
            except UmailError as exc:
                result = ProbeResult(section, operation, FAILED, str(exc))
            except ValueError as exc:  # a value the manual does not describe
                result = ProbeResult(section, operation, FAILED, f"unexpected value: {exc}")
        self.report.results.append(result)
        if self.on_result:
            self.on_result(result)
        return result


PROBE_ERRURL = "http://probe.invalid/refused"


def run_probe(
    client: UmailClient,
    *,
    user_type: str = "",
    upload_id: int | None = None,
    on_result=None,
) -> ProbeReport:
    """Probe every read-only operation with `client`; `on_result(result)` is called as each one
    ends (the command prints the line)."""
    p = _Probe(client, upload_id=upload_id, on_result=on_result)
    c = client
    found: dict = {}

    def console():
        # §8: only a redirect to errurl is documented (a refusal); §1.1 below confirms.
        if not c.console_login(user_type=user_type, errurl=PROBE_ERRURL):
            raise PlatformRejected("errurl", "the console redirected to errurl (refused)")
        return f"not refused for user type {user_type or 'ordinary'!r}"

    p.run("8", "sendstat login (console)", console)

    # §1 account
    p.run("1.1", "account.php customer-info", lambda: f"customer {c.account.customer_info().id}")
    p.run("1.2", "account.php service-info", lambda: c.account.service_info().service_status)

    # §4 lists, §5 templates, §6 tasks: the discovering list operations first.
    def lists():
        rows = c.contacts.maillist_list()
        found["list"] = _first(sorted(rows, key=lambda m: -m.count))
        return f"{len(rows)} lists"

    def templates():
        rows = c.templates.list()
        found["template"] = _first(rows)
        return f"{len(rows)} templates"

    def tasks():
        rows = c.tasks.task_list(page=1, limit=100)
        started = [t for t in rows if t.time_start and not t.time_start.startswith("0000")]
        tracked = [t for t in started if t.track_status]
        found["task"] = _first(tracked) or _first(started)
        return f"{len(rows)} tasks"

    p.run("4.1", "mloperate.php maillist-list", lists)
    p.run("5.4", "template.php list-tpl", templates)
    p.run("6.1", "task.php task-list", tasks)
    mail_list, template, task = found.get("list"), found.get("template"), found.get("task")
    no_list = None if mail_list else "no contact list on the account"
    p.run(
        "4.2",
        "mloperate.php maillist-detail",
        lambda: c.contacts.maillist_detail(mail_list.id).subject,
        needs=no_list,
    )
    p.run(
        "4.6",
        "mloperate.php subscription-export",
        lambda: f"{sum(1 for _ in c.contacts.export_subscriptions(mail_list.id))} lines",
        needs=no_list,
    )
    p.run(
        "4.7",
        "mloperate.php unsubscribe-export",
        lambda: f"{sum(1 for _ in c.contacts.export_unsubscribes(mail_list.id))} lines",
        needs=no_list,
    )
    p.run(
        "4.8",
        "mloperate.php ml-addr-list",
        lambda: f"{c.contacts.addr_list(list_id=mail_list.id, page=1, limit=5).total} addresses",
        needs=no_list,
    )
    p.run(
        "4.9.4",
        "mloperate.php ml-addr-add-file-query",
        lambda: c.contacts.addr_file_status(upload_id).state,
        needs=None if upload_id else "no upload id (give --upload-id of a §4.9.3 upload)",
    )
    p.run("4.15", "mloperate.php ml-addr-add-log", lambda: f"{len(c.contacts.import_log())} logs")
    p.run(
        "5.3",
        "template.php get-tpl-status",
        lambda: f"status {c.templates.status(template.id).status}",
        needs=None if template else "no template on the account",
    )

    # §3 tracking and §2 statistics of one started task.
    no_task = None if task else "no send task has started yet"
    overview_holder: dict = {}

    def overview():
        overview_holder["o"] = c.tracking.overview(send_id=task.id)
        o = overview_holder["o"]
        return f"track {o.track_id}, statistics task {o.task_id}, {o.open_unique} openers"

    p.run("3.1", "track.php overview", overview, needs=no_task)
    ov = overview_holder.get("o")
    no_track = no_task or (None if ov is not None and ov.track_id else "no tracked task")
    p.run(
        "3.2",
        "track.php open-detail",
        lambda: f"{sum(len(b) for b in c.tracking.open_detail_records(send_id=task.id))} openers",
        needs=no_task,
    )
    link_id = ov.links[0].link_id if ov is not None and ov.links else None
    p.run(
        "3.3",
        "track.php click-detail",
        lambda: f"{sum(1 for _ in c.tracking.iter_click_detail(send_id=task.id))} clicks",
        needs=no_task,
    )

    def track_export():
        export = c.tracking.track_export(track_id=ov.track_id)
        try:
            return f"{sum(1 for _ in export)} rows"
        finally:
            export.close()

    p.run("3.4", "trackexport.php", track_export, needs=no_track)
    p.run(
        "3.5",
        "track.php link-stat",
        lambda: f"{len(c.tracking.link_stats(send_id=task.id, link_id=link_id))} links",
        needs=no_task,
    )
    day = task.started_at.astimezone(BEIJING).date() if task else dt.datetime.now(BEIJING).date()
    p.run("2.1", "task.php list-task", lambda: f"{len(c.tasks.list_task(date=day))} tasks")
    p.run("2.2", "statistic.php", lambda: f"{c.stats.day_statistic(day).ws_count} processed")

    def failures(**kwargs):
        rows = c.stats.iter_failures(**kwargs)
        try:
            return f"{sum(1 for _ in itertools.islice(rows, 100000))} addresses"
        finally:
            rows.close()

    p.run(
        "2.3.1",
        "failexport.php (a day, all types)",
        lambda: failures(day=day, fail_type=-1, with_types=False),
    )
    stat_id = ov.task_id if ov is not None else None
    p.run(
        "2.3.2",
        "failexportall.php (a task, all types)",
        lambda: failures(task_id=stat_id, fail_type=-1),
        needs=no_task or (None if stat_id else "no statistics task id in §3.1"),
    )
    p.run("2.4", "stask.php", lambda: f"{len(c.stats.task_stats(day=day))} batches")
    p.run("2.5", "deduction.php", lambda: f"{len(c.stats.deductions(day))} rows")

    # §7 domains (own): list, DNS check (read-only POST), mailboxes of one.
    def domains():
        rows = c.domains.domain_list()
        own = [d for d in rows if not d.is_system] or rows
        found["domain"] = _first(own)
        return f"{len(rows)} domains"

    p.run("7.1", "bs.php domain-list", domains)
    domain = found.get("domain")
    no_domain = None if domain else "no domain on the account"
    p.run(
        "7.3",
        "bs.php domain-check",
        lambda: f"status {c.domains.domain_check([domain.domain])[0].status}",
        needs=no_domain,
    )
    p.run(
        "7.7",
        "bs.php mailbox-list",
        lambda: f"{len(c.domains.mailbox_list(domain=domain.domain, page=1, limit=30))} mailboxes",
        needs=no_domain,
    )
    return p.report
