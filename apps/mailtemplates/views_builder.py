"""The visual builder (GrapesJS), the plain-letter editor and the starter gallery.

No inline script on these pages: the data the builder needs travels by ``json_script`` and the
code is in static/js/mailtemplates-builder.js and mailtemplates-richtext.js.
"""

from __future__ import annotations

from csp.decorators import csp_update
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods

from apps.accounts.decorators import account_required
from apps.core.messages import platform_error_message
from apps.umail.errors import UmailError

from . import gallery, selectors
from .blocks import saved_blocks_for_builder
from .builder import (
    BuilderRefused,
    builder_is_current,
    clean_project,
    compose_email,
    richtext_body,
    richtext_email,
    template_save_composed,
)
from .builder_forms import BuilderForm, RichTextForm
from .content import html_to_text, lint_template
from .models import MailTemplate
from .sanitise import PREHEADER_RE, sanitise_email_html
from .views import _frame_response, save_failed_message

#: The builder page extends the portal's CSP (settings.CONTENT_SECURITY_POLICY): scripts stay
#: 'self' plus the request's nonce (GrapesJS needs no eval: the browser journey runs it under this
#: policy and fails on any violation); images from anywhere, as in a mail client.
BUILDER_CSP_UPDATE = {"img-src": ["https:", "http:"]}

BLANK_PAGE = (
    '<div class="wrap"><div class="card"><div class="pad">'
    "<p>{hello}</p><p>{text}</p></div></div></div>"
)


def _save(request, template, cd: dict, html: str, mode, **extra):
    """The builder's and the rich-text editor's save: the composed e-mail and its text part."""
    return template_save_composed(
        account=request.account,
        user=request.user,
        template=template,
        name=cd["name"],
        subjects=cd["subjects"],
        preheader=cd["preheader"],
        html=html,
        text=html_to_text(html),
        mode=mode,
        **extra,
    )


def _template_or_none(request, pk):
    if pk is None:
        return None
    return get_object_or_404(MailTemplate, pk=pk, account=request.account)


def _list_id(request) -> int | None:
    value = request.GET.get("list", "")
    return int(value) if value.isdigit() else None


def _builder_data(request, *, project=None, html="", css="") -> dict:
    fields = selectors.merge_tag_fields(account=request.account, list_id=_list_id(request))
    return {
        "project": project,
        "html": html,
        "css": css or gallery.BASE_CSS,
        "language": "zh" if (get_language() or "").startswith("zh") else "en",
        "mergeFields": [{"tag": f.tag, "label": f.label} for f in fields],
        "savedBlocks": saved_blocks_for_builder(account=request.account),
        "unsubscribeTag": gallery.UNSUBSCRIBE_TAG,
        "labels": {
            "categoryLayout": _("Layout"),
            "categoryContent": _("Content"),
            "categoryMerge": _("Merge tags"),
            "categorySaved": _("Saved blocks"),
            "text": _("Text"),
            "textBody": _("Write your text here."),
            "image": _("Image"),
            "button": _("Button"),
            "buttonText": _("Open"),
            "columns": _("Two columns"),
            "column": _("Column text"),
            "divider": _("Divider"),
            "social": _("Social links"),
            "unsubscribe": _("Unsubscribe link"),
            "unsubscribeText": _("Do not want these mails any more?"),
            "unsubscribeLink": _("Unsubscribe"),
            "desktop": _("Desktop"),
            "phone": _("Phone"),
            "unsaved": _("The builder has changes that are not saved. Leave anyway?"),
            "unit": _("unit"),
            "device": _("Device"),
            "colour": _("Colour"),
            "value": _("Value"),
            "buttons": {
                "sw-visibility": _("Outlines"),
                "preview": _("Preview"),
                "fullscreen": _("Full screen"),
                "export-template": _("View code"),
                "open-sm": _("Style"),
                "open-tm": _("Settings"),
                "open-layers": _("Layers"),
                "open-blocks": _("Blocks"),
            },
        },
    }


def _builder_render(request, form, template, data, *, stale=False, status=200):
    response = render(
        request,
        "mailtemplates/builder.html",
        {
            "form": form,
            "template": template,
            "builder_data": data,
            "stale": stale,
            "lists": selectors.merge_tag_lists(account=request.account),
            "merge_list": _list_id(request),
        },
        status=status,
    )
    return response


def _document_body(html: str) -> str:
    """The body of a stored template without the preheader, to open it in the builder."""
    import re

    clean = PREHEADER_RE.sub("", sanitise_email_html(html))
    match = re.search(r"<body\b[^>]*>(.*)</body>", clean, re.I | re.S)
    return (match.group(1) if match else clean).strip()


