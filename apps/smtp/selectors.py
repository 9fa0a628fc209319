"""Reads for the SMTP pages: local data only, never the platform."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import PlatformAccount
from apps.domains.selectors import sender_mailboxes as domain_mailboxes

from .models import OutboundMail, SmtpSettings


def smtp_settings(*, account: PlatformAccount) -> SmtpSettings | None:
    return SmtpSettings.objects.filter(account=account).first()


def outbound_mails(*, account: PlatformAccount) -> QuerySet[OutboundMail]:
    return OutboundMail.objects.filter(account=account).select_related("created_by")


def sender_mailboxes(*, account: PlatformAccount) -> list[str] | None:
    """The account's sender mailboxes (§7.7) from the domains app's mirror, as addresses."""
    boxes = []
    for box in domain_mailboxes(account=account):
        address = box if isinstance(box, str) else getattr(box, "address", None) or str(box)
        if address and address not in boxes:
            boxes.append(address)
    return sorted(boxes, key=str.lower)
