"""The test-send page: the saved template, with one contact's merge values, to up to five
addresses through the account's SMTP settings; each address's outcome is shown."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.accounts.decorators import account_required
from apps.core.messages import platform_error_message
from apps.core.redirects import named_next
from apps.smtp.selectors import smtp_settings
from apps.umail.errors import UmailError

from . import selectors
from .models import MailTemplate
from .sendtest import (
    ContactNotFound,
    held_attachments,
    lookup_values,
    template_test_send,
)
from .sendtest_forms import TestSendForm


@require_http_methods(["GET", "POST"])
@account_required(role="sender")
def test_send_view(request, pk: int):
    template = get_object_or_404(MailTemplate, pk=pk, account=request.account)
    lists = selectors.merge_tag_lists(account=request.account)
    initial = {"to": request.user.email or ""}
    list_id = request.GET.get("list", "")
    if list_id.isdigit():
        initial["contact_list"] = int(list_id)
    form = TestSendForm(request.POST or None, lists=lists, initial=initial)
    smtp = smtp_settings(account=request.account)
    held, missing = held_attachments(template)
    result = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                values, source = lookup_values(
                    account=request.account,
                    email=data["contact_email"] or "",
                    list_id=data["contact_list"],
                )
            except ContactNotFound:
                form.add_error(
                    "contact_email",
                    _("No contact with this address in the chosen list on the platform."),
                )
            except UmailError as exc:
                messages.error(request, platform_error_message(exc) + " " + _("Nothing was sent."))
            else:
                result = template_test_send(
                    account=request.account,
                    user=request.user,
                    template=template,
                    to=data["to"],
                    values=values,
                )
                result.source = source
                result.values = values
                if result.all_ok:
                    messages.success(request, _("The test was sent."))
                elif any(o.ok for o in result.outcomes):
                    messages.warning(request, _("The test reached some of the addresses only."))
                else:
                    messages.error(request, _("The test was not sent."))
        if not form.is_valid() or result is None:
            status = 400
    return render(
        request,
        "mailtemplates/test_send.html",
        {
            "template": template,
            "form": form,
            "smtp": smtp,
            "held": held,
            "missing": missing,
            "result": result,
            "next": named_next(request),
        },
        status=status,
    )
