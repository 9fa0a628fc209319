"""One exception hierarchy for everything the platform can do wrong.

Views and tasks catch `UmailError` (or a subclass) at the edge and turn it into a message, a retry
or a recorded failure; nothing below the edge swallows these.
"""

from __future__ import annotations


class UmailError(Exception):
    """Base class: any failure talking to the platform."""

    #: Whether repeating the same read may succeed (used by the retry loop and by Celery tasks).
    retryable = False

    def __init__(
        self, message: str = "", *, status_code: int | None = None, never_sent: bool = False
    ):
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        #: The request never left: no connection was made (refused, no route, connect timeout),
        #: so a write certainly did not happen and may be repeated safely.
        self.never_sent = never_sent


class PlatformUnavailable(UmailError):
    """The platform could not be reached, reset the connection, or answered 5xx."""

    retryable = True


class PlatformTimeout(PlatformUnavailable):
    """The platform did not answer in time (connect or read timeout)."""


class RateLimited(UmailError):
    """The platform refused the call because a rate limit was reached."""

    retryable = True


class AuthenticationFailed(UmailError):
    """The platform rejected the username / password."""


class MalformedReply(UmailError):
    """The reply was not the XML the documentation describes (broken XML, HTML page, empty body)."""

    retryable = True


class PlatformRejected(UmailError):
    """The platform answered with its own error status, e.g. `add_maillist_error`, and its text."""

    def __init__(self, status: str, detail: str = "", *, status_code: int | None = 200):
        super().__init__(f"{status}: {detail}" if detail else status, status_code=status_code)
        self.status = status
        self.detail = detail


class UnconfirmedCreate(UmailError):
    """A create is refused for now: an earlier attempt with the same content lost its answer and
    the platform may still be creating it (apps/core/reconcile.py). Nothing was sent."""
