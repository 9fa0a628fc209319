"""The platform's times: Beijing time without a zone.

`time` / `send_time` go out as `YYYY-M-D H:MM:SS` (the format §6.2 shows) and come back as
`YYYY-MM-DD HH:MM:SS`, or `0000-00-00 00:00:00` for "not yet". These two functions convert
between that text and aware datetimes; nothing else in the portal parses platform times.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from .errors import MalformedReply

BEIJING = ZoneInfo("Asia/Shanghai")
_TIME = re.compile(
    r"^\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?\s*$"
)


def to_platform_time(value: dt.datetime) -> str:
    """An aware datetime as the platform wants it: Beijing time, `2017-7-4 16:08:56`."""
    if value.tzinfo is None:
        raise ValueError("to_platform_time needs an aware datetime")
    local = value.astimezone(BEIJING)
    return (
        f"{local.year}-{local.month}-{local.day} {local.hour}:{local.minute:02d}:{local.second:02d}"
    )


def parse_platform_time(text: str | None) -> dt.datetime | None:
    """The platform's Beijing time (zero-padded or not, with or without seconds, or a date) as
    an aware datetime; None for empty values and `0000-00-00 ...`."""
    if not text or text.startswith("0000"):
        return None
    match = _TIME.match(text)
    if not match:
        raise MalformedReply(f"Not a time the platform uses: {text!r}")
    parts = [int(g) if g else 0 for g in match.groups()]
    try:
        return dt.datetime(*parts, tzinfo=BEIJING)
    except ValueError as exc:
        raise MalformedReply(f"Not a valid time: {text!r}") from exc
