"""Celery entry points for domains: thin wrappers that take ids and call services."""

from __future__ import annotations

import logging
from collections import defaultdict

from celery import shared_task
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import PlatformAccount, SubAccount
from apps.umail.errors import UmailError

from . import services
from .models import DomainSync, SenderDomain

logger = logging.getLogger(__name__)


def _scope_allowed(account: PlatformAccount, customer_id: str) -> bool:
    """A sub-account scope is only worked on while the account still has it."""
    if not customer_id:
        return True
    return (
        account.is_agent_or_manager
        and SubAccount.objects.filter(account=account, customer_id=customer_id)
        .exclude(confirmed_at=None)
        .exists()
    )


@shared_task
def domains_recheck_due_task() -> int:
    """Beat (every minute): hand unverified domains whose next check is due to the workers,
    one §7.3 call per account. Each handed-out domain is leased for a few minutes so that the
    next beat does not hand it out again while a worker still holds it."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            SenderDomain.objects.select_for_update(skip_locked=True)
            .filter(verified=False, is_system=False)
            .filter(Q(next_check_at__lte=now) | Q(next_check_at=None))
            .values_list("pk", "account_id")
        )
        SenderDomain.objects.filter(pk__in=[pk for pk, _a in due]).update(
            next_check_at=now + services.RECHECK_LEASE
        )
    by_account: dict[int, list[int]] = defaultdict(list)
    for pk, account_id in due:
        by_account[account_id].append(pk)
    for account_id, ids in by_account.items():
        domains_recheck_task.delay(account_id, ids)
    return len(due)


@shared_task(acks_late=True)
def domains_recheck_task(account_id: int, domain_ids: list[int]) -> int:
    """§7.3 for some unverified domains of one account. Idempotent: verified or deleted domains
    are skipped, and a repeat only re-checks. Returns how many became verified."""
    account = PlatformAccount.objects.filter(pk=account_id).first()
    if account is None:
        return 0
    domains = [
        d
        for d in SenderDomain.objects.filter(
            account=account, pk__in=domain_ids, verified=False, is_system=False
        )
        if _scope_allowed(account, d.customer_id)
    ]
    if not domains:
        return 0
    try:
        results = services.domains_verify(
            account=account, user=None, domains=domains, automatic=True
        )
    except UmailError as exc:
        # Try again later with the same backoff as a failed check.
        now = timezone.now()
        for domain in domains:
            domain.check_attempts += 1
            domain.next_check_at = services.next_check_time(domain.check_attempts, now)
            domain.save(update_fields=["check_attempts", "next_check_at"])
        logger.warning("domain re-check failed for account %s: %s", account_id, exc)
        return 0
    return sum(1 for d, _c in results if d.verified)


@shared_task(bind=True, max_retries=2, acks_late=True)
def domains_sync_task(self, account_id: int, customer_id: str = "") -> None:
    """Refresh one scope's domain and mailbox mirror. Idempotent: it overwrites the mirror."""
    account = PlatformAccount.objects.filter(pk=account_id).first()
    if account is None or not _scope_allowed(account, customer_id):
        return
    try:
        services.domains_sync(account=account, customer_id=customer_id)
    except UmailError as exc:
        if exc.retryable and self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc
        logger.warning("domain sync failed for %s/%s: %s", account_id, customer_id, exc)


@shared_task
def domains_sync_all_task() -> int:
    """Beat: refresh every scope whose domains page was opened at least once."""
    scopes = list(DomainSync.objects.values_list("account_id", "customer_id"))
    for account_id, customer_id in scopes:
        domains_sync_task.delay(account_id, customer_id)
    return len(scopes)
