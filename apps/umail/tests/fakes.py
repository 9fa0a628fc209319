"""A fake requests.Session.request with canned replies (only for unit tests of parsing/mapping)."""

from __future__ import annotations

from pathlib import Path

import requests

REPLIES = Path(__file__).parent / "replies"


def canned(name: str) -> bytes:
    return (REPLIES / name).read_bytes()


def make_response(body: bytes | str = b"", status: int = 200, headers: dict | None = None):
    response = requests.Response()
    response.status_code = status
    response._content = body.encode() if isinstance(body, str) else body
    response.headers.update(headers or {"Content-Type": "text/xml; charset=utf-8"})
    response.url = "http://platform.test/"
    response.encoding = "utf-8"
    return response


class FakeSession(requests.Session):
    """Records each request and answers with the next queued reply (or raises it)."""

    def __init__(self, *replies):
        super().__init__()
        self.replies = list(replies)
        self.sent: list[dict] = []

    def request(self, method, url, **kwargs):
        self.sent.append({"method": method, "url": url, **kwargs})
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        # Like requests: the final URL carries the query string (legacy mode's password too).
        reply.url = requests.Request(method, url, params=kwargs.get("params")).prepare().url
        return reply
