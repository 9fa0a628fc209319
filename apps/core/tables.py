from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry

# Sentences for action codes; codes without one are shown as they are.
ACTION_LABELS = {
    "accounts.scope.switch": _("Switched sub-account"),
    "accounts.subaccount.add": _("Added a sub-account"),
    "domains.domain.add": _("Added a domain"),
    "domains.domain.verify": _("Checked domain verification"),
    "domains.domain.delete": _("Deleted a domain"),
    "domains.mailbox.add": _("Added a mailbox"),
    "domains.mailbox.password": _("Changed a mailbox password"),
    "domains.mailbox.delete": _("Deleted a mailbox"),
    "contacts.list.create": _("Created a contact list"),
    "contacts.list.update": _("Renamed a contact list"),
    "contacts.list.delete": _("Deleted a contact list"),
    "contacts.list.empty": _("Emptied a contact list"),
    "contacts.list.variables": _("Changed a list's fields"),
    "contacts.address.add": _("Added an address"),
    "contacts.address.update": _("Changed an address"),
    "contacts.address.delete": _("Deleted an address"),
    "contacts.subscribe": _("Subscribed addresses"),
    "contacts.unsubscribe": _("Unsubscribed addresses"),
    "contacts.import.batch": _("Imported addresses"),
    "contacts.import.file": _("Imported a file of addresses"),
    "templates.create": _("Created a template"),
    "templates.update": _("Changed a template"),
    "templates.delete": _("Deleted a template"),
    "templates.attachments.add": _("Added an attachment"),
    "templates.attachments.delete": _("Deleted an attachment"),
    "campaigns.campaign.create": _("Created a campaign"),
    "campaigns.campaign.update": _("Changed a campaign"),
    "campaigns.campaign.delete": _("Deleted a campaign"),
    "campaigns.campaign.hold": _("Put a campaign on hold"),
    "campaigns.campaign.resume": _("Resumed a campaign"),
    "campaigns.campaign.pause": _("Paused a campaign"),
    "campaigns.campaign.cancel": _("Cancelled a campaign"),
    "campaigns.campaign.lost": _("Gave up waiting for a campaign's confirmation"),
    "campaigns.campaign.reconciled": _("Found a campaign whose confirmation was lost"),
    "campaigns.abtest.start": _("Started an A/B test"),
    "campaigns.abtest.winner": _("Sent an A/B test's winner"),
    "campaigns.resend": _("Resent to non-openers"),
    "analytics.hygiene.settings": _("Changed the list hygiene settings"),
    "smtp.settings.save": _("Saved the SMTP settings"),
    "smtp.connection.test": _("Tested the SMTP connection"),
    "smtp.mail.test": _("Sent a test mail over SMTP"),
    "ops.resync": _("Ran a failed job again"),
}


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


OUTCOME_BADGES = {
    AuditEntry.Outcome.OK: "text-bg-success",
    AuditEntry.Outcome.REFUSED: "text-bg-warning",
    AuditEntry.Outcome.FAILED: "text-bg-danger",
}


class AuditTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name=_("When"), format="Y-m-d H:i:s")
    user = tables.Column(verbose_name=_("Who"), default="—")
    customer_id = tables.Column(verbose_name=_("Sub-account"), default="—")
    action = tables.Column(verbose_name=_("What"))
    target = tables.Column(verbose_name=_("On"), default="—")
    outcome = tables.Column(verbose_name=_("Outcome"))
    platform_answer = tables.Column(
        verbose_name=_("Platform's answer"), accessor="platform_status", orderable=False
    )

    class Meta:
        model = AuditEntry
        fields = ("created_at", "user", "customer_id", "action", "target", "outcome")
        sequence = (*fields, "platform_answer")
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "audit-table"}
        empty_text = _(
            "Nothing has been recorded yet. Changes made through the portal appear here."
        )
        order_by = ("-created_at",)

    def __init__(self, *args, sub_names: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.sub_names = sub_names or {}

    def render_customer_id(self, value):
        return self.sub_names.get(value, value)

    def render_action(self, value):
        label = action_label(value)
        if label == value:
            return value
        # Words for people; the code stays in the tooltip (and in the filter) for support.
        return format_html('<span title="{}">{}</span>', value, label)

    def render_user(self, value):
        # Platform sign-ins are stored as "agents:agent"; show the name people know.
        return value.get_full_name() or value.username.split(":", 1)[-1]

    def render_outcome(self, record):
        return format_html(
            '<span class="badge {}">{}</span>',
            OUTCOME_BADGES.get(record.outcome, "text-bg-secondary"),
            record.get_outcome_display(),
        )

    def render_platform_answer(self, record):
        status = record.platform_status or ""
        message = record.message or ""
        if message:
            return format_html("<code>{}</code> {}", status, message) if status else message
        return format_html("<code>{}</code>", status) if status else "—"
