"""Reading an uploaded address file and preparing it for the platform, fast and in bounded memory.

Two steps:

* `sniff(path)` looks at the start of the file: format (CSV/TXT or XLSX), encoding (UTF-8, UTF-8
  with BOM, GB18030/GBK, Big5), delimiter, header, a preview of the first rows and a suggested
  column mapping. Bad files (binary, empty, old .xls, zip bombs) get a clear `ImportFileError`.
* `prepare(...)` streams every row once: checks the address syntax, drops duplicates within the
  file and suppressed addresses, writes the good rows as UTF-8 lines in the platform's
  `email;name;sex;birthday;phone;area;var1..var10` format and the rejected rows, with the reason,
  to a CSV. Memory stays flat: rows are never collected; duplicates are tracked as 64-bit hashes.

The module only needs Django for translations, so `bench/import_prepare.py` runs it directly.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import logging
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from apps.core.exceptions import ApplicationError

from .import_vocabulary import HEADER_SYNONYMS, SEX_VALUES, VAR_FIELDS

logger = logging.getLogger(__name__)

FIELDS = ("address", "fullname", "sex", "birthday", "phone", "area", *VAR_FIELDS)
FIELD_INDEX = {name: i for i, name in enumerate(FIELDS)}

SAMPLE_BYTES = 64 * 1024
PREVIEW_ROWS = 10
MAX_LINE_CHARS = 64 * 1024  # no address row is longer; a longer one is a broken file
# XLSX (a zip) guards: refuse archives that would expand past these.
MAX_XLSX_UNCOMPRESSED = 512 * 1024 * 1024
MAX_XLSX_RATIO = 200
MAX_XLSX_MEMBERS = 2000

# Syntax only (deliverability is the platform's business): the usual local-part characters,
# dot-separated, and a domain of letter/digit/hyphen labels ending in a TLD of two letters or
# more. Anchored by fullmatch.
EMAIL_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)

_DATE_RE = re.compile(r"(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?")

REASON_INVALID = "invalid"
REASON_DUPLICATE = "duplicate"
REASON_SUPPRESSED = "suppressed"
REASON_NO_EMAIL = "no_email"


class ImportFileError(ApplicationError):
    """A file the portal cannot import; the message is for the marketer."""


def email_key(email: str) -> int:
    """The duplicate/suppression key: a 64-bit hash of the lower-cased address.

    Hashes instead of strings keep a million addresses in ~60 MB; Python's string hash is
    stable within one process, which is all one validation run needs (a collision between two
    real addresses has odds of about 1 in 10^7 for a million rows).
    """
    return hash(email.lower())


@dataclass
class Sniffed:
    file_format: str  # csv / xlsx
    encoding: str = ""
    delimiter: str = ","
    has_header: bool = False
    header: list[str] = field(default_factory=list)
    preview: list[list[str]] = field(default_factory=list)
    columns: int = 0
    mapping: list[str] = field(default_factory=list)
    platform_format: bool = False


@dataclass
class Prepared:
    total: int = 0
    good: int = 0
    invalid: int = 0
    duplicate: int = 0
    suppressed: int = 0

    @property
    def rejected(self) -> int:
        return self.invalid + self.duplicate + self.suppressed


# -- detection ------------------------------------------------------------------------------------


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
    except zipfile.BadZipFile as exc:
        raise ImportFileError(_("The file looks like an Excel file but is damaged.")) from exc
    if "xl/workbook.xml" not in names:
        raise ImportFileError(_("The file is a zip archive, not an Excel (.xlsx) workbook."))
    if len(members) > MAX_XLSX_MEMBERS:
        raise ImportFileError(_("The Excel file has too many parts to be a normal workbook."))
    total = sum(m.file_size for m in members)
    if total > MAX_XLSX_UNCOMPRESSED or any(
        m.compress_size and m.file_size / m.compress_size > MAX_XLSX_RATIO for m in members
    ):
        raise ImportFileError(
            _(
                "The Excel file would expand to an unreasonable size (a “zip bomb”). "
                "Save it as CSV and import that instead."
            )
        )


def detect_encoding(path: Path) -> str:
    """UTF-8 (checked over the whole file, it is fast), else GB18030 or CP950 (Big5)."""
    with path.open("rb") as fh:
        head = fh.read(SAMPLE_BYTES)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ImportFileError(
                _("The file is in UTF-16. Save it as UTF-8 (or GBK / Big5) CSV and try again.")
            )
        decoder = codecs.getincrementaldecoder("utf-8")()
        legacy_sample = bytearray()
        chunk = head
        utf8 = True
        while chunk:
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            if len(legacy_sample) < SAMPLE_BYTES and max(chunk, default=0) > 0x7F:
                # Keep lines with non-ASCII bytes: what tells GBK and Big5 apart.
                for line in chunk.split(b"\n"):
                    if max(line, default=0) > 0x7F:
                        legacy_sample += line + b"\n"
            if not utf8 and len(legacy_sample) >= SAMPLE_BYTES:
                break
            chunk = fh.read(1024 * 1024)
        if utf8:
            try:
                decoder.decode(b"", final=True)
                return "utf-8"
            except UnicodeDecodeError:
                pass
    return _gbk_or_big5(bytes(legacy_sample))


def _gbk_or_big5(sample: bytes) -> str:
    """Tell GBK from Big5 by their byte patterns.

    Both are double-byte with a lead byte >= 0x81. Common simplified characters (GB2312) have a
    trail byte >= 0xA1, while about 40 % of Big5's common characters have one in 0x40–0x7E.
    """
    low = high = 0
    i, n = 0, len(sample)
    while i < n - 1:
        b = sample[i]
        if b >= 0x81:
            trail = sample[i + 1]
            if 0x40 <= trail <= 0x7E:
                low += 1
            elif trail >= 0xA1:
                high += 1
            i += 2
        else:
            i += 1
    big5_ok = _decodes(sample, "cp950")
    gb_ok = _decodes(sample, "gb18030")
    if big5_ok and (not gb_ok or low > 0.15 * (low + high)):
        return "cp950"
    if gb_ok:
        return "gb18030"
    raise ImportFileError(
        _("The file's text encoding is not UTF-8, GBK/GB18030 or Big5. Save it as UTF-8 CSV.")
    )


def _decodes(sample: bytes, encoding: str) -> bool:
    # The sample may end in the middle of a character: ignore an incomplete tail.
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        return True
    except UnicodeDecodeError:
        return False


ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (BOM)",
    "gb18030": "GBK / GB18030",
    "cp950": "Big5",
}


def _sniff_delimiter(lines: list[str]) -> str:
    best, best_score = ",", 0
    for candidate in (",", ";", "\t", "|"):
        counts = [line.count(candidate) for line in lines if line.strip()]
        if not counts:
            continue
        common, freq = Counter(counts).most_common(1)[0]
        if common == 0:
            continue
        score = freq * 10 + min(common, 5)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _looks_like_email(value: str) -> bool:
    return "@" in value and EMAIL_RE.fullmatch(value.strip()) is not None


def suggest_mapping(
    header: list[str] | None, rows: list[list[str]], columns: int, var_labels: dict[str, str]
) -> tuple[list[str], bool]:
    """(mapping per column, is the platform's own format)."""
    mapping = [""] * columns
    if header:
        labels = {str(v).strip().lower(): k for k, v in (var_labels or {}).items() if v}
        for i, name in enumerate(header[:columns]):
            key = str(name or "").strip().lower()
            chosen = labels.get(key) or next(
                (f for f, names in HEADER_SYNONYMS.items() if key in names), ""
            )
            if chosen and chosen not in mapping:
                mapping[i] = chosen
    if "address" not in mapping:
        # The column that holds addresses in most preview rows.
        scores = [
            sum(1 for r in rows if i < len(r) and _looks_like_email(r[i])) for i in range(columns)
        ]
        if scores and max(scores) > 0:
            email_col = scores.index(max(scores))
            mapping[email_col] = "address"
            platform = email_col == 0 and columns >= 2 and not header
            return mapping, platform
    return mapping, False


def sniff(path: Path, *, var_labels: dict[str, str] | None = None) -> Sniffed:
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise ImportFileError(_("The file is empty."))
    with path.open("rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    if head.startswith(b"PK\x03\x04"):
        _check_zip(path)
        return _sniff_xlsx(path, var_labels or {})
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _("Old Excel (.xls) files are not supported. Save the sheet as .xlsx or CSV.")
        )
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError(
            _("This is not a text file (it contains binary data). Upload a CSV, TXT or XLSX file.")
        )
    encoding = detect_encoding(path)
    lines: list[str] = []
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        for line in _bounded_lines(fh):
            if line.strip():
                lines.append(line)
            if len(lines) > PREVIEW_ROWS + 40:
                break
    if not lines:
        raise ImportFileError(_("The file has no rows."))
    delimiter = _sniff_delimiter(lines)
    rows = list(csv.reader(lines, delimiter=delimiter))
    return _finish_sniff(rows, "csv", encoding, delimiter, var_labels or {})


def _finish_sniff(rows, file_format, encoding, delimiter, var_labels) -> Sniffed:
    rows = [[str(c or "").strip() for c in r] for r in rows if any(str(c or "").strip() for c in r)]
    if not rows:
        raise ImportFileError(_("The file has no rows."))
    first = rows[0]
    has_header = not any(_looks_like_email(c) for c in first) and any(
        _looks_like_email(c) for r in rows[1:6] for c in r
    )
    header = first if has_header else []
    body = rows[1:] if has_header else rows
    columns = max(len(r) for r in rows[: PREVIEW_ROWS + 1])
    mapping, platform = suggest_mapping(header, body[: PREVIEW_ROWS * 3], columns, var_labels)
    if platform and delimiter == ";":
        mapping = list(FIELDS[:columns]) + [""] * max(0, columns - len(FIELDS))
    return Sniffed(
        file_format=file_format,
        encoding=encoding,
        delimiter=delimiter,
        has_header=has_header,
        header=header,
        preview=body[:PREVIEW_ROWS],
        columns=columns,
        mapping=mapping,
        platform_format=platform and delimiter == ";",
    )


def _xlsx_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers stored as numbers
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        # Its messages name the stored file's path on the server: say what it means instead.
        logger.warning("unreadable xlsx %s: %s: %s", path.name, type(exc).__name__, exc)
        raise ImportFileError(
            _(
                "The Excel file cannot be read: it is damaged, protected with a password, or not "
                "an .xlsx workbook. Save it again from Excel as .xlsx, or as CSV."
            )
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_xlsx_value(v) for v in row]
    finally:
        workbook.close()


def _sniff_xlsx(path: Path, var_labels) -> Sniffed:
    rows = []
    for row in _xlsx_rows(path):
        if any(row):
            rows.append(row)
        if len(rows) > PREVIEW_ROWS + 10:
            break
    return _finish_sniff(rows, "xlsx", "", "", var_labels)


# -- the pass over every row ------------------------------------------------------------------


def _bounded_lines(fh) -> Iterator[str]:
    """Lines of a text file, refusing one longer than MAX_LINE_CHARS (a broken or hostile file
    must not be read into memory as one line)."""
    readline = fh.readline
    limit = MAX_LINE_CHARS + 1
    number = 0
    while True:
        line = readline(limit)
        if not line:
            return
        number += 1
        if len(line) == limit and not line.endswith("\n"):
            raise ImportFileError(
                _(
                    "Line %(number)s is longer than %(limit)s characters: this is not an "
                    "address file (or its line breaks are missing)."
                )
                % {"number": number, "limit": MAX_LINE_CHARS}
            )
        yield line


def _normalise_sex(value: str) -> str:
    return SEX_VALUES.get(value.strip().lower(), "")


def _normalise_birthday(value: str) -> str:
    match = _DATE_RE.fullmatch(value.strip())
    if not match:
        return ""
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3])).isoformat()
    except ValueError:
        return ""


