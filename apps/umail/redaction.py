"""Credentials out of text and out of exception chains, before anything is logged or stored.

The legacy API puts the md5 of the password in the URL (`password=…`), and requests/urllib3
repeat the URL in their exception messages (`Max retries exceeded with url: …`) at every link of
the chain (`__cause__`, `__context__`). `scrub_exception_chain` rewrites those messages in place;
the log filter (apps.ops.logging) and the failed-job recorder (apps.ops.signals) also pass every
traceback text through `redact`.
"""

from __future__ import annotations

import contextlib
import re

_SECRET_PARAM = re.compile(r"\b(password|passwd|pwd)=[^&\s'\"<>)]*", re.IGNORECASE)
_BASIC_AUTH = re.compile(r"\b(Basic|Bearer)\s+[A-Za-z0-9+/=._-]{6,}")
_URL_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]+):[^@\s/]+@", re.IGNORECASE)


def redact(text: str) -> str:
    """Remove password values (query or form parameters, Basic credentials, user:pass@ in URLs)."""
    text = _SECRET_PARAM.sub(r"\1=***", text)
    text = _BASIC_AUTH.sub(r"\1 ***", text)
    return _URL_USERINFO.sub(r"\1:***@", text)


def _needs_scrubbing(value) -> bool:
    try:
        text = str(value)
    except Exception:  # an object whose str() fails holds nothing we could leak
        return False
    return redact(text) != text


def scrub_exception_chain(exc: BaseException | None) -> BaseException | None:
    """Rewrite the messages of `exc` and of every exception it was raised from or during, so
    that neither str() nor a formatted traceback shows a credential. Returns `exc`."""
    seen: set[int] = set()
    current = exc
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if any(_needs_scrubbing(arg) for arg in current.args):
            current.args = tuple(redact(str(arg)) for arg in current.args)
        for attribute in ("url", "filename", "strerror"):
            value = getattr(current, attribute, None)
            if isinstance(value, str) and redact(value) != value:
                with contextlib.suppress(AttributeError):  # a read-only attribute
                    setattr(current, attribute, redact(value))
        stack.extend([current.__cause__, current.__context__])
    return exc
