"""The local import pipeline: detection of format, encoding and columns; validation; bad files."""

import codecs
import csv
import zipfile

import pytest

from apps.contacts import importing
from apps.contacts.importing import ImportFileError, prepare, sniff

from .factories import (
    HEADER_SIMPLIFIED,
    HEADER_TRADITIONAL,
    NAMES_SIMPLIFIED,
    NAMES_TRADITIONAL,
    csv_text,
    xlsx_bytes,
)

# Pure logic: part of `make check`.
pytestmark = pytest.mark.unit


def write(tmp_path, content, name="contacts.csv"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def run(tmp_path, path, *, suppressed=frozenset(), mapping=None):
    sniffed = sniff(path)
    out, rejects = tmp_path / "out.txt", tmp_path / "rejects.csv"
    result = prepare(
        path,
        sniffed,
        mapping=mapping or sniffed.mapping,
        out_path=out,
        rejects_path=rejects,
        suppressed=suppressed,
    )
    lines = out.read_text(encoding="utf-8").splitlines()
    with rejects.open(encoding="utf-8-sig") as fh:
        rejected = list(csv.reader(fh))[1:]
    return sniffed, result, lines, rejected


@pytest.mark.parametrize(
    ("encoding", "bom", "names", "expected"),
    [
        ("utf-8", b"", NAMES_SIMPLIFIED, "utf-8"),
        ("utf-8", codecs.BOM_UTF8, NAMES_SIMPLIFIED, "utf-8-sig"),
        ("gbk", b"", NAMES_SIMPLIFIED, "gb18030"),
        ("gb18030", b"", NAMES_SIMPLIFIED, "gb18030"),
        ("big5", b"", NAMES_TRADITIONAL, "cp950"),
    ],
    ids=["utf8", "utf8-bom", "gbk", "gb18030", "big5"],
)
def test_encodings_are_detected_and_converted_to_utf8(tmp_path, encoding, bom, names, expected):
    words = HEADER_TRADITIONAL if names is NAMES_TRADITIONAL else HEADER_SIMPLIFIED
    path = write(tmp_path, bom + csv_text(50, names=names, header_words=words).encode(encoding))
    sniffed, result, lines, _ = run(tmp_path, path)
    assert sniffed.encoding == expected
    assert sniffed.has_header and sniffed.header == words
    assert sniffed.mapping == ["address", "fullname", "phone", "area"]
    assert (result.total, result.good) == (50, 50)
    assert lines[0] == f"user0@example.com;{names[0]};;;13800000000;北京;;;;;;;;;;"


def test_gbk_detected_when_the_first_64_kb_are_ascii(tmp_path):
    ascii_part = "".join(f"a{i}@example.com,Name\n" for i in range(5000))  # > 64 KB
    path = write(tmp_path, ("email,name\n" + ascii_part + "z@example.com,张伟\n").encode("gbk"))
    sniffed, result, lines, _ = run(tmp_path, path)
    assert sniffed.encoding == "gb18030"
    assert lines[-1] == "z@example.com;张伟;;;;;;;;;;;;;;"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_any_delimiter_without_header(tmp_path, delimiter):
    path = write(tmp_path, csv_text(20, header=False, delimiter=delimiter))
    sniffed, result, lines, _ = run(tmp_path, path)
    assert sniffed.delimiter == delimiter and not sniffed.has_header
    assert sniffed.mapping[0] == "address"
    assert result.good == 20


def test_platform_txt_format_maps_every_field(tmp_path):
    line = "a@example.com;张三;M;1986-08-10;13528775968;北京;金卡;v2;v3;v4;v5;v6;v7;v8;v9;v10"
    path = write(tmp_path, line + "\nb@example.com;李四;F\n", "list.txt")
    sniffed, result, lines, _ = run(tmp_path, path)
    assert sniffed.platform_format
    assert sniffed.mapping == list(importing.FIELDS)
    assert lines == [line, "b@example.com;李四;F;;;;;;;;;;;;;"]


def test_xlsx_first_sheet(tmp_path):
    import datetime as dt

    content = xlsx_bytes(
        [
            ["Email", "Name", "Birthday", "Phone", "会员等级"],
            ["a@example.com", "张三", dt.date(1990, 1, 2), 13800138000, "金卡"],
            ["not-an-address", "x", None, None, None],
            ["-cmd()@evil", "y", None, None, None],
        ]
    )
    path = write(tmp_path, content, "book.xlsx")
    sniffed = sniff(path, var_labels={"var1": "会员等级"})
    assert sniffed.file_format == "xlsx" and sniffed.has_header
    assert sniffed.mapping == ["address", "fullname", "birthday", "phone", "var1"]
    _, result, lines, rejected = run(tmp_path, path, mapping=sniffed.mapping)
    assert lines == ["a@example.com;张三;;1990-01-02;13800138000;;金卡;;;;;;;;;"]
    assert (result.good, result.invalid) == (1, 2)
    assert rejected[1][2] == "'-cmd()@evil"  # the rejects file is formula-safe


def test_counts_and_rejects_file(tmp_path):
    extra = ["bad-address,x", ",no address", "USER1@EXAMPLE.COM,dup", "sup@example.com,s"]
    path = write(tmp_path, csv_text(5, extra=extra))
    _, result, lines, rejected = run(
        tmp_path, path, suppressed={importing.email_key("SUP@example.com")}
    )
    assert (result.total, result.good, result.invalid, result.duplicate, result.suppressed) == (
        9,
        5,
        2,
        1,
        1,
    )
    reasons = {row[2]: row[1] for row in rejected}
    assert reasons["bad-address"] == "invalid address"
    assert reasons["USER1@EXAMPLE.COM"] == "duplicate in the file"
    assert reasons["sup@example.com"].startswith("suppressed")
    assert [row[0] for row in rejected] == ["7", "8", "9", "10"]  # line numbers in the file


def test_values_are_cleaned_for_the_platform_format(tmp_path):
    path = write(tmp_path, 'email,name,sex,birthday\na@x.com,"A;B\nC",男,1990/1/2\n')
    _, _, lines, _ = run(tmp_path, path)
    assert lines == ["a@x.com;A,B C;M;1990-01-02;;;;;;;;;;;;"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "not a text file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Old Excel"),
        (codecs.BOM_UTF16_LE + "a@b.com".encode("utf-16-le"), "UTF-16"),
        (b"PK\x03\x04garbage", "damaged"),
    ],
    ids=["empty", "binary", "xls", "utf16", "broken-zip"],
)
def test_bad_files_get_a_clear_message(tmp_path, content, message):
    with pytest.raises(ImportFileError, match=message):
        sniff(write(tmp_path, content))


