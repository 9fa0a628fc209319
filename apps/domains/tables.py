from __future__ import annotations

import django_tables2 as tables
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from .models import Mailbox, SenderDomain


class DomainTable(tables.Table):
    select = tables.TemplateColumn(
        template_name="domains/_select_cell.html", verbose_name=_("Select"), orderable=False
    )
    domain = tables.Column(
        verbose_name=_("Domain"), linkify=("domains:detail", {"pk": tables.A("pk")})
    )
    verified = tables.Column(verbose_name=_("Verification"))
    mailbox_count = tables.Column(verbose_name=_("Mailboxes"))
    checked_at = tables.TemplateColumn(
        template_code="{% load humanize %}{{ value|naturaltime|default:'—' }}",
        verbose_name=_("Last checked"),
    )

    class Meta:
        model = SenderDomain
        fields = ("domain", "verified", "mailbox_count", "checked_at")
        sequence = ("select", *fields)
        attrs = {"class": "table table-hover align-middle", "data-testid": "domain-table"}
        empty_text = _("No sender domains yet. Add one below.")
        order_by = ("-is_system", "domain")

    def render_verified(self, record):
        return render_to_string("domains/_state_badge.html", {"domain": record})

    def render_mailbox_count(self, record, value):
        if record.is_system:
            return "—"
        return value if value is not None else "?"


class MailboxTable(tables.Table):
    address = tables.Column(verbose_name=_("Address"))
    created_at = tables.DateTimeColumn(verbose_name=_("Known since"), format="Y-m-d H:i")
    password_changed_at = tables.DateTimeColumn(
        verbose_name=_("Password changed"), format="Y-m-d H:i", default="—"
    )
    actions = tables.TemplateColumn(
        template_name="domains/_mailbox_actions.html", verbose_name=_("Actions"), orderable=False
    )

    class Meta:
        model = Mailbox
        fields = ("address", "created_at", "password_changed_at")
        sequence = (*fields, "actions")
        attrs = {"class": "table table-hover align-middle", "data-testid": "mailbox-table"}
        empty_text = _("No mailboxes under this domain yet. Add one below to send from it.")
        order_by = ("address",)
