"""Creates whose answer was lost: ask the platform before creating again, never duplicate.

The transport sends a write once and never retries it. When the answer of a create is lost (a
timeout, a reset connection, a 5xx from a proxy, a cut or unreadable reply) the platform may have
created the object anyway. `create_once()` then:

1. looks for the object with the platform's list operation (`find`) at once, and adopts it when
   it is there (the reply was lost, the create was not);
2. otherwise re-raises, and remembers the attempt: its audit entry (outcome "failed") carries the
   create's fingerprint and `answer_lost`;
3. before any later create with the same fingerprint, looks again: an object that appeared
   meanwhile is adopted instead of created; while the earlier attempt may still be running on
   the platform (`grace_seconds()` after it) a new one is refused with `UnconfirmedCreate`;
   after that, the earlier attempt is taken as lost and the create goes ahead.

Campaigns do the same with their own states and a background search (apps/campaigns/services.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.utils import timezone

from apps.umail.errors import MalformedReply, PlatformUnavailable, UmailError, UnconfirmedCreate

from .audit import PendingEntry, audited, record
from .models import AuditEntry

logger = logging.getLogger(__name__)

# Failures after which the request may have reached the platform and been carried out.
ANSWER_LOST = (PlatformUnavailable, MalformedReply)


def answer_lost(exc: BaseException) -> bool:
    """Whether the platform may have carried out a write whose answer did not arrive."""
    return isinstance(exc, ANSWER_LOST) and not getattr(exc, "never_sent", False)


T = TypeVar("T")


def fingerprint(*parts) -> str:
    """What identifies "the same create" (e.g. a list's name, a template's content)."""
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def grace_seconds() -> float:
    """How long an unanswered create may still be carried out by the platform."""
    return 2 * float(settings.UMAIL_READ_TIMEOUT) + 30.0


def lost_create(*, account, action: str, fp: str) -> AuditEntry | None:
    """The latest attempt with this fingerprint, when it lost its answer and nothing (a success
    or an adoption) settled it since."""
    latest = (
        AuditEntry.objects.filter(account=account, action=action, detail__fingerprint=fp)
        .order_by("-created_at", "-id")
        .first()
    )
    lost = latest is not None and latest.outcome == AuditEntry.Outcome.FAILED
    return latest if lost and (latest.detail or {}).get("answer_lost") else None


def _adopted(*, account, user, action, fp, target, customer_id) -> None:
    record(
        account=account,
        user=user,
        action=action,
        target=target,
        detail={"fingerprint": fp, "reconciled": True},
        message="The platform had created it although its answer was lost.",
        customer_id=customer_id,
    )


def create_once(
    *,
    account,
    user,
    action: str,
    fp: str,
    target: str,
    create: Callable[[PendingEntry], T],
    find: Callable[[datetime], T | None],
    detail: dict | None = None,
    customer_id: str = "",
) -> tuple[T, bool]:
    """Run `create(entry)` (one platform write) unless the platform already holds the object an
    earlier, unanswered attempt asked for. `find(since)` returns that object (in `create`'s
    return shape) or None, `since` being when the unanswered attempt began (objects the portal
    knew before then are not it); it may raise UmailError. Returns (result, adopted)."""
    pending = lost_create(account=account, action=action, fp=fp)
    if pending is not None:
        found = find(pending.created_at)  # a failing platform here is the caller's error to show
        if found is not None:
            _adopted(
                account=account,
                user=user,
                action=action,
                fp=fp,
                target=target,
                customer_id=customer_id,
            )
            return found, True
        age = (timezone.now() - pending.created_at).total_seconds()
        if age < grace_seconds():
            raise UnconfirmedCreate(
                f"an earlier attempt lost its answer {age:.0f} s ago and may still be created"
            )
    started = timezone.now()
    try:
        with audited(
            account=account,
            user=user,
            action=action,
            target=target,
            detail={**(detail or {}), "fingerprint": fp},
            customer_id=customer_id,
        ) as entry:
            try:
                return create(entry), False
            except ANSWER_LOST as exc:
                if answer_lost(exc):
                    entry.detail["answer_lost"] = True
                raise
    except ANSWER_LOST as exc:
        if not answer_lost(exc):
            raise
        try:
            found = find(started)
        except UmailError as exc:  # still failing: the original error is the one to show
            logger.info("%s: looking for a create whose answer was lost failed: %s", action, exc)
            found = None
        if found is None:
            raise
        _adopted(
            account=account, user=user, action=action, fp=fp, target=target, customer_id=customer_id
        )
        return found, True
