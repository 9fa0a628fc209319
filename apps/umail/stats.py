"""§2.2–§2.5 Sending statistics, failure exports and deductions (several scripts).

* §2.2 `statistic.php?date=` a day's totals;
* §2.3.1 `failexport.php` / §2.3.2 `failexportall.php` failed addresses by type, in any of the
  four `out_type`s (plain text, `file` = CSV, `json`, `xml`), streamed;
* §2.4 `stask.php` per-batch statistics of a day, or of one task by `id` (send id) / `ident`;
* §2.5 `deduction.php?date=` a day's credits by kind.

Ids: §2.3's `task_id` is the *statistics* task id (§3.1 `task_id`, §2.4 `task_id`), never the
send id; §2.4's `id` parameter is the send id. The platform's day is its own (Beijing) date.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

from . import xml
from .errors import MalformedReply
from .resource import Resource
from .transport import error_from_reply
from .xml import expect_root, to_dataclass

#: §2.3 `type`: the codes the platform prints in §2.3.2, with the names §2.3.1 also accepts.
FAIL_TYPES = {
    1: "not_exist",
    2: "over_quota",
    3: "user_reject",
    5: "5",  # judged spam: the documentation gives no name, only the code
    8: "invalid_addr",
    9: "format_error",
}
ALL_FAILURES = -1
#: Failures that will fail again: the address does not exist, is invalid or malformed.
HARD_FAILURES = (1, 8, 9)
OUT_TYPES = ("text", "file", "json", "xml")


@dataclass(frozen=True)
class DayStatistic:
    """§2.2 one day's totals."""

    date: dt.date | None = None
    ws_qty: int = 0  # batches
    ws_error: int = 0  # never sent (spam-rejected, invalid, malformed)
    ws_count: int = 0  # processed
    invalid_addr: int = 0
    format_error: int = 0
    send_count: int = 0  # planned (pre-counted)
    deduc_count: int = 0  # credits pre-charged
    actual_send: int = 0
    send_error: int = 0  # delivery failures
    actual_deduc: int = 0  # credits really used


@dataclass(frozen=True)
class TaskStat:
    """§2.4 one batch's statistics."""

    task_id: int | None = None  # the statistics task id
    task_date: dt.date | None = None
    task_ident: str = ""
    totalsum: int = 0  # planned, invalid and malformed included
    total: int = 0  # really sent
    invalid: int = 0  # invalid and malformed addresses
    failed: int = 0  # failed and refused deliveries
    success: int = 0  # delivered
    email_not_exist: int = 0
    actual: int = 0  # credits really used
    over_quota: int = 0
    user_reject: int = 0
    rubbish: int = 0  # refused as spam


@dataclass(frozen=True)
class Deduction:
    """§2.5 one kind of credits used on a day."""

    date: dt.date | None = None
    company: str = ""
    deduction: str = ""
    send_num: int = 0
    total: int = 0


@dataclass(frozen=True)
class FailedAddress:
    """§2.3 one failed recipient; `type` and `task_id` only from §2.3.2 (or when asked by type)."""

    email: str
    type: int | None = None
    task_id: int | None = None


def fail_type_param(code: int) -> str:
    """The `type` parameter for a code (-1 = all)."""
    if code == ALL_FAILURES:
        return "all"
    if code not in FAIL_TYPES:
        raise ValueError(f"unknown failure type {code}")
    return str(code)


