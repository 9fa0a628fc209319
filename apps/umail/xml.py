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


_LEADING = b"\xef\xbb\xbf"
_DATE = re.compile(
    r"^\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?\s*$"
)
_TAG = re.compile(
    r"<(/?)([A-Za-z_][\w.\-]*)((?:\s[^<>]*?)?)(/?)>|<!\[CDATA\[.*?\]\]>|<!--.*?-->|<\?.*?\?>", re.S
)


def _without_leading_noise(content: bytes | str) -> bytes | str:
    """PHP pages often start with a newline (or a BOM) before ``<?xml``; expat refuses both."""
    if isinstance(content, bytes):
        content = content.lstrip()
        while content.startswith(_LEADING):
            content = content[len(_LEADING) :].lstrip()
        return content
    return content.lstrip().lstrip("\ufeff").lstrip()


def repair_tags(text: str) -> str | None:
    """A small tag repair for the manual's known defects, or None when it does not help.

    * a closing tag that does not match the open element (``<send_id>7</task_sn>``, L699;
      ``<maillist>…</aillist>``, L1049) is read as that element's closing tag;
    * the root element "closed" by a second opening tag (``<data>…<data>``, L824/L877) at the
      very end of the reply is read as its closing tag.

    Nothing else is invented: a reply cut off in the middle stays unreadable. The text is then
    parsed by defusedxml again, so no entity or DTD is ever resolved.
    """
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    changed = False
    matches = list(_TAG.finditer(text))
    for i, match in enumerate(matches):
        closing, name, _attrs, selfclosing = match.groups()
        out.append(text[pos : match.start()])
        pos = match.end()
        token = match.group(0)
        if name is None or selfclosing:
            out.append(token)
            continue
        if closing:
            if stack and stack[-1] != name and name not in stack:
                token = f"</{stack[-1]}>"
                changed = True
            if stack and stack[-1] == token[2:-1]:
                stack.pop()
            elif name in stack:  # close the inner elements left open, then this one
                while stack and stack[-1] != name:
                    out.append(f"</{stack.pop()}>")
                    changed = True
                stack.pop()
            out.append(token)
            continue
        last = i == len(matches) - 1 and not text[pos:].strip()
        if last and len(stack) == 1 and stack[0] == name:
            out.append(f"</{name}>")
            stack.pop()
            changed = True
            continue
        stack.append(name)
        out.append(token)
    out.append(text[pos:])
    if not changed or stack:
        return None
    return "".join(out)