@require_http_methods(["GET", "POST"])
@csp_update(BUILDER_CSP_UPDATE)
@account_required(role="editor")
def builder_view(request, pk: int | None = None):
    template = _template_or_none(request, pk)
    if request.method == "POST":
        return _builder_post(request, template)
    initial = {}
    stale = False
    if template is not None:
        initial = {
            "name": template.name,
            "subjects": template.subjects,
            "preheader": template.preheader,
        }
        use_project = template.builder_project and (
            builder_is_current(template) or request.GET.get("source") == "project"
        )
        stale = bool(template.builder_project) and not builder_is_current(template)
        if use_project:
            data = _builder_data(request, project=template.builder_project_data)
            stale = stale and request.GET.get("source") != "project"
        else:
            # Not (or no longer) built here: its current HTML, sanitised, becomes the canvas.
            data = _builder_data(request, html=_document_body(template.html), css=" ")
    else:
        chosen = gallery.design(request.GET.get("design", ""))
        if request.GET.get("design") and chosen is None:
            raise Http404("no such design")
        if chosen is not None:
            initial = {
                "name": chosen.title,
                "subjects": [chosen.subject],
                "preheader": chosen.preheader,
            }
            data = _builder_data(request, html=chosen.html, css=chosen.css)
        else:
            data = _builder_data(
                request,
                html=BLANK_PAGE.format(
                    hello=_("Dear %(name)s,") % {"name": "{$fullname}"},
                    text=_("Write your text here."),
                ),
            )
    form = BuilderForm(initial=initial)
    return _builder_render(request, form, template, data, stale=stale)


def _builder_post(request, template):
    form = BuilderForm(request.POST)
    project = None
    if form.is_valid():
        try:
            project = clean_project(form.cleaned_data["project"])
        except BuilderRefused:
            form.add_error(None, _("The builder's data was damaged on its way; nothing was saved."))
    # What the marketer built comes back into the builder whatever happens: never lost.
    data = _builder_data(
        request,
        project=project or _posted_project(request),
        html=request.POST.get("html", ""),
        css=request.POST.get("css", ""),
    )
    if not form.is_valid():
        return _builder_render(request, form, template, data, status=400)
    cd = form.cleaned_data
    html = compose_email(body_html=cd["html"], css=cd["css"], preheader=cd["preheader"])
    try:
        template, changed = _save(
            request, template, cd, html, MailTemplate.EditorMode.BUILDER, project=project
        )
    except UmailError as exc:
        messages.error(request, save_failed_message(exc))
        return _builder_render(request, form, template, data, status=502)
    _saved_message(request, template, changed)
    return redirect("mailtemplates:builder", pk=template.pk)


def _posted_project(request):
    try:
        return clean_project(request.POST.get("project"))
    except BuilderRefused:
        return None


def _saved_message(request, template, changed):
    if changed:
        messages.success(
            request,
            _("Saved and uploaded. The platform is checking its content; the result appears here."),
        )
    else:
        messages.info(request, _("Nothing changed, so nothing was uploaded."))
    issues = lint_template(
        html_source=template.html, text=template.text, subjects=template.subjects
    )
    for issue in issues:
        if issue.level == "warning":
            messages.warning(request, issue.message)


# -- plain letter ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@account_required(role="editor")
def richtext_view(request, pk: int | None = None):
    template = _template_or_none(request, pk)
    converted = False
    if request.method == "POST":
        form = RichTextForm(request.POST)
        if form.is_valid():
            cd = form.cleaned_data
            html = richtext_email(body_html=cd["body"], preheader=cd["preheader"])
            try:
                template, changed = _save(
                    request, template, cd, html, MailTemplate.EditorMode.RICHTEXT
                )
            except UmailError as exc:
                messages.error(request, platform_error_message(exc) + " " + _("Nothing was saved."))
            else:
                _saved_message(request, template, changed)
                return redirect("mailtemplates:richtext", pk=template.pk)
        status = 400 if not form.is_valid() else 502
    else:
        status = 200
        initial = {"body": "<p>" + _("Dear %(name)s,") % {"name": "{$fullname}"} + "</p><p></p>"}
        if template is not None:
            body = richtext_body(template)
            converted = body is None
            initial = {
                "name": template.name,
                "subjects": template.subjects,
                "preheader": template.preheader,
                "body": body if body is not None else _document_body(template.html),
            }
        form = RichTextForm(initial=initial)
    return render(
        request,
        "mailtemplates/richtext.html",
        {"form": form, "template": template, "converted": converted},
        status=status,
    )


# -- gallery -----------------------------------------------------------------------------------


@require_GET
@account_required
def gallery_view(request):
    labels = gallery.kind_labels()
    language = "zh" if (get_language() or "").startswith("zh") else "en"
    items = sorted(gallery.designs(), key=lambda d: (d.language != language, d.kind))
    return render(
        request,
        "mailtemplates/gallery.html",
        {"designs": [(d, labels[d.kind]) for d in items]},
    )


@require_GET
@xframe_options_sameorigin
@account_required
def gallery_frame_view(request, slug: str):
    chosen = gallery.design(slug)
    if chosen is None:
        raise Http404("no such design")
    return _frame_response(
        compose_email(body_html=chosen.html, css=chosen.css, preheader=chosen.preheader)
    )
