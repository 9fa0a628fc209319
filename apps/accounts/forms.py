from django import forms
from django.utils.translation import gettext_lazy as _

from .models import PlatformAccount


class PlatformLoginForm(forms.Form):
    """The platform's own login form (§8): username, password and user type."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    user_type = forms.ChoiceField(
        label=_("User type"),
        choices=PlatformAccount.UserType.choices,
        required=False,
        initial="",
    )
