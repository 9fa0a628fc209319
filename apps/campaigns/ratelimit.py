"""The platform's add-task limit (§5.1: at most 100 calls an hour per account), kept by the portal.

Every process (web workers, Celery workers) reserves a call here before it calls add-task; the
ledger is a table (`AddTaskCall`) and each reservation runs in a transaction holding the
account's `CampaignSync` row lock (`SELECT … FOR UPDATE` on PostgreSQL; SQLite serialises write
transactions itself), so two processes can never both take the 100th call. The 101st is refused
before any HTTP request, with the time the oldest call in the window leaves it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.exceptions import ApplicationError

from .models import AddTaskCall, CampaignSync

WINDOW = dt.timedelta(hours=1)


def limit() -> int:
    return int(settings.UMAIL_ADD_TASK_LIMIT)


@dataclass(frozen=True)
class Budget:
    used: int
    limit: int
    frees_at: dt.datetime | None  # when the oldest counted call leaves the window

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


class AddTaskLimitReached(ApplicationError):
    """The account has used its add-task calls for this hour."""

    def __init__(self, budget: Budget, needed: int = 1):
        self.budget = budget
        self.needed = needed
        when = timezone.localtime(budget.frees_at) if budget.frees_at else None
        super().__init__(
            _(
                "The platform allows %(limit)s new campaigns an hour and this account has "
                "%(remaining)s left; %(needed)s are needed. The next one frees up at %(when)s."
            )
            % {
                "limit": budget.limit,
                "remaining": budget.remaining,
                "needed": needed,
                "when": when.strftime("%H:%M:%S") if when else "—",
            }
        )


def _window_start(now: dt.datetime) -> dt.datetime:
    return now - WINDOW


def budget(*, account) -> Budget:
    now = timezone.now()
    calls = AddTaskCall.objects.filter(account=account, at__gt=_window_start(now))
    used = calls.count()
    oldest = calls.order_by("at").values_list("at", flat=True).first()
    return Budget(used=used, limit=limit(), frees_at=oldest + WINDOW if oldest else None)


def _lock(account) -> None:
    """Take the account's lock row (created on first use)."""
    try:
        with transaction.atomic():
            CampaignSync.objects.get_or_create(account=account)
    except IntegrityError:  # another process created it first
        pass
    CampaignSync.objects.select_for_update().get(account=account)


def reserve(*, account, count: int = 1, campaign=None) -> Budget:
    """Count `count` add-task calls now, or raise AddTaskLimitReached (nothing counted)."""
    with transaction.atomic():
        _lock(account)
        current = budget(account=account)
        if current.used + count > current.limit:
            # The call that frees the slot we need: the count-th oldest in the window.
            now = timezone.now()
            ats = list(
                AddTaskCall.objects.filter(account=account, at__gt=_window_start(now))
                .order_by("at")
                .values_list("at", flat=True)[: current.used + count - current.limit]
            )
            frees = ats[-1] + WINDOW if ats else None
            raise AddTaskLimitReached(
                Budget(used=current.used, limit=current.limit, frees_at=frees), needed=count
            )
        now = timezone.now()
        AddTaskCall.objects.bulk_create(
            [AddTaskCall(account=account, at=now, campaign=campaign) for _ in range(count)]
        )
    return budget(account=account)


def prune(*, older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
    """Housekeeping: calls long out of the window."""
    deleted, _ = AddTaskCall.objects.filter(at__lt=timezone.now() - older_than).delete()
    return deleted
