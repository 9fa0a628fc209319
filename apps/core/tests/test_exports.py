"""Streamed CSV / XLSX exports: content, formula neutralisation and constant memory."""

import csv
import io
import tracemalloc

import pytest
from openpyxl import load_workbook

from apps.core.exports import export_response, iter_csv, iter_xlsx, neutralise

# Pure logic: part of `make check`.
pytestmark = pytest.mark.unit

DANGEROUS = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_prefixes_are_neutralised(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["a@b.com", "张三", "", "1-2", "normal = text"])
def test_plain_values_are_unchanged(value):
    assert neutralise(value) == value


def test_none_becomes_empty():
    assert neutralise(None) == ""


def read_csv(chunks) -> list[list[str]]:
    data = b"".join(chunks)
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel detects UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_content_and_neutralisation():
    rows = [("a@example.com", "张三"), ("=cmd|' /C calc'!A0", "+x")]
    assert read_csv(iter_csv(rows, header=["E-mail", "Name"])) == [
        ["E-mail", "Name"],
        ["a@example.com", "张三"],
        ["'=cmd|' /C calc'!A0", "'+x"],
    ]


def read_xlsx(chunks):
    workbook = load_workbook(io.BytesIO(b"".join(chunks)), read_only=True)
    sheet = workbook.worksheets[0]
    rows = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    return sheet.title, rows


def test_xlsx_opens_in_openpyxl_with_text_cells():
    rows = [("a@example.com", "张三 & <李四>"), ("@SUM(A1)", "ok\x01bad-control"), ("b@x.com", "")]
    title, got = read_xlsx(iter_xlsx(rows, header=["E-mail", "Name"], sheet_title="List: VIP"))
    assert title == "List  VIP"
    assert got == [
        ["E-mail", "Name"],
        ["a@example.com", "张三 & <李四>"],
        ["'@SUM(A1)", "okbad-control"],
        ["b@x.com"],  # an empty last cell is not written
    ]


def test_xlsx_streams_before_all_rows_are_read():
    consumed = []

    def rows():
        for i in range(5000):
            consumed.append(i)
            yield (f"user{i}@example.com", f"名字{i}")

    stream = iter_xlsx(rows())
    first = next(stream)
    assert first.startswith(b"PK")  # the zip has begun
    next(stream)
    assert len(consumed) < 5000  # data leaves before the last row is read


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_memory_stays_flat_for_many_rows(fmt):
    """200,000 rows pass through with a peak far below what holding them would take."""

    def rows():
        for i in range(200_000):
            yield (f"user{i}@example.com", f"用户名称{i}", "=1+1")

    body = iter_csv(rows()) if fmt == "csv" else iter_xlsx(rows())
    tracemalloc.start()
    size = 0
    for chunk in body:
        size += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert size > 1_000_000
    assert peak < 4_000_000, peak  # the rows alone are ~25 MB


def test_export_response_headers():
    response = export_response(
        iter([("a@b.c", "x")]), fmt="xlsx", filename="列表 12/../x", header=["E-mail", "Name"]
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert disposition.endswith(".xlsx") and "/" not in disposition
    assert "%E5%88%97%E8%A1%A8" in disposition  # 列表, percent-encoded
    closed = []
    response = export_response(
        iter([("a", "b")]), fmt="csv", filename="x", on_close=lambda: closed.append(1)
    )
    assert b"".join(response.streaming_content).endswith(b"a,b\r\n")
    assert closed == [1]
    with pytest.raises(ValueError):
        export_response([], fmt="pdf", filename="x")
