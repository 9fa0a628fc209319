"""Inbox preview: how the template looks in an inbox list (sender name, subject, preheader,
attachment chips) at desktop and phone widths, and the preheader field."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from apps.accounts.decorators import account_required, role_allows
from apps.core.messages import platform_error_message
from apps.smtp.selectors import smtp_settings
from apps.umail.errors import UmailError

from .builder import template_save_composed
from .content import SAMPLE_CONTACT, fill_merge_tags, html_to_text
from .models import MailTemplate
from .sanitise import PREHEADER_RE, with_preheader

PREHEADER_CHARS = 110  # about what a desktop inbox list shows after the subject


class PreheaderForm(forms.Form):
    preheader = forms.CharField(
        label=gettext_lazy("Preheader"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        help_text=gettext_lazy(
            "The short line inboxes show after the subject. Empty: inboxes show the first "
            "words of the mail."
        ),
    )


def inbox_line(template: MailTemplate, values: dict[str, str]) -> str:
    """What an inbox shows after the subject: the preheader, else the body's first words."""
    if template.preheader.strip():
        return fill_merge_tags(template.preheader, values, escape=False)
    text = html_to_text(PREHEADER_RE.sub("", template.html or ""))
    return " ".join(fill_merge_tags(text, values, escape=False).split())[:PREHEADER_CHARS]


@require_http_methods(["GET", "POST"])
@account_required
def inbox_view(request, pk: int):
    template = get_object_or_404(MailTemplate, pk=pk, account=request.account)
    membership = getattr(request, "membership", None)
    can_edit = membership is not None and role_allows(membership.role, "editor")
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    form = PreheaderForm(request.POST or None, initial={"preheader": template.preheader})
    if request.method == "POST" and form.is_valid():
        preheader = form.cleaned_data["preheader"].strip()
        try:
            template_save_composed(
                account=request.account,
                user=request.user,
                template=template,
                name=template.name,
                subjects=template.subjects,
                preheader=preheader,
                html=with_preheader(template.html, preheader),
                text=template.text,
                mode=template.editor_mode,
                project=template.builder_project,
            )
        except UmailError as exc:
            messages.error(request, platform_error_message(exc) + " " + _("Nothing was saved."))
        else:
            messages.success(
                request, _("Preheader saved. The platform is checking the template again.")
            )
            return redirect("mailtemplates:inbox", pk=template.pk)
    smtp = smtp_settings(account=request.account)
    sender = (smtp.from_name if smtp else "") or request.account.username
    values = dict(SAMPLE_CONTACT)
    subjects = [s for s in template.subjects if s.strip()] or [template.name]
    return render(
        request,
        "mailtemplates/inbox.html",
        {
            "template": template,
            "form": form,
            "can_edit": can_edit,
            "sender": sender,
            "subject": fill_merge_tags(subjects[0], values, escape=False),
            "line": inbox_line(template, values),
            "attachments": [a.name for a in template.attachments.all()],
        },
    )
