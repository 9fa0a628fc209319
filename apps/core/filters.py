from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry
from .tables import action_label

ALL_SCOPES = "*"


class AuditFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(
        label=_("What"),
        choices=[],
        empty_label=_("Any action"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    outcome = django_filters.ChoiceFilter(
        label=_("Outcome"),
        choices=AuditEntry.Outcome.choices,
        empty_label=_("Any outcome"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    since = django_filters.DateFilter(
        label=_("From"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )
    until = django_filters.DateFilter(
        label=_("Until"),
        field_name="created_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )
    sub_account = django_filters.ChoiceFilter(
        label=_("Sub-account"),
        choices=[],
        method="filter_sub_account",
        empty_label=None,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    class Meta:
        model = AuditEntry
        fields = ("action", "outcome", "since", "until", "sub_account")

    def __init__(self, *args, actions=(), scopes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["action"].extra["choices"] = [(a, action_label(a)) for a in actions]
        if scopes is None:
            del self.filters["sub_account"]
        else:
            self.filters["sub_account"].extra["choices"] = scopes

    def filter_sub_account(self, queryset, name, value):
        if value == ALL_SCOPES:
            return queryset
        return queryset.filter(customer_id="" if value == "-" else value)
