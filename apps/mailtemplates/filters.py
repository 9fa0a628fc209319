from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import CheckResult, MailTemplate


class TemplateFilter(django_filters.FilterSet):
    check_result = django_filters.ChoiceFilter(
        label=_("Check status"),
        choices=[c for c in CheckResult.choices if c[0]],
        empty_label=_("Any status"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    name = django_filters.CharFilter(
        label=_("Name or subject contains"),
        method="filter_text",
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )

    class Meta:
        model = MailTemplate
        fields = ("check_result", "name")

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(subject_line__icontains=value))
