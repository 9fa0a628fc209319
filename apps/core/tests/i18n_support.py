"""Finding English left on a page rendered in Chinese, and the strings the source marks.

`english_left(html, data)` returns the visible texts (and the attributes people read: title,
aria-label, placeholder, alt, button values, option group labels) that still contain English
words. Skipped, because they are not the portal's sentences: elements marked `translate="no"`
(brand, usernames, language names, time-zone ids), code-like elements (`code`, `pre`, `kbd`,
`samp`), scripts, styles and text areas, e-mail addresses, URLs, domain and file names, merge tags,
a short list of technical acronyms, and anything that is *data*: a piece of text found in the
portal's database or the platform's (the sandbox's state) is a list name, a subject, a company.
"""

from __future__ import annotations

import ast
import io
import re
import sqlite3
import tokenize
from html.parser import HTMLParser
from pathlib import Path

# Sections still being built by another issue (paths like "analytics/"): their strings and pages
# are left out of the checks until they land. Empty: every section is checked.
PENDING: tuple[str, ...] = ()


def only_in_pending(entry) -> bool:
    """A catalogue entry used only by the sections still being built."""
    places = {path for path, _line in entry.occurrences}
    return bool(places) and all(any(f"/{p}" in f"/{path}" for p in PENDING) for path in places)


# Acronyms, product and format names that are written the same way in Chinese text.
TECHNICAL = {
    "edmportal",
    "SMTP",
    "DKIM",
    "SPF",
    "MX",
    "CNAME",
    "TXT",
    "DNS",
    "HTML",
    "CSV",
    "XLSX",
    "Excel",
    "UTF",
    "GBK",
    "GB",
    "Big",
    "URL",
    "URLs",
    "ID",
    "API",
    "IP",
    "TLS",
    "SSL",
    "STARTTLS",
    "HTTP",
    "HTTPS",
    "KB",
    "MB",
    "UTC",
    "AUTH",
    "LOGIN",
    "EHLO",
    "HELO",
    "Ctrl",
    "Base",
    "Gmail",
    "Quoted",
    "printable",
    "zip",
    "xls",
    "xlsx",
    "csv",
    "txt",
    "html",
    "var",
    "ident",
    "sn",
    "javascript",
    "md",
    "Basic",
    "PDF",
    "PNG",
    "JPG",
    "GIF",
    "CSS",
    "JS",
    "OK",
    "redis",
    "celery",
    "JSON",
    "XML",
}
SKIP_TAGS = {"script", "style", "code", "pre", "kbd", "samp", "textarea", "svg", "iframe"}
VOID_TAGS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-bs-content")

_NOISE = [
    re.compile(r"\S+@\S+"),  # e-mail addresses
    re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"),  # UUIDs
    re.compile(r"https?://\S+"),
    re.compile(r"\bU-Mail\b"),
    re.compile(r"\b[A-Z][a-z]+/[A-Za-z_]+\b"),  # time-zone ids such as Asia/Shanghai
    re.compile(r"\S*\w[.:_@/]\w\S*"),  # domain and file names, ids like task_id, include:spf.x
    re.compile(r"\{[^{}]*\}"),  # merge tags
    re.compile(r"%\(\w+\)[sd]"),
    re.compile(r"\bdata: URL"),
    re.compile(r"\bjavascript:"),
    re.compile(r"<link rel=stylesheet>"),
]
_WORD = re.compile(r"[A-Za-z]{2,}")
CODE = re.compile(r"[a-z][a-z0-9_]*")
# A run of English: words with the spaces and punctuation inside a phrase (not digits, stops or
# colons, which separate what is data from what is a label).
_RUN = re.compile(r"[A-Za-z][A-Za-z'’&,;()/ -]*[A-Za-z)]|[A-Za-z]{2,}")


