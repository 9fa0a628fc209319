"""The sandbox WSGI application: routing, authentication and dispatch.

Routes:

* ``/mm-ms/apinew/<script>?do=…`` — the new API, HTTP Basic auth with the plain password;
* ``/mm-ms/api/<script>?do=…`` — the legacy API, GET ``username`` and ``password`` = md5 hex;
* ``/sendstat/?module=…&action=…`` — §8 the web console (see :mod:`sandbox.console`);
* ``/_sandbox/…`` — control endpoints (see :mod:`sandbox.control`).

Both API bases dispatch to the same registry of operations (:mod:`sandbox.ops`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox import console, control, faults, profile
from sandbox.calllog import CallLog
from sandbox.clock import Clock
from sandbox.ops import OpContext, OpError, find_operation, known_script, load_operations
from sandbox.redact import safe_params
from sandbox.seed import seed
from sandbox.store import Store
from sandbox.xml import result_response, xml_response

log = logging.getLogger("sandbox")

AUTH_REALM = "U-Mail API"
# Never accepted as operation parameters: they are authentication and routing (§9).
RESERVED_PARAMS = frozenset({"do", "username", "password"})


def md5_hex(password: str) -> str:
    """The legacy API's password form (§9): md5 of the UTF-8 password, lowercase hex."""
    return hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()


class SandboxRequest(Request):
    # §4.9.2 posts up to 500 address lines and later sections upload files: allow big forms.
    max_form_memory_size = 64 * 1024 * 1024
    max_form_parts = 100_000


