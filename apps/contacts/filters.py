import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import MailList


class MailListFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or description"), method="search")
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=MailList.Status.choices, empty_label=_("Any status")
    )

    class Meta:
        model = MailList
        fields = ["q", "status"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(subject__icontains=value) | Q(description__icontains=value))
