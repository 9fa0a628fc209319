"""Factories for domains tests (plain functions)."""

from __future__ import annotations

from django.utils import timezone

from apps.domains.models import Mailbox, SenderDomain


def sender_domain(account, domain="example.com", *, customer_id="", verified=True, **fields):
    defaults = dict(
        is_system=False,
        verified=verified,
        check_status=3 if verified else 2,
        checked_at=timezone.now(),
        synced_at=timezone.now(),
        mailbox_count=0,
    )
    defaults.update(fields)
    return SenderDomain.objects.create(
        account=account, customer_id=customer_id, domain=domain, **defaults
    )


def mailbox(domain, name="news"):
    box = Mailbox.objects.create(
        account=domain.account,
        customer_id=domain.customer_id,
        domain=domain,
        name=name,
        address=f"{name}@{domain.domain}",
    )
    domain.mailbox_count = Mailbox.objects.filter(domain=domain).count()
    domain.save(update_fields=["mailbox_count"])
    return box
