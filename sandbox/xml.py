"""Render the platform's XML replies.

The platform builds its XML by string concatenation (PHP), so replies carry the
``<?xml version="1.0" encoding="UTF-8"?>`` declaration, one element per line, and
mix plain and CDATA-wrapped values: free text (company, address, names, error
descriptions...) comes in ``<![CDATA[...]]>``, numbers, codes and dates do not.
Clients must accept both, so the sandbox reproduces the mix on purpose.

A reply is a small tree of :class:`Node` built with :func:`leaf` (plain value),
:func:`text` (CDATA value) and :func:`node` (container), rendered by
:func:`render` or wrapped straight into a response by :func:`xml_response`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
XML_CONTENT_TYPE = "text/xml; charset=utf-8"


@dataclass
class Node:
    tag: str
    value: object = None
    cdata: bool = False
    children: list[Node] = field(default_factory=list)


def leaf(tag: str, value: object) -> Node:
    """A number, code or date: rendered as escaped plain text."""
    return Node(tag, value)


def text(tag: str, value: object) -> Node:
    """Free text: rendered inside CDATA, as the platform does for user-entered values."""
    return Node(tag, value, cdata=True)


def node(tag: str, *children: Node | Iterable[Node]) -> Node:
    """A container; children may be given one by one or as iterables (e.g. a generator)."""
    flat: list[Node] = []
    for child in children:
        if isinstance(child, Node):
            flat.append(child)
        else:
            flat.extend(child)
    return Node(tag, children=flat)


def _scalar(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        # PHP prints booleans as 1 / empty string; the platform's flags are 0/1.
        return "1" if value else "0"
    return str(value)


def cdata(value: str) -> str:
    # "]]>" cannot appear inside a CDATA section; split it across two sections.
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _render(n: Node, depth: int, out: list[str]) -> None:
    pad = " " * depth
    if n.children:
        out.append(f"{pad}<{n.tag}>")
        for child in n.children:
            _render(child, depth + 1, out)
        out.append(f"{pad}</{n.tag}>")
        return
    raw = _scalar(n.value)
    body = cdata(raw) if n.cdata else escape(raw)
    out.append(f"{pad}<{n.tag}>{body}</{n.tag}>")


def render(root: Node) -> str:
    """The whole document, declaration included, one-space indentation like the docs' samples."""
    out = [XML_DECLARATION]
    _render(root, 0, out)
    return "\n".join(out) + "\n"


def xml_response(root: Node, status: int = 200) -> Response:
    return Response(render(root).encode("utf-8"), status=status, content_type=XML_CONTENT_TYPE)


def result(status: str, data: object = None, *, data_cdata: bool = True, **extra: object) -> Node:
    """The platform's generic ``<result>`` reply (§4.3, §4.9.3, §6.2...).

    ``extra`` elements (e.g. ``id=`` for add-task) go between ``<status>`` and ``<data>``,
    as in §6.2.
    """
    children = [leaf("status", status)]
    children += [leaf(k, v) for k, v in extra.items()]
    children.append(Node("data", data, cdata=data_cdata))
    return node("result", children)


def result_response(status: str, data: object = None, **kwargs: object) -> Response:
    return xml_response(result(status, data, **kwargs))
