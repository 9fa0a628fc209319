"""Where the current request id (or task id) lives while code runs: contextvars, so it is right
in threads (gunicorn) and across the code a task or request calls, without passing it around."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
task_var: ContextVar[tuple[str, str] | None] = ContextVar("task", default=None)

# A caller's X-Request-ID ends up in every log line: accept only what cannot forge a line or
# smuggle markup (letters, digits and . _ - :), and not too long.
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def new_request_id() -> str:
    return uuid.uuid4().hex


def clean_request_id(value: str | None) -> str:
    """The caller's id when it is safe to log, else a new one."""
    if value and _VALID_ID.match(value):
        return value
    return new_request_id()


def current_request_id() -> str:
    return request_id_var.get()
