"""Is the platform reachable? A cheap unauthenticated GET of its root, for /healthz.

Any HTTP answer counts as reachable (the root may be a redirect or an HTML page); only a network
failure or a timeout does not. No credentials are sent, nothing is parsed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .errors import UmailError
from .transport import Transport


@dataclass(frozen=True)
class PlatformPing:
    reachable: bool
    status_code: int | None
    elapsed_ms: float
    detail: str


def ping(platform_url: str, *, timeout: float = 2.0) -> PlatformPing:
    transport = Transport(platform_url=platform_url)
    started = time.monotonic()
    try:
        response = transport.send(
            "GET",
            transport.platform_url,
            timeout=(timeout, timeout),
            allow_redirects=False,
            stream=True,  # the body is not needed
        )
    except UmailError as exc:
        return PlatformPing(False, None, (time.monotonic() - started) * 1000, exc.message)
    finally:
        transport.session.close()
    response.close()
    return PlatformPing(
        True,
        response.status_code,
        (time.monotonic() - started) * 1000,
        f"HTTP {response.status_code}",
    )