class StatsAPI(Resource):
    script = ""  # one script per operation

    def _read(self, script: str, params: dict):
        return self.transport.call(script, None, params=params)

    def day_statistic(self, day: dt.date) -> DayStatistic:
        """§2.2"""
        root = expect_root(self._read("statistic.php", {"date": day.isoformat()}), "statistic")
        return to_dataclass(DayStatistic, root)

    def task_stats(
        self, *, day: dt.date | None = None, send_id: int | None = None, ident: str | None = None
    ) -> list[TaskStat]:
        """§2.4: the batches of a day, or one task by send id or batch number."""
        if day is None and send_id is None and not ident:
            raise ValueError("task_stats needs day, send_id or ident")
        params = {"date": day.isoformat() if day else None, "id": send_id, "ident": ident or None}
        root = expect_root(self._read("stask.php", params), "data")
        return [to_dataclass(TaskStat, t) for t in root.findall("task")]

    def deductions(self, day: dt.date) -> list[Deduction]:
        """§2.5"""
        root = expect_root(self._read("deduction.php", {"date": day.isoformat()}), "data")
        return [to_dataclass(Deduction, item) for item in root.findall("list")]

    def iter_failures(
        self,
        *,
        fail_type: int = ALL_FAILURES,
        day: dt.date | None = None,
        task_id: int | None = None,
        task_ident: str | None = None,
        out_type: str = "xml",
        with_types: bool = True,
    ) -> Iterator[FailedAddress]:
        """§2.3.2 (`with_types`, the default: each address with its type and statistics task
        id) or §2.3.1 (addresses only; `day` required) in `out_type`, streamed: the request is
        made when iteration starts; close the generator to release the connection."""
        if out_type not in OUT_TYPES:
            raise ValueError(f"out_type must be one of {OUT_TYPES}")
        if with_types and day is None and task_id is None and not task_ident:
            raise ValueError("§2.3.2 needs day, task_id or task_ident")
        if not with_types and day is None:
            raise ValueError("§2.3.1 needs day")
        params = {
            "date": day.isoformat() if day else None,
            "type": fail_type_param(fail_type),
            "task_id": task_id,
            "task_ident": task_ident or None,
            "out_type": None if out_type == "text" else out_type,
        }
        script = "failexportall.php" if with_types else "failexport.php"
        response = self.transport.request(script, None, params=params, stream=True)
        # §2.3.1 prints no type: a single-type export knows it anyway.
        known = None if fail_type == ALL_FAILURES else fail_type
        try:
            chunks = response.iter_content(chunk_size=1 << 16)
            if out_type == "xml":
                yield from _failures_from_xml(response, chunks, known)
            elif out_type == "json":
                yield from _failures_from_json(response, chunks, known)
            else:
                yield from _failures_from_lines(response, chunks, known)
        finally:
            response.close()

    def iter_day_failures_per_task(
        self, *, day: dt.date, fail_type: int, out_type: str = "xml"
    ) -> Iterator[FailedAddress]:
        """A day's failures of type 1, 2 or 3 (not_exist, over_quota, user_reject): §2.3.2 needs
        `task_id` or `task_ident` for these types (L456-458), so the day's batches are listed
        with §2.4 and each is asked in turn, by its statistics task id (or batch number)."""
        for batch in self.task_stats(day=day):
            if batch.task_id is None and not batch.task_ident:
                continue
            yield from self.iter_failures(
                task_id=batch.task_id,
                task_ident=None if batch.task_id is not None else batch.task_ident,
                fail_type=fail_type,
                out_type=out_type,
            )


def _int_or_none(text: str | None) -> int | None:
    text = (text or "").strip()
    try:
        return int(text) if text else None
    except ValueError as exc:
        raise MalformedReply(f"Not a number in a failure export: {text!r}") from exc


def _failures_from_xml(response, chunks, known: int | None) -> Iterator[FailedAddress]:
    try:
        for batch in xml.iter_records(
            chunks, "recipient", ("email", "type", "task_id"), roots=("fail_recipient_list",)
        ):
            for email, code, task_id in batch:
                if email:
                    yield FailedAddress(email, _int_or_none(code) or known, _int_or_none(task_id))
    except xml.ResultRoot as reply:
        raise error_from_reply(response, reply.element) or MalformedReply(
            "The failure export answered <result> without an error."
        ) from None


def _xml_error(response, head: bytes) -> None:
    """Text-like replies may still be the platform's XML error."""
    if head.lstrip().startswith(b"<"):
        root = xml.parse(head)
        raise error_from_reply(response, root) or MalformedReply(
            f"Expected a list of addresses, got <{root.tag}>."
        )


def _failures_from_json(response, chunks, known: int | None) -> Iterator[FailedAddress]:
    # A JSON array is parsed whole (the standard library has no streaming JSON parser); the
    # portal asks for XML when it needs a large export.
    body = b"".join(chunks)
    _xml_error(response, body)
    try:
        items = json.loads(body.decode("utf-8-sig") or "[]")
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedReply(f"The failure export is not valid JSON ({exc}).") from exc
    if not isinstance(items, list):
        raise MalformedReply("The failure export is not a JSON array.")
    for item in items:
        if isinstance(item, str):
            yield FailedAddress(item.strip(), known)
        elif isinstance(item, dict) and item.get("email"):
            yield FailedAddress(
                str(item["email"]).strip(),
                _int_or_none(str(item.get("type", ""))) or known,
                _int_or_none(str(item.get("task_id", ""))),
            )
        else:
            raise MalformedReply(f"Unexpected item in the failure export: {item!r:.80}")


def _lines(chunks) -> Iterator[str]:
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    for chunk in chunks:
        pending += decoder.decode(chunk)
        *complete, pending = pending.split("\n")
        yield from complete
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def _failures_from_lines(response, chunks, known: int | None) -> Iterator[FailedAddress]:
    """Plain text (an address a line) or CSV (`email[,type,task_id]`, a header row or not)."""
    chunks = iter(chunks)
    first = next(chunks, b"")
    if first.lstrip().startswith(b"<"):  # the platform's XML error (small) instead of text
        _xml_error(response, first + b"".join(chunks))
    lines = _lines(_prepend(first, chunks))
    for row in csv.reader(line.lstrip("\ufeff").rstrip("\r") for line in lines):
        if not row or not row[0].strip():
            continue
        email = row[0].strip()
        if "@" not in email:  # a header row
            continue
        code = _int_or_none(row[1]) if len(row) > 1 else None
        task_id = _int_or_none(row[2]) if len(row) > 2 else None
        yield FailedAddress(email, code or known, task_id)


def _prepend(first: bytes, rest) -> Iterator[bytes]:
    yield first
    yield from rest
