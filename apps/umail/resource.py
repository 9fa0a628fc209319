"""Base class of the per-resource modules (account, contacts, templates, tasks, stats, ...)."""

from __future__ import annotations

from xml.etree.ElementTree import Element

from .transport import Transport


class Resource:
    #: The platform script this resource's operations live in, e.g. "account.php".
    script: str = ""

    def __init__(self, transport: Transport):
        self.transport = transport

    def _call(self, do: str | None, **kwargs) -> Element:
        return self.transport.call(self.script, do, **kwargs)

    def _write(self, do: str | None, **kwargs) -> Element:
        return self.transport.call(self.script, do, write=True, **kwargs)
