"""Control endpoints under ``/_sandbox/``: no authentication, for demos and tests only.

Each endpoint is one function decorated with :func:`control`; it receives the
:class:`~sandbox.app.SandboxApp`, the request and the URL values. Later features
(fault injection, DNS publication, an accelerated clock) add their endpoints here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.store import public_account

if TYPE_CHECKING:
    from sandbox.app import SandboxApp

PREFIX = "/_sandbox"
ControlFunc = Callable[..., Response]
CONTROLS: dict[str, ControlFunc] = {}
_RULES: list[Rule] = []


def control(path: str, methods: tuple[str, ...] = ("GET",)) -> Callable[[ControlFunc], ControlFunc]:
    def register(func: ControlFunc) -> ControlFunc:
        endpoint = f"control.{func.__name__}"
        CONTROLS[endpoint] = func
        _RULES.append(Rule(PREFIX + path, endpoint=endpoint, methods=list(methods)))
        return func

    return register


def control_rules() -> list[Rule]:
    # Fresh copies: a Rule can be bound to one Map only, and each app builds its own.
    return [rule.empty() for rule in _RULES]


def json_response(payload: Any, status: int = 200) -> Response:
    body = json.dumps(payload, ensure_ascii=False, indent=1)
    return Response(body + "\n", status=status, content_type="application/json; charset=utf-8")


def json_error(message: str, status: int) -> Response:
    return json_response({"error": message}, status)


@control("/health")
def health(app: SandboxApp, request: Request) -> Response:
    return Response("ok\n", content_type="text/plain; charset=utf-8")


@control("/reset", methods=("POST",))
def reset(app: SandboxApp, request: Request) -> Response:
    """Wipe every table, re-seed, and forget the call log and console sessions."""
    app.reset()
    return json_response({"status": "ok", "accounts": len(app.store.list_accounts())})


@control("/accounts")
def list_accounts(app: SandboxApp, request: Request) -> Response:
    return json_response([public_account(a) for a in app.store.list_accounts()])


@control("/accounts/<username>")
def get_account(app: SandboxApp, request: Request, username: str) -> Response:
    row = app.store.account_by_username(username)
    if row is None:
        return json_error(f"no such account: {username}", 404)
    return json_response(public_account(row))


@control("/accounts/<username>", methods=("POST",))
def patch_account(app: SandboxApp, request: Request, username: str) -> Response:
    """Body: a JSON object of account fields to change (any column but ``id``)."""
    try:
        changes = json.loads(request.get_data(as_text=True) or "{}")
    except ValueError as exc:
        return json_error(f"body is not JSON: {exc}", 400)
    if not isinstance(changes, dict):
        return json_error("body must be a JSON object of account fields", 400)
    try:
        row = app.store.update_account(username, changes)
    except ValueError as exc:
        return json_error(str(exc), 400)
    if row is None:
        return json_error(f"no such account: {username}", 404)
    return json_response(public_account(row))


@control("/calls")
def calls(app: SandboxApp, request: Request) -> Response:
    """Calls with a sequence number above ``since`` (default 0: all kept, up to the last 10,000)."""
    try:
        since = int(request.args.get("since", "0") or 0)
    except ValueError:
        return json_error("since must be an integer", 400)
    return json_response({"last_seq": app.calls.last_seq, "calls": app.calls.since(since)})


@control("/calls/clear", methods=("POST",))
def clear_calls(app: SandboxApp, request: Request) -> Response:
    app.calls.clear()
    return json_response({"status": "ok", "last_seq": app.calls.last_seq})


@control("/faults")
def list_faults(app: SandboxApp, request: Request) -> Response:
    return json_response(app.faults.list())


@control("/faults", methods=("POST",))
def add_fault(app: SandboxApp, request: Request) -> Response:
    """Body: {"kind": ..., "script"?, "do"?, "username"?, "times"?, "delay"?, "status"?}.

    See :mod:`sandbox.faults` for the kinds.
    """
    try:
        spec = json.loads(request.get_data(as_text=True) or "{}")
        if not isinstance(spec, dict):
            raise ValueError("body must be a JSON object")
        fault = app.faults.add(spec)
    except (ValueError, TypeError) as exc:
        return json_error(str(exc), 400)
    return json_response({"id": fault.id, "kind": fault.kind})


@control("/faults/clear", methods=("POST",))
def clear_faults(app: SandboxApp, request: Request) -> Response:
    app.faults.clear()
    return json_response({"status": "ok"})


@control("/profile")
def get_profile(app: SandboxApp, request: Request) -> Response:
    return json_response({"profile": app.profile, "quirks": app.quirks})


@control("/profile", methods=("POST",))
def set_profile(app: SandboxApp, request: Request) -> Response:
    """Body: {"profile"?: "strict" | "permissive", "quirks"?: bool}; a reset restores the
    profile and quirks the sandbox was started with."""
    try:
        spec = json.loads(request.get_data(as_text=True) or "{}")
    except ValueError as exc:
        return json_error(str(exc), 400)
    if not isinstance(spec, dict) or set(spec) - {"profile", "quirks"}:
        return json_error('expected {"profile"?, "quirks"?}', 400)
    if "profile" in spec and spec["profile"] not in ("strict", "permissive"):
        return json_error("profile must be strict or permissive", 400)
    if "quirks" in spec and not isinstance(spec["quirks"], bool):
        return json_error("quirks must be true or false", 400)
    app.profile = spec.get("profile", app.profile)
    app.quirks = spec.get("quirks", app.quirks)
    return json_response({"profile": app.profile, "quirks": app.quirks})
