"""Fault injection: make the sandbox misbehave the ways a real platform does, on demand.

Tests switch faults on with ``POST /_sandbox/faults`` and off with ``POST /_sandbox/faults/clear``
(``POST /_sandbox/reset`` clears them too). A fault applies to the API requests (and, with
``script: "sendstat"``, the console login) that match its optional ``script`` / ``do`` /
``username``, for ``times`` requests (default: until cleared).

Kinds (``kind``):

=============  ====================================================================================
latency        answer normally after ``delay`` seconds (default 2)
timeout        hold the request for ``delay`` seconds (default 30) so that clients time out
http_error     HTTP ``status`` (default 502) with a short HTML error page (a proxy in front of PHP)
reset          drop the TCP connection with no HTTP answer at all
html           HTTP 200 with an HTML page instead of XML (PHP's own error output)
malformed      HTTP 200 with XML whose tags do not balance
truncated      the real answer, cut off halfway
gbk            the real answer re-encoded in GBK and declared ``encoding="GBK"``
gbk_mislabel   the real answer re-encoded in GBK but still declared UTF-8
empty          HTTP 200 with an empty body
rate_limit     the platform's rate-limit answer (``over_limit``, see ``RATE_LIMIT_STATUS``)
xml_bomb       an XML "billion laughs" entity expansion bomb
xxe            XML declaring an external entity that reads a local file
=============  ====================================================================================
"""

from __future__ import annotations

import itertools
import socket
import struct
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.xml import XML_CONTENT_TYPE, result_response

# The documentation names no rate-limit reply; this is the sandbox's (and the campaigns
# section's 100-calls-an-hour limit uses the same shape).
RATE_LIMIT_STATUS = "over_limit"
RATE_LIMIT_TEXT = "操作过于频繁：每小时最多调用 100 次"

KINDS = (
    "latency",
    "timeout",
    "http_error",
    "reset",
    "html",
    "malformed",
    "truncated",
    "gbk",
    "gbk_mislabel",
    "empty",
    "rate_limit",
    "xml_bomb",
    "xxe",
)

HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>系统错误</title></head><body>"
    "<h1>Fatal error</h1><p>Allowed memory size exhausted in /www/mm-ms/apinew/inc.php on line 42"
    "</p></body></html>"
)
# Tags that do not balance beyond repair (the client repairs the manual's own defects: a
# mismatched closing tag, a reopened root at the end; see --quirks for those).
MALFORMED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<service>\n <id>1</id>\n'
    " <service_status>enabled</servcie>\n"
)
XML_BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n<service><id>&lol9;</id></service>\n"
)
XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE service [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    "<service><id>&xxe;</id></service>\n"
)


@dataclass
class Fault:
    id: int
    kind: str
    script: str | None = None
    do: str | None = None
    username: str | None = None
    times: int | None = None  # None: until cleared
    delay: float | None = None
    status: int | None = None
    hits: int = 0

    def matches(self, script: str, do: str | None, username: str) -> bool:
        return (
            (self.script is None or self.script == script)
            and (self.do is None or self.do == do)
            and (self.username is None or self.username == username)
            and (self.times is None or self.hits < self.times)
        )


class Faults:
    """The active faults of one sandbox process (in memory; thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, spec: dict[str, Any]) -> Fault:
        kind = spec.get("kind")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        fault = Fault(
            id=next(self._ids),
            kind=kind,
            script=spec.get("script"),
            do=spec.get("do"),
            username=spec.get("username"),
            times=int(spec["times"]) if spec.get("times") is not None else None,
            delay=float(spec["delay"]) if spec.get("delay") is not None else None,
            status=int(spec["status"]) if spec.get("status") is not None else None,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self._faults]

    def take(self, script: str, do: str | None, username: str) -> Fault | None:
        """The first active fault for this request, counted as hit."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(script, do, username):
                    fault.hits += 1
                    return fault
        return None


def _reset_connection(request: Request) -> None:
    """Drop the connection with no HTTP answer (RST where the kernel sends one).

    SO_LINGER 0 asks for a reset on close; the shutdown makes sure the peer sees the connection
    end now, since the server's own file objects keep the socket open until the request ends.
    """
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)


def before(fault: Fault, request: Request) -> Response | None:
    """Faults that replace the answer (or delay it). None: run the real operation."""
    kind = fault.kind
    if kind == "latency":
        time.sleep(fault.delay if fault.delay is not None else 2.0)
        return None
    if kind == "timeout":
        time.sleep(fault.delay if fault.delay is not None else 30.0)
        return None
    if kind == "reset":
        _reset_connection(request)
        return Response(b"", status=200)  # written to a dead socket: the peer sees nothing
    if kind == "http_error":
        status = fault.status or 502
        return Response(
            f"<html><head><title>{status}</title></head><body><h1>{status}</h1>nginx</body></html>",
            status=status,
            content_type="text/html; charset=utf-8",
        )
    if kind == "html":
        return Response(HTML_PAGE, content_type="text/html; charset=utf-8")
    if kind == "malformed":
        return Response(MALFORMED, content_type=XML_CONTENT_TYPE)
    if kind == "empty":
        return Response(b"", content_type=XML_CONTENT_TYPE)
    if kind == "rate_limit":
        return result_response(RATE_LIMIT_STATUS, RATE_LIMIT_TEXT)
    if kind == "xml_bomb":
        return Response(XML_BOMB, content_type=XML_CONTENT_TYPE)
    if kind == "xxe":
        return Response(XXE, content_type=XML_CONTENT_TYPE)
    return None  # faults applied to the real answer


def after(fault: Fault, response: Response) -> Response:
    """Faults that damage the real answer."""
    if fault.kind not in ("truncated", "gbk", "gbk_mislabel"):
        return response
    body = response.get_data()
    if fault.kind == "truncated":
        response.set_data(body[: max(1, len(body) // 2)])
        return response
    text = body.decode("utf-8")
    if fault.kind == "gbk":
        text = text.replace('encoding="UTF-8"', 'encoding="GBK"', 1)
        response.headers["Content-Type"] = "text/xml; charset=GBK"
    else:
        response.headers["Content-Type"] = XML_CONTENT_TYPE  # the lie: says UTF-8
    response.set_data(text.encode("gbk", errors="replace"))
    return response
