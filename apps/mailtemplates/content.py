"""Working with template HTML without a browser: merge tags, the plain-text part, lint, import.

Nothing here talks to the platform or the database; views and services call these helpers.
Template HTML is untrusted: it is parsed (never rendered) here, and only ever displayed inside the
sandboxed preview frame.
"""

from __future__ import annotations

import base64
import html
import io
import mimetypes
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.exceptions import ApplicationError

# -- merge tags ----------------------------------------------------------------------------------

#: The documentation (V19) does not say how a template refers to a contact's fields. The portal
#: writes them as `{$field}`, the form common to Chinese EDM platforms; this is the one place to
#: change it if the platform expects another form.
MERGE_TAG = "{{${field}}}"
MERGE_TAG_RE = re.compile(r"\{\$([A-Za-z_][A-Za-z0-9_]*)\}")

#: The platform's fixed address fields (§4.8 / §4.9.1), in its own order.
FIXED_FIELDS = [
    ("email", gettext_lazy("E-mail address")),
    ("fullname", gettext_lazy("Name")),
    ("sex", gettext_lazy("Sex (M/F)")),
    ("birthday", gettext_lazy("Birthday")),
    ("phone", gettext_lazy("Phone")),
    ("area", gettext_lazy("Area")),
]
VAR_FIELDS = [f"var{i}" for i in range(1, 11)]
#: Other spellings accepted in templates ("name" is what §4.9.2's line format calls it).
FIELD_ALIASES = {"name": "fullname", "brithday": "birthday"}
KNOWN_FIELDS = {name for name, _label in FIXED_FIELDS} | set(VAR_FIELDS) | set(FIELD_ALIASES)

SAMPLE_CONTACT = {
    "email": "zhangsan@example.com",
    "fullname": "张三",
    "sex": "M",
    "birthday": "1990-05-20",
    "phone": "13800138000",
    "area": "深圳",
    **{f"var{i}": f"变量{i}" for i in range(1, 11)},
}


def merge_tag(field_name: str) -> str:
    return MERGE_TAG.format(field=field_name)


def merge_tags_used(*texts: str) -> list[str]:
    seen: dict[str, None] = {}
    for text in texts:
        for match in MERGE_TAG_RE.finditer(text or ""):
            seen.setdefault(match.group(1), None)
    return list(seen)


def fill_merge_tags(text: str, values: dict[str, str], *, escape: bool) -> str:
    """Replace known tags with `values` (HTML-escaped for HTML); unknown tags stay as they are."""

    def replace(match: re.Match) -> str:
        name = FIELD_ALIASES.get(match.group(1), match.group(1))
        if name not in values:
            return match.group(0)
        value = str(values[name])
        return html.escape(value) if escape else value

    return MERGE_TAG_RE.sub(replace, text or "")


# -- line endings --------------------------------------------------------------------------------


