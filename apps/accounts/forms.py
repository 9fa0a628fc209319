import datetime as dt
import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import PlatformAccount
from .preferences import COMMON_TIME_ZONES, all_time_zones


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
        help_text=_(
            "Agents and platform administrators: choose your type here to manage your "
            "sub-accounts; signed in as an ordinary user you see only your own account."
        ),
    )


class SubAccountForm(forms.Form):
    """An agent or administrator enters a sub-account's customer id (the platform confirms it)."""

    customer_id = forms.RegexField(
        label=_("Customer id"),
        regex=r"^[1-9][0-9]{0,18}$",
        error_messages={"invalid": _("A customer id is a number, e.g. 1002.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    label = forms.CharField(
        label=_("Name (optional)"),
        max_length=150,
        required=False,
        help_text=_("How the sub-account appears in the switcher, e.g. the shop's name."),
    )


class SubAccountCredentialsForm(forms.Form):
    """An agent gives a sub-account's own platform credentials (checked with §1.1, stored
    encrypted); the portal then works as the sub-account."""

    username = forms.CharField(
        label=_("The sub-account's platform username"),
        max_length=150,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    password = forms.CharField(
        label=_("The sub-account's platform password"),
        widget=forms.PasswordInput(
            render_value=False, attrs={"class": "form-control", "autocomplete": "off"}
        ),
        strip=False,
    )


class TeamLoginForm(AuthenticationForm):
    """Username and password of a portal user (not a platform account)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Portal username")
        self.fields["password"].label = _("Password")


# -- the signed-in user's preferences ------------------------------------------------------


def _offset(name: str, now: dt.datetime) -> str:
    offset = now.astimezone(zoneinfo.ZoneInfo(name)).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def time_zone_choices(now: dt.datetime | None = None):
    """Zones grouped: the usual ones first, then every zone, each with its current UTC offset."""
    now = now or dt.datetime.now(dt.UTC)
    common = [(name, f"{name} ({_offset(name, now)})") for name in COMMON_TIME_ZONES]
    others = [
        (name, f"{name} ({_offset(name, now)})")
        for name in all_time_zones()
        if name not in COMMON_TIME_ZONES
    ]
    return [(_("Common"), common), (_("All time zones"), others)]


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("“Same as my browser” follows the language your browser asks for."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_(
            "Dates and times in the portal are shown in this zone, and times you enter are read "
            "in it. The platform itself works in Beijing time (Asia/Shanghai); the portal "
            "converts for you."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Same as my browser")), *settings.LANGUAGES]
        self.fields["time_zone"].choices = time_zone_choices()
