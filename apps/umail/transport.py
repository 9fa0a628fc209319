"""HTTP transport to the platform: one requests.Session per platform account.

Modelled on django-anymail's base_requests backend and stripe-python's retry loop: every call goes
through `send()` (timeouts, exception wrapping, redacted debug log) and API calls through `call()`
(authentication, reply-to-exception mapping, retries for reads only). Resource modules build on
`call()`; nothing else in the portal opens an HTTP connection to the platform.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import random
import time
from dataclasses import dataclass
from urllib.parse import urljoin
from xml.etree.ElementTree import Element

import requests
import urllib3
from django.views.decorators.debug import sensitive_variables

from . import xml
from .errors import (
    AuthenticationFailed,
    PlatformRejected,
    PlatformTimeout,
    PlatformUnavailable,
    RateLimited,
    UmailError,
)
from .redaction import redact, scrub_exception_chain

logger = logging.getLogger("apps.umail")

API_MODES = ("apinew", "api")
# Error statuses the platform uses for a wrong username/password in the legacy API.
_AUTH_STATUSES = {"auth_error", "login_error", "user_error", "auth_failed"}
_RATE_LIMIT_STATUSES = {"rate_limit", "too_many_requests", "over_limit"}


def _never_sent(exc: requests.RequestException) -> bool:
    """No connection was made (refused, no route, connect timeout): nothing reached the platform."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0] if exc.args else None, "reason", None)
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


@dataclass(frozen=True)
class TransportConfig:
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    read_retries: int = 2
    retry_backoff: float = 0.5
    max_backoff: float = 8.0

    @classmethod
    def from_settings(cls) -> TransportConfig:
        from django.conf import settings

        return cls(
            connect_timeout=settings.UMAIL_CONNECT_TIMEOUT,
            read_timeout=settings.UMAIL_READ_TIMEOUT,
            read_retries=settings.UMAIL_READ_RETRIES,
            retry_backoff=settings.UMAIL_RETRY_BACKOFF,
        )


def error_from_reply(response: requests.Response, root: Element | None) -> UmailError | None:
    """The one place that maps a platform reply to an exception (None: the reply is a success)."""
    code = response.status_code
    if code in (401, 403):
        return AuthenticationFailed(
            "The platform rejected the username or password.", status_code=code
        )
    if code == 429:
        return RateLimited("The platform's rate limit was reached.", status_code=code)
    if code >= 500:
        return PlatformUnavailable(f"The platform answered HTTP {code}.", status_code=code)
    if code >= 400 or (300 <= code < 400):
        return PlatformUnavailable(
            f"The platform answered HTTP {code} unexpectedly.", status_code=code
        )
    if root is not None and root.tag == "result":
        status = (xml.child_text(root, "status") or "").strip()
        if status and status != "success" and not status.startswith("success"):
            detail = xml.child_text(root, "data") or ""
            if status in _AUTH_STATUSES:
                return AuthenticationFailed(detail or status, status_code=code)
            if status in _RATE_LIMIT_STATUSES:
                return RateLimited(detail or status, status_code=code)
            return PlatformRejected(status, detail, status_code=code)
    return None


