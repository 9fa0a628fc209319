from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import OutboundMail

STATUS_BADGES = {
    OutboundMail.Status.QUEUED: "secondary",
    OutboundMail.Status.SENT: "success",
    OutboundMail.Status.PARTIAL: "warning",
    OutboundMail.Status.REJECTED: "danger",
    OutboundMail.Status.FAILED: "danger",
    OutboundMail.Status.SKIPPED: "secondary",
}


class OutboundMailTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name=_("Created"), format="Y-m-d H:i")
    kind = tables.Column(verbose_name=_("Kind"))
    subject = tables.Column(
        verbose_name=_("Subject"), linkify=("smtp:mail-detail", {"pk": tables.A("pk")})
    )
    recipients = tables.Column(verbose_name=_("Recipients"), orderable=False)
    status = tables.Column(verbose_name=_("Result"))
    queue_id = tables.Column(verbose_name=_("Queue id"))

    class Meta:
        model = OutboundMail
        fields = ("created_at", "kind", "subject", "recipients", "status", "queue_id")
        attrs = {"class": "table table-hover align-middle", "data-testid": "mail-table"}
        empty_text = _(
            "No mail sent through SMTP from the portal yet. Send a test mail to check the settings."
        )
        order_by = ("-created_at",)

    def render_kind(self, record):
        if record.event:
            return format_html(
                '{} <span class="text-secondary small">({})</span>',
                record.get_kind_display(),
                record.event,
            )
        return record.get_kind_display()

    def render_recipients(self, value):
        addresses = list(value or [])
        if not addresses:
            return "—"
        more = len(addresses) - 2
        text = ", ".join(addresses[:2])
        return (
            format_html("{} <span class='text-secondary'>+{}</span>", text, more)
            if more > 0
            else text
        )

    def render_status(self, record):
        return format_html(
            '<span class="badge text-bg-{}">{}</span>',
            STATUS_BADGES.get(record.status, "secondary"),
            record.get_status_display(),
        )
