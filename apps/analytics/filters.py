from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ClickRecord, OpenRecord

TEXT = {"class": "form-control form-control-sm"}


class OpenRecordFilter(django_filters.FilterSet):
    email = django_filters.CharFilter(
        label=_("Address contains"), lookup_expr="icontains", widget=forms.TextInput(attrs=TEXT)
    )
    browser = django_filters.CharFilter(
        label=_("Browser"), lookup_expr="iexact", widget=forms.TextInput(attrs=TEXT)
    )
    os = django_filters.CharFilter(
        label=_("Operating system"), lookup_expr="iexact", widget=forms.TextInput(attrs=TEXT)
    )
    addr_first = django_filters.CharFilter(
        label=_("Area contains"), lookup_expr="icontains", widget=forms.TextInput(attrs=TEXT)
    )

    class Meta:
        model = OpenRecord
        fields = ("email", "browser", "os", "addr_first")


class ClickRecordFilter(django_filters.FilterSet):
    email = django_filters.CharFilter(
        label=_("Address contains"), lookup_expr="icontains", widget=forms.TextInput(attrs=TEXT)
    )
    link = django_filters.CharFilter(
        label=_("Link contains"), lookup_expr="icontains", widget=forms.TextInput(attrs=TEXT)
    )

    class Meta:
        model = ClickRecord
        fields = ("email", "link")
