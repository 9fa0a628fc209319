from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from . import relays
from .models import SmtpSettings

# A host name (letters, digits, hyphens, dots; IDNA allowed) or an IPv4 / bracket-less IPv6.
_HOST = re.compile(r"^(?=.{1,253}$)[\w\-.:]+$", re.UNICODE)
MAX_TEST_RECIPIENTS = 10
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def _addresses(value: str) -> list[str]:
    return [a.strip() for a in re.split(r"[,;\s]+", value or "") if a.strip()]


def validate_addresses(value: str, *, limit: int | None = None) -> list[str]:
    addresses = _addresses(value)
    bad = []
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        raise ValidationError(
            _("Not an e-mail address: %(bad)s"), params={"bad": ", ".join(bad)}, code="invalid"
        )
    if limit is not None and len(addresses) > limit:
        raise ValidationError(
            _("At most %(limit)d recipients for a test mail."), params={"limit": limit}
        )
    return addresses


class BootstrapMixin:
    """Bootstrap classes on every widget, so templates render fields with one partial."""

    def style_fields(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = css


class SmtpSettingsForm(BootstrapMixin, forms.Form):
    host = forms.CharField(
        label=_("SMTP server"),
        max_length=253,
        help_text=_("The platform's relay is smtp.bestedm.org."),
    )
    port = forms.IntegerField(
        label=_("Port"),
        min_value=1,
        max_value=65535,
        help_text=_("25: plain SMTP · 465: SSL/TLS · 587: STARTTLS"),
    )
    security = forms.ChoiceField(label=_("Encryption"), choices=SmtpSettings.Security.choices)
    verify_certificate = forms.BooleanField(
        label=_("Verify the server's certificate"),
        required=False,
        help_text=_("Turn off only for a test server with a self-signed certificate."),
    )
    mailbox = forms.EmailField(
        label=_("Sender mailbox"),
        max_length=254,
        help_text=_("A mailbox of one of your sender domains; it logs in and sends."),
    )
    password = forms.CharField(
        label=_("Mailbox password"),
        required=False,
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    from_name = forms.CharField(
        label=_("Sender name"),
        required=False,
        max_length=100,
        help_text=_("Shown to recipients beside the address, e.g. your shop's name."),
    )
    notify_to = forms.CharField(
        label=_("Send the portal's notifications to"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Import finished, domain verified and quota low. Addresses separated by commas; "
            "empty: every member of this account with an e-mail address."
        ),
    )

    def __init__(
        self, *args, mailboxes: list[str] | None = None, stored_mailbox: str = "", **kwargs
    ):
        super().__init__(*args, **kwargs)
        # The stored password belongs to this mailbox; another mailbox needs its own.
        self.stored_mailbox = stored_mailbox
        has_password = bool(stored_mailbox)
        if mailboxes:
            current = self.initial.get("mailbox")
            choices = list(mailboxes)
            if current and current not in choices:
                choices.insert(0, current)  # keep a mailbox the mirror does not list (yet)
            self.fields["mailbox"] = forms.ChoiceField(
                label=_("Sender mailbox"),
                choices=[(m, m) for m in choices],
                help_text=_("The mailboxes of your sender domains (Domains page)."),
            )
        self.fields["password"].help_text = (
            _("Stored encrypted and never shown again. Leave empty to keep the stored password.")
            if has_password
            else _("Stored encrypted and never shown again.")
        )
        allowed = relays.allowed_relays_text()
        self.fields["host"].help_text = _("Servers this portal allows: %(allowed)s.") % {
            "allowed": allowed
        }
        self.style_fields()

    def clean_host(self):
        host = self.cleaned_data["host"].strip().lower()
        if "://" in host or not _HOST.match(host):
            raise ValidationError(
                _("Enter a server name such as smtp.bestedm.org, without http:// or a port.")
            )
        return host

    def clean_notify_to(self):
        return ", ".join(validate_addresses(self.cleaned_data["notify_to"]))

    def clean(self):
        data = super().clean()
        mailbox = data.get("mailbox")
        if mailbox and not data.get("password") and mailbox.lower() != self.stored_mailbox.lower():
            self.add_error(
                "password", _("Enter the password of %(mailbox)s.") % {"mailbox": mailbox}
            )
        port, security = data.get("port"), data.get("security")
        host = data.get("host")
        if host and port and not relays.relay_is_allowed(host, port):
            # Refused here, before any connection: no port scans through this form.
            self.add_error(
                "host",
                _("This portal connects only to %(allowed)s; %(where)s is not allowed.")
                % {"allowed": relays.allowed_relays_text(), "where": f"{host}:{port}"},
            )
        if port == 465 and security and security != SmtpSettings.Security.SSL:
            self.add_error("security", _("Port 465 is SSL/TLS from the start: choose SSL/TLS."))
        if port in (25, 587) and security == SmtpSettings.Security.SSL:
            self.add_error(
                "security",
                _("Port %(port)s does not start with TLS: choose STARTTLS or none.")
                % {"port": port},
            )
        return data


class SendTestForm(BootstrapMixin, forms.Form):
    FORMAT_CHOICES = [("text", _("Plain text")), ("html", _("HTML"))]

    to = forms.CharField(
        label=_("To"),
        max_length=2000,
        help_text=_("One or more addresses, separated by commas."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=255)
    format = forms.ChoiceField(
        label=_("Format"), choices=FORMAT_CHOICES, initial="text", widget=forms.RadioSelect
    )
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 8}))
    attachment = forms.FileField(label=_("Attachment (optional)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachment"].help_text = _("Up to %(size)s.") % {
            "size": filesizeformat(MAX_ATTACHMENT_BYTES)
        }
        self.style_fields()

    def clean_to(self):
        addresses = validate_addresses(self.cleaned_data["to"], limit=MAX_TEST_RECIPIENTS)
        if not addresses:
            raise ValidationError(_("Enter at least one recipient."))
        return addresses

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload and upload.size > MAX_ATTACHMENT_BYTES:
            raise ValidationError(
                _("The attachment is %(size)s; at most %(max)s.")
                % {
                    "size": filesizeformat(upload.size),
                    "max": filesizeformat(MAX_ATTACHMENT_BYTES),
                }
            )
        return upload
