"""Sentences for people about platform failures: pages show these, never a stack trace.

`platform_error_message(exc)` turns any `UmailError` into a sentence in the active language,
using the status tables of `apps.core.platform_statuses`. Workers run without a reader, so what
they store (`job.error`, `sync.last_error`, …) is English or the exception's text;
`stored_error_message(text)` (the `platform_error` template filter) shows it in the reader's
language when it recognises it, and as stored otherwise.
"""

from __future__ import annotations

import re

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.umail.errors import (
    AuthenticationFailed,
    MalformedReply,
    PlatformRejected,
    PlatformTimeout,
    PlatformUnavailable,
    RateLimited,
    UmailError,
    UnconfirmedCreate,
)

from .platform_statuses import detail_sentence, status_sentence

# The sentences below, as msgids: stored_error_message() recognises their English forms.
TIMEOUT = gettext_noop("The U-Mail platform did not answer in time. Please try again in a minute.")
AUTH = gettext_noop(
    "The platform no longer accepts the stored password for this account. "
    "Sign out and sign in again."
)
RATE_LIMIT = gettext_noop("The platform's rate limit was reached. Please wait before trying again.")
MALFORMED = gettext_noop(
    "The platform sent a reply the portal could not read. Please try again later."
)
UNREACHABLE = gettext_noop("The U-Mail platform could not be reached just now. Please try again.")
UNREACHABLE_WHY = gettext_noop(
    "The U-Mail platform could not be reached just now (%(reason)s). Please try again."
)
UNCONFIRMED = gettext_noop(
    "An earlier attempt to create this lost the platform's answer and may still go through. "
    "Nothing was sent again: please try again in a minute."
)
UNKNOWN_STATUS = gettext_noop("The platform refused the request (status “%(status)s”).")
WITH_REASON = gettext_noop("%(sentence)s Reason given by the platform: %(detail)s")
QUOTED = gettext_noop("“%(text)s”")
TRANSLATED_DETAIL = gettext_noop("%(translated)s (%(quoted)s)")

_TECHNICAL_REASON = re.compile(r"\(([A-Za-z][A-Za-z0-9_.]*)\)\.?\s*$")


def _is_chinese() -> bool:
    return (translation.get_language() or "").lower().startswith("zh")


def _detail_text(detail: str) -> str:
    """The platform's description for the reader: as sent for Chinese readers; for others
    translated when known, always with the platform's own words (to quote to its support)."""
    quoted = _(QUOTED) % {"text": detail}
    if not _is_chinese():
        known = detail_sentence(detail)
        if known:
            return _(TRANSLATED_DETAIL) % {"translated": known, "quoted": quoted}
    return quoted


def _rejected_message(status: str, detail: str) -> str:
    sentence = status_sentence(status) or _(UNKNOWN_STATUS) % {"status": status}
    detail = (detail or "").strip()
    if not detail:
        return sentence
    return _(WITH_REASON) % {"sentence": sentence, "detail": _detail_text(detail)}


def _unavailable_reason(exc: UmailError) -> str:
    if exc.status_code:
        return f"HTTP {exc.status_code}"
    match = _TECHNICAL_REASON.search(exc.message or "")
    return match.group(1) if match else ""


def platform_error_message(exc: UmailError) -> str:
    if isinstance(exc, PlatformTimeout):
        return _(TIMEOUT)
    if isinstance(exc, AuthenticationFailed):
        return _(AUTH)
    if isinstance(exc, RateLimited):
        return _(RATE_LIMIT)
    if isinstance(exc, MalformedReply):
        return _(MALFORMED)
    if isinstance(exc, PlatformRejected):
        return _rejected_message(exc.status, exc.detail)
    if isinstance(exc, UnconfirmedCreate):
        return _(UNCONFIRMED)
    reason = _unavailable_reason(exc)
    if reason:
        return _(UNREACHABLE_WHY) % {"reason": reason}
    return _(UNREACHABLE)


# -- errors stored as text by workers --------------------------------------------------------------

# The transport's own exception texts (apps/umail/transport.py), as str(exc) stores them.
_STORED_EXCEPTIONS = [
    (re.compile(r"^The platform did not answer in time\.?$"), lambda m: PlatformTimeout()),
    (
        re.compile(r"^The platform could not be reached \((?P<why>[^)]*)\)\.?$"),
        lambda m: PlatformUnavailable(f"({m['why']})"),
    ),
    (
        re.compile(r"^The platform answered HTTP (?P<code>\d{3})(?: unexpectedly)?\.?$"),
        lambda m: PlatformUnavailable("", status_code=int(m["code"])),
    ),
    (
        re.compile(r"^The platform rejected the username or password\.?$"),
        lambda m: AuthenticationFailed(),
    ),
    (re.compile(r"^The platform's rate limit was reached\.?$"), lambda m: RateLimited()),
    # MalformedReply: what follows (the broken reply itself) is for developers, not marketers.
    (
        re.compile(
            r"^The platform(?:'s reply is (?:not valid|in an unknown)|"
            r" sent (?:an empty reply|\S+ where a text export was due))"
        ),
        lambda m: MalformedReply(),
    ),
    # PlatformRejected: "status: detail" or a bare status.
    (
        re.compile(r"^(?P<status>[a-z][a-z0-9_]{1,60})(?::\s*(?P<detail>.*))?$", re.DOTALL),
        lambda m: PlatformRejected(m["status"], m["detail"] or ""),
    ),
]


def _template_pattern(msgid: str) -> re.Pattern:
    parts = re.split(r"(%\(\w+\)s)", msgid)
    regex = "".join(
        f"(?P<{part[2:-2]}>.+?)" if re.fullmatch(r"%\(\w+\)s", part) else re.escape(part)
        for part in parts
    )
    return re.compile(f"^{regex}$", re.DOTALL)


# English sentences of platform_error_message() that a worker may have stored.
_STORED_SENTENCES = [
    (msgid, _template_pattern(msgid))
    for msgid in (WITH_REASON, UNREACHABLE_WHY, UNKNOWN_STATUS, TRANSLATED_DETAIL, QUOTED)
]


def _looks_like_status(status: str) -> bool:
    return status_sentence(status) is not None or status.endswith(("_error", "_exists"))


def stored_error_message(text) -> str:
    """An error stored as text, in the reader's language when the portal recognises it."""
    text = "" if text is None else str(text).strip()
    if not text:
        return ""
    translated = _(text)
    if translated != text:
        return translated  # a whole sentence of the catalogue
    for pattern, build in _STORED_EXCEPTIONS:
        match = pattern.match(text)
        if match:
            exc = build(match)
            if isinstance(exc, PlatformRejected) and not _looks_like_status(exc.status):
                break  # "word: text" that is not a platform status: leave it alone
            return platform_error_message(exc)
    for msgid, pattern in _STORED_SENTENCES:
        match = pattern.match(text)
        if match:
            if msgid == QUOTED:
                return _detail_text(match["text"])
            if msgid == TRANSLATED_DETAIL:  # rebuilt from the platform's own words
                return stored_error_message(match["quoted"])
            params = {k: stored_error_message(v) for k, v in match.groupdict().items()}
            return _(msgid) % params
    # "<step>: <error>", as jobs of several steps store it (e.g. "accounts.service: …").
    prefix, sep, rest = text.partition(": ")
    if sep and re.fullmatch(r"[\w.-]+", prefix):
        shown = stored_error_message(rest)
        if shown != rest:
            return f"{prefix}: {shown}"
    return text