def parse(content: bytes | str) -> Element:
    """Parse one reply with defusedxml (DTDs and entities refused). Whitespace or a BOM before
    the declaration is skipped; a reply with the manual's known tag defects is repaired
    (`repair_tags`) and parsed again; anything else is a MalformedReply."""
    if not content or not content.strip():
        raise MalformedReply("The platform sent an empty reply.")
    content = _without_leading_noise(content)
    if isinstance(content, bytes):
        content = _transcoded(content)
    try:
        return fromstring(content, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise MalformedReply(f"The platform's reply is not safe XML ({exc}).") from exc
    except (ParseError, ValueError) as exc:
        text = content if isinstance(content, str) else content.decode("utf-8", "replace")
        repaired = repair_tags(text) if "<!DOCTYPE" not in text else None
        if repaired is not None:
            try:
                return fromstring(repaired.encode("utf-8"), forbid_dtd=True)
            except (ParseError, DefusedXmlException, ValueError):
                pass
        raise MalformedReply(
            f"The platform's reply is not valid XML ({exc}): {text[:80]!r}"
        ) from exc


def iter_children(source: typing.IO[bytes], tag: str) -> typing.Iterator[Element]:
    """Stream a large reply (e.g. §3.2 open detail): yield each `tag` element directly under the
    root as soon as it is complete, then drop it, so memory stays constant however long the reply.

    A `<result>` root (the platform's error shape) is read whole and yielded once instead, for
    the caller to map. Broken or dangerous XML raises MalformedReply, also mid-stream.
    """
    from defusedxml.ElementTree import iterparse

    root = None
    depth = 0
    try:
        for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                depth += 1
                if root is None:
                    root = element
                continue
            depth -= 1
            # depth 1: a direct child of the root has just ended (the parser may be ahead).
            if depth == 1 and root.tag != "result" and element.tag == tag:
                yield element
                root.remove(element)  # forget what was handed out
        if root is not None and root.tag == "result":
            yield root
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise MalformedReply(f"The platform's reply is not valid XML ({exc}).") from exc
    if root is None:
        raise MalformedReply("The platform sent an empty reply.")


class ResultRoot(Exception):
    """A streamed reply turned out to be the platform's `<result>` shape (an error, usually);
    `element` holds its `<status>` and `<data>` for `transport.error_from_reply`."""

    def __init__(self, element: Element):
        super().__init__("the platform answered <result>")
        self.element = element


def _utf8_chunks(chunks: typing.Iterable[bytes]) -> typing.Iterator[bytes]:
    """The chunks as UTF-8 (see `_utf8_chunks_raw`), leading whitespace or a BOM skipped, and
    the manual's "unclosed" root (a final `<data>` instead of `</data>`, L824/L877) closed."""
    return _close_reopened_root(_utf8_chunks_raw(_skip_leading_noise(chunks)))


def _skip_leading_noise(chunks: typing.Iterable[bytes]) -> typing.Iterator[bytes]:
    started = False
    for chunk in chunks:
        if not started:
            chunk = _without_leading_noise(chunk)
            if not chunk:
                continue
            started = True
        yield chunk


_ROOT_NAME = re.compile(rb"^\s*(?:<\?.*?\?>\s*)?<([A-Za-z_][\w.\-]*)[\s>]", re.S)
_TAIL = 512


def _close_reopened_root(chunks: typing.Iterable[bytes]) -> typing.Iterator[bytes]:
    root: bytes | None = None
    held = b""
    for chunk in chunks:
        held += chunk
        if root is None:
            match = _ROOT_NAME.match(held)
            if match is None and len(held) < 4096:
                continue
            root = match.group(1) if match else b""
        if len(held) > _TAIL:
            yield held[:-_TAIL]
            held = held[-_TAIL:]
    stripped = held.rstrip()
    reopened = b"<" + (root or b"\0") + b">"
    if root and stripped.endswith(reopened) and b"</" + root + b">" not in stripped[-64:]:
        held = stripped[: -len(reopened)] + b"</" + root + b">\n"
    if held:
        yield held


def _utf8_chunks_raw(chunks: typing.Iterable[bytes]) -> typing.Iterator[bytes]:
    """The chunks as UTF-8: a declared non-native encoding (GBK...) or GBK bytes mislabelled
    UTF-8 are transcoded on the fly, like `_transcoded` does for whole replies."""
    import codecs

    chunks = iter(chunks)
    first = b""
    for chunk in chunks:  # enough of the start to see the declaration
        first += chunk
        if len(first) >= 512:
            break
    match = _DECLARATION.match(first)
    declared = match.group(1).decode("ascii").lower() if match else "utf-8"
    if declared in _NATIVE and declared not in ("utf-8", "utf8"):
        yield first
        yield from chunks
        return
    if declared in ("utf-8", "utf8"):
        try:  # an incomplete trailing character is fine; invalid bytes are not
            codecs.getincrementaldecoder("utf-8")().decode(first[:65536])
            yield first
            yield from chunks
            return
        except UnicodeDecodeError:
            declared = "gb18030"
    try:
        decoder = codecs.getincrementaldecoder(declared)()
    except LookupError as exc:
        raise MalformedReply(f"The platform's reply is in an unknown encoding {declared}.") from exc
    body = first[match.end() :] if match else first
    try:
        yield decoder.decode(body).encode("utf-8")
        for chunk in chunks:
            yield decoder.decode(chunk).encode("utf-8")
        yield decoder.decode(b"", final=True).encode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedReply(f"The platform's reply is not valid {declared} text.") from exc


def iter_records(
    chunks: typing.Iterable[bytes],
    tag: str,
    fields: typing.Sequence[str],
    *,
    roots: typing.Sequence[str] = ("data",),
) -> typing.Iterator[list[list[str]]]:
    """Stream a large reply of flat rows (§3.2 openers, §3.3 clicks, §2.3 failures): yield, per
    chunk read, the completed `<tag>` rows as lists of the texts of `fields` in that order
    (stripped, "" when absent). Memory stays constant and no element objects are built.

    The parser is defusedxml's (DTDs, entity declarations and external references refused, as
    everywhere); only its element callbacks are swapped for lean ones, which makes a
    million-row reply several times faster than `iter_children` + `to_dataclass`. Rows must be
    flat and `tag` must not be a field name. Broken, truncated or dangerous XML raises
    MalformedReply (possibly after earlier rows were yielded: callers store in a transaction);
    a `<result>` root raises ResultRoot; any other root than `roots` is a MalformedReply.
    """
    from xml.parsers.expat import ExpatError

    from defusedxml.ElementTree import DefusedXMLParser

    if tag in fields:
        raise ValueError("the row tag cannot also be a field name")
    index = {name: i for i, name in enumerate(fields)}
    width = len(fields)
    expat = DefusedXMLParser(forbid_dtd=True).parser  # keeps defusedxml's handlers for DTDs
    expat.buffer_text = True
    expat.buffer_size = 1 << 16
    # No start callback and no default handler: the end callback alone assigns the text
    # gathered since the previous end (leading whitespace is stripped away).
    expat.StartElementHandler = None
    expat.DefaultHandlerExpand = None
    rows: list[list[str]] = []
    other: dict[str, str] = {}
    row = [""] * width
    text = ""
    last = ""
    get = index.get

    def end(name: str) -> None:
        nonlocal row, text, last
        if name == tag:
            rows.append(row)
            row = [""] * width
        else:
            i = get(name)
            if i is None:
                other[name] = text.strip()
            else:
                row[i] = text.strip()
        text = ""
        last = name

    def data(piece: str) -> None:
        nonlocal text
        text += piece

    expat.EndElementHandler = end
    expat.CharacterDataHandler = data
    seen = False
    try:
        for chunk in _utf8_chunks(chunks):
            if not chunk:
                continue
            seen = seen or bool(chunk.strip())
            expat.Parse(chunk, False)
            if rows:
                yield rows
                rows = []
        if not seen:
            raise MalformedReply("The platform sent an empty reply.")
        expat.Parse(b"", True)
    except (ExpatError, ParseError, DefusedXmlException, ValueError) as exc:
        raise MalformedReply(f"The platform's reply is not valid XML ({exc}).") from exc
    if last == "result":
        element = Element("result")
        for name in ("status", "data"):
            child = Element(name)
            child.text = other.get(name, "")
            element.append(child)
        raise ResultRoot(element)
    if last not in roots:
        raise MalformedReply(f"Expected <{'> or <'.join(roots)}> from the platform, got <{last}>.")
    if rows:
        yield rows


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


def _date_parts(value: str) -> list[int]:
    """Every date form the manual shows: ``2019-08-05``, ``2019-8-5``, ``2017-1-5 9:03:00``,
    ``2017-7-4 16:08``, ``/`` separators."""
    match = _DATE.match(value)
    if not match:
        raise ValueError(value)
    return [int(g) if g else 0 for g in match.groups()]


def _parse_date(value: str) -> dt.date | None:
    if value.startswith("0000"):
        return None
    return dt.date(*_date_parts(value)[:3])


def _parse_datetime(value: str) -> dt.datetime | None:
    if value.startswith("0000"):
        return None
    return dt.datetime(*_date_parts(value))


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