class SandboxApp:
    def __init__(
        self,
        store: Store,
        *,
        clock: Clock | None = None,
        calls: CallLog | None = None,
        profile_name: str = "strict",
        quirks: bool = False,
    ):
        if profile_name not in profile.PROFILES:
            raise ValueError(f"unknown profile {profile_name!r}")
        self.store = store
        # The profile and quirks chosen at start; /_sandbox/profile changes them until a reset.
        self.initial_profile = (profile_name, quirks)
        self.profile, self.quirks = profile_name, quirks
        self.clock = clock or Clock()
        self.calls = calls or CallLog()
        self.faults = faults.Faults()  # injected on demand through /_sandbox/faults
        self.url_map = Map(
            [
                Rule("/", endpoint="index", methods=["GET"]),
                Rule("/mm-ms/apinew/<script>", endpoint="apinew", methods=["GET", "POST"]),
                Rule("/mm-ms/api/<script>", endpoint="api", methods=["GET", "POST"]),
                Rule("/sendstat/", endpoint="sendstat", methods=["GET", "POST"]),
                *control.control_rules(),
            ]
        )

    # -- WSGI --------------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = SandboxRequest(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except HTTPException as exc:
            return exc.get_response(request.environ)
        if endpoint in ("apinew", "api"):
            return self.api(request, endpoint, values["script"])
        if endpoint == "sendstat":
            return self.with_faults(
                request,
                "sendstat",
                None,
                request.form.get("username", ""),
                lambda: console.sendstat(self, request),
            )
        if endpoint == "index":
            return Response(
                "U-Mail platform sandbox.\n"
                "New API:    /mm-ms/apinew/<script>.php?do=...  (HTTP Basic)\n"
                "Legacy API: /mm-ms/api/<script>.php?do=...&username=...&password=<md5>\n"
                "Console:    /sendstat/?module=base&action=login\n"
                "Control:    /_sandbox/health, /_sandbox/accounts, /_sandbox/calls\n",
                content_type="text/plain; charset=utf-8",
            )
        return control.CONTROLS[endpoint](self, request, **values)

    # -- state -------------------------------------------------------------------------------

    @property
    def strict(self) -> bool:
        return self.profile == "strict"

    def reset(self) -> None:
        self.profile, self.quirks = self.initial_profile
        self.store.wipe()
        seed(self.store, self.clock)
        self.calls.clear()
        self.faults.clear()

    def record_call(
        self,
        request: Request,
        mode: str,
        script: str,
        do: str | None,
        username: str,
        authenticated: bool,
        status: int,
    ) -> None:
        # ``authenticated`` matters because legacy auth failures are HTTP 200 like successes.
        params = safe_params(
            (k, v)
            for source in (request.args, request.form)
            for k, v in source.items(multi=True)
            if k not in RESERVED_PARAMS
        )
        self.calls.record(
            time=self.clock.timestamp(),
            mode=mode,
            method=request.method,
            script=script,
            do=do,
            username=username,
            authenticated=authenticated,
            status=status,
            params=params,
        )

    # -- API ---------------------------------------------------------------------------------

    def authenticate(self, request: Request, mode: str) -> tuple[dict[str, Any] | None, str]:
        """Return (account or None, the username that was tried)."""
        if mode == "api" and "username" in request.args:
            username = request.args.get("username", "")
            account = self.store.account_by_username(username)
            given = request.args.get("password", "").strip().lower()
            if account is not None:
                expected = md5_hex(account["password"])
                if hmac.compare_digest(given.encode(), expected.encode()):
                    return account, username
            return None, username
        # The new API; also the legacy base without GET credentials, as §9.1's samples send
        # Basic auth to /mm-ms/api/ URLs.
        auth = request.authorization
        if auth is None or auth.type != "basic":
            return None, ""
        username, password = auth.username or "", auth.password or ""
        account = self.store.account_by_username(username)
        if account is not None and hmac.compare_digest(
            password.encode(), account["password"].encode()
        ):
            return account, username
        return None, username

    def auth_failure(self, mode: str) -> Response:
        if mode == "apinew":
            return Response(
                "401 Unauthorized: the U-Mail API needs HTTP Basic authentication "
                "with a valid username and password.\n",
                status=401,
                headers={"WWW-Authenticate": f'Basic realm="{AUTH_REALM}"'},
                content_type="text/plain; charset=utf-8",
            )
        return result_response("auth_error", "用户名或密码错误", data_cdata=False)

    def api(self, request: Request, mode: str, script: str) -> Response:
        do = request.args.get("do") or None  # only ever a GET parameter (§9)
        account, username = self.authenticate(request, mode)

        def answer() -> Response:
            if account is None:
                return self.auth_failure(mode)
            return self.run_operation(request, account, mode, script, do)

        try:
            response = self.with_faults(request, script, do, username, answer)
        except Exception:
            log.exception("operation %s?do=%s failed", script, do)
            response = InternalServerError().get_response(request.environ)
        self.record_call(
            request, mode, script, do, username, account is not None, response.status_code
        )
        return response

    def with_faults(self, request: Request, script: str, do: str | None, username: str, answer):
        """Run `answer()` unless an injected fault replaces, delays or damages it."""
        fault = self.faults.take(script, do, username)
        if fault is None:
            return answer()
        replaced = faults.before(fault, request)
        if replaced is not None:
            return replaced
        return faults.after(fault, answer())

    def run_operation(
        self, request: Request, account: dict[str, Any], mode: str, script: str, do: str | None
    ) -> Response:
        op = find_operation(script, do)
        if op is None:
            if not known_script(script):
                return result_response("error", f"未知的接口：{script}")
            if do is None:
                return result_response("error", "缺少参数：do")
            return result_response("error", f"未知的操作：{script}?do={do}")
        if self.strict:
            refusal = profile.misplaced_parameter(
                script, do, request.args, request.form, RESERVED_PARAMS
            )
            if refusal is not None:
                return self.finish(script, do, result_response("error", refusal))
        # GET and POST merged, POST winning on a clash (PHP's $_REQUEST order "GP").
        params: MultiDict[str, str] = MultiDict()
        for source in (request.args, request.form):
            for key in source:
                if key not in RESERVED_PARAMS:
                    params.setlist(key, source.getlist(key))
        ctx = OpContext(
            request=request,
            account=account,
            params=params,
            files=request.files,
            store=self.store,
            clock=self.clock,
            mode=mode,
            script=script,
            do=do,
            strict=self.strict,
        )
        try:
            out = op.func(ctx)
        except OpError as exc:
            return self.finish(script, do, result_response(exc.status, exc.data))
        return self.finish(script, do, out if isinstance(out, Response) else xml_response(out))

    def finish(self, script: str, do: str | None, response: Response) -> Response:
        """With ``--quirks``, the reply as the manual prints it (buffered: a test mode)."""
        if not self.quirks or response.status_code != 200:
            return response
        body, content_type = profile.apply_quirks(
            script, do, b"".join(response.iter_encoded()), response.content_type or ""
        )
        quirky = Response(body, status=200, content_type=content_type)
        for name, value in response.headers.items():
            if name.lower() not in ("content-type", "content-length"):
                quirky.headers[name] = value
        return quirky


def create_app(
    state: str | Path | Store,
    *,
    seed_data: bool = False,
    clock: Clock | None = None,
    profile_name: str = "strict",
    quirks: bool = False,
) -> SandboxApp:
    """Open (creating if needed) the state store and build the app; optionally seed it."""
    load_operations()  # before the store opens, so that every section's tables get created
    store = state if isinstance(state, Store) else Store(state)
    store.init_schema()  # idempotent; covers a Store opened before the operations loaded
    app = SandboxApp(store, clock=clock, profile_name=profile_name, quirks=quirks)
    if seed_data:
        seed(store, app.clock)
    return app
