from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_tables2 import RequestConfig

from apps.accounts.decorators import account_required, role_allows

from . import selectors, services
from .errors import SmtpError, SmtpNotConfigured
from .filters import OutboundMailFilter
from .forms import SendTestForm, SmtpSettingsForm
from .models import OutboundMail, SmtpSettings
from .tables import OutboundMailTable
from .trial import smtp_settings_try


def _role(request) -> str:
    return request.membership.role if request.membership else "viewer"


@account_required
def index_view(request):
    smtp = selectors.smtp_settings(account=request.account)
    mail_filter = OutboundMailFilter(
        request.GET or None, queryset=selectors.outbound_mails(account=request.account)
    )
    table = OutboundMailTable(mail_filter.qs)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    return render(
        request,
        "smtp/index.html",
        {
            "smtp": smtp,
            "filter": mail_filter,
            "table": table,
            "can_configure": role_allows(_role(request), "owner"),
            "can_send": role_allows(_role(request), "sender"),
        },
    )


@sensitive_post_parameters("password")  # the mailbox password: never in error reports
@account_required(role="owner")
@require_http_methods(["GET", "POST"])
def settings_view(request):
    smtp = selectors.smtp_settings(account=request.account)
    mailboxes = selectors.sender_mailboxes(account=request.account)
    if smtp is not None:
        initial = {
            f: getattr(smtp, f)
            for f in (
                "host",
                "port",
                "security",
                "verify_certificate",
                "mailbox",
                "from_name",
                "notify_to",
            )
        }
    else:
        defaults = SmtpSettings()
        initial = {
            "host": defaults.host,
            "port": defaults.port,
            "security": defaults.security,
            "verify_certificate": True,
            "from_name": request.account.company,
        }
    stored = smtp.mailbox if smtp is not None and smtp.has_password else ""
    form = SmtpSettingsForm(
        request.POST or None, initial=initial, mailboxes=mailboxes, stored_mailbox=stored
    )
    trial = None
    if request.method == "POST" and form.is_valid() and "test" in request.POST:
        # Settings that do not work are not saved (apps/smtp/trial.py).
        trial = smtp_settings_try(account=request.account, **form.cleaned_data)
        if not trial.ok:
            form.add_error(
                None,
                _("Not saved: the connection test failed. %(reason)s") % {"reason": trial.message},
            )
    if request.method == "POST" and form.is_valid():
        try:
            services.smtp_settings_save(
                account=request.account, user=request.user, **form.cleaned_data
            )
        except SmtpNotConfigured as exc:
            form.add_error("password", str(exc))
        else:
            messages.success(request, _("SMTP settings saved."))
            if "test" in request.POST:
                _run_connection_test(request)
            return redirect("smtp:index")
    return render(
        request,
        "smtp/settings.html",
        {"form": form, "smtp": smtp, "mailbox_choices": bool(mailboxes)},
        status=400 if request.method == "POST" else 200,
    )


def _run_connection_test(request) -> None:
    try:
        result = services.smtp_connection_test(account=request.account, user=request.user)
    except SmtpNotConfigured as exc:
        messages.error(request, str(exc))
        return
    if result.ok:
        messages.success(request, result.message)
    else:
        messages.error(
            request, _("Connection test failed: %(reason)s") % {"reason": result.message}
        )


@require_POST
@account_required(role="owner")
def connection_test_view(request):
    _run_connection_test(request)
    return redirect("smtp:index")


@account_required(role="sender")
@require_http_methods(["GET", "POST"])
def send_test_view(request):
    smtp = selectors.smtp_settings(account=request.account)
    if smtp is None or not smtp.has_password:
        messages.warning(request, _("Set up SMTP first: server, sender mailbox and password."))
        return redirect("smtp:settings" if role_allows(_role(request), "owner") else "smtp:index")
    form = SendTestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data.get("attachment")
        attachment = None
        if upload:
            content_type = (
                upload.content_type
                or mimetypes.guess_type(upload.name)[0]
                or "application/octet-stream"
            )
            attachment = services.Attachment(upload.name, upload.read(), content_type)
        try:
            mail = services.smtp_send_test(
                account=request.account,
                user=request.user,
                to=data["to"],
                subject=data["subject"],
                body=data["body"],
                is_html=data["format"] == "html",
                attachment=attachment,
            )
        except SmtpError as exc:
            messages.error(request, str(exc))
        else:
            if mail.status == OutboundMail.Status.SENT:
                messages.success(request, _("The SMTP server accepted the test mail."))
            elif mail.status == OutboundMail.Status.PARTIAL:
                messages.warning(
                    request, _("The SMTP server accepted the mail but refused some recipients.")
                )
            else:
                messages.error(request, mail.error or _("The test mail was not sent."))
            return redirect("smtp:mail-detail", pk=mail.pk)
    return render(
        request,
        "smtp/send_test.html",
        {"form": form, "smtp": smtp},
        status=400 if request.method == "POST" else 200,
    )


@account_required
def mail_detail_view(request, pk: int):
    mail = get_object_or_404(OutboundMail, pk=pk, account=request.account)
    return render(request, "smtp/mail_detail.html", {"mail": mail})