class _Texts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.found: list[str] = []

    @property
    def skipping(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skip = tag in SKIP_TAGS or attrs.get("translate") == "no"
        if not self.skipping and not skip:
            for name in READ_ATTRIBUTES:
                if attrs.get(name):
                    self.found.append(attrs[name])
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.found.append(attrs["value"])
            if tag == "optgroup" and attrs.get("label"):
                self.found.append(attrs["label"])
        if tag not in VOID_TAGS:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        # Tolerate unclosed elements: pop back to the matching open tag.
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.found.append(data.strip())


def visible_texts(html: str) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    parser.close()
    return parser.found


def english_left(html: str, data: str) -> list[str]:
    """Texts of the page that still contain English that is neither data nor technical."""
    left = []
    for text in visible_texts(html):
        cleaned = text
        for pattern in _NOISE:
            cleaned = pattern.sub(" ", cleaned)
        runs = []
        for run in _RUN.findall(cleaned):
            words = [w for w in _WORD.findall(run) if w not in TECHNICAL]
            if words and run.strip() not in data and text.strip() not in data:
                runs.append(run)
        if runs:
            left.append(text if len(text) < 200 else text[:200] + "…")
    return left


# -- data: the texts the page may show that are not the portal's own sentences -------------------


def portal_data() -> set[str]:
    """Every text value stored in the portal's database (mirrors, jobs, audit entries, …)."""
    from django.apps import apps
    from django.db import DatabaseError, models, transaction

    values: set[str] = set()

    def walk(value):
        # Codes (enabled, green, all, …) are not data to show: a page printing one untranslated
        # must fail, so they do not count as data here.
        if isinstance(value, str) and not CODE.fullmatch(value):
            values.add(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for model in apps.get_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields or model._meta.app_label in ("sessions", "admin", "contenttypes"):
            continue
        try:
            with transaction.atomic():  # a savepoint: one unreadable table spoils nothing
                rows = list(model.objects.values_list(*fields))
        except DatabaseError:
            continue  # a model whose migration is not written yet (work in progress)
        for row in rows:
            for value in row:
                walk(value)
    return values


def sandbox_data(sandbox) -> set[str]:
    """Every text value in the sandbox platform's state (what the portal reads live from it)."""
    args = list(sandbox.proc.args)
    state = Path(args[args.index("--state") + 1])
    values: set[str] = set()
    connection = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
    try:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        for table in tables:
            if table.startswith("sqlite_") or "fts" in table:
                continue
            for row in connection.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - own names
                values.update(v for v in row if isinstance(v, str) and not CODE.fullmatch(v))
    finally:
        connection.close()
    return values


# -- what the source marks for translation (without GNU gettext) -----------------------------------

PY_FUNCTIONS = {
    "_": "s",
    "gettext": "s",
    "gettext_lazy": "s",
    "gettext_noop": "s",
    "ngettext": "p",
    "ngettext_lazy": "p",
    "pgettext": "c",
    "pgettext_lazy": "c",
    "npgettext": "cp",
    "npgettext_lazy": "cp",
}


def _key(kind: str, args: list[str]) -> tuple[str, str] | None:
    if kind == "c" or kind == "cp":
        return (args[0], args[1]) if len(args) >= 2 else None
    return ("", args[0]) if args else None


def python_msgids(path: Path) -> set[tuple[str, str]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in PY_FUNCTIONS:
            continue
        args = []
        for arg in node.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                args.append(arg.value)
            else:
                break
        key = _key(PY_FUNCTIONS[name], args)
        if key and key[1]:
            found.add(key)
    return found


TEMPLATE_FUNCTIONS = {"gettext": "s", "ngettext": "p", "pgettext": "c", "npgettext": "cp"}


def template_msgids(path: Path) -> set[tuple[str, str]]:
    """Django's own `templatize()` (what makemessages feeds xgettext), read with tokenize."""
    from django.utils.translation.template import templatize

    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    # Calls are written on one line (their strings as repr()); indentation is noise here.
    code = "\n".join(line.strip() for line in code.splitlines())
    tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    found = set()
    for i, token in enumerate(tokens):
        if token.type != tokenize.NAME or token.string not in TEMPLATE_FUNCTIONS:
            continue
        if i + 1 >= len(tokens) or tokens[i + 1].string != "(":
            continue
        args = []
        for follow in tokens[i + 2 :]:
            if follow.type == tokenize.STRING:
                args.append(ast.literal_eval(follow.string))
            elif follow.string == ",":
                continue
            else:
                break
        key = _key(TEMPLATE_FUNCTIONS[token.string], args)
        if key and key[1]:
            found.add(key)
    return found
