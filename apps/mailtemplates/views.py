from __future__ import annotations

import logging

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tables2 import RequestConfig

from apps.accounts.decorators import account_required, role_allows
from apps.core.forms import TypedConfirmationForm
from apps.core.messages import platform_error_message
from apps.core.reconcile import answer_lost
from apps.umail.errors import UmailError

from . import selectors, services
from .content import (
    IMPORT_MAX_BYTES,
    WARNING,
    ImportRefused,
    fill_merge_tags,
    guess_type,
    html_to_text,
    import_file,
    lint_template,
)
from .filters import TemplateFilter
from .forms import (
    MAX_HTML_BYTES,
    AttachmentsForm,
    SampleContactForm,
    TemplateForm,
    attachment_limits,
    limits_text,
)
from .models import CHECK_BADGES, CHECK_MEANINGS, CheckResult, MailTemplate
from .tables import TemplateTable

logger = logging.getLogger(__name__)

#: The preview frame's policy: no script, no plugin, no form, no font or fetch; images from
#: anywhere (as a mail client would load them) and inline styles only. `sandbox` gives the
#: document an opaque origin even when opened outside the iframe.
PREVIEW_CSP = (
    "default-src 'none'; img-src data: https: http:; style-src 'unsafe-inline'; sandbox; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
PREVIEW_WIDTHS = {"desktop": 640, "mobile": 375}


def save_failed_message(exc: UmailError) -> str:
    """A failed upload: what went wrong, and whether it may still have been saved (a lost answer
    may still have created it: the portal looks before the next attempt)."""
    outcome = (
        _("The portal checks with the platform before uploading it again.")
        if answer_lost(exc)
        else _("Nothing was saved.")
    )
    return platform_error_message(exc) + " " + outcome


def _template(request, pk: int) -> MailTemplate:
    return get_object_or_404(MailTemplate, pk=pk, account=request.account)


def _uploads(files) -> list[services.NewFile]:
    return [
        services.NewFile(
            name=f.name, data=f.read(), content_type=f.content_type or guess_type(f.name)
        )
        for f in files
    ]


def _lint_for(form_data: dict, attachment_bytes: int = 0):
    return lint_template(
        html_source=form_data.get("html") or "",
        text=form_data.get("text") or "",
        subjects=form_data.get("subjects") or [],
        attachment_bytes=attachment_bytes,
    )


# -- list --------------------------------------------------------------------------------------


@account_required
def index_view(request):
    sync = selectors.template_sync_state(account=request.account)
    if sync is None or sync.synced_at is None and sync.last_error_at is None:
        # First visit: fetch the list now rather than show an empty page.
        try:
            services.template_sync(account=request.account)
        except UmailError as exc:
            messages.error(request, platform_error_message(exc))
        sync = selectors.template_sync_state(account=request.account)
    queryset = selectors.templates_for_account(account=request.account)
    filterset = TemplateFilter(request.GET or None, queryset=queryset)
    table = TemplateTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    legend = [
        (value, label, CHECK_BADGES[value], CHECK_MEANINGS[value])
        for value, label in CheckResult.choices
        if value
    ]
    return render(
        request,
        "mailtemplates/index.html",
        {"table": table, "filter": filterset, "sync": sync, "legend": legend},
    )


@require_POST
@account_required
def sync_view(request):
    try:
        result = services.template_sync(account=request.account)
    except UmailError as exc:
        messages.error(
            request, platform_error_message(exc) + " " + _("Showing the templates fetched before.")
        )
    else:
        messages.success(
            request,
            _("Templates refreshed from the platform: %(c)d new, %(r)d removed.")
            % {"c": result.created, "r": result.removed},
        )
    return redirect("mailtemplates:index")


@require_GET
@account_required
def status_view(request, pk: int):
    """The check badge, polled by htmx while the Celery poller is still waiting."""
    template = _template(request, pk)
    return render(
        request,
        "mailtemplates/_status.html",
        {
            "template": template,
            "compact": request.GET.get("compact") == "1",
            # The list's size column is refreshed along with the badge.
            "oob_size": request.GET.get("compact") == "1",
        },
    )


# -- editor ------------------------------------------------------------------------------------


def _editor_context(request, form, template=None, issues=None, imported=None):
    list_id = request.GET.get("list")
    membership = getattr(request, "membership", None)
    return {
        "can_edit": membership is not None and role_allows(membership.role, "editor"),
        "form": form,
        "template": template,
        "issues": issues,
        "needs_ack": bool(issues) and any(i.level == WARNING for i in issues),
        "imported": imported,
        "merge_fields": selectors.merge_tag_fields(
            account=request.account, list_id=int(list_id) if (list_id or "").isdigit() else None
        ),
        "merge_lists": selectors.merge_tag_lists(account=request.account),
        "merge_list": int(list_id) if (list_id or "").isdigit() else None,
        "subjects": ([s for s in _subjects_of(form) if s.strip()] or [""])
        if form.is_bound
        else None,
        "limits": attachment_limits(),
        "limits_text": limits_text(),
        "attachment_form": AttachmentsForm() if template else None,
        "sample_form": SampleContactForm(),
    }


def _subjects_of(form) -> list[str]:
    value = form["subjects"].value() or []
    return [value] if isinstance(value, str) else list(value)


def _handle_editor_actions(request, template=None):
    """Import and "generate text" re-fill the editor and upload nothing. The form comes back
    unbound (with the values as initial data), so half-filled fields show no errors yet."""
    action = request.POST.get("action", "save")
    data = request.POST
    values = {
        "name": data.get("name", ""),
        "subjects": [s for s in data.getlist("subjects") if s.strip()],
        "html": data.get("html", ""),
        "text": data.get("text", ""),
        "encoding": data.get("encoding") or MailTemplate.Encoding.BASE64,
    }
    imported = None
    if action == "import":
        upload = request.FILES.get("import_file")
        try:
            if upload is None:
                raise ImportRefused(_("Choose a file to import."))
            if upload.size > IMPORT_MAX_BYTES:  # before reading it: it may be huge
                raise ImportRefused(
                    _("The file is larger than %(mb)d MB.")
                    % {"mb": IMPORT_MAX_BYTES // (1024 * 1024)}
                )
            imported = import_file(upload.name, upload.read())
            size = len(imported.html.encode())
            if size > MAX_HTML_BYTES:
                # It could not even be posted back: Django caps a request's form data.
                raise ImportRefused(
                    _(
                        "With its images embedded the page is %(size)s; the HTML body may be "
                        "at most %(limit)s. Put the images on a web server and link them."
                    )
                    % {"size": filesizeformat(size), "limit": filesizeformat(MAX_HTML_BYTES)}
                )
        except ImportRefused as exc:
            messages.error(request, _("Nothing was imported: %(why)s") % {"why": exc})
            imported = None
        else:
            values["html"] = imported.html
    elif action == "generate_text":
        values["text"] = html_to_text(values["html"])
    if request.FILES.getlist("attachments"):
        # A browser never re-fills a file input; say so rather than lose them silently.
        messages.info(request, _("Choose the attachments again before you upload."))
    return TemplateForm(initial=values, with_attachments=template is None), imported


@require_http_methods(["GET", "POST"])
@account_required(role="editor")
def create_view(request):
    if request.method == "GET":
        form = TemplateForm(with_attachments=True)
        return render(request, "mailtemplates/editor.html", _editor_context(request, form))
    form = TemplateForm(request.POST, request.FILES, with_attachments=True)
    action = request.POST.get("action", "save")
    if action in ("import", "generate_text"):
        form, imported = _handle_editor_actions(request)
        return render(
            request, "mailtemplates/editor.html", _editor_context(request, form, imported=imported)
        )
    if not form.is_valid():
        return render(request, "mailtemplates/editor.html", _editor_context(request, form))
    data = form.cleaned_data
    files = data.get("attachments") or []
    issues = _lint_for(data, sum(f.size for f in files))
    if any(i.level == WARNING for i in issues) and not data.get("acknowledge"):
        messages.warning(
            request,
            _(
                "Nothing was uploaded yet: read the warnings, then fix them or tick “upload "
                "anyway”. Attachments must be chosen again."
            )
            if files
            else _(
                "Nothing was uploaded yet: read the warnings, then fix them or tick "
                "“upload anyway”."
            ),
        )
        return render(
            request, "mailtemplates/editor.html", _editor_context(request, form, issues=issues)
        )
    try:
        template = services.template_create(
            account=request.account,
            user=request.user,
            name=data["name"],
            subjects=data["subjects"],
            html=data["html"],
            text=data["text"],
            encoding=data["encoding"],
            files=_uploads(files),
        )
    except UmailError as exc:
        messages.error(request, save_failed_message(exc))
        return render(
            request, "mailtemplates/editor.html", _editor_context(request, form, issues=issues)
        )
    messages.success(
        request,
        _("Template uploaded. The platform is checking its content; the result appears below."),
    )
    return redirect("mailtemplates:edit", pk=template.pk)


@require_http_methods(["GET", "POST"])
@account_required
def edit_view(request, pk: int):
    template = _template(request, pk)
    if request.method == "GET":
        form = TemplateForm(
            initial={
                "name": template.name,
                "subjects": template.subjects,
                "html": template.html,
                "text": template.text,
                "encoding": template.encoding,
            }
        )
        ctx = _editor_context(request, form, template)
        ctx["subjects"] = list(template.subjects) or [""]
        ctx["issues"] = lint_template(
            html_source=template.html,
            text=template.text,
            subjects=template.subjects,
            attachment_bytes=selectors.attachments_total_bytes(template=template),
        )
        ctx["needs_ack"] = False
        return render(request, "mailtemplates/editor.html", ctx)
    return _edit_post(request, template)


@account_required(role="editor")
def _edit_post(request, template: MailTemplate):
    form = TemplateForm(request.POST, request.FILES)
    action = request.POST.get("action", "save")
    if action in ("import", "generate_text"):
        form, imported = _handle_editor_actions(request, template)
        return render(
            request,
            "mailtemplates/editor.html",
            _editor_context(request, form, template, imported=imported),
        )
    if not form.is_valid():
        return render(
            request, "mailtemplates/editor.html", _editor_context(request, form, template)
        )
    data = form.cleaned_data
    issues = _lint_for(data, selectors.attachments_total_bytes(template=template))
    if any(i.level == WARNING for i in issues) and not data.get("acknowledge"):
        messages.warning(
            request,
            _(
                "Nothing was uploaded yet: read the warnings, then fix them or tick "
                "“upload anyway”."
            ),
        )
        return render(
            request, "mailtemplates/editor.html", _editor_context(request, form, template, issues)
        )
    try:
        changed = services.template_update(
            account=request.account,
            user=request.user,
            template=template,
            name=data["name"],
            subjects=data["subjects"],
            html=data["html"],
            text=data["text"],
            encoding=data["encoding"],
        )
    except UmailError as exc:
        messages.error(request, platform_error_message(exc) + " " + _("Nothing was saved."))
        return render(
            request, "mailtemplates/editor.html", _editor_context(request, form, template, issues)
        )
    if changed:
        messages.success(
            request, _("Changes uploaded. The platform is checking the template again.")
        )
    else:
        messages.info(request, _("Nothing changed, so nothing was uploaded."))
    return redirect("mailtemplates:edit", pk=template.pk)


@require_POST
@account_required
def text_from_html_view(request):
    """htmx: the plain-text part generated from the posted HTML (the textarea, re-rendered)."""
    form = TemplateForm(initial={"text": html_to_text(request.POST.get("html", ""))})
    return render(request, "mailtemplates/_text_field.html", {"field": form["text"]})


@require_GET
@account_required
def merge_tags_view(request):
    """htmx: the merge-tag picker, with var1–var10 named after the chosen contact list."""
    list_id = request.GET.get("list", "")
    fields = selectors.merge_tag_fields(
        account=request.account, list_id=int(list_id) if list_id.isdigit() else None
    )
    return render(request, "mailtemplates/_merge_picker.html", {"merge_fields": fields})


@require_POST
@account_required
def lint_view(request):
    """htmx: the lint panel for the editor's current content."""
    template = None
    pk = request.POST.get("template")
    if pk and pk.isdigit():
        template = MailTemplate.objects.filter(pk=pk, account=request.account).first()
    issues = lint_template(
        html_source=request.POST.get("html", ""),
        text=request.POST.get("text", ""),
        subjects=request.POST.getlist("subjects"),
        attachment_bytes=selectors.attachments_total_bytes(template=template) if template else 0,
    )
    return render(request, "mailtemplates/_lint.html", {"issues": issues})


@require_POST
@account_required(role="editor")
def recheck_view(request, pk: int):
    template = _template(request, pk)
    services.template_recheck(template=template)
    messages.info(request, _("Asking the platform for the check result again."))
    return redirect("mailtemplates:edit", pk=template.pk)


# -- delete ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@account_required(role="editor")
def delete_view(request, pk: int):
    template = _template(request, pk)
    campaigns = selectors.template_scheduled_campaigns(
        account=request.account, template_id=template.platform_id
    )
    # The platform keeps no copy: the marketer types the template's name.
    confirm = TypedConfirmationForm(request.POST or None, expected=template.name)
    if request.method == "POST":
        if campaigns and not request.POST.get("confirm_campaigns"):
            messages.error(
                request, _("Confirm that the scheduled campaigns may lose their template.")
            )
        elif confirm.is_valid():
            try:
                services.template_delete(
                    account=request.account, user=request.user, template=template
                )
            except UmailError as exc:
                messages.error(
                    request, platform_error_message(exc) + " " + _("Nothing was deleted.")
                )
                return redirect("mailtemplates:delete", pk=pk)
            messages.success(request, _("Template “%(name)s” deleted.") % {"name": template.name})
            return redirect("mailtemplates:index")
    return render(
        request,
        "mailtemplates/delete.html",
        {"template": template, "campaigns": campaigns, "confirm": confirm},
    )


# -- attachments -------------------------------------------------------------------------------


@require_POST
@account_required(role="editor")
def attachments_add_view(request, pk: int):
    template = _template(request, pk)
    form = AttachmentsForm(
        request.POST,
        request.FILES,
        existing_bytes=selectors.attachments_total_bytes(template=template),
    )
    if not form.is_valid():
        for error in form.errors.get("files", []):
            messages.error(request, error)
        return redirect(reverse("mailtemplates:edit", kwargs={"pk": pk}) + "#attachments")
    files = form.cleaned_data["files"]
    try:
        services.template_attachments_add(
            account=request.account, user=request.user, template=template, files=_uploads(files)
        )
    except UmailError as exc:
        messages.error(request, platform_error_message(exc) + " " + _("No file was attached."))
    else:
        messages.success(
            request,
            _("Attached: %(names)s. The platform is checking the template again.")
            % {"names": ", ".join(f.name for f in files)},
        )
    return redirect(reverse("mailtemplates:edit", kwargs={"pk": pk}) + "#attachments")


@require_POST
@account_required(role="editor")
def attachment_delete_view(request, pk: int, attachment_pk: int | None = None):
    template = _template(request, pk)
    attachment = (
        get_object_or_404(template.attachments, pk=attachment_pk) if attachment_pk else None
    )
    try:
        services.template_attachment_delete(
            account=request.account, user=request.user, template=template, attachment=attachment
        )
    except UmailError as exc:
        messages.error(request, platform_error_message(exc) + " " + _("Nothing was removed."))
    else:
        messages.success(
            request,
            _("Removed %(name)s.") % {"name": attachment.name}
            if attachment
            else _("Removed all attachments."),
        )
    return redirect(reverse("mailtemplates:edit", kwargs={"pk": pk}) + "#attachments")


# -- preview -----------------------------------------------------------------------------------


def _sample(request_data) -> SampleContactForm:
    data = {k: request_data.get(k) for k in SampleContactForm().fields if request_data.get(k)}
    return SampleContactForm(data or None)


@require_GET
@account_required
def preview_view(request, pk: int):
    template = _template(request, pk)
    width = request.GET.get("width", "desktop")
    if width not in PREVIEW_WIDTHS:
        width = "desktop"
    sample = _sample(request.GET)
    values = sample.values()
    query = request.GET.copy()
    query.pop("width", None)
    return render(
        request,
        "mailtemplates/preview.html",
        {
            "template": template,
            "width": width,
            "width_px": PREVIEW_WIDTHS[width],
            "widths": PREVIEW_WIDTHS,
            "sample_form": sample if sample.is_bound else SampleContactForm(initial=values),
            "subjects": [fill_merge_tags(s, values, escape=False) for s in template.subjects],
            "text": fill_merge_tags(template.text, values, escape=False),
            "frame_query": query.urlencode(),
            "sample_query": query.urlencode(),
        },
    )


def _frame_response(html: str) -> HttpResponse:
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = PREVIEW_CSP
    response["Cache-Control"] = "no-store, private"
    response["Referrer-Policy"] = "no-referrer"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@require_GET
@xframe_options_sameorigin
@account_required
def preview_frame_view(request, pk: int):
    """The template's own HTML, untrusted: only ever shown in a sandboxed iframe with this CSP."""
    template = _template(request, pk)
    values = _sample(request.GET).values()
    return _frame_response(fill_merge_tags(template.html, values, escape=True))


@require_POST
@xframe_options_sameorigin
@account_required
def preview_draft_view(request):
    """The editor's live preview: unsaved HTML posted into the sandboxed iframe."""
    values = _sample(request.POST).values()
    return _frame_response(fill_merge_tags(request.POST.get("html", ""), values, escape=True))
