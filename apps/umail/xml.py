"""Reading the platform's XML into dataclasses.

Replies are parsed with defusedxml only. The documentation's samples misspell some elements
(`brithday`, `send_satus`, `descrīption`), so a dataclass field may name several element names
through `xml_names(...)`; the first one present wins.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import types
import typing
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .errors import MalformedReply

T = typing.TypeVar("T")


_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding=[\"']([A-Za-z0-9_.:-]+)[\"'][^>]*\?>")
# Encodings expat reads natively; any other declared encoding is transcoded first.
_NATIVE = {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "utf-16"}


def _transcoded(content: bytes) -> bytes:
    """UTF-8 bytes for expat, whatever the reply was encoded in.

    expat cannot read multi-byte encodings such as GBK, and Chinese servers sometimes send GBK
    while declaring UTF-8; both are decoded here and handed on as UTF-8 without a declaration.
    """
    match = _DECLARATION.match(content)
    declared = match.group(1).decode("ascii").lower() if match else "utf-8"
    body = content[match.end() :] if match else content
    if declared in _NATIVE:
        if declared not in ("utf-8", "utf8"):
            return content
        try:
            body.decode("utf-8")
            return content
        except UnicodeDecodeError:
            declared = "gb18030"  # the usual mislabel; GB18030 is a superset of GBK and GB2312
    try:
        return body.decode(declared).encode("utf-8")
    except (LookupError, UnicodeDecodeError) as exc:
        raise MalformedReply(f"The platform's reply is not valid {declared} text.") from exc


def parse(content: bytes | str) -> Element:
    """Parse one reply; anything but well-formed, harmless XML is a MalformedReply."""
    if not content or not content.strip():
        raise MalformedReply("The platform sent an empty reply.")
    if isinstance(content, bytes):
        content = _transcoded(content)
    try:
        return fromstring(content, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        head = content[:80] if isinstance(content, str) else content[:80].decode("utf-8", "replace")
        raise MalformedReply(f"The platform's reply is not valid XML ({exc}): {head!r}") from exc


def xml_names(*names: str, **kwargs) -> typing.Any:
    """A dataclass field read from the first of several element names."""
    kwargs.setdefault("default", None)
    return dataclasses.field(metadata={"xml": names}, **kwargs)


def child_text(element: Element, *names: str) -> str | None:
    """Text of the first child named in `names`, stripped; None when no such child exists."""
    for name in names:
        child = element.find(name)
        if child is not None:
            return "".join(child.itertext()).strip()
    return None


def _parse_date(value: str) -> dt.date | None:
    if value.startswith("0000"):
        return None
    return dt.date.fromisoformat(value[:10])


def _parse_datetime(value: str) -> dt.datetime | None:
    if value.startswith("0000"):
        return None
    return dt.datetime.fromisoformat(value.replace("/", "-"))


_CONVERTERS: dict[type, typing.Callable[[str], typing.Any]] = {
    str: str,
    int: int,
    float: float,
    Decimal: Decimal,
    dt.date: _parse_date,
    dt.datetime: _parse_datetime,
}


def _target_type(annotation) -> type:
    """`int | None` -> int; plain types as they are."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0]
    return annotation


@functools.cache
def _plan(cls: type) -> list[tuple[str, tuple[str, ...], type]]:
    hints = typing.get_type_hints(cls)
    return [
        (f.name, f.metadata.get("xml", (f.name,)), _target_type(hints[f.name]))
        for f in dataclasses.fields(cls)
        if f.init
    ]


def to_dataclass(cls: type[T], element: Element) -> T:
    """Build `cls` from the children of `element`; missing or empty elements keep the default."""
    values = {}
    for name, xml_tags, target in _plan(cls):
        raw = child_text(element, *xml_tags)
        if raw is None or (raw == "" and target is not str):
            continue
        try:
            values[name] = _CONVERTERS[target](raw)
        except (ValueError, InvalidOperation) as exc:
            raise MalformedReply(
                f"<{element.tag}><{xml_tags[0]}> has an unexpected value {raw!r}."
            ) from exc
    return cls(**values)


def expect_root(root: Element, *tags: str) -> Element:
    """Fail clearly when the reply is XML of another kind than the operation documents."""
    if root.tag not in tags:
        raise MalformedReply(
            f"Expected <{'> or <'.join(tags)}> from the platform, got <{root.tag}>."
        )
    return root