def normalise_newlines(text: str) -> str:
    """LF only. Browsers post CR LF, and every XML parser turns CR LF in the platform's replies
    into LF (XML 1.0 §2.11), so sending LF is what makes content round-trip byte for byte."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


# -- a small HTML walker -------------------------------------------------------------------------

_BLOCK = {
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "table",
    "tr",
    "ul",
    "ol",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "center",
    "address",
    "pre",
}
_SKIP_TEXT = {"script", "style", "head", "title", "noscript", "template"}


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.links: list[tuple[str, int]] = []  # (href, position in out when the <a> opened)
        self.pre = 0

    def _newline(self, count: int = 1) -> None:
        self.out.append("\n" * count)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in _SKIP_TEXT:
            self.skip += 1
        elif tag == "br":
            self._newline()
        elif tag == "li":
            self._newline()
            self.out.append("- ")
        elif tag in ("td", "th"):
            self.out.append("\t")
        elif tag == "img" and attrs.get("alt"):
            self.out.append(f"[{attrs['alt'].strip()}]")
        elif tag == "a":
            self.links.append((attrs.get("href") or "", len(self.out)))
        if tag in _BLOCK:
            self._newline(2 if tag in ("p", "h1", "h2", "h3", "table", "hr") else 1)
            if tag == "hr":
                self.out.append("----------\n")
        if tag == "pre":
            self.pre += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in _SKIP_TEXT:
            self.skip -= 1

    def handle_endtag(self, tag):
        if tag in _SKIP_TEXT:
            self.skip = max(0, self.skip - 1)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.out[start:]).strip()
            href = href.strip()
            if href and not href.startswith(("#", "javascript:")) and href not in label:
                shown = href[7:] if href.startswith("mailto:") else href
                self.out.append(f" ({shown})")
        if tag in _BLOCK:
            self._newline(2 if tag in ("p", "h1", "h2", "h3", "table") else 1)
        if tag == "pre":
            self.pre = max(0, self.pre - 1)

    def handle_data(self, data):
        if self.skip:
            return
        if self.pre:
            self.out.append(data)
        else:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(source: str) -> str:
    """A readable plain-text part from HTML: paragraphs, list items, links as "text (url)",
    image alt texts; scripts and styles dropped."""
    parser = _TextExtractor()
    parser.feed(source or "")
    parser.close()
    text = "".join(parser.out)
    lines = [
        line.strip(" \t") if "\t" not in line.strip() else line.strip() for line in text.split("\n")
    ]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n" if text.strip() else ""


# -- lint ----------------------------------------------------------------------------------------

WARNING = "warning"
INFO = "info"

#: Gmail clips HTML bodies above about 102 KB; past 1 MB many receivers refuse or delay a mail.
CLIP_BYTES = 100 * 1024
LARGE_BYTES = 1024 * 1024

_UNSUBSCRIBE_WORDS = ("unsubscribe", "退订", "取消订阅", "退阅", "opt-out", "optout")


@dataclass(frozen=True)
class LintIssue:
    code: str
    level: str  # "warning" (needs acknowledging before upload) or "info"
    message: str


class _Scan(HTMLParser):
    """Counts what lint_template() reports on."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.images = self.images_without_alt = self.data_images = 0
        self.scripts = self.remote_scripts = self.forms = self.frames = 0
        self.stylesheets = self.js_urls = self.text_chars = 0
        self.links: list[tuple[str, str]] = []  # (href, text)
        self._open_links: list[list[str]] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v or "") for k, v in attrs}
        for name, value in attrs.items():
            if (name == "href" or name == "src" or name.startswith("on")) and re.match(
                r"\s*javascript:", value, re.I
            ):
                self.js_urls += 1
        if tag == "img":
            self.images += 1
            if "alt" not in attrs:
                self.images_without_alt += 1
            if attrs.get("src", "").strip().lower().startswith("data:"):
                self.data_images += 1
        elif tag == "script":
            self.scripts += 1
            if attrs.get("src"):
                self.remote_scripts += 1
            self._skip += 1
        elif tag == "style":
            self._skip += 1
        elif tag == "form":
            self.forms += 1
        elif tag in ("iframe", "frame", "object", "embed", "applet"):
            self.frames += 1
        elif tag == "link" and "stylesheet" in attrs.get("rel", "").lower():
            self.stylesheets += 1
        elif tag == "a":
            self._open_links.append([attrs.get("href", ""), ""])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag == "a" and self._open_links:
            self.links.append(tuple(self._open_links.pop()))

    def handle_data(self, data):
        if self._skip:
            return
        self.text_chars += len(data.strip())
        for link in self._open_links:
            link[1] += data


def _has_unsubscribe(links, text: str) -> bool:
    for href, label in links:
        blob = f"{href} {label}".lower()
        if any(word in blob for word in _UNSUBSCRIBE_WORDS):
            return True
    return any(tag in (text or "") for tag in ("{$unsubscribe}", "{$unsubscribe_url}"))


