from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import VAR_FIELDS, ImportJob, MailList


class MailListTable(tables.Table):
    subject = tables.Column(
        verbose_name=_("Name"),
        linkify=lambda record: reverse("contacts:list-detail", args=[record.platform_id]),
        # Long names are cut with an ellipsis; the whole name shows on hover.
        attrs={"a": {"class": "text-truncate-cell", "title": lambda record: record.subject}},
    )
    description = tables.Column(verbose_name=_("Description"), orderable=False)
    count = tables.Column(verbose_name=_("Addresses"), attrs={"td": {"class": "text-end"}})
    status = tables.Column(verbose_name=_("Status"))
    platform_id = tables.Column(verbose_name=_("List id"))

    class Meta:
        model = MailList
        fields = ("subject", "description", "count", "status", "platform_id")
        order_by = ("subject",)
        attrs = {"class": "table table-hover align-middle"}
        empty_text = _("No contact lists yet. Create one to start.")

    def render_count(self, value):
        return f"{value:,}"

    def render_status(self, value, record):
        css = "success" if record.enabled else "secondary"
        return format_html(
            '<span class="badge text-bg-{}">{}</span>', css, record.get_status_display()
        )


class AddressTable(tables.Table):
    """§4.8 rows from the platform; the platform has no sort order, so columns are not sortable."""

    address = tables.Column(verbose_name=_("E-mail address"))
    fullname = tables.Column(verbose_name=pgettext_lazy("person", "Name"))
    sex = tables.Column(verbose_name=_("Sex"), default="—")
    birthday = tables.Column(verbose_name=_("Birthday"))
    phone = tables.Column(verbose_name=_("Phone"))
    area = tables.Column(verbose_name=_("Area"))
    list_id = tables.Column(verbose_name=_("List"))
    time = tables.Column(verbose_name=_("Added"))
    actions = tables.TemplateColumn(
        template_name="contacts/_address_actions.html", verbose_name=_("Actions"), orderable=False
    )

    class Meta:
        orderable = False
        attrs = {"class": "table table-sm table-hover align-middle small"}
        empty_text = _("No addresses match. Try a shorter search, or add addresses to the list.")
        sequence = (
            "address",
            "fullname",
            "sex",
            "birthday",
            "phone",
            "area",
            "...",
            "list_id",
            "time",
            "actions",
        )

    def __init__(
        self,
        *args,
        var_labels: dict[str, str],
        show_list: bool = False,
        variables=VAR_FIELDS,
        **kwargs,
    ):
        extra = [
            (var, tables.Column(verbose_name=var_labels.get(var) or var, default=""))
            for var in variables
        ]
        exclude = () if show_list else ("list_id",)
        super().__init__(*args, extra_columns=extra, exclude=exclude, **kwargs)


class ImportJobTable(tables.Table):
    original_name = tables.Column(
        verbose_name=_("File"),
        linkify=lambda record: reverse("contacts:import-detail", args=[record.pk]),
    )
    list_subject = tables.Column(verbose_name=_("List"))
    state = tables.Column(verbose_name=_("State"))
    rows_total = tables.Column(verbose_name=_("Rows"))
    rows_good = tables.Column(verbose_name=_("Good"))
    rows_rejected = tables.Column(
        verbose_name=_("Rejected"), accessor="rows_rejected", orderable=False
    )
    created_at = tables.DateTimeColumn(verbose_name=_("Started"), format="Y-m-d H:i")

    class Meta:
        model = ImportJob
        fields = ("original_name", "list_subject", "state", "rows_total", "rows_good", "created_at")
        sequence = (
            "original_name",
            "list_subject",
            "state",
            "rows_total",
            "rows_good",
            "rows_rejected",
            "created_at",
        )
        order_by = ("-created_at",)
        attrs = {"class": "table table-sm table-hover align-middle"}
        empty_text = _("No imports yet. Open a contact list and choose “Import a file”.")
