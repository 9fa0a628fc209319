"""Forms of the analytics pages: the dashboard's range and comparison, exports, hygiene."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FAIL_TYPE_LABELS, HygieneSettings

SELECT = {"class": "form-select form-select-sm"}
DATE = {"class": "form-control form-control-sm", "type": "date"}
MAX_RANGE_DAYS = 400

FAILURE_CHOICES = [("-1", _("All failures"))] + [
    (str(code), label) for code, label in FAIL_TYPE_LABELS.items()
]
SOURCE_CHOICES = [
    ("xml", _("Standard (recommended)")),
    ("file", _("Alternative 1: as a file")),
    ("json", _("Alternative 2")),
    ("text", _("Alternative 3: plain text")),
]
FORMAT_CHOICES = [("csv", _("CSV")), ("xlsx", _("Excel (XLSX)"))]


def download_format_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Download as"),
        choices=FORMAT_CHOICES,
        initial="csv",
        widget=forms.Select(attrs=SELECT),
    )


class RangeForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs=DATE))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs=DATE))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The range must start before it ends."))
            if (end - start).days >= MAX_RANGE_DAYS:
                raise forms.ValidationError(_("Pick at most %(n)s days.") % {"n": MAX_RANGE_DAYS})
        return data


class CompareForm(forms.Form):
    a = forms.TypedChoiceField(
        label=_("First campaign"), coerce=int, widget=forms.Select(attrs=SELECT)
    )
    b = forms.TypedChoiceField(
        label=_("Second campaign"), coerce=int, widget=forms.Select(attrs=SELECT)
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["a"].choices = choices
        self.fields["b"].choices = choices

    def clean(self):
        data = super().clean()
        if data.get("a") and data.get("a") == data.get("b"):
            raise forms.ValidationError(_("Pick two different campaigns."))
        return data


class FailureExportForm(forms.Form):
    type = forms.TypedChoiceField(
        label=_("Failure type"),
        choices=FAILURE_CHOICES,
        coerce=int,
        initial="-1",
        widget=forms.Select(attrs=SELECT),
    )
    source = forms.ChoiceField(
        label=_("How to ask the platform"),
        choices=SOURCE_CHOICES,
        initial="xml",
        help_text=_("The same addresses either way; if one way fails, try another."),
        widget=forms.Select(attrs=SELECT),
    )
    fmt = download_format_field()


class DayFailureExportForm(FailureExportForm):
    date = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs=DATE))

    field_order = ("date", "type", "source", "fmt")

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > dt.date.today() + dt.timedelta(days=1):
            raise forms.ValidationError(_("That day has not come yet."))
        return day


class TrackedExportForm(forms.Form):
    who = forms.ChoiceField(
        label=_("Addresses"),
        choices=[("all", _("Everyone who opened")), ("clickers", _("Only those who clicked"))],
        initial="all",
        widget=forms.Select(attrs=SELECT),
    )
    link = forms.TypedChoiceField(
        label=_("Who clicked the link"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs=SELECT),
    )
    fmt = download_format_field()

    def __init__(self, *args, links=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["link"].choices = [("", _("Any link"))] + [
            (link.link_id, link.url[:80]) for link in links
        ]


class HygieneSettingsForm(forms.ModelForm):
    class Meta:
        model = HygieneSettings
        fields = ("enabled", "remove_from_lists")
        widgets = {
            "enabled": forms.CheckboxInput(attrs={"class": "form-check-input"}),
            "remove_from_lists": forms.CheckboxInput(attrs={"class": "form-check-input"}),
        }
        help_texts = {
            "enabled": _(
                "Hard failures (mailbox does not exist, invalid address, format error) and "
                "unsubscribes are never imported or subscribed again."
            ),
            "remove_from_lists": _(
                "The platform would otherwise keep sending to them (and charging for them) "
                "every time the list is used."
            ),
        }
