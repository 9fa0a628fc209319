"""Server-side sanitising of template HTML (nh3, the Rust ammonia library) and CSS inlining
(css-inline) for what the visual builder produces.

HTML that enters the builder (whose canvas is a same-origin frame that cannot be sandboxed) or
the code editor loses scripts, ``on*`` handlers, ``javascript:`` URLs, forms, frames and
objects; what mail clients need stays: tables and their presentational attributes, inline
styles, ``<style>`` blocks with media queries, images (``data:`` URIs too, as imports embed
them), merge tags and comments (Outlook's conditional comments).
"""

from __future__ import annotations

import re
from html import escape, unescape

import css_inline
import nh3

EXTRA_TAGS = {
    "table",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "td",
    "th",
    "caption",
    "col",
    "colgroup",
    "center",
    "font",
    "span",
    "div",
    "img",
    "style",
    "section",
    "main",
}
TAGS = (set(nh3.ALLOWED_TAGS) | EXTRA_TAGS) - {"map", "area"}
GENERIC_ATTRIBUTES = {
    "style",
    "class",
    "id",
    "align",
    "valign",
    "width",
    "height",
    "bgcolor",
    "border",
    "cellpadding",
    "cellspacing",
    "color",
    "dir",
    "lang",
    "title",
    "role",
    "face",
    "size",
    "colspan",
    "rowspan",
    "nowrap",
    "data-saved-block",
    "data-unsubscribe",
    "data-preheader",
    "aria-hidden",
    "aria-label",
}
ATTRIBUTES = {
    "*": GENERIC_ATTRIBUTES,
    "a": {"href", "target", "name"},
    "img": {"src", "alt"},
    "table": {"summary"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel", "data"}

_DOCUMENT = re.compile(r"<\s*(html|body|head)\b", re.I)
_STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.I | re.S)
_BODY_TAG = re.compile(r"<body\b([^>]*)>", re.I)
_HTML_TAG = re.compile(r"<html\b([^>]*)>", re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
# CSS that once ran code (IE's expression(), behaviours) or fetches other style sheets.
_CSS_ACTIVE = re.compile(r"expression\s*\(|javascript\s*:|behavior\s*:|-moz-binding|@import", re.I)

DOCUMENT_HEAD = (
    '<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n'
)


def _attribute_filter(element: str, attribute: str, value: str) -> str | None:
    if attribute == "href" and value.strip().lower().startswith("data:"):
        return None  # data: only for images
    if attribute == "style" and _CSS_ACTIVE.search(value):
        return _CSS_ACTIVE.sub("", value)
    return value


def _clean_css(css: str) -> str:
    return _CSS_ACTIVE.sub("", css).replace("</", "")


def sanitise_email_html(source: str) -> str:
    """The HTML without anything that runs; a full document stays a document."""
    if not source:
        return ""
    cleaned = nh3.clean(
        source,
        tags=TAGS,
        clean_content_tags={"script", "noscript", "iframe", "object", "embed", "template", "title"},
        attributes=ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=URL_SCHEMES,
        strip_comments=False,
        link_rel=None,
    )
    styles = [_clean_css(css) for css in _STYLE_BLOCK.findall(cleaned)]
    if not _DOCUMENT.search(source):
        if styles:
            cleaned = _STYLE_BLOCK.sub(
                lambda m: "<style>" + _clean_css(m.group(1)) + "</style>", cleaned
            )
        return cleaned
    body = _STYLE_BLOCK.sub("", cleaned).strip()
    title = _TITLE.search(source)
    head = DOCUMENT_HEAD
    if title and title.group(1).strip():
        head += f"<title>{escape(unescape(title.group(1).strip()))}</title>\n"
    head += "".join(f"<style>{css}</style>\n" for css in styles if css.strip())
    html_open = f"<html{_safe_attributes(_HTML_TAG.search(source))}>"
    body_open = f"<body{_safe_attributes(_BODY_TAG.search(source))}>"
    return (
        f"<!DOCTYPE html>\n{html_open}\n<head>\n{head}</head>\n"
        f"{body_open}\n{body}\n</body>\n</html>\n"
    )


def _safe_attributes(match) -> str:
    """The <html> or <body> tag's attributes (bgcolor, style, lang, …) through the same filter
    as any element's."""
    if match is None or not match.group(1).strip():
        return ""
    cleaned = nh3.clean(
        f"<div{match.group(1)}></div>",
        tags={"div"},
        attributes={"div": GENERIC_ATTRIBUTES},
        attribute_filter=_attribute_filter,
        link_rel=None,
    )
    inner = re.match(r"<div(.*?)></div>", cleaned, re.S)
    return inner.group(1) if inner else ""


def inline_css(html: str) -> str:
    """Move CSS rules into style attributes (what most mail clients read); media queries stay in
    a <style> block for the clients that honour them. Never fetches remote style sheets."""
    inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
    return inliner.inline(html)


PREHEADER_RE = re.compile(r"<div data-preheader[^>]*>.*?</div>\s*", re.S)


def with_preheader(html: str, preheader: str) -> str:
    """Put the preheader (the line inboxes show after the subject) first in the body, hidden when
    the mail is opened; replaces an earlier one."""
    html = PREHEADER_RE.sub("", html)
    if not preheader.strip():
        return html
    hidden = (
        '<div data-preheader style="display:none;max-height:0;overflow:hidden;'
        'mso-hide:all;font-size:1px;line-height:1px;color:#ffffff;opacity:0">'
        f"{escape(preheader.strip())}</div>\n"
    )
    match = re.search(r"<body\b[^>]*>\s*", html, re.I)
    if match:
        return html[: match.end()] + hidden + html[match.end() :]
    return hidden + html


_STRUCTURE = {"html", "head", "body", "tbody", "meta", "title"}


def _tokens(html: str) -> list:
    """What a document says, for comparing two serialisations: tags (structure and <tbody> left
    out) with their attributes, comments, and text with whitespace collapsed."""
    from html.parser import HTMLParser

    out: list = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag not in _STRUCTURE:
                out.append(("<", tag, sorted((k, v or "") for k, v in attrs)))

        def handle_endtag(self, tag):
            if tag not in _STRUCTURE:
                out.append(("/", tag))

        def handle_data(self, data):
            if self.lasttag == "title":
                return
            text = " ".join(data.split())
            if text:
                out.append(text)

        def handle_comment(self, data):
            out.append(("!", data))

    parser = Parser(convert_charrefs=True)
    parser.feed(html)
    parser.close()
    return out


def sanitise_if_needed(source: str) -> str:
    """The code editor's HTML exactly as written when the sanitiser would remove nothing (the
    platform stores templates byte for byte); the sanitised HTML otherwise."""
    cleaned = sanitise_email_html(source)
    return source if _tokens(cleaned) == _tokens(source) else cleaned
