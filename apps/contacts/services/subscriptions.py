"""Suppression and (un)subscribing many addresses at once (§4.9), with the portal's checks."""

from __future__ import annotations

import re
from dataclasses import dataclass

from apps.accounts.clients import client_for_account
from apps.core.audit import audited
from apps.umail.errors import UmailError

from .. import importing
from ..models import MailList, Suppression
from ._common import SUBSCRIBE_CHUNK
from .lists import _refresh_list

# -- suppression, subscriptions -------------------------------------------------------------------

_SPLIT = re.compile(r"[\s,;]+")


def suppression_add_many(
    *, account, emails, reason: str, source: str, list_id: int | None = None
) -> int:
    """Add addresses to the account's suppression list; returns how many were new.

    For the analytics app too (hard failures): `reason=Suppression.Reason.HARD_BOUNCE`.
    """
    lowered = sorted({e.strip().lower() for e in emails if e and "@" in e})
    if not lowered:
        return 0
    before = Suppression.objects.filter(account=account, reason=reason).count()
    for start in range(0, len(lowered), 5000):
        Suppression.objects.bulk_create(
            [
                Suppression(
                    account=account, email=e, reason=reason, source=source, list_platform_id=list_id
                )
                for e in lowered[start : start + 5000]
            ],
            ignore_conflicts=True,
        )
    return Suppression.objects.filter(account=account, reason=reason).count() - before


@dataclass
class SubscriptionOutcome:
    sent: list[str]  # addresses sent to the platform
    invalid: list[str]  # refused locally: not an address
    suppressed: list[str]  # refused locally: hard bounce
    replies: list[str]  # what the platform answered, one per call
    failed: str = ""  # the platform's error, if a call failed (earlier calls stand)
    error: UmailError | None = None


def parse_pasted(text: str, *, with_names: bool) -> list[tuple[str, str]]:
    """Lines of `email` or `email<TAB or , or ;>name`; blank lines skipped, duplicates dropped."""
    out: dict[str, tuple[str, str]] = {}
    for line in (text or "").splitlines():
        line = line.strip().lstrip("\ufeff")
        if not line:
            continue
        if with_names:
            parts = re.split(r"[\t,;]", line, maxsplit=1)
            email, name = parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")
            out.setdefault(email.lower(), (email, name))
        else:
            for email in _SPLIT.split(line):
                if email:
                    out.setdefault(email.lower(), (email, ""))
    return list(out.values())


def _valid(email: str) -> bool:
    return len(email) <= 254 and importing.EMAIL_RE.fullmatch(email) is not None


def _send_in_chunks(*, account, user, maillist, action, items, outcome, call) -> None:
    """§4.13/§4.14 in chunks of SUBSCRIBE_CHUNK, each audited; the first platform failure stops
    the run and is kept on the outcome, with what was sent before it."""
    with client_for_account(account) as client:
        for start in range(0, len(items), SUBSCRIBE_CHUNK):
            chunk = items[start : start + SUBSCRIBE_CHUNK]
            try:
                with audited(
                    account=account,
                    user=user,
                    action=action,
                    target=f"list {maillist.platform_id}: {len(chunk)} addresses",
                ) as entry:
                    reply = call(client, chunk)
                    entry.message = reply.data
            except UmailError as exc:
                outcome.failed = str(exc)
                outcome.error = exc
                return
            outcome.sent += chunk
            outcome.replies.append(reply.data)


def subscribe_many(
    *, account, user, maillist: MailList, entries: list[tuple[str, str]]
) -> SubscriptionOutcome:
    """§4.13 in chunks; hard-bounced addresses are refused, an explicit subscribe lifts an
    earlier unsubscribe from the suppression list."""
    from ..selectors import suppression_reasons

    valid = [(e, n) for e, n in entries if _valid(e)]
    invalid = [e for e, _ in entries if not _valid(e)]
    reasons = suppression_reasons(account=account, emails=[e for e, _ in valid])
    bounced = [e for e, _ in valid if reasons.get(e.lower()) == Suppression.Reason.HARD_BOUNCE]
    to_send = [(e, n) for e, n in valid if e.lower() not in {b.lower() for b in bounced}]
    outcome = SubscriptionOutcome(sent=[], invalid=invalid, suppressed=bounced, replies=[])
    _send_in_chunks(
        account=account,
        user=user,
        maillist=maillist,
        action="contacts.subscribe",
        items=to_send,
        outcome=outcome,
        call=lambda client, chunk: client.contacts.subscribe_many(
            list_id=maillist.platform_id, entries=chunk
        ),
    )
    outcome.sent = [e for e, _ in outcome.sent]
    if outcome.sent:
        Suppression.objects.filter(
            account=account,
            reason=Suppression.Reason.UNSUBSCRIBE,
            email__in=[e.lower() for e in outcome.sent],
        ).delete()
        _refresh_list(account, maillist.platform_id)
    return outcome


def unsubscribe_many(
    *, account, user, maillist: MailList, emails: list[str]
) -> SubscriptionOutcome:
    """§4.14 in chunks; what the platform accepted goes on the suppression list."""
    valid = [e for e in emails if _valid(e)]
    invalid = [e for e in emails if not _valid(e)]
    outcome = SubscriptionOutcome(sent=[], invalid=invalid, suppressed=[], replies=[])
    _send_in_chunks(
        account=account,
        user=user,
        maillist=maillist,
        action="contacts.unsubscribe",
        items=valid,
        outcome=outcome,
        call=lambda client, chunk: client.contacts.unsubscribe(
            list_id=maillist.platform_id, addresses=chunk
        ),
    )
    if outcome.sent:
        suppression_add_many(
            account=account,
            emails=outcome.sent,
            reason=Suppression.Reason.UNSUBSCRIBE,
            source="portal",
            list_id=maillist.platform_id,
        )
        _refresh_list(account, maillist.platform_id)
    return outcome
