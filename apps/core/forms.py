from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from apps.accounts.preferences import COMMON_TIME_ZONES, all_time_zones


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


class TypedConfirmationForm(forms.Form):
    """Typed confirmation for what cannot be undone: the user types the name of what goes.

    Render it with `{% include "partials/typed_confirmation.html" with form=form %}`.
    """

    confirm = forms.CharField(label=_("Type the name to confirm"), max_length=255)

    def __init__(self, *args, expected: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected
        self.fields["confirm"].widget.attrs.update(
            autocomplete="off", autocapitalize="off", spellcheck="false"
        )

    def clean_confirm(self):
        value = self.cleaned_data["confirm"].strip()
        if value != self.expected.strip():
            raise forms.ValidationError(_("That is not the name shown above; nothing was deleted."))
        return value
