"""The visual builder (GrapesJS) and the plain-letter mode: turning what the browser sends into
the template's e-mail HTML, and keeping the builder's own project for reopening it exactly.

Choice (docs/COMPOSING.md): plain GrapesJS HTML components, with CSS inlined on the server by
css-inline, rather than MJML (grapesjs-mjml + mrml): one HTML model for the builder, the code
editor, the gallery and saved blocks, so switching modes converts nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from django.db import transaction

from . import services
from .models import MailTemplate
from .sanitise import DOCUMENT_HEAD, inline_css, sanitise_email_html, with_preheader

MAX_PROJECT_BYTES = 2 * 1024 * 1024

_UNSAFE_TAGS = {"script", "iframe", "object", "embed", "form", "input", "frame", "frameset"}
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "xlink:href"}
_BODY = re.compile(r"^\s*<body\b[^>]*>(.*)</body>\s*$", re.I | re.S)


class BuilderRefused(ValueError):
    """What the browser sent cannot be a template (too large, not a builder project)."""


def _clean_component(node):
    """A GrapesJS component tree without anything that runs (the project is rendered into the
    builder's same-origin canvas when reopened, so it is sanitised like HTML)."""
    if isinstance(node, list):
        return [c for c in (_clean_component(n) for n in node) if c is not None]
    if isinstance(node, str):
        return sanitise_email_html(node)
    if not isinstance(node, dict):
        return node
    if str(node.get("tagName", "")).lower() in _UNSAFE_TAGS or node.get("type") == "script":
        return None
    cleaned = {}
    for key, value in node.items():
        if key in ("script", "script-export", "script-props"):
            continue
        if key == "attributes" and isinstance(value, dict):
            value = {
                name: val
                for name, val in value.items()
                if not name.lower().startswith("on")
                and not (
                    name.lower() in _URL_ATTRIBUTES
                    and str(val).strip().lower().startswith(("javascript:", "vbscript:"))
                )
            }
        elif key == "content" and isinstance(value, str):
            value = sanitise_email_html(value)
        elif key == "components":
            value = _clean_component(value)
        cleaned[key] = value
    return cleaned


def clean_project(raw: str | dict | None) -> dict | None:
    """The builder's project data (GrapesJS getProjectData()), checked and sanitised."""
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        if len(raw.encode()) > MAX_PROJECT_BYTES:
            raise BuilderRefused("project too large")
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise BuilderRefused("project is not JSON") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("pages", []), list):
        raise BuilderRefused("not a builder project")
    project = dict(raw)
    project["pages"] = [
        {
            **page,
            "frames": [
                {**frame, "component": _clean_component(frame.get("component"))}
                for frame in page.get("frames", [])
                if isinstance(frame, dict)
            ],
        }
        for page in project.get("pages", [])
        if isinstance(page, dict)
    ]
    project.pop("scripts", None)
    return project


def compose_email(*, body_html: str, css: str, preheader: str = "") -> str:
    """The e-mail document from the builder's body HTML and CSS: CSS inlined (media queries kept
    in <style>), sanitised, the preheader first in the body."""
    match = _BODY.match(body_html or "")
    inner = match.group(1) if match else (body_html or "")
    document = (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        + DOCUMENT_HEAD
        + f"<style>{css or ''}</style>\n</head>\n"
        + '<body style="margin:0;padding:0;background-color:#f3f4f6">\n'
        + inner
        + "\n</body>\n</html>\n"
    )
    return with_preheader(sanitise_email_html(inline_css(document)), preheader)


def richtext_email(*, body_html: str, preheader: str = "") -> str:
    """A plain letter: the rich-text editor's HTML in a simple readable frame."""
    inner = sanitise_email_html(body_html or "")
    document = (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        + DOCUMENT_HEAD
        + "</head>\n"
        + '<body style="margin:0;padding:0">\n'
        + '<div style="max-width:640px;margin:0 auto;padding:24px;font-family:Arial,'
        "'PingFang SC','Microsoft YaHei',sans-serif;font-size:15px;line-height:1.7;"
        'color:#1f2937">\n' + inner + "\n</div>\n</body>\n</html>\n"
    )
    return with_preheader(document, preheader)


_LETTER_BODY = re.compile(
    r'<div style="max-width:640px;margin:0 auto;padding:24px;[^"]*">\n(.*)\n</div>\n</body>', re.S
)


def richtext_body(template: MailTemplate) -> str | None:
    """The letter's own HTML when the template was written in the plain-letter mode and not
    changed elsewhere since; None otherwise."""
    match = _LETTER_BODY.search(template.html or "")
    return match.group(1) if match else None


def builder_is_current(template: MailTemplate) -> bool:
    """Whether the stored project still produces the template's HTML (False when the code editor
    or the platform changed the HTML after the last save from the builder)."""
    return bool(template.builder_project) and services._same_content(
        template.builder_html, template.html
    )


def template_save_composed(
    *,
    account,
    user,
    template: MailTemplate | None,
    name: str,
    subjects: Sequence[str],
    preheader: str,
    html: str,
    text: str,
    mode: str,
    project: dict | str | None = None,
) -> tuple[MailTemplate, bool]:
    """Create or update the template on the platform with HTML from the builder or the
    plain-letter editor, then keep the mode, the project and the preheader locally."""
    if isinstance(project, str):
        project = json.loads(project) if project else None
    changed = True
    if template is None:
        template = services.template_create(
            account=account, user=user, name=name, subjects=subjects, html=html, text=text
        )
    else:
        changed = services.template_update(
            account=account,
            user=user,
            template=template,
            name=name,
            subjects=subjects,
            html=html,
            text=text,
            encoding=template.encoding,
        )
    with transaction.atomic():
        template = MailTemplate.objects.select_for_update().get(pk=template.pk)
        template.preheader = preheader
        template.editor_mode = mode
        if mode == MailTemplate.EditorMode.BUILDER:
            template.builder_project = (
                json.dumps(project, ensure_ascii=False) if project is not None else ""
            )
            template.builder_html = template.html
        template.save(update_fields=["preheader", "editor_mode", "builder_project", "builder_html"])
    return template, changed
