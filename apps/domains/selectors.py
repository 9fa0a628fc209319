"""Reads for the domains pages and for other sections' sender pickers: local mirrors only."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import PlatformAccount

from .models import DomainNotification, DomainSync, Mailbox, SenderDomain


def domains_for(*, account: PlatformAccount, customer_id: str = "") -> QuerySet[SenderDomain]:
    return SenderDomain.objects.filter(account=account, customer_id=customer_id)


def domain_sync_state(*, account: PlatformAccount, customer_id: str = "") -> DomainSync | None:
    return DomainSync.objects.filter(account=account, customer_id=customer_id).first()


def notifications_for(
    *, account: PlatformAccount, customer_id: str = ""
) -> QuerySet[DomainNotification]:
    """Notifications not yet dismissed, newest first."""
    return DomainNotification.objects.filter(
        account=account, customer_id=customer_id, dismissed_at=None
    )


def mailboxes_for(*, domain: SenderDomain) -> QuerySet[Mailbox]:
    return Mailbox.objects.filter(
        account=domain.account, customer_id=domain.customer_id, domain=domain
    )


def sender_domains(*, account: PlatformAccount, customer_id: str = "") -> QuerySet[SenderDomain]:
    """Domains mail can be sent from (verified, or the platform's system domains), for campaign
    and SMTP forms. `customer_id` picks a sub-account's; the default is the account's own."""
    return (
        domains_for(account=account, customer_id=customer_id)
        .filter(verified=True)
        .order_by("is_system", "domain")
    )


def sender_mailboxes(
    *,
    account: PlatformAccount,
    domain: SenderDomain | str | None = None,
    customer_id: str = "",
) -> QuerySet[Mailbox]:
    """Mailboxes that can send (under a verified domain), optionally of one domain (an object
    or its name). They are also the SMTP logins of §10; their passwords are not stored here."""
    boxes = Mailbox.objects.filter(
        account=account, customer_id=customer_id, domain__verified=True
    ).select_related("domain")
    if isinstance(domain, SenderDomain):
        boxes = boxes.filter(domain=domain)
    elif domain:
        boxes = boxes.filter(domain__domain=domain.strip().lower())
    return boxes.order_by("address")
