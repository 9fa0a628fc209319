"""Creating a campaign (§6.2, no duplicates and no losses, see the package docstring) and
following it on the platform (§6.1): the two share the reconciliation of a lost reply."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.clients import client_for_account
from apps.core.audit import audited, record
from apps.core.messages import platform_error_message
from apps.core.queue import enqueue_on_commit
from apps.umail.errors import (
    AuthenticationFailed,
    MalformedReply,
    PlatformRejected,
    PlatformUnavailable,
    RateLimited,
    UmailError,
)
from apps.umail.send_tasks import SendTask
from apps.umail.times import BEIJING

from .. import ratelimit
from ..models import Campaign, CampaignSync
from ..selectors import recipient_count
from ._common import (
    FULL_SYNC_PAGE,
    LIVE_SYNC_SECONDS,
    RECONCILE_FIRST_EXTRA,
    RECONCILE_GAPS,
    CampaignRefused,
    S,
    St,
    logger,
)
from .params import _describe, task_params
from .review import draft_maillist, review

# -- create --------------------------------------------------------------------------------------


def campaign_submit(
    *, account, user, campaign: Campaign, reserved: bool = False, checked: bool = False
) -> Campaign:
    """Create the campaign on the platform (see the module docstring). Raises CampaignRefused
    or ratelimit.AddTaskLimitReached before any call; returns the campaign in its new state
    (ACTIVE, REJECTED or UNCONFIRMED)."""
    if not checked:
        problems = review(account=account, campaign=campaign, extra_calls=-1 if reserved else 0)
        if problems.problems:
            raise CampaignRefused(problems.problems)
    with transaction.atomic():
        claimed = Campaign.objects.select_for_update().get(pk=campaign.pk, account=account)
        if claimed.local_state not in (S.DRAFT, S.LOST, S.REJECTED) or claimed.replaces_id:
            return claimed  # already on its way: one click, one campaign
        if not reserved:
            ratelimit.reserve(account=account, campaign=claimed)
        now = timezone.now().replace(microsecond=0)
        if claimed.send_now:
            claimed.send_time = now
        maillist = draft_maillist(claimed)
        if maillist is not None:
            claimed.planned_count = recipient_count(
                maillist.count, claimed.send_qty_start, claimed.send_qty
            )
        claimed.local_state = S.SUBMITTING
        claimed.submitted_at = now
        claimed.submit_error = ""
        claimed.reconcile_attempts = 0
        claimed.next_reconcile_at = None
        claimed.save()
    params = task_params(claimed)
    try:
        with audited(
            account=account,
            user=user,
            action="campaigns.campaign.create",
            target=f"campaign {claimed.pk}: {claimed.display_name}",
            detail=_describe(claimed),
        ) as entry:
            with client_for_account(account) as client:
                task_id = client.tasks.add_task(params)
            entry.target = f"task {task_id}: {claimed.display_name}"
    except (PlatformRejected, RateLimited, AuthenticationFailed) as exc:
        # The platform answered: nothing was created.
        Campaign.objects.filter(pk=claimed.pk).update(
            local_state=S.REJECTED, submit_error=platform_error_message(exc)
        )
        claimed.refresh_from_db()
        return claimed
    except (PlatformUnavailable, MalformedReply, UmailError) as exc:
        # Timed out, cut off or unreadable: the platform may well have created it.
        delay = settings.UMAIL_READ_TIMEOUT + RECONCILE_FIRST_EXTRA
        Campaign.objects.filter(pk=claimed.pk).update(
            local_state=S.UNCONFIRMED,
            submit_error=platform_error_message(exc),
            next_reconcile_at=timezone.now() + dt.timedelta(seconds=delay),
        )
        _schedule_reconcile(claimed.pk, delay)
        claimed.refresh_from_db()
        return claimed
    _link(claimed, task_id)
    claimed.refresh_from_db()
    try:
        campaign_sync_one(campaign=claimed)
    except UmailError as exc:
        logger.info("task-list after add-task %s failed: %s", task_id, exc)
    claimed.refresh_from_db()
    return claimed


def _link(campaign: Campaign, task_id: int) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(
        platform_id=task_id,
        local_state=S.ACTIVE,
        status=St.ON_HOLD if campaign.hold else St.WAITING,
        submit_error="",
        next_reconcile_at=None,
    )


def _schedule_reconcile(campaign_id: int, delay: float) -> None:
    from ..tasks import campaign_reconcile_task

    # The broker down: nothing to undo, beat's reconcile_overdue finds it by next_reconcile_at.
    enqueue_on_commit(
        lambda: campaign_reconcile_task.apply_async((campaign_id,), countdown=delay),
        on_failure=lambda exc: None,
        what=f"the search for campaign {campaign_id}",
    )


def matches(campaign: Campaign, task: SendTask) -> bool:
    """Whether a §6.1 task is exactly what this campaign asked add-task for."""
    kind = task.acct_type or Campaign.SenderKind.ALL
    if kind != campaign.sender_kind:
        return False
    if kind == Campaign.SenderKind.ADDRESS and (
        task.acct_address.lower() != campaign.send_account.lower()
    ):
        return False
    if kind == Campaign.SenderKind.DOMAIN and task.acct_domain.lower() != campaign.send_domain:
        return False
    send_at = task.send_at
    return (
        task.template_ids == [int(t) for t in campaign.template_ids]
        and task.list_id == campaign.list_id
        and task.send_qty == (campaign.send_qty or 0)
        and task.sender_name == campaign.sender_name
        and task.track_status == campaign.track_status
        and send_at is not None
        and campaign.send_time is not None
        and int(send_at.timestamp()) == int(campaign.send_time.timestamp())
    )


def campaign_reconcile(*, campaign_id: int) -> Campaign | None:
    """One search of §6.1 for an UNCONFIRMED campaign; links it, or tries again later, or
    after the last try marks it LOST (only then may it be sent again)."""
    campaign = Campaign.objects.filter(pk=campaign_id, local_state=S.UNCONFIRMED).first()
    if campaign is None:
        return None
    account = campaign.account
    day = timezone.localtime(campaign.send_time or timezone.now(), BEIJING).date()
    try:
        with client_for_account(account) as client:
            tasks = client.tasks.task_list(date=day)
    except UmailError as exc:
        # Still unknown: look again later, however long the platform is away.
        logger.info("reconcile %s: task-list failed: %s", campaign_id, exc)
        _reschedule(campaign, RECONCILE_GAPS[-1], count=False)
        return campaign
    linked = set(
        Campaign.objects.filter(account=account, platform_id__isnull=False).values_list(
            "platform_id", flat=True
        )
    )
    found = sorted(
        (t for t in tasks if t.id not in linked and matches(campaign, t)), key=lambda t: t.id
    )
    for task in found:
        try:
            # Linked and filled from the task in one commit: nobody sees it active half-made.
            with transaction.atomic():
                updated = Campaign.objects.filter(pk=campaign.pk, local_state=S.UNCONFIRMED).update(
                    platform_id=task.id, local_state=S.ACTIVE, submit_error="",
                    next_reconcile_at=None,
                )  # fmt: skip
                if updated:
                    campaign.refresh_from_db()
                    _apply_task(campaign, task)
                    campaign.save()
        except IntegrityError:
            continue  # another campaign holds it
        if updated:
            record(
                account=account,
                user=campaign.created_by,
                action="campaigns.campaign.reconciled",
                target=f"task {task.id}: {campaign.display_name}",
                message=_("The platform had created it although its reply was lost."),
            )
        return campaign
    _reschedule(campaign, None)
    return campaign


def _reschedule(campaign: Campaign, gap: float | None, *, count: bool = True) -> None:
    attempts = campaign.reconcile_attempts + (1 if count else 0)
    if count and attempts > len(RECONCILE_GAPS):
        Campaign.objects.filter(pk=campaign.pk, local_state=S.UNCONFIRMED).update(
            local_state=S.LOST,
            reconcile_attempts=attempts,
            next_reconcile_at=None,
            submit_error=_(
                "The platform did not confirm the campaign and has no such task: it was not "
                "created. You can send it again."
            ),
        )
        record(
            account=campaign.account,
            user=campaign.created_by,
            action="campaigns.campaign.lost",
            target=f"campaign {campaign.pk}: {campaign.display_name}",
            outcome="failed",
        )
        return
    delay = gap if gap is not None else RECONCILE_GAPS[min(attempts, len(RECONCILE_GAPS)) - 1]
    Campaign.objects.filter(pk=campaign.pk).update(
        reconcile_attempts=attempts,
        next_reconcile_at=timezone.now() + dt.timedelta(seconds=delay),
    )
    _schedule_reconcile(campaign.pk, delay)


def reconcile_overdue(*, overdue_seconds: float = 30.0) -> int:
    """Safety net (beat): reconciliations whose scheduled message went missing."""
    cutoff = timezone.now() - dt.timedelta(seconds=overdue_seconds)
    ids = list(
        Campaign.objects.filter(
            local_state=S.UNCONFIRMED, next_reconcile_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        campaign_reconcile(campaign_id=pk)
    # Submissions whose process died between the claim and the reply.
    stuck = Campaign.objects.filter(
        local_state=S.SUBMITTING, submitted_at__lt=timezone.now() - dt.timedelta(minutes=5)
    )
    for campaign in stuck:
        Campaign.objects.filter(pk=campaign.pk, local_state=S.SUBMITTING).update(
            local_state=S.UNCONFIRMED, next_reconcile_at=timezone.now()
        )
        campaign_reconcile(campaign_id=campaign.pk)
    return len(ids)


# -- following the platform (§6.1) ---------------------------------------------------------------


def _apply_task(campaign: Campaign, task: SendTask) -> None:
    """Copy a §6.1 task onto the campaign (not saved)."""
    campaign.sn = task.sn or campaign.sn
    campaign.status = task.send_status
    campaign.send_count = task.send_count
    campaign.error_count = task.error_count
    campaign.time_start = task.started_at
    campaign.time_end = task.ended_at
    if task.send_qty_remak:
        campaign.planned_count = task.send_qty_remak
    if task.templates:
        campaign.template_ids = task.template_ids
        campaign.template_names = [t.tpl_name for t in task.templates]
    if task.lists:
        campaign.list_id = task.list_id
        campaign.list_name = task.lists[0].list_name
    campaign.send_qty = task.send_qty
    kind = task.acct_type if task.acct_type in Campaign.SenderKind.values else campaign.sender_kind
    campaign.sender_kind = kind
    campaign.send_domain = task.acct_domain if kind != Campaign.SenderKind.ALL else ""
    campaign.send_account = task.acct_address if kind == Campaign.SenderKind.ADDRESS else ""
    campaign.sender = task.sender
    campaign.sender_name = task.sender_name
    campaign.reply_to = task.replyto
    campaign.track_status = task.track_status
    if task.send_at is not None:
        campaign.send_time = task.send_at
    campaign.synced_at = timezone.now()


def _mark_gone(campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(
        local_state=S.DELETED,
        synced_at=timezone.now(),
        submit_error=_("The platform no longer has this task (deleted in its console?)."),
    )


def campaign_sync_one(*, campaign: Campaign) -> Campaign:
    """§6.1 for one campaign (its statistics are analytics' CampaignReport, synced there)."""
    if not campaign.on_platform:
        return campaign
    with client_for_account(campaign.account) as client:
        task = client.tasks.get_task(campaign.platform_id)
    if task is None:
        _mark_gone(campaign)
        campaign.refresh_from_db()
        return campaign
    _apply_task(campaign, task)
    campaign.save()
    CampaignSync.objects.update_or_create(
        account=campaign.account, defaults={"synced_at": timezone.now()}
    )
    return campaign


def campaigns_sync_account(*, account, full: bool = False) -> int:
    """Mirror §6.1: the active campaigns one by one, or (full) every task a page at a time,
    including tasks made in the platform's console. Failures are recorded and re-raised."""
    now = timezone.now()
    try:
        with client_for_account(account) as client:
            if full:
                tasks = list(client.tasks.iter_tasks(page_size=FULL_SYNC_PAGE))
            else:
                from ..selectors import active_campaigns

                tasks = []
                missing = []
                for campaign in active_campaigns(account=account):
                    task = client.tasks.get_task(campaign.platform_id)
                    if task is None:
                        missing.append(campaign)
                    else:
                        tasks.append(task)
    except UmailError as exc:
        CampaignSync.objects.update_or_create(
            account=account,
            defaults={"last_error": str(exc)[:1000], "last_error_at": timezone.now()},
        )
        raise
    by_id = {
        c.platform_id: c
        for c in Campaign.objects.filter(account=account, platform_id__in=[t.id for t in tasks])
    }
    pending = list(
        Campaign.objects.filter(account=account, local_state__in=[S.SUBMITTING, S.UNCONFIRMED])
    )
    for task in tasks:
        campaign = by_id.get(task.id)
        if campaign is None:
            claimant = next((c for c in pending if matches(c, task)), None)
            if claimant is not None:
                # A create whose reply is outstanding or was lost: reconcile, never duplicate.
                if claimant.local_state == S.UNCONFIRMED:
                    campaign_reconcile(campaign_id=claimant.pk)
                continue
            campaign = Campaign(account=account, origin=Campaign.Origin.PLATFORM)
            campaign.local_state = S.ACTIVE
            campaign.platform_id = task.id
            campaign.created_at = task.send_at or now
        elif campaign.local_state == S.DELETED:
            # Listed again: it was not deleted after all (a page shifted under a full sync).
            campaign.local_state = S.ACTIVE
            campaign.submit_error = ""
        _apply_task(campaign, task)
        try:
            with transaction.atomic():
                campaign.save()
        except IntegrityError:  # linked meanwhile by a reconciliation
            continue
    if full:
        seen = [t.id for t in tasks]
        gone = list(
            Campaign.objects.filter(account=account, local_state=S.ACTIVE).exclude(
                platform_id__in=seen
            )
        )
        if gone:
            # Pages can shift while they are read: ask about each missing task before
            # believing it was deleted.
            try:
                with client_for_account(account) as client:
                    gone = [c for c in gone if client.tasks.get_task(c.platform_id) is None]
            except UmailError as exc:
                logger.info("confirming deleted tasks failed: %s", exc)
                gone = []
        for campaign in gone:
            _mark_gone(campaign)
    else:
        for campaign in missing:
            _mark_gone(campaign)
    defaults = {"synced_at": now, "last_error": "", "last_error_at": None}
    if full:
        defaults["full_synced_at"] = now
    CampaignSync.objects.update_or_create(account=account, defaults=defaults)
    return len(tasks)


def live_sync_wanted(campaign: Campaign) -> bool:
    """A live page may ask for a fresh §6.1 of this campaign (throttled)."""
    if not campaign.is_active:
        return False
    if campaign.synced_at is None:
        return True
    return (timezone.now() - campaign.synced_at).total_seconds() >= LIVE_SYNC_SECONDS
