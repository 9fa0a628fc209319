"""Keep secrets out of logs.

Legacy-mode URLs carry ``password=<md5>`` and §7.8/7.10 send mailbox passwords as ``pwd``;
neither may reach the access log or the in-memory call log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SECRET_PARAMS = frozenset({"password", "pwd"})

# ``password=...`` / ``pwd=...`` in a query string, also percent-encoded ``password%3D``;
# the value stops at the next parameter, whitespace, quote or ANSI colour escape.
_SECRET_IN_URL = re.compile(r"(?i)(\b(?:password|pwd)(?:=|%3D))[^&\s\"\x1b]*")


def redact_url(text: str) -> str:
    return _SECRET_IN_URL.sub(r"\1***", text)


def safe_params(items: Iterable[tuple[str, str]], limit: int = 200) -> dict[str, str | list[str]]:
    """Parameters fit for the call log: secrets dropped, long values truncated."""
    out: dict[str, str | list[str]] = {}
    for key, value in items:
        if key.lower() in SECRET_PARAMS:
            continue
        value = value if len(value) <= limit else value[:limit] + "…"
        if key in out:
            prev = out[key]
            out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[key] = value
    return out