def test_one_huge_line_is_refused_without_reading_it_whole(tmp_path):
    path = write(tmp_path, "email,name\na@example.com,x\n" + "b" * 5_000_000 + "\n")
    with pytest.raises(ImportFileError, match="Line 3 is longer"):
        sniff(path)  # at upload, when it is near the top
    path = write(tmp_path, csv_text(100) + "b" * 5_000_000 + "\n")
    sniffed = sniff(path)
    with pytest.raises(ImportFileError, match="Line 102 is longer"):
        prepare(
            path,
            sniffed,
            mapping=sniffed.mapping,
            out_path=tmp_path / "o",
            rejects_path=tmp_path / "r",
        )


def test_no_email_column_is_refused(tmp_path):
    path = write(tmp_path, "name,phone\n张三,138\n李四,139\n")
    sniffed = sniff(path)
    assert "address" not in sniffed.mapping
    with pytest.raises(ImportFileError, match="e-mail"):
        prepare(
            path,
            sniffed,
            mapping=sniffed.mapping,
            out_path=tmp_path / "o",
            rejects_path=tmp_path / "r",
        )


def test_zip_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (50 * 1024 * 1024))
    with pytest.raises(ImportFileError, match="zip bomb"):
        sniff(path)


def test_all_invalid(tmp_path):
    path = write(tmp_path, "nope\nstill nope@\n")
    _, result, lines, rejected = run(tmp_path, path, mapping=["address"])
    assert (result.total, result.good, result.invalid) == (2, 0, 2)
    assert lines == [] and len(rejected) == 2


def test_an_unreadable_xlsx_names_no_server_path(tmp_path, monkeypatch):
    """Regression: the message repeated the library's error, which names the stored file."""
    import openpyxl

    from .factories import xlsx_bytes

    path = tmp_path / "stored-upload.xlsx"
    path.write_bytes(xlsx_bytes([["email"], ["a@example.com"]]))

    def unreadable(filename, **kwargs):
        raise OSError(13, "Permission denied", str(filename))

    monkeypatch.setattr(openpyxl, "load_workbook", unreadable)
    with pytest.raises(ImportFileError) as caught:
        sniff(path)
    assert "cannot be read" in str(caught.value)
    assert str(tmp_path) not in str(caught.value) and "stored-upload" not in str(caught.value)
