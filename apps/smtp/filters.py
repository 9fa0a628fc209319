from __future__ import annotations

import django_filters
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from .models import OutboundMail


class OutboundMailFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=OutboundMail.Kind.choices, empty_label=_("Any kind")
    )
    status = django_filters.ChoiceFilter(
        label=_("Result"), choices=OutboundMail.Status.choices, empty_label=_("Any result")
    )
    subject = django_filters.CharFilter(
        label=_("Subject or recipient contains"), method="filter_text"
    )

    class Meta:
        model = OutboundMail
        fields = ("kind", "status", "subject")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.form.fields.items():
            field.widget.attrs["class"] = (
                "form-control form-control-sm"
                if name == "subject"
                else "form-select form-select-sm"
            )

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.annotate(_rcpts=Cast("recipients", TextField())).filter(
            Q(subject__icontains=value) | Q(_rcpts__icontains=value)
        )
