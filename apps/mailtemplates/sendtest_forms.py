"""The test-send form: up to five addresses and whose merge values to fill in."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.smtp.forms import validate_addresses

from .sendtest import MAX_TEST_ADDRESSES


class TestSendForm(forms.Form):
    to = forms.CharField(
        label=_("Send to"),
        max_length=1000,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "email"}),
        help_text=_("Up to 5 addresses, separated by commas."),
    )
    # Any list id the platform knows for this account (the lookup is the account's own §4.8
    # call); the menu offers the lists the portal has mirrored.
    contact_list = forms.IntegerField(
        label=_("Contact list"),
        required=False,
        min_value=0,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    contact_email = forms.EmailField(
        label=_("Fill in the values of the contact"),
        required=False,
        widget=forms.EmailInput(attrs={"class": "form-control"}),
        help_text=_(
            "The contact's address in the chosen list. Empty: the sample contact (张三) is used."
        ),
    )

    def __init__(self, *args, lists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_list"].widget.choices = [("", _("Any list")), *lists]

    def clean_to(self):
        addresses = validate_addresses(self.cleaned_data["to"], limit=MAX_TEST_ADDRESSES)
        if not addresses:
            raise ValidationError(_("Enter at least one address."))
        return addresses