def lint_template(
    *,
    html_source: str,
    text: str = "",
    subjects: list[str] | None = None,
    attachment_bytes: int = 0,
    adds_unsubscribe: bool | None = None,
) -> list[LintIssue]:
    """What commonly gets a mail rejected or broken, in the marketer's words.

    `adds_unsubscribe`: whether the campaign will add the platform's unsubscribe link (§6.2
    subs_link); None when not known yet (a template on its own), which makes a missing link a
    reminder rather than a warning.
    """
    scan = _Scan()
    scan.feed(html_source or "")
    scan.close()
    issues: list[LintIssue] = []

    def warn(code: str, message: str, level: str = WARNING) -> None:
        issues.append(LintIssue(code, level, message))

    if not (text or "").strip():
        warn(
            "no_text_part",
            _(
                "There is no plain-text part. Mail without one scores worse with spam filters "
                "and shows nothing in text-only clients: use “Generate from HTML”."
            ),
        )
    if scan.images_without_alt:
        warn(
            "img_no_alt",
            _(
                "%(count)d image(s) have no alt text. Many clients block images at first, so "
                "readers see nothing where they are."
            )
            % {"count": scan.images_without_alt},
        )
    if scan.scripts:
        warn(
            "script",
            _(
                "The HTML contains %(count)d script(s)%(remote)s. Mail clients remove scripts "
                "and spam filters treat them as a strong sign of abuse: remove them."
            )
            % {
                "count": scan.scripts,
                "remote": _(" (%(n)d loaded from another site)") % {"n": scan.remote_scripts}
                if scan.remote_scripts
                else "",
            },
        )
    if scan.js_urls:
        warn("javascript_url", _("Links or attributes use “javascript:”: clients block them."))
    if scan.forms:
        warn(
            "form",
            _("The HTML contains a form. Most clients disable forms in mail: link to a web page."),
        )
    if scan.frames:
        warn(
            "embedded_content",
            _("The HTML embeds frames, objects or plugins, which mail clients do not show."),
        )
    if scan.stylesheets:
        warn(
            "external_stylesheet",
            _(
                "External stylesheets (<link rel=stylesheet>) are dropped by most clients: "
                "put the styles inline."
            ),
        )
    if scan.data_images:
        warn(
            "data_images",
            _(
                "%(count)d image(s) are embedded in the HTML (data: URLs). Some clients do not "
                "show them and they make the mail larger; hosted images are safer."
            )
            % {"count": scan.data_images},
            INFO,
        )
    if scan.images and scan.text_chars < 20:
        warn(
            "image_only",
            _("The mail is almost only images: spam filters distrust mail with so little text."),
        )
    body_bytes = len((html_source or "").encode())
    total = body_bytes + len((text or "").encode()) + attachment_bytes
    if total > LARGE_BYTES:
        warn(
            "very_large",
            _(
                "The mail is very large (about %(kb)d KB with attachments). Large mail is slow, "
                "costly for mobile readers and often refused: link to files instead."
            )
            % {"kb": total // 1024},
        )
    elif body_bytes > CLIP_BYTES:
        warn(
            "clipped",
            _("The HTML is over 100 KB: Gmail and others cut it off with “View entire message”."),
        )
    if (
        scan.links
        and not _has_unsubscribe(scan.links, html_source)
        and adds_unsubscribe is not True
    ):
        if adds_unsubscribe is False:
            warn(
                "no_unsubscribe",
                _(
                    "The template has links but no unsubscribe link, and the campaign will not "
                    "add the platform's: add one, or recipients will mark the mail as spam."
                ),
            )
        else:
            warn(
                "no_unsubscribe",
                _(
                    "The template has no unsubscribe link of its own. The platform adds one "
                    "when a campaign keeps “add an unsubscribe link” on (the default); add your "
                    "own if you will send with it off."
                ),
                INFO,
            )
    unknown = [
        name
        for name in merge_tags_used(html_source, text, *(subjects or []))
        if name not in KNOWN_FIELDS and name not in ("unsubscribe", "unsubscribe_url")
    ]
    if unknown:
        warn(
            "unknown_merge_tag",
            _("These merge tags are not contact fields and will be sent as they are: %(tags)s")
            % {"tags": ", ".join(merge_tag(n) for n in unknown)},
        )
    return issues


# -- import --------------------------------------------------------------------------------------

IMPORT_MAX_BYTES = 5 * 1024 * 1024  # the .html or .zip as uploaded
ZIP_MAX_ENTRIES = 300
ZIP_MAX_UNCOMPRESSED = 20 * 1024 * 1024
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
}


class ImportRefused(ApplicationError, ValueError):
    """The file cannot be imported; the message is for the marketer."""


@dataclass
class ImportResult:
    html: str
    source: str
    embedded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


