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
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
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


def csv_stream(
    chunks: Iterable[bytes],
    tag: str,
    fields: Sequence[str],
    *,
    roots: Sequence[str] = ("data",),
    times: Sequence[str] = (),
    defaults: dict[str, str] | None = None,
    prefix: Sequence[str] = (),
) -> Iterator[bytes]:
    """CSV bytes of the rows (`prefix` then `fields`; empty fields get their `defaults`; times in
    `times` that are the platform's "0000-00-00 …" are left empty), parsed by a helper process
    as `chunks` are fed to it."""
    spec = json.dumps(
        {"tag": tag, "fields": list(fields), "roots": list(roots), "times": list(times),
         "defaults": defaults or {}, "prefix": [str(p) for p in prefix]}
    )  # fmt: skip
    proc = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "apps.umail.records", spec],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
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
        error = proc.stderr.read().decode("utf-8", "replace")
        code = proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            stream.close()
    if failure:
        raise failure[0]
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


def _helper(spec: dict, source, sink) -> int:
    times = set(spec["times"])
    positions = [i for i, name in enumerate(spec["fields"]) if name in times]
    defaults = [(spec["fields"].index(k), v) for k, v in spec["defaults"].items()]
    prefix = spec["prefix"]
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
            sink.write(buffer.getvalue().encode("utf-8"))
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
