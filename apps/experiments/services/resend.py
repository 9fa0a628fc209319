"""Resend to non-openers: the campaign's recipients minus its §3.2 openers go into a new list
(through the contacts services), then a draft campaign to it is prepared."""

from __future__ import annotations

import logging
import sqlite3
import tempfile
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.clients import client_for_account
from apps.campaigns.models import Campaign
from apps.campaigns.services import ActionNotAllowed, allowed_actions, campaign_duplicate
from apps.contacts import services as contacts
from apps.core.audit import record
from apps.core.messages import platform_error_message
from apps.core.queue import QUEUE_DOWN, enqueue_on_commit
from apps.umail.errors import UmailError

from ..models import ResendJob

logger = logging.getLogger(__name__)

RESEND_CHUNK = 5000


def resend_start(*, account, user, campaign: Campaign, list_name: str) -> ResendJob:
    if "resend" not in allowed_actions(campaign):
        raise ActionNotAllowed(
            _("Only a finished campaign that tracked opens can be resent to non-openers.")
        )
    from ..tasks import experiments_resend_task

    job = ResendJob.objects.create(
        account=account,
        source=campaign,
        user=user if user is not None and user.is_authenticated else None,
        list_name=list_name,
    )
    enqueue_on_commit(
        lambda: experiments_resend_task.delay(job.pk),
        on_failure=lambda exc: ResendJob.fail(
            job.pk, _(QUEUE_DOWN), only_from=[ResendJob.State.PENDING]
        ),
        what=f"resend job {job.pk}",
    )
    return job


def resend_run(*, job_id: int) -> ResendJob | None:
    """Build the list of recipients who did not open, then a draft campaign to it.

    The §3.2 openers are streamed into a temporary SQLite file and the list's addresses are read
    a §4.8 page at a time, so memory stays flat for a million addresses. The new list is made and
    filled through the contacts section's services (which refuse known hard bounces)."""
    claimed = ResendJob.claim(
        job_id, from_states=[ResendJob.State.PENDING], to_state=ResendJob.State.RUNNING
    )
    if not claimed:
        return None
    job = ResendJob.objects.select_related("source", "account").get(pk=job_id)
    campaign, account = job.source, job.account
    try:
        maillist = contacts.list_create(
            account=account,
            user=job.user,
            subject=job.list_name,
            description=_("Did not open “%(name)s” (task %(id)s)")
            % {"name": campaign.display_name, "id": campaign.platform_id},
        )
        ResendJob.objects.filter(pk=job.pk).update(new_list_id=maillist.platform_id)
        with tempfile.TemporaryDirectory() as folder:
            db = sqlite3.connect(Path(folder) / "openers.sqlite3")
            db.execute("CREATE TABLE openers (email TEXT PRIMARY KEY) WITHOUT ROWID")
            openers = _store_openers(account, campaign, db)
            ResendJob.objects.filter(pk=job.pk).update(openers=openers)
            recipients, added, refused = _add_non_openers(job, campaign, maillist, db)
            db.close()
    except UmailError as exc:
        ResendJob.objects.filter(pk=job.pk).update(
            state=ResendJob.State.FAILED,
            error=platform_error_message(exc),
            finished_at=timezone.now(),
        )
        return ResendJob.objects.get(pk=job.pk)
    draft = campaign_duplicate(
        account=account,
        user=job.user,
        campaign=campaign,
        name=_("%(name)s — to non-openers") % {"name": campaign.display_name},
        list_id=maillist.platform_id,
        list_name=maillist.subject,
        send_qty_start=1,
        send_qty=0,
    )
    ResendJob.objects.filter(pk=job.pk).update(
        state=ResendJob.State.DONE,
        recipients=recipients,
        added=added,
        refused=refused,
        draft=draft,
        finished_at=timezone.now(),
    )
    record(
        account=account,
        user=job.user,
        action="campaigns.resend",
        target=f"task {campaign.platform_id} → list {maillist.platform_id}",
        detail={"openers": openers, "added": added},
    )
    return ResendJob.objects.get(pk=job.pk)


def _store_openers(account, campaign: Campaign, db: sqlite3.Connection) -> int:
    count, batch = 0, []
    with client_for_account(account) as client:
        for opener in client.tracking.iter_open_detail(send_id=campaign.platform_id):
            batch.append((opener.email.strip().lower(),))
            if len(batch) >= RESEND_CHUNK:
                db.executemany("INSERT OR IGNORE INTO openers VALUES (?)", batch)
                count += len(batch)
                batch = []
    db.executemany("INSERT OR IGNORE INTO openers VALUES (?)", batch)
    count += len(batch)
    db.commit()
    return count


def _add_non_openers(job, campaign: Campaign, maillist, db) -> tuple[int, int, int]:
    first, last = campaign.send_qty_start or 1, campaign.send_qty or 0
    recipients = added = refused = 0
    pending: list[tuple[str, str]] = []

    def flush() -> None:
        nonlocal added, refused
        if not pending:
            return
        outcome = contacts.subscribe_many(
            account=job.account, user=job.user, maillist=maillist, entries=list(pending)
        )
        if outcome.error is not None:
            raise outcome.error
        added += len(outcome.sent)
        refused += len(outcome.invalid) + len(outcome.suppressed)
        pending.clear()
        ResendJob.objects.filter(pk=job.pk).update(
            recipients=recipients, added=added, refused=refused
        )

    with client_for_account(job.account) as client:
        page: list = []
        position = 0
        for address in client.contacts.iter_addresses(list_id=campaign.list_id):
            position += 1
            if position < first:
                continue
            if last and position > last:
                break
            recipients += 1
            page.append(address)
            if len(page) >= 500:
                pending.extend(_non_openers(page, db))
                page = []
                if len(pending) >= RESEND_CHUNK:
                    flush()
        pending.extend(_non_openers(page, db))
    flush()
    return recipients, added, refused


def _non_openers(addresses, db) -> list[tuple[str, str]]:
    if not addresses:
        return []
    emails = [a.address.strip().lower() for a in addresses]
    marks = ",".join("?" for _ in emails)
    opened = {
        row[0]
        for row in db.execute(f"SELECT email FROM openers WHERE email IN ({marks})", emails)  # noqa: S608
    }
    return [(a.address, a.fullname) for a in addresses if a.address.strip().lower() not in opened]
