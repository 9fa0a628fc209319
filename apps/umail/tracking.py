"""§3 Tracking: opens, clicks, links and tracked-address exports.

§3.1 (overview) and §3.2 (open detail) are here; the analytics section adds §3.3–§3.5 to the
same class. Ids: `send_id` is what add-task returned (the §6.1 id); the overview's `task_id` is
the *statistics* task id that §2.3 wants, and `track_id` the one §3.4 wants.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from . import records, xml
from .errors import MalformedReply
from .resource import Resource
from .times import parse_platform_time
from .transport import error_from_reply
from .xml import expect_root, to_dataclass


def _percent(text: str) -> Decimal | None:
    """`23.53%`, `23.53` or `0.2353`: a percentage as a Decimal (None when absent)."""
    raw = (text or "").strip().rstrip("%").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise MalformedReply(f"Not a ratio: {text!r}") from exc
    # A bare fraction (≤ 1 without a % sign) is a share, not a percentage.
    if "%" not in text and value <= 1:
        value *= 100
    return value


@dataclass(frozen=True)
class LinkStat:
    """§3.1 `<link_statistic><link>` one tracked link."""

    link_id: int | None = None
    link: str = ""
    click_unique: int = 0
    click_total: int = 0
    click_first: str = ""
    click_last: str = ""


@dataclass(frozen=True)
class TrackOverview:
    """§3.1 one task's tracking overview."""

    track_id: int | None = None
    task_id: int | None = None  # the statistics task id (§2.3), not the send id
    task_sn: str = ""
    send_id: int | None = None
    send_count: int = 0
    real_send_count: int = 0
    error_send_count: int = 0
    open_unique: int = 0
    open_total: int = 0
    open_first: str = ""
    open_last: str = ""
    click_unique: int = 0
    click_total: int = 0
    click_first: str = ""
    click_last: str = ""
    open_ratio: str = ""
    click_ratio: str = ""
    links: tuple[LinkStat, ...] = field(default=(), metadata={"xml": ()})

    @classmethod
    def from_element(cls, element) -> TrackOverview:
        overview = to_dataclass(cls, element)
        links = tuple(
            to_dataclass(LinkStat, link) for link in element.findall("link_statistic/link")
        )
        return cls(**{**overview.__dict__, "links": links})

    @property
    def open_percent(self) -> Decimal | None:
        return _percent(self.open_ratio)

    @property
    def click_percent(self) -> Decimal | None:
        return _percent(self.click_ratio)

    @property
    def first_open_at(self):
        return parse_platform_time(self.open_first)

    @property
    def last_open_at(self):
        return parse_platform_time(self.open_last)

    @property
    def first_click_at(self):
        return parse_platform_time(self.click_first)

    @property
    def last_click_at(self):
        return parse_platform_time(self.click_last)


@dataclass(frozen=True)
class Opener:
    """§3.2 one address that opened the mail."""

    email_id: int | None = None
    email: str = ""
    browser: str = ""
    os: str = ""
    addr_first: str = ""
    ip_first: str = ""
    ip_last: str = ""
    addr_last: str = ""
    open_total: int = 0
    click_total: int = 0
    open_first: str = ""
    open_last: str = ""
    click_first: str = ""
    click_last: str = ""


_OPENER_INTS = {"email_id", "open_total", "click_total"}
_OPENER_FIELDS = set(Opener.__dataclass_fields__)


def _opener(element) -> Opener:
    """§3.2 `<user>` → Opener in one pass over its children (a million of these add up: this is
    several times faster than to_dataclass's lookup per field); same rules as to_dataclass."""
    values: dict = {}
    for child in element:
        if child.tag not in _OPENER_FIELDS or child.tag in values:
            continue
        text = "".join(child.itertext()).strip()
        if child.tag in _OPENER_INTS:
            if not text:
                continue
            try:
                values[child.tag] = int(text)
            except ValueError as exc:
                raise MalformedReply(
                    f"<user><{child.tag}> has an unexpected value {text!r}."
                ) from exc
        else:
            values[child.tag] = text
    return Opener(**values)


def _task_params(send_id: int | None, ident: str | None) -> dict:
    if send_id is None and not ident:
        raise ValueError("give the send id or the batch number (ident)")
    return {"id": send_id, "ident": ident or None}


