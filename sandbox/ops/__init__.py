"""The operation registry: one decorated function per documented API operation.

An API section is added by dropping a module into ``sandbox/ops/`` whose functions are
decorated with :func:`operation`; :func:`load_operations` imports every module of this
package, so nothing else needs editing. The same function then answers on both bases,
``/mm-ms/apinew/<script>`` (HTTP Basic) and ``/mm-ms/api/<script>`` (legacy md5)::

    @operation("account.php", "customer-info")
    def customer_info(ctx: OpContext) -> Node: ...

    @operation("statistic.php")          # a script that takes no ``do``
    def statistic(ctx: OpContext) -> Node: ...

A function returns an :class:`~sandbox.xml.Node` (rendered as an XML reply) or a werkzeug
``Response`` (text and file exports), or raises :class:`OpError` for the platform's
``<result><status>…</status><data>…</data></result>`` error shape.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.wrappers import Request, Response

from sandbox.clock import Clock
from sandbox.store import Store
from sandbox.xml import Node

Handler = Callable[["OpContext"], "Node | Response"]


class OpError(Exception):
    """Answer with ``<result><status>{status}</status><data>{data}</data></result>`` (HTTP 200)."""

    def __init__(self, status: str, data: object = ""):
        super().__init__(f"{status}: {data}")
        self.status = status
        self.data = data


@dataclass
class OpContext:
    request: Request
    account: dict[str, Any]  # the authenticated account's row
    params: MultiDict[str, str]  # GET and POST merged, POST winning; minus do/username/password
    files: MultiDict[str, FileStorage]  # multipart uploads (``file``, ``file[]``)
    store: Store
    clock: Clock
    mode: str  # "apinew" or "api"
    script: str
    do: str | None
    # The strict profile (the default) refuses what the manual forbids; see sandbox/profile.py.
    strict: bool = True

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    def require(self, name: str) -> str:
        """A required parameter; absent or blank answers ``error`` / ``缺少参数：name``.

        The documentation never shows the reply to a missing parameter; see the README.
        """
        value = self.params.get(name, "")
        if not value.strip():
            raise OpError("error", f"缺少参数：{name}")
        return value


@dataclass(frozen=True)
class Operation:
    script: str
    do: str | None
    func: Handler


REGISTRY: dict[tuple[str, str | None], Operation] = {}


def operation(script: str, do: str | None = None) -> Callable[[Handler], Handler]:
    """Register ``func`` as the answer to ``<script>?do=<do>`` (``do=None``: any or no ``do``)."""

    def register(func: Handler) -> Handler:
        key = (script, do)
        if key in REGISTRY and REGISTRY[key].func is not func:
            raise RuntimeError(f"operation {script}?do={do} registered twice")
        REGISTRY[key] = Operation(script, do, func)
        return func

    return register


def find_operation(script: str, do: str | None) -> Operation | None:
    # A script registered without ``do`` ignores it, as a PHP script that never reads it would.
    return REGISTRY.get((script, do)) or REGISTRY.get((script, None))


def known_script(script: str) -> bool:
    return any(s == script for s, _ in REGISTRY)


def load_operations() -> None:
    """Import every module of this package so that its ``@operation``s register."""
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
