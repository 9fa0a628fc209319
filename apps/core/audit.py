"""Recording writes made through the portal (the audit log).

Services wrap each platform write in `audited(...)`: it records success, the platform's refusal
(with its status) or a failure, and re-raises so the caller's error handling is unchanged.

    with audited(account=account, user=user, action="contacts.list.create", target=name) as entry:
        list_id = client.contacts.maillist_add(...)
        entry.target = f"list {list_id}"
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from apps.umail.errors import PlatformRejected, UmailError

from .models import AuditEntry

_SECRET_WORDS = ("password", "pwd", "passwd", "secret", "token", "authorization")


def _scrub(detail: dict) -> dict:
    return {
        k: ("***" if any(w in k.lower() for w in _SECRET_WORDS) else v)
        for k, v in (detail or {}).items()
    }


def record(
    *,
    account,
    action: str,
    user=None,
    target: str = "",
    detail: dict | None = None,
    outcome: str = AuditEntry.Outcome.OK,
    platform_status: str = "",
    message: str = "",
    customer_id: str = "",
) -> AuditEntry:
    return AuditEntry.objects.create(
        account=account,
        user=user if (user is not None and user.is_authenticated) else None,
        customer_id=str(customer_id or ""),
        action=action,
        target=str(target)[:255],
        detail=_scrub(detail or {}),
        outcome=outcome,
        platform_status=platform_status[:100],
        message=message[:2000],
    )


@dataclass
class PendingEntry:
    target: str = ""
    detail: dict = field(default_factory=dict)
    platform_status: str = ""
    message: str = ""


@contextlib.contextmanager
def audited(
    *,
    account,
    action: str,
    user=None,
    target: str = "",
    detail: dict | None = None,
    customer_id: str = "",
) -> Iterator[PendingEntry]:
    entry = PendingEntry(target=str(target), detail=dict(detail or {}))
    common = dict(account=account, action=action, user=user, customer_id=customer_id)
    try:
        yield entry
    except PlatformRejected as exc:
        record(
            **common,
            target=entry.target,
            detail=entry.detail,
            outcome=AuditEntry.Outcome.REFUSED,
            platform_status=exc.status,
            message=exc.detail,
        )
        raise
    except UmailError as exc:
        record(
            **common,
            target=entry.target,
            detail=entry.detail,
            outcome=AuditEntry.Outcome.FAILED,
            message=str(exc),
        )
        raise
    else:
        record(
            **common,
            target=entry.target,
            detail=entry.detail,
            platform_status=entry.platform_status or "success",
            message=entry.message,
        )
