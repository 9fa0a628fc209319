import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Campaign

S = Campaign.LocalState
STATE_CHOICES = [
    ("1", _("Waiting")),
    ("2", _("Sending")),
    ("3", _("Finished")),
    ("-1", _("On hold")),
    ("-2", _("Paused")),
    ("-3", _("Cancelled")),
    ("other", _("Other platform status")),
    ("draft", _("Draft")),
    ("creating", _("Being created or checked")),
    ("failed", _("Not created")),
    ("deleted", _("Deleted")),
]


class CampaignFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name, template or list"), method="search")
    state = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=STATE_CHOICES,
        empty_label=_("Any status"),
        method="filter_state",
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    since = django_filters.DateFilter(
        label=_("From"),
        method="filter_since",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )
    until = django_filters.DateFilter(
        label=_("Until"),
        method="filter_until",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )

    class Meta:
        model = Campaign
        fields = ("q", "state", "since", "until")

    def search(self, queryset, name, value):
        # template_names is JSON: search its text form, which works on SQLite and PostgreSQL.
        return queryset.filter(
            Q(name__icontains=value)
            | Q(list_name__icontains=value)
            | Q(sn__icontains=value)
            | Q(template_names__icontains=value)
        )

    def filter_state(self, queryset, name, value):
        if value in ("1", "2", "3", "-1", "-2", "-3"):
            return queryset.filter(local_state=S.ACTIVE, status=int(value))
        if value == "other":
            return queryset.filter(local_state=S.ACTIVE).exclude(status__in=Campaign.Status.values)
        return queryset.filter(
            local_state__in={
                "draft": [S.DRAFT],
                "creating": [S.SUBMITTING, S.UNCONFIRMED],
                "failed": [S.REJECTED, S.LOST],
                "deleted": [S.DELETED],
            }[value]
        )

    @staticmethod
    def _start(day):
        tz = timezone.get_current_timezone()
        return dt.datetime.combine(day, dt.time.min, tzinfo=tz)

    def filter_since(self, queryset, name, value):
        return queryset.filter(send_time__gte=self._start(value))

    def filter_until(self, queryset, name, value):
        return queryset.filter(send_time__lt=self._start(value + dt.timedelta(days=1)))