class TrackingAPI(Resource):
    script = "track.php"

    def overview(self, *, send_id: int | None = None, ident: str | None = None) -> TrackOverview:
        """§3.1 by send id or batch number."""
        root = self._call("overview", params=_task_params(send_id, ident))
        return TrackOverview.from_element(expect_root(root, "track"))

    def iter_open_detail(
        self, *, send_id: int | None = None, ident: str | None = None
    ) -> Iterator[Opener]:
        """§3.2 every opener, parsed as the reply streams in (constant memory, however many
        openers). The request is made when iteration starts; close the generator (or exhaust
        it) to release the connection."""
        response = self.transport.request(
            self.script, "open-detail", params=_task_params(send_id, ident), stream=True
        )
        try:
            response.raw.decode_content = True
            for element in xml.iter_children(response.raw, "user"):
                if element.tag == "result":
                    error = error_from_reply(response, element)
                    raise error or MalformedReply("open-detail answered <result> without data.")
                yield _opener(element)
        finally:
            response.close()

    # -- §3.2 fast path, §3.3–§3.5 (analytics) ---------------------------------------------------

    def _records(self, do, params, tag, fields) -> Iterator[list[list[str]]]:
        """A streamed reply of flat rows as batches of texts in `fields` order (see
        xml.iter_records): the fast path for storing millions of rows."""
        response = self.transport.request(self.script, do, params=params, stream=True)
        try:
            yield from xml.iter_records(response.iter_content(chunk_size=1 << 16), tag, fields)
        except xml.ResultRoot as reply:
            raise error_from_reply(response, reply.element) or MalformedReply(
                f"{do} answered <result> without data."
            ) from None
        finally:
            response.close()

    def open_detail_records(
        self, *, send_id: int | None = None, ident: str | None = None
    ) -> Iterator[list[list[str]]]:
        """§3.2 as batches of rows in OPENER_FIELDS order, parsed as the reply streams in."""
        return self._records("open-detail", _task_params(send_id, ident), "user", OPENER_FIELDS)

    def _csv(self, do, params, tag, fields, times, counts, prefix) -> Iterator[bytes]:
        response = self.transport.request(self.script, do, params=params, stream=True)
        try:
            yield from records.csv_stream(
                response.iter_content(chunk_size=1 << 16),
                tag,
                fields,
                times=times,
                defaults=dict.fromkeys(counts, "0"),  # as the dataclasses: absent counts are 0
                prefix=prefix,
            )
        except xml.ResultRoot as reply:
            raise error_from_reply(response, reply.element) or MalformedReply(
                f"{do} answered <result> without data."
            ) from None
        finally:
            response.close()

    def open_detail_csv(
        self, *, send_id: int | None = None, ident: str | None = None, prefix=()
    ) -> Iterator[bytes]:
        """§3.2 as CSV (`prefix`, then OPENER_FIELDS; absent counts 0, "0000-00-00" times
        empty), parsed by a helper process while the reply streams in (records.csv_stream):
        for storing a million openers with COPY."""
        return self._csv(
            "open-detail",
            _task_params(send_id, ident),
            "user",
            OPENER_FIELDS,
            ("open_first", "open_last", "click_first", "click_last"),
            ("open_total", "click_total"),
            prefix,
        )

    def click_detail_csv(
        self,
        *,
        send_id: int | None = None,
        ident: str | None = None,
        link_id: int | None = None,
        prefix=(),
    ) -> Iterator[bytes]:
        """§3.3 as CSV, like open_detail_csv."""
        params = {**_task_params(send_id, ident), "link_id": link_id}
        return self._csv(
            "click-detail",
            params,
            "click",
            CLICK_FIELDS,
            ("click_first", "click_last"),
            ("click_unique", "click_total"),
            prefix,
        )

    def click_detail_records(
        self, *, send_id: int | None = None, ident: str | None = None, link_id: int | None = None
    ) -> Iterator[list[list[str]]]:
        """§3.3 as batches of rows in CLICK_FIELDS order (one per recipient and link)."""
        params = {**_task_params(send_id, ident), "link_id": link_id}
        return self._records("click-detail", params, "click", CLICK_FIELDS)

    def iter_click_detail(
        self, *, send_id: int | None = None, ident: str | None = None, link_id: int | None = None
    ) -> Iterator[Click]:
        """§3.3 one Click at a time."""
        for batch in self.click_detail_records(send_id=send_id, ident=ident, link_id=link_id):
            for row in batch:
                yield Click.from_row(row)

    def link_stats(
        self, *, send_id: int | None = None, ident: str | None = None, link_id: int | None = None
    ) -> list[LinkStat]:
        """§3.5 clicks per link (all the task's links, or one)."""
        params = {**_task_params(send_id, ident), "link_id": link_id}
        root = expect_root(self._call("link-stat", params=params), "data")
        return [to_dataclass(LinkStat, link) for link in root.findall("link")]

    def track_export(
        self,
        *,
        track_id: int,
        clickers_only: bool = False,
        link_id: int | None = None,
        email_id: int | None = None,
    ) -> TrackedExport:
        """§3.4 the tracked addresses (the §3.1 `track_id`), streamed. The documentation does
        not give the file's format: a CSV (or tab-separated) file whose first column is the
        address is read, with or without a header row; close() it when done."""
        params = {
            "track_id": track_id,
            "is_click": 1 if clickers_only else 0,
            "link_id": link_id,
            "email_id": email_id,
        }
        response = self.transport.request("trackexport.php", None, params=params, stream=True)
        return TrackedExport(response)


