from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import SenderDomain

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_LOCAL = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$")
PASSWORD_MIN, PASSWORD_MAX = 12, 32


def normalise_domain(raw: str) -> str | None:
    """Lower-case ASCII (IDNA) form of a domain name, or None when it is not one."""
    value = (raw or "").strip().rstrip(".").lower()
    if value.startswith(("http://", "https://")) or "@" in value or "/" in value:
        return None
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2:
        return None
    if not all(_LABEL.match(label) for label in labels) or not _TLD.match(labels[-1]):
        return None
    return value


class DomainAddForm(forms.Form):
    domain = forms.CharField(
        label=_("Domain"),
        max_length=253,
        help_text=_("For example news.example.com: a domain or sub-domain you control."),
        error_messages={"required": _("Enter the domain to add.")},
        widget=forms.TextInput(attrs={"placeholder": "news.example.com", "autocomplete": "off"}),
    )

    def clean_domain(self):
        value = normalise_domain(self.cleaned_data["domain"])
        if value is None:
            raise forms.ValidationError(
                _("Enter a domain name such as news.example.com (no http://, no e-mail address).")
            )
        return value


class DomainVerifyForm(forms.Form):
    domains = forms.ModelMultipleChoiceField(
        label=_("Domains to verify"),
        queryset=SenderDomain.objects.none(),
        error_messages={
            "required": _("Choose at least one domain to verify."),
            "invalid_choice": _("One of the chosen domains is not in this account."),
            "invalid_pk_value": _("One of the chosen domains is not in this account."),
        },
    )

    def __init__(self, *args, queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domains"].queryset = queryset.filter(is_system=False)


def _check_password(value: str) -> str:
    if not value:
        return ""
    if not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise forms.ValidationError(
            _("A password has %(min)s to %(max)s characters.")
            % {"min": PASSWORD_MIN, "max": PASSWORD_MAX}
        )
    if not all(33 <= ord(c) <= 126 for c in value):
        raise forms.ValidationError(
            _("Use letters, digits and symbols only: no spaces or accented characters.")
        )
    if not (any(c.isalpha() for c in value) and any(c.isdigit() for c in value)):
        raise forms.ValidationError(_("A password needs at least one letter and one digit."))
    return value


class MailboxPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New password (optional)"),
        required=False,
        strip=False,
        help_text=_("Leave empty and the portal generates a strong password for you."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password(self):
        return _check_password(self.cleaned_data.get("password", ""))


class MailboxAddForm(MailboxPasswordForm):
    name = forms.CharField(
        label=_("Mailbox name"),
        max_length=64,
        error_messages={"required": _("Enter the mailbox name, the part before the @.")},
        help_text=_("The part before the @, e.g. news or service."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    field_order = ["name", "password"]

    def __init__(self, *args, domain: SenderDomain | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.domain = domain
        self.fields["password"].label = _("Password (optional)")

    def clean_name(self):
        value = self.cleaned_data["name"].strip().lower()
        if "@" in value:
            local, _at, rest = value.rpartition("@")
            if self.domain is not None and rest != self.domain.domain:
                raise forms.ValidationError(
                    _("The mailbox must be under %(domain)s.") % {"domain": self.domain.domain}
                )
            value = local
        if not _LOCAL.match(value):
            raise forms.ValidationError(
                _(
                    "Use lower-case letters, digits, dots, hyphens and underscores; start and "
                    "end with a letter or digit."
                )
            )
        return value