def _clean(value: str) -> str:
    # The platform's line format has no quoting: separators and line breaks would shift columns.
    if ";" in value:
        value = value.replace(";", ",")
    if "\n" in value or "\r" in value:
        value = value.replace("\r", " ").replace("\n", " ")
    return value.strip()


def iter_rows(path: Path, sniffed: Sniffed, progress_fh: list | None = None) -> Iterator[list[str]]:
    """Every row of the file as lists of strings (header included)."""
    if sniffed.file_format == "xlsx":
        yield from _xlsx_rows(path)
        return
    fh = open(path, encoding=sniffed.encoding or "utf-8", errors="replace", newline="")  # noqa: SIM115
    if progress_fh is not None:
        progress_fh.append(fh.buffer)
    with fh:
        yield from csv.reader(_bounded_lines(fh), delimiter=sniffed.delimiter or ",")


def prepare(
    path: Path,
    sniffed: Sniffed,
    *,
    mapping: list[str],
    out_path: Path,
    rejects_path: Path,
    suppressed: set[int] | frozenset[int] = frozenset(),
    progress: Callable[[int, int], None] | None = None,
    progress_every: int = 50_000,
) -> Prepared:
    """Validate and convert every row; returns the counts. See the module docstring."""
    if "address" not in mapping:
        raise ImportFileError(_("No column is mapped to the e-mail address."))
    email_idx = mapping.index("address")
    extras = [
        (FIELD_INDEX[name], i)
        for i, name in enumerate(mapping)
        if name and name != "address" and name in FIELD_INDEX
    ]
    sex_pos, birthday_pos = FIELD_INDEX["sex"], FIELD_INDEX["birthday"]
    template = [""] * len(FIELDS)
    result = Prepared()
    seen: set[int] = set()
    seen_add = seen.add
    match = EMAIL_RE.fullmatch
    buffers: list = []
    rows = iter_rows(path, sniffed, buffers)
    if sniffed.has_header:
        next(rows, None)
    first_line = 2 if sniffed.has_header else 1
    good_lines: list[str] = []
    reject_rows: list[tuple] = []
    total = good = invalid = duplicate = suppressed_count = 0

    with (
        open(out_path, "w", encoding="utf-8", newline="\n") as out,
        open(rejects_path, "w", encoding="utf-8-sig", newline="") as rejects_fh,
    ):
        rejects = csv.writer(rejects_fh)
        rejects.writerow([_("line"), _("reason"), _("e-mail"), _("row")])
        for number, row in enumerate(rows, first_line):
            if not row:
                continue
            total += 1
            try:
                email = row[email_idx].strip()
            except IndexError:
                email = ""
            if not email:
                invalid += 1
                reject_rows.append((number, REASON_NO_EMAIL, "", row))
            elif len(email) > 254 or match(email) is None:
                invalid += 1
                reject_rows.append((number, REASON_INVALID, email, row))
            else:
                key = hash(email.lower())
                if key in seen:
                    duplicate += 1
                    reject_rows.append((number, REASON_DUPLICATE, email, row))
                elif key in suppressed:
                    seen_add(key)
                    suppressed_count += 1
                    reject_rows.append((number, REASON_SUPPRESSED, email, row))
                else:
                    seen_add(key)
                    good += 1
                    if extras:
                        values = template.copy()
                        values[0] = email
                        width = len(row)
                        for pos, idx in extras:
                            if idx < width:
                                value = row[idx]
                                if value:
                                    values[pos] = _clean(value)
                        if values[sex_pos]:
                            values[sex_pos] = _normalise_sex(values[sex_pos])
                        if values[birthday_pos]:
                            values[birthday_pos] = _normalise_birthday(values[birthday_pos])
                        good_lines.append(";".join(values))
                    else:
                        good_lines.append(email)
            if total % 10_000 == 0:
                if good_lines:
                    out.write("\n".join(good_lines))
                    out.write("\n")
                    good_lines.clear()
                if reject_rows:
                    _write_rejects(rejects, reject_rows, sniffed.delimiter)
                if progress is not None and total % progress_every == 0:
                    progress(total, buffers[0].tell() if buffers else 0)
        if good_lines:
            out.write("\n".join(good_lines))
            out.write("\n")
        if reject_rows:
            _write_rejects(rejects, reject_rows, sniffed.delimiter)
    result.total, result.good, result.invalid = total, good, invalid
    result.duplicate, result.suppressed = duplicate, suppressed_count
    return result


REASON_LABELS = {
    REASON_INVALID: "invalid address",
    REASON_NO_EMAIL: "no address",
    REASON_DUPLICATE: "duplicate in the file",
    REASON_SUPPRESSED: "suppressed (bounced or unsubscribed)",
}


def _write_rejects(writer, rows: list[tuple], delimiter: str) -> None:
    joiner = delimiter or ","
    writer.writerows(
        (number, REASON_LABELS[reason], _neutral(email), _neutral(joiner.join(row)))
        for number, reason, email, row in rows
    )
    rows.clear()


def _neutral(value: str) -> str:
    # The rejects file is opened in spreadsheets too: no formulas (see apps.core.exports).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def read_prefix_lines(path: Path, count: int) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [line.rstrip("\n") for _, line in zip(range(count), fh, strict=False)]


def count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


def iter_lines(path: Path) -> Iterable[str]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            yield line.rstrip("\n")