def decode_html(data: bytes) -> str:
    """UTF-8 (with or without BOM), else the charset the page declares, else GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    match = _META_CHARSET.search(data[:4096])
    for encoding in ([match.group(1).decode("ascii")] if match else []) + ["gb18030"]:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")


_REF_ATTR = re.compile(r"""(\b(?:src|background)\s*=\s*)(["'])(.*?)\2""", re.I | re.S)
_CSS_URL = re.compile(r"""url\(\s*(["']?)([^)"']+)\1\s*\)""", re.I)


def _embed_images(source: str, base: str, images: dict[str, bytes], result: ImportResult) -> str:
    def data_uri(ref: str) -> str | None:
        ref = html.unescape(ref.strip())
        if not ref or re.match(r"^[a-z][a-z0-9+.-]*:|^//", ref, re.I):
            return None  # absolute URLs and data: URIs stay as they are
        path = posixpath.normpath(posixpath.join(base, ref.split("?")[0].split("#")[0]))
        data = images.get(path) or images.get(path.lower())
        if data is None:
            if ref not in result.missing:
                result.missing.append(ref)
            return None
        kind = IMAGE_TYPES.get(posixpath.splitext(path)[1].lower()) or "application/octet-stream"
        if path not in result.embedded:
            result.embedded.append(path)
        return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"

    def attr(match: re.Match) -> str:
        uri = data_uri(match.group(3))
        return (
            match.group(0)
            if uri is None
            else f"{match.group(1)}{match.group(2)}{uri}{match.group(2)}"
        )

    def css(match: re.Match) -> str:
        uri = data_uri(match.group(2))
        return match.group(0) if uri is None else f"url({uri})"

    return _CSS_URL.sub(css, _REF_ATTR.sub(attr, source))


def import_file(name: str, data: bytes) -> ImportResult:
    """An uploaded .html/.htm, or a .zip with one HTML page and its images (which are embedded
    into the HTML as data: URLs, since the platform has no place for inline images)."""
    if len(data) > IMPORT_MAX_BYTES:
        raise ImportRefused(
            _("The file is larger than %(mb)d MB.") % {"mb": IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    lower = name.lower()
    if lower.endswith((".html", ".htm")):
        return ImportResult(html=normalise_newlines(decode_html(data)), source=name)
    if not lower.endswith(".zip"):
        raise ImportRefused(_("Choose an .html file or a .zip with an HTML page and its images."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ImportRefused(_("The .zip file is damaged or not a zip file.")) from exc
    if len(entries) > ZIP_MAX_ENTRIES:
        raise ImportRefused(_("The .zip has more than %(n)d files.") % {"n": ZIP_MAX_ENTRIES})
    if sum(i.file_size for i in entries) > ZIP_MAX_UNCOMPRESSED:
        raise ImportRefused(
            _("The .zip unpacks to more than %(mb)d MB.")
            % {"mb": ZIP_MAX_UNCOMPRESSED // (1024 * 1024)}
        )
    visible = [i for i in entries if not posixpath.basename(i.filename).startswith(".")]
    visible = [i for i in visible if "__MACOSX/" not in i.filename]
    pages = [i for i in visible if i.filename.lower().endswith((".html", ".htm"))]
    if not pages:
        raise ImportRefused(_("The .zip contains no .html page."))
    # index.html wins; otherwise the shallowest page.
    pages.sort(
        key=lambda i: (
            posixpath.basename(i.filename).lower() not in ("index.html", "index.htm"),
            i.filename.count("/"),
            i.filename,
        )
    )
    page = pages[0]
    try:
        source = decode_html(archive.read(page))
        images = {}
        for info in visible:
            if posixpath.splitext(info.filename)[1].lower() in IMAGE_TYPES:
                blob = archive.read(info)
                images[posixpath.normpath(info.filename)] = blob
                images.setdefault(posixpath.normpath(info.filename).lower(), blob)
    except (zipfile.BadZipFile, RuntimeError, OSError) as exc:  # encrypted or corrupt members
        raise ImportRefused(_("The .zip file could not be read: %(e)s") % {"e": exc}) from exc
    result = ImportResult(html="", source=f"{name}: {page.filename}")
    base = posixpath.dirname(page.filename)
    result.html = normalise_newlines(_embed_images(source, base, images, result))
    return result


def guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