# -- §3.2–§3.5 for analytics (used by the methods above) ---------------------------------------

#: §3.2 / §3.3 fields in the order open_detail_records / click_detail_records give them.
OPENER_FIELDS = tuple(f.name for f in dataclasses.fields(Opener))
CLICK_FIELDS = (
    "click_id",
    "email",
    "link",
    "click_unique",
    "click_total",
    "click_first",
    "click_last",
)


def _int(text: str) -> int:
    try:
        return int(text) if text else 0
    except ValueError as exc:
        raise MalformedReply(f"Not a number: {text!r}") from exc


@dataclass(frozen=True)
class Click:
    """§3.3 one recipient's clicks on one link."""

    click_id: int | None = None
    email: str = ""
    link: str = ""
    click_unique: int = 0
    click_total: int = 0
    click_first: str = ""
    click_last: str = ""

    @classmethod
    def from_row(cls, row: list[str]) -> Click:
        click_id, email, link, unique, total, first, last = row
        return cls(
            click_id=_int(click_id) if click_id else None,
            email=email,
            link=link,
            click_unique=_int(unique),
            click_total=_int(total),
            click_first=first,
            click_last=last,
        )


class TrackedExport:
    """§3.4's file as rows: `header` (the column names, or generic ones when the file has no
    header row) and iteration over the rows (lists of texts, the address first)."""

    def __init__(self, response):
        self._response = response
        self._lines = self._decoded_lines()
        self.header: list[str] = []
        self._first: list[str] | None = None
        for line in self._lines:
            if line.strip():
                first = self._split(line)
                if first[0].startswith("<"):  # the platform's XML error instead of a file
                    body = line + "".join(self._lines)
                    root = xml.parse(body.encode("utf-8"))
                    self.close()
                    raise error_from_reply(response, root) or MalformedReply(
                        f"Expected the tracked-address file, got <{root.tag}>."
                    )
                if "@" in first[0]:
                    self._first = first
                    self.header = ["email"] + [f"column {i}" for i in range(2, len(first) + 1)]
                else:
                    self.header = first
                break
        else:
            # Not one line: an empty reply typed as XML is a failure, not "nobody" (text/html is
            # PHP's default for anything, so it says nothing).
            kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if kind in ("text/xml", "application/xml"):
                self.close()
                raise MalformedReply("The platform sent an empty reply.")

    def _decoded_lines(self) -> Iterator[str]:
        import codecs

        decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        pending = ""
        for chunk in self._response.iter_content(chunk_size=1 << 16):
            pending += decoder.decode(chunk)
            *complete, pending = pending.split("\n")
            yield from (line.rstrip("\r") for line in complete)
        pending += decoder.decode(b"", final=True)
        if pending.strip():
            yield pending.rstrip("\r")

    @staticmethod
    def _split(line: str) -> list[str]:
        delimiter = "\t" if "\t" in line and "," not in line else ","
        return next(csv.reader([line], delimiter=delimiter))

    def __iter__(self) -> Iterator[list[str]]:
        if self._first is not None:
            yield self._first
        for line in self._lines:
            if line.strip():
                yield self._split(line)

    def close(self) -> None:
        self._response.close()
