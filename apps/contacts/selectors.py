"""Reads for the contacts pages: local data only (the address pages read the platform through
`services.address_page`, because a million addresses are not mirrored)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from apps.core.hooks import Hook

from .models import VAR_FIELDS, ContactsSync, ImportJob, MailList, Suppression


def lists_for_account(*, account) -> QuerySet[MailList]:
    return MailList.objects.filter(account=account)


def list_for_account(*, account, list_id: int) -> MailList | None:
    return MailList.objects.filter(account=account, platform_id=list_id).first()


def lists_sync_state(*, account) -> ContactsSync | None:
    return ContactsSync.objects.filter(account=account).first()


def lists_are_stale(*, account) -> bool:
    state = lists_sync_state(account=account)
    if state is None or state.lists_synced_at is None:
        return True
    age = (timezone.now() - state.lists_synced_at).total_seconds()
    return age > settings.UMAIL_FRESHNESS_SECONDS


def list_field_labels(*, account, list_id: int) -> dict[str, str]:
    """The names of var1–var10 for a list: {"var1": "Membership level", "var2": "var2", ...}.

    Unnamed variables keep their platform name. Templates and campaigns use these as merge-tag
    names; the contacts pages as column headers and form labels.
    """
    row = MailList.objects.filter(account=account, platform_id=list_id).only("var_labels").first()
    named = (row.var_labels or {}) if row else {}
    return {var: (named.get(var) or "").strip() or var for var in VAR_FIELDS}


#: Answered by the campaigns app: campaigns still to be sent (waiting, on hold, paused or being
#: created) that use a list, as objects whose str() names them.
scheduled_campaigns_for_list = Hook("contacts.scheduled_campaigns_for_list")


def list_scheduled_campaigns(*, account, list_id: int) -> list:
    """Campaigns still to be sent that use this list, to warn before the list is deleted."""
    return scheduled_campaigns_for_list.collect(account=account, list_id=list_id)


def imports_for_account(*, account) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(account=account)


def active_import_for_list(*, account, list_id: int) -> ImportJob | None:
    return (
        ImportJob.objects.filter(account=account, list_platform_id=list_id)
        .exclude(
            state__in=[ImportJob.State.DONE, ImportJob.State.FAILED, ImportJob.State.CANCELLED]
        )
        .first()
    )


def suppressed_keys(*, account) -> set[int]:
    """The suppression list as hashes, for the import pipeline (see importing.email_key)."""
    emails = Suppression.objects.filter(account=account).values_list("email", flat=True)
    return {hash(e.lower()) for e in emails.iterator(chunk_size=10_000)}


def suppression_reasons(*, account, emails) -> dict[str, str]:
    """{email: reason} for the given addresses that are suppressed (hard bounces win)."""
    lowered = {e.lower() for e in emails}
    out: dict[str, str] = {}
    for email, reason in Suppression.objects.filter(account=account, email__in=lowered).values_list(
        "email", "reason"
    ):
        if out.get(email) != Suppression.Reason.HARD_BOUNCE:
            out[email] = reason
    return out
