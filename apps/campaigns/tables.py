from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Campaign


class CampaignTable(tables.Table):
    name = tables.Column(
        verbose_name=_("Campaign"),
        accessor="pk",
        order_by=("name", "-created_at"),
        linkify=lambda record: reverse("campaigns:detail", args=[record.pk]),
        attrs={"a": {"class": "text-truncate-cell", "title": lambda record: record.display_name}},
    )
    sn = tables.Column(verbose_name=_("Batch number"), default="—")
    templates = tables.Column(
        verbose_name=_("Templates"), accessor="template_names", orderable=False
    )
    list_name = tables.Column(verbose_name=_("List"), default="—")
    sender = tables.Column(verbose_name=_("Sender"), accessor="send_account", orderable=False)
    send_time = tables.Column(verbose_name=_("Scheduled"), default="—")
    # Drafts have no platform status: render_status still names their state (never "—").
    status = tables.Column(
        verbose_name=_("Status"), order_by=("local_state", "status"), empty_values=()
    )
    send_count = tables.Column(verbose_name=_("Sent"), attrs={"td": {"class": "text-end"}})
    error_count = tables.Column(verbose_name=_("Failed"), attrs={"td": {"class": "text-end"}})
    track_status = tables.Column(verbose_name=_("Tracking"))

    class Meta:
        model = Campaign
        fields = ()
        sequence = (
            "name",
            "sn",
            "templates",
            "list_name",
            "sender",
            "send_time",
            "status",
            "send_count",
            "error_count",
            "track_status",
        )
        order_by = ("-send_time",)
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "campaigns"}
        empty_text = _("No campaigns yet. Create one to start.")

    def render_name(self, record):
        badge = ""
        if record.ab_role:
            badge = format_html(
                ' <span class="badge text-bg-light border">{} {}</span>',
                record.get_ab_role_display(),
                record.ab_label,
            )
        return format_html("{}{}", record.display_name, badge)

    def render_templates(self, value):
        return " + ".join(v for v in value if v) or "—"

    def render_list_name(self, value, record):
        if record.send_qty_start > 1 or record.send_qty:
            return format_html(
                '{} <span class="text-secondary small">({})</span>', value, record.range_text
            )
        return value

    def render_sender(self, record):
        if record.sender_kind == Campaign.SenderKind.ADDRESS:
            who = record.send_account
        elif record.sender_kind == Campaign.SenderKind.DOMAIN:
            who = _("all of %(domain)s") % {"domain": record.send_domain}
        else:
            who = _("all senders")
        if record.sender_name:
            return format_html(
                '{}<div class="small text-secondary">{}</div>', record.sender_name, who
            )
        return who

    def render_send_time(self, value, record):
        text = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        if record.send_now and record.local_state == Campaign.LocalState.DRAFT:
            return _("now")
        return text

    def render_status(self, record):
        return format_html(
            '<span class="badge {}" data-status="{}">{}</span>',
            record.status_badge,
            record.status if record.status is not None else record.local_state,
            record.status_label,
        )

    def render_send_count(self, value, record):
        if record.planned_count:
            return format_html(
                '{} <span class="text-secondary small">/ {}</span>',
                f"{value:,}",
                f"{record.planned_count:,}",
            )
        return f"{value:,}"

    def render_error_count(self, value):
        return f"{value:,}"

    def render_track_status(self, record):
        return record.get_track_status_display()
