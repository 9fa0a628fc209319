from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Mailbox, SenderDomain


class DomainFilter(django_filters.FilterSet):
    STATES = [
        ("verified", _("Verified")),
        ("unverified", _("Not verified yet")),
        ("system", _("System domains")),
    ]
    state = django_filters.ChoiceFilter(
        label=_("State"),
        choices=STATES,
        method="filter_state",
        empty_label=_("Any state"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    domain = django_filters.CharFilter(
        label=_("Domain contains"),
        lookup_expr="icontains",
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )

    class Meta:
        model = SenderDomain
        fields = ("state", "domain")

    def filter_state(self, queryset, name, value):
        if value == "verified":
            return queryset.filter(verified=True, is_system=False)
        if value == "unverified":
            return queryset.filter(verified=False)
        if value == "system":
            return queryset.filter(is_system=True)
        return queryset


class MailboxFilter(django_filters.FilterSet):
    address = django_filters.CharFilter(
        label=_("Address contains"),
        lookup_expr="icontains",
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )

    class Meta:
        model = Mailbox
        fields = ("address",)
