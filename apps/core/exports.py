"""Streamed CSV and XLSX downloads, safe to open in a spreadsheet.

    from apps.core.exports import export_response

    rows = ((a.email, a.name) for a in something_large)   # any iterable, consumed lazily
    return export_response(rows, fmt="xlsx", filename="list-12", header=[_("E-mail"), _("Name")])

Both formats are produced while the rows are read, so memory stays constant for a million rows
and the first bytes reach the browser at once:

* CSV is UTF-8 with a BOM (so Excel detects the encoding), one `csv.writer` row at a time.
* XLSX is written as a zip stream (`zipfile` on a non-seekable sink: data descriptors, ZIP64),
  one worksheet with inline strings, flushed every few hundred rows.

Cells that begin with `=`, `+`, `-`, `@` (or a tab / carriage return) are prefixed with `'` so
a spreadsheet shows them as text instead of running them as formulas (CSV/formula injection,
OWASP). `neutralise()` is the single rule; use it for any other spreadsheet-bound output.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from xml.sax.saxutils import escape

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.text import get_valid_filename

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters XML 1.0 cannot carry at all (they would make the workbook unreadable).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def neutralise(value) -> str:
    """The cell's text, with a leading `'` when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Sink(io.RawIOBase):
    """A write-only, non-seekable file that hands out what was written since the last take()."""

    def __init__(self):
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


def iter_csv(rows: Iterable[Sequence], header: Sequence | None = None) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff".encode()
    if header:
        writer.writerow([neutralise(h) for h in header])
    for count, row in enumerate(rows, 1):
        writer.writerow([neutralise(v) for v in row])
        if count % 500 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)


def _workbook(sheet_title: str) -> str:
    title = escape(_XML_ILLEGAL.sub("", sheet_title)[:31] or "Sheet1", {'"': "&quot;"})
    for bad in "[]:*?/\\":
        title = title.replace(bad, " ")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def _row_xml(number: int, values: Sequence) -> str:
    cells = []
    for i, value in enumerate(values):
        text = _XML_ILLEGAL.sub("", neutralise(value))
        if text:
            cells.append(
                f'<c r="{_column_letter(i)}{number}" t="inlineStr"><is><t xml:space="preserve">'
                f"{escape(text)}</t></is></c>"
            )
    return f'<row r="{number}">{"".join(cells)}</row>'


def iter_xlsx(
    rows: Iterable[Sequence], header: Sequence | None = None, sheet_title: str = "Sheet1"
) -> Iterator[bytes]:
    """An .xlsx workbook, yielded in pieces as the rows are read (all cells are text)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _workbook(sheet_title))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        yield sink.take()
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<sheetData>"
            )
            number = 0
            parts: list[str] = []
            if header:
                number += 1
                parts.append(_row_xml(number, header))
            for row in rows:
                number += 1
                parts.append(_row_xml(number, row))
                if len(parts) >= 500:
                    sheet.write("".join(parts).encode("utf-8"))
                    parts.clear()
                    yield sink.take()
            sheet.write("".join(parts).encode("utf-8"))
            sheet.write(b"</sheetData></worksheet>")
        yield sink.take()
    yield sink.take()


def export_response(
    rows: Iterable[Sequence],
    *,
    fmt: str,
    filename: str,
    header: Sequence | None = None,
    sheet_title: str | None = None,
    on_close=None,
) -> StreamingHttpResponse:
    """A streamed download of `rows` as CSV or XLSX; `filename` without extension.

    `on_close` runs when the download ends or is abandoned (e.g. to close a platform stream).
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}")
    name = get_valid_filename(filename) or "export"
    if fmt == "csv":
        body = iter_csv(rows, header)
        content_type = "text/csv; charset=utf-8"
    else:
        body = iter_xlsx(rows, header, sheet_title or name)
        content_type = XLSX_CONTENT_TYPE
    if on_close is not None:
        body = _closing(body, on_close)
    response = StreamingHttpResponse(body, content_type=content_type)
    # RFC 6266 / 5987: an ASCII fallback plus the UTF-8 name (list names are often Chinese).
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.{fmt}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def _closing(body: Iterator[bytes], on_close) -> Iterator[bytes]:
    try:
        yield from body
    finally:
        on_close()
