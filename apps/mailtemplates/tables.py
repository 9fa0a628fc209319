from __future__ import annotations

import django_tables2 as tables
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import MailTemplate


class TemplateTable(tables.Table):
    name = tables.Column(
        verbose_name=_("Name"), linkify=("mailtemplates:edit", {"pk": tables.A("pk")})
    )
    subjects = tables.Column(verbose_name=_("Subjects"), orderable=False)
    # empty_values=(): rendered even when unknown, so the live badge can fill it in (hx-swap-oob).
    size_kb = tables.Column(verbose_name=_("Size"), empty_values=())
    check_result = tables.Column(verbose_name=_("Check"))
    attachment_count = tables.Column(verbose_name=_("Attachments"))
    updated_at = tables.DateTimeColumn(verbose_name=_("Updated"), format="Y-m-d H:i")
    actions = tables.TemplateColumn(
        template_name="mailtemplates/_row_actions.html",
        verbose_name=_("Actions"),
        orderable=False,
    )

    class Meta:
        model = MailTemplate
        fields = ("name", "subjects", "size_kb", "check_result", "attachment_count", "updated_at")
        sequence = (*fields, "actions")
        attrs = {"class": "table table-hover align-middle", "data-testid": "template-table"}
        empty_text = _(
            "No templates yet. Create one with “New template”, or refresh from the platform."
        )
        order_by = ("-updated_at",)

    def render_subjects(self, value):
        subjects = list(value or [])
        if not subjects:
            return "—"
        first = subjects[0]
        if len(subjects) == 1:
            return first
        return format_html(
            '{} <span class="badge text-bg-light" title="{}">{}</span>',
            first,
            " | ".join(subjects[1:]),
            _("+%(n)d A/B") % {"n": len(subjects) - 1},
        )

    def render_size_kb(self, value, record):
        return render_to_string("mailtemplates/_size.html", {"template": record})

    def render_check_result(self, record):
        return render_to_string("mailtemplates/_status.html", {"template": record, "compact": True})
