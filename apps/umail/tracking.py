"""§3 Tracking: opens, clicks, links and tracked-address exports.

§3.1 (overview) and §3.2 (open detail) are here; the analytics section adds §3.3–§3.5 to the
same class. Ids: `send_id` is what add-task returned (the §6.1 id); the overview's `task_id` is
the *statistics* task id that §2.3 wants, and `track_id` the one §3.4 wants.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from . import xml
from .errors import MalformedReply
from .resource import Resource
from .tasks import parse_platform_time
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