class Transport:
    """Session, authentication, timeouts and error mapping for one platform account."""

    # Error reports (Django's, with local variables) show no password, token or digest.
    @sensitive_variables("password")
    def __init__(
        self,
        *,
        platform_url: str,
        username: str = "",
        password: str = "",
        api_mode: str = "apinew",
        config: TransportConfig | None = None,
        session: requests.Session | None = None,
    ):
        if api_mode not in API_MODES:
            raise ValueError(f"api_mode must be one of {API_MODES}, not {api_mode!r}")
        self.platform_url = platform_url if platform_url.endswith("/") else platform_url + "/"
        self.api_mode = api_mode
        self.api_url = urljoin(self.platform_url, f"mm-ms/{api_mode}/")
        self.username = username
        self._password = password
        self.config = config or TransportConfig()
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = "edmportal (+https://github.com/edmportal)"
        self.session.headers["Accept-Charset"] = "utf-8"

    def __repr__(self) -> str:  # never show the password, even in a debugger or traceback
        return f"<Transport {self.username}@{self.api_url}>"

    # -- low level -------------------------------------------------------------------------------

    @sensitive_variables("kwargs")
    def send(self, method: str, url: str, **kwargs) -> requests.Response:
        """One HTTP exchange with timeouts; network failures become PlatformUnavailable."""
        kwargs.setdefault("timeout", (self.config.connect_timeout, self.config.read_timeout))
        started = time.monotonic()
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.Timeout as exc:
            self._log(method, url, "timeout", started)
            never_sent = _never_sent(exc)
            scrub_exception_chain(exc)  # its messages repeat the URL (legacy: password=md5)
            raise PlatformTimeout(
                "The platform did not answer in time.", never_sent=never_sent
            ) from exc  # kept for debugging: scrub_exception_chain removed the secrets
        except requests.RequestException as exc:
            self._log(method, url, type(exc).__name__, started)
            never_sent = _never_sent(exc)
            scrub_exception_chain(exc)
            raise PlatformUnavailable(
                f"The platform could not be reached ({type(exc).__name__}).",
                never_sent=never_sent,
            ) from exc  # kept for debugging: scrub_exception_chain removed the secrets
        self._log(method, response.url or url, response.status_code, started)
        return response

    def _log(self, method: str, url: str, outcome, started: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            ms = (time.monotonic() - started) * 1000
            logger.debug("umail %s %s -> %s in %.0f ms", method, redact(url), outcome, ms)

    @sensitive_variables("token", "digest")
    def _auth(self, params: dict) -> dict:
        """Credentials for the API mode: a Basic header (apinew) or GET parameters (legacy api)."""
        if self.api_mode == "apinew":
            token = base64.b64encode(f"{self.username}:{self._password}".encode()).decode()
            return {"headers": {"Authorization": f"Basic {token}"}, "params": params}
        digest = hashlib.md5(self._password.encode()).hexdigest()  # noqa: S324 - the platform's scheme
        return {"headers": {}, "params": {"username": self.username, "password": digest, **params}}

    # -- API calls ------------------------------------------------------------------------------

    @sensitive_variables("auth")
    def _request_once(
        self,
        script: str,
        do: str | None,
        *,
        params: dict | None = None,
        data: dict | None = None,
        files=None,
        write: bool = False,
        stream: bool = False,
        headers: dict | None = None,
    ) -> requests.Response:
        query = {"do": do} if do else {}
        query.update({k: v for k, v in (params or {}).items() if v is not None})
        auth = self._auth(query)
        method = "POST" if (write or data is not None or files is not None) else "GET"
        # Extra headers, e.g. the Content-Type of a streamed multipart body (§4.9.3).
        response = self.send(
            method,
            urljoin(self.api_url, script),
            params=auth["params"],
            headers={**(headers or {}), **auth["headers"]},
            data=data,
            files=files,
            stream=stream,
        )
        error = error_from_reply(response, None)
        if error is not None:
            raise error
        return response

    def _with_retries(self, write: bool, exchange):
        """Run `exchange`; reads are retried on retryable errors, writes never (not idempotent)."""
        attempts = 1 if write else 1 + max(0, self.config.read_retries)
        for attempt in range(attempts):
            try:
                return exchange()
            except UmailError as exc:
                if not exc.retryable or attempt + 1 >= attempts:
                    raise
                self._sleep_before_retry(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def request(self, script: str, do: str | None = None, **kwargs) -> requests.Response:
        """An authenticated API request whose HTTP status was checked (for text or file replies)."""
        return self._with_retries(
            kwargs.get("write", False), lambda: self._request_once(script, do, **kwargs)
        )

    def call(self, script: str, do: str | None = None, **kwargs) -> Element:
        """An API call whose XML reply is parsed and checked for the platform's error statuses."""

        def exchange() -> Element:
            response = self._request_once(script, do, **kwargs)
            root = xml.parse(response.content)
            error = error_from_reply(response, root)
            if error is not None:
                raise error
            return root

        return self._with_retries(kwargs.get("write", False), exchange)

    def call_text(self, script: str, do: str | None = None, **kwargs) -> str:
        """An API call answered in plain text (exports); XML error replies are still mapped."""
        response = self.request(script, do, **kwargs)
        response.encoding = response.encoding or "utf-8"
        text = response.text
        if text.lstrip().startswith("<?xml"):
            error = error_from_reply(response, xml.parse(response.content))
            if error is not None:
                raise error
        return text

    def _sleep_before_retry(self, attempt: int) -> None:
        """Exponential backoff with full jitter, capped."""
        delay = min(self.config.max_backoff, self.config.retry_backoff * (2**attempt))
        time.sleep(delay * (0.5 + random.random() / 2))
