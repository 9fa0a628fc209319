"""Constants and helpers the service modules share."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

BEIJING = ZoneInfo("Asia/Shanghai")
FOLLOW_DAYS = settings.ANALYTICS_FOLLOW_DAYS
SYNC_CONCURRENCY = settings.ANALYTICS_SYNC_CONCURRENCY
SYNC_BATCH = settings.ANALYTICS_SYNC_BATCH
CHUNK = 50  # reports one worker thread handles with one client
LEASE = dt.timedelta(minutes=5)  # a claimed report is not due again before this
MAX_BACKOFF = dt.timedelta(hours=6)
DAY_FINAL_AFTER = 3  # days after which a day's numbers cannot change any more
BACKFILL_DAYS = 400
HYGIENE_REMOVE_BATCH = 50
HYGIENE_AFTER_END = dt.timedelta(days=2)  # campaigns that ended longer ago: only on request


def platform_day(value: dt.datetime | None) -> dt.date | None:
    """The platform's (Beijing) date of a moment."""
    return value.astimezone(BEIJING).date() if value else None


def platform_today() -> dt.date:
    return timezone.now().astimezone(BEIJING).date()


@dataclass
class SyncCounts:
    """What a sync did: for logs, the Celery result and the benchmarks."""

    reports: int = 0
    skipped: int = 0
    failed: int = 0
    calls: int = 0
    points: int = 0
    more: bool = False
    errors: list[str] = field(default_factory=list)
    exception: Exception | None = None  # the last failure, for callers that re-raise

    def add(self, other: SyncCounts) -> None:
        self.reports += other.reports
        self.skipped += other.skipped
        self.failed += other.failed
        self.calls += other.calls
        self.points += other.points
        self.errors += other.errors[:5]
        self.exception = other.exception or self.exception
