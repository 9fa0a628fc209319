"""Parsing a huge reply of flat rows in a helper process, as CSV.

A million-row §3.2 reply costs seconds of pure parsing; done in the portal's process it adds to
the work of writing the rows. `csv_stream()` hands the reply's bytes, as they arrive, to a
helper process (`python -m apps.umail.records`) that parses them with `xml.iter_records`
(defusedxml's parser, as everywhere) and writes the rows back as CSV, ready for PostgreSQL's
`COPY … (FORMAT csv)`: parsing and storing then run on two CPUs at once.

The helper imports no Django and makes no connection: it only turns bytes into CSV. A reply that
is broken (or the platform's `<result>` error) makes it exit non-zero; `csv_stream()` then raises
MalformedReply (or yields the `<result>` element through ResultRoot) once the rows it wrote are
consumed, so a caller storing in a transaction stores nothing.

Parsing is the slow part (expat calls Python for every element), so a reply of rows is split
between several helpers (`PARSERS`, one per CPU up to two): the portal checks the whole reply
with expat alone, which calls no Python and is quick, cuts it after whole rows and deals the
stretches out in turn, each helper reading a document of its own (`<data>`, its stretches,
`</data>`) and answering in length-prefixed frames of whole CSV rows, which the portal passes on
as they come: the rows' order is not kept (COPY does not need it).
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import os
import re
import selectors
import struct
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from xml.etree.ElementTree import Element

from . import xml
from .errors import MalformedReply

ROOT = Path(__file__).resolve().parents[2]
_RESULT_EXIT, _MALFORMED_EXIT = 3, 2
PARSERS = max(1, min(2, os.cpu_count() or 1))
SHARE_FROM = 1 << 20  # bytes: a smaller reply is parsed by one helper (one process to start)
_FRAME = struct.Struct(">I")
_MAX_ROW = 16 << 20  # bytes without a row's end: not a reply of rows
# The start of a reply up to the end of its root element's start tag.
_ROOT_START = re.compile(
    rb"\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<([A-Za-z_][\w.:-]*)(?:\s[^>]*)?>", re.DOTALL
)


def csv_stream(
    chunks: Iterable[bytes],
    tag: str,
    fields: Sequence[str],
    *,
    roots: Sequence[str] = ("data",),
    times: Sequence[str] = (),
    defaults: dict[str, str] | None = None,
    prefix: Sequence[str] = (),
    parsers: int | None = None,
) -> Iterator[bytes]:
    """CSV bytes of the rows (`prefix` then `fields`; empty fields get their `defaults`; times in
    `times` that are the platform's "0000-00-00 …" are left empty), parsed by `parsers` helper
    processes (default PARSERS) as `chunks` are fed to them."""
    spec = {
        "tag": tag, "fields": list(fields), "roots": list(roots), "times": list(times),
        "defaults": defaults or {}, "prefix": [str(p) for p in prefix],
    }  # fmt: skip
    parsers = PARSERS if parsers is None else max(1, parsers)
    stream = xml._utf8_chunks(chunks)
    # The start, up to SHARE_FROM bytes: enough to see the root element and whether the reply
    # is big enough to be worth starting more than one helper.
    pieces, size, ended = [], 0, True
    for chunk in stream:
        pieces.append(chunk)
        size += len(chunk)
        if size >= SHARE_FROM:
            ended = False
            break
    head = b"".join(pieces)
    stream = itertools.chain([head], stream)
    match = _ROOT_START.match(head)
    root = match.group(1).decode("utf-8", "replace") if match else None
    if parsers == 1 or ended or root not in roots:
        # One helper reads the reply as it is: a small reply, an error reply, one CPU.
        yield from _csv_one(stream, spec)
    else:
        yield from _csv_shared(stream, spec, root, match.end(), parsers)


def _spawn(spec: dict) -> subprocess.Popen:
    proc = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "apps.umail.records", json.dumps(spec)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    with contextlib.suppress(OSError):  # bigger pipes: fewer stalls between feeder and helper
        import fcntl

        for stream in (proc.stdin, proc.stdout):
            fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    return proc


def _csv_one(chunks: Iterable[bytes], spec: dict) -> Iterator[bytes]:
    proc = _spawn(spec)
    failure: list[BaseException] = []

    def feed() -> None:
        try:
            for chunk in chunks:
                proc.stdin.write(chunk)
        except BrokenPipeError:
            pass  # the helper stopped (a broken reply): its exit status says why
        except BaseException as exc:  # e.g. the platform's connection dropped
            failure.append(exc)
        finally:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()

    feeder = threading.Thread(target=feed, name="records-feed", daemon=True)
    feeder.start()
    try:
        while True:
            block = proc.stdout.read(1 << 16)
            if not block:
                break
            yield block
        feeder.join()
        outcome = _outcome(proc)
    finally:
        _reap([proc])
    _raise_for_outcomes(failure, [outcome])


def _outcome(proc: subprocess.Popen) -> tuple[int, str]:
    """A finished helper's exit status and what it said (read first: a full pipe would block)."""
    error = proc.stderr.read().decode("utf-8", "replace")
    return proc.wait(), error


def _reap(procs: list[subprocess.Popen]) -> None:
    """Stop helpers still running (the caller stopped reading early) and close their pipes."""
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            stream.close()


def _raise_for_outcomes(failure: list[BaseException], outcomes: list[tuple[int, str]]) -> None:
    """The feeding's failure first (the reply's own fault), then the first helper's."""
    if failure:
        raise failure[0]
    for code, error in outcomes:
        _raise_for_exit(code, error)


def _raise_for_exit(code: int, error: str) -> None:
    if code == _RESULT_EXIT:
        found = json.loads(error)
        element = Element("result")
        for name in ("status", "data"):
            child = Element(name)
            child.text = found.get(name, "")
            element.append(child)
        raise xml.ResultRoot(element)
    if code:
        raise MalformedReply(error.strip() or f"The reply could not be parsed (exit {code}).")


def _checker():
    """defusedxml's expat parser with no Python callbacks: it checks a reply (well-formed,
    no DTD or entities) at C speed and builds nothing."""
    from defusedxml.ElementTree import DefusedXMLParser

    expat = DefusedXMLParser(forbid_dtd=True).parser  # keeps defusedxml's DTD handlers
    for handler in (
        "StartElementHandler", "EndElementHandler", "CharacterDataHandler", "CommentHandler",
        "ProcessingInstructionHandler", "DefaultHandlerExpand", "StartNamespaceDeclHandler",
        "EndNamespaceDeclHandler",
    ):  # fmt: skip
        setattr(expat, handler, None)
    return expat


def _csv_shared(
    chunks: Iterable[bytes], spec: dict, root: str, body_start: int, parsers: int
) -> Iterator[bytes]:
    """The reply's rows shared out among `parsers` helpers (see the module's docstring)."""
    from xml.etree.ElementTree import ParseError
    from xml.parsers.expat import ExpatError

    from defusedxml import DefusedXmlException

    spec = {**spec, "roots": [root], "framed": True}
    procs = [_spawn(spec) for _ in range(parsers)]
    close = f"</{spec['tag']}>".encode()
    failure: list[BaseException] = []

    def feed() -> None:
        checker = _checker()
        complete = False
        try:
            for proc in procs:
                proc.stdin.write(f"<{root}>".encode())
            pending, turn, first = b"", 0, True
            for chunk in chunks:
                if not chunk:
                    continue
                checker.Parse(chunk, False)
                if first:  # what precedes the rows (declaration, root start tag) was checked
                    chunk, first = chunk[body_start:], False
                pending += chunk
                cut = pending.rfind(close)
                if cut < 0:
                    if len(pending) > _MAX_ROW:
                        raise ValueError(f"no {close.decode()} in {_MAX_ROW} bytes")
                    continue
                cut += len(close)
                procs[turn].stdin.write(pending[:cut])
                pending, turn = pending[cut:], (turn + 1) % parsers
            if first:
                raise MalformedReply("The platform sent an empty reply.")
            checker.Parse(b"", True)
            complete = True
        except (ExpatError, ParseError, DefusedXmlException, ValueError) as exc:
            failure.append(MalformedReply(f"The platform's reply is not valid XML ({exc})."))
        except BrokenPipeError:
            pass  # a helper stopped (a broken reply): its exit status says why
        except BaseException as exc:  # e.g. the platform's connection dropped
            failure.append(exc)
        finally:
            for proc in procs:
                with contextlib.suppress(BrokenPipeError, OSError):
                    if complete:  # a cut-off document makes the helper fail, as it should
                        proc.stdin.write(f"</{root}>".encode())
                    proc.stdin.close()

    feeder = threading.Thread(target=feed, name="records-feed", daemon=True)
    feeder.start()
    try:
        selector = selectors.DefaultSelector()
        buffers = {}
        for proc in procs:
            selector.register(proc.stdout, selectors.EVENT_READ, proc)
            buffers[proc.pid] = b""
        open_pipes = len(procs)
        while open_pipes:
            for key, _ in selector.select():
                proc = key.data
                block = os.read(key.fd, 1 << 20)
                if not block:
                    selector.unregister(key.fileobj)
                    open_pipes -= 1
                    continue
                data = buffers[proc.pid] + block
                at = 0
                while len(data) - at >= _FRAME.size:
                    (size,) = _FRAME.unpack_from(data, at)
                    if len(data) - at - _FRAME.size < size:
                        break
                    yield data[at + _FRAME.size : at + _FRAME.size + size]
                    at += _FRAME.size + size
                buffers[proc.pid] = data[at:]
        selector.close()
        feeder.join()
        outcomes = [_outcome(proc) for proc in procs]
    finally:
        _reap(procs)
    _raise_for_outcomes(failure, outcomes)


def _helper(spec: dict, source, sink) -> int:
    times = set(spec["times"])
    positions = [i for i, name in enumerate(spec["fields"]) if name in times]
    defaults = [(spec["fields"].index(k), v) for k, v in spec["defaults"].items()]
    prefix = spec["prefix"]
    framed = spec.get("framed", False)  # whole rows in length-prefixed frames (shared replies)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    chunks = iter(lambda: source.read(1 << 16), b"")
    try:
        for batch in xml.iter_records(chunks, spec["tag"], spec["fields"], roots=spec["roots"]):
            for row in batch:
                for i in positions:
                    if row[i][:4] == "0000":
                        row[i] = ""
                for i, value in defaults:
                    if not row[i]:
                        row[i] = value
            if prefix:
                batch = [[*prefix, *row] for row in batch]
            writer.writerows(batch)
            out = buffer.getvalue().encode("utf-8")
            sink.write(_FRAME.pack(len(out)) + out if framed else out)
            buffer.seek(0)
            buffer.truncate()
    except xml.ResultRoot as reply:
        sys.stderr.write(
            json.dumps({n: reply.element.findtext(n) or "" for n in ("status", "data")})
        )
        return _RESULT_EXIT
    except MalformedReply as exc:
        sys.stderr.write(str(exc))
        return _MALFORMED_EXIT
    sink.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_helper(json.loads(sys.argv[1]), sys.stdin.buffer, sys.stdout.buffer))
