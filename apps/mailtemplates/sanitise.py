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
_BODY_STYLE = re.compile(r"""<body\b[^>]*?\sstyle\s*=\s*(["'])(.*?)\1""", re.I | re.S)
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
        clean_content_tags={"script", "noscript", "iframe", "object", "embed", "template"},
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
    match = _BODY_STYLE.search(source)
    body_style = _clean_css(match.group(2)).replace('"', "'") if match else ""
    head = DOCUMENT_HEAD + "".join(f"<style>{css}</style>\n" for css in styles if css.strip())
    body_open = f'<body style="{body_style}">' if body_style else "<body>"
    return (
        f"<!DOCTYPE html>\n<html>\n<head>\n{head}</head>\n{body_open}\n{body}\n</body>\n</html>\n"
    )


def inline_css(html: str) -> str:
    """Move CSS rules into style attributes (what most mail clients read); media queries stay in
    a <style> block for the clients that honour them. Never fetches remote style sheets."""
    inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
    return inliner.inline(html)


PREHEADER_RE = re.compile(r"<div data-preheader[^>]*>.*?</div>\s*", re.S)


def with_preheader(html: str, preheader: str) -> str:
    """Put the preheader (the line inboxes show after the subject) first in the body, hidden when
    the mail is opened; replaces an earlier one."""
    from django.utils.html import escape

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
