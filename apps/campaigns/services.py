"""Writes for campaigns: create (with no duplicates and no losses), follow, change, A/B tests
and resends. The platform first, then the local mirror; every write audited.

Creating a campaign (campaign_submit):

1. the marketer's draft is claimed (DRAFT → SUBMITTING) under a row lock, so a double click or
   a second tab does nothing more; an add-task call is reserved (ratelimit.reserve), or the
   create is refused with the time a call frees up; for "send now" the send time is fixed;
2. add-task is called once, never retried;
3. success links the platform's id (ACTIVE); an explicit refusal is REJECTED (nothing was
   created, the marketer may fix and retry); a timeout or lost reply is UNCONFIRMED: §6.1 is
   searched for a task with exactly this campaign's parameters (campaign_reconcile, in the
   background, several times over a few minutes because a slow platform may still be working
   on it), and only when none appears does the campaign become LOST and may be sent again.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.clients import client_for_account
from apps.accounts.models import AccountService
from apps.core.audit import audited, record
from apps.core.messages import platform_error_message
from apps.core.queue import QUEUE_DOWN, enqueue_on_commit
from apps.umail.errors import (
    AuthenticationFailed,
    MalformedReply,
    PlatformRejected,
    PlatformUnavailable,
    RateLimited,
    UmailError,
)
from apps.umail.tasks import BEIJING, SendTask, TaskParams

from . import ratelimit
from .hooks import suppressed_in_list
from .models import (
    ABTest,
    Campaign,
    CampaignSync,
    ResendJob,
    TrackingSnapshot,
    tracking_numbers,
)
from .selectors import recipient_count

logger = logging.getLogger(__name__)

S = Campaign.LocalState
# Reconciling a lost reply: first look after the read timeout plus this, then at these gaps;
# after the last one without a match the campaign is LOST (and may be sent again).
RECONCILE_FIRST_EXTRA = 5.0
RECONCILE_GAPS = (30.0, 60.0, 120.0)
FULL_SYNC_PAGE = 100
# Live pages ask for a §6.1 refresh of an active campaign at most this often.
LIVE_SYNC_SECONDS = 4.0


class CampaignRefused(Exception):
    """The campaign cannot be sent as it is; `reasons` say why (nothing was called)."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class ActionNotAllowed(Exception):
    pass


# -- what a campaign sends ---------------------------------------------------------------------


def task_params(campaign: Campaign, *, status: int | None = None) -> TaskParams:
    if status is None:
        status = -1 if campaign.hold else (2 if campaign.send_now else 1)
    if campaign.sender_kind == Campaign.SenderKind.ADDRESS:
        domain, mailbox = campaign.send_account.rpartition("@")[2], campaign.send_account
    elif campaign.sender_kind == Campaign.SenderKind.DOMAIN:
        domain, mailbox = campaign.send_domain, "all"
    else:
        domain, mailbox = "all", "all"
    return TaskParams(
        tpl_ids=tuple(int(t) for t in campaign.template_ids),
        maillist_id=int(campaign.list_id),
        time=campaign.send_time or timezone.now(),
        send_domain=domain,
        send_account=mailbox,
        send_fullname=campaign.sender_name,
        send_replyto=campaign.reply_to,
        send_qty_start=campaign.send_qty_start or 1,
        send_qty=campaign.send_qty or 0,
        status=status,
        subs_link=campaign.subs_link,
        track_status=campaign.track_status,
        track_domain=campaign.track_domain,
    )


def _describe(campaign: Campaign) -> dict:
    return {
        "templates": list(campaign.template_ids),
        "list": campaign.list_id,
        "range": campaign.range_text,
        "sender": campaign.send_account or campaign.send_domain or "all",
        "tracking": campaign.track_status,
        "send_time": campaign.send_time.isoformat() if campaign.send_time else "now",
    }


# -- checks before sending ---------------------------------------------------------------------


@dataclass
class Review:
    recipients: int
    quota: int | None
    quota_fetched_at: dt.datetime | None
    budget: ratelimit.Budget
    problems: list[str]
    warnings: list[str]


def _templates(campaign: Campaign):
    from apps.mailtemplates.models import MailTemplate

    found = {
        t.platform_id: t
        for t in MailTemplate.objects.filter(
            account=campaign.account, platform_id__in=campaign.template_ids or []
        )
    }
    return [found.get(int(t)) for t in campaign.template_ids or []]


def _maillist(campaign: Campaign):
    from apps.contacts.models import MailList

    if campaign.list_id is None:
        return None
    return MailList.objects.filter(account=campaign.account, platform_id=campaign.list_id).first()


def review(*, account, campaign: Campaign, extra_calls: int = 0) -> Review:
    """What the review step shows, and the reasons the campaign would be refused."""
    from apps.domains.selectors import sender_domains, sender_mailboxes
    from apps.mailtemplates.models import CheckResult

    problems: list[str] = []
    warnings: list[str] = []
    templates = _templates(campaign)
    if not campaign.template_ids:
        problems.append(_("Pick at least one template."))
    for tpl_id, template in zip(campaign.template_ids or [], templates, strict=False):
        if template is None:
            problems.append(_("Template %(id)s is not known to the portal.") % {"id": tpl_id})
        elif template.check_result == CheckResult.RED:
            problems.append(
                _("Template “%(name)s” was rejected by the platform's content check (red).")
                % {"name": template.name}
            )
        elif template.check_result in (CheckResult.CHECKING, CheckResult.UNKNOWN):
            warnings.append(
                _("The platform has not finished checking template “%(name)s”.")
                % {"name": template.name}
            )
        elif template.check_result in (CheckResult.YELLOW, CheckResult.RED_PASS):
            warnings.append(
                _("Template “%(name)s” passed the content check with warnings (%(colour)s).")
                % {"name": template.name, "colour": template.get_check_result_display()}
            )
    maillist = _maillist(campaign)
    recipients = 0
    if campaign.list_id is None:
        problems.append(_("Pick a contact list."))
    elif maillist is None:
        problems.append(_("The contact list no longer exists."))
    else:
        recipients = recipient_count(maillist.count, campaign.send_qty_start, campaign.send_qty)
        if not maillist.enabled:
            problems.append(
                _("The list “%(name)s” is disabled: enable it first.") % {"name": maillist.subject}
            )
        if maillist.count == 0:
            problems.append(_("The list “%(name)s” is empty.") % {"name": maillist.subject})
        elif recipients == 0:
            problems.append(
                _("Addresses %(range)s of “%(name)s” (%(count)s addresses) are none at all.")
                % {"range": campaign.range_text, "name": maillist.subject, "count": maillist.count}
            )
    service = AccountService.objects.filter(account=account).first()
    quota = service.qty_available if service else None
    if service is not None and service.service_status == "disabled":
        problems.append(_("Bulk sending is disabled for this account."))
    if quota is not None and recipients > quota:
        problems.append(
            _("%(n)s recipients but only %(q)s credits are left.") % {"n": recipients, "q": quota}
        )
    if quota is None:
        warnings.append(_("The quota left is not known: the platform will refuse if it is short."))
    if campaign.sender_kind == Campaign.SenderKind.DOMAIN:
        if not sender_domains(account=account).filter(domain=campaign.send_domain).exists():
            problems.append(
                _("%(d)s is not a verified sender domain of this account.")
                % {"d": campaign.send_domain}
            )
    elif (
        campaign.sender_kind == Campaign.SenderKind.ADDRESS
        and not sender_mailboxes(account=account).filter(address=campaign.send_account).exists()
    ):
        problems.append(
            _("%(m)s is not a sender mailbox of this account.") % {"m": campaign.send_account}
        )
    if not campaign.send_now and campaign.send_time and campaign.send_time < timezone.now():
        problems.append(_("The scheduled time has passed: pick a later one or send now."))
    if not campaign.send_now and campaign.send_time is None:
        problems.append(_("Pick when to send."))
    if not campaign.subs_link:
        warnings.append(
            _(
                "Without an unsubscribe link recipients can only complain: more mail is marked "
                "as spam, and in many countries it is required by law."
            )
        )
    if maillist is not None:
        # List hygiene (answered by analytics): earlier hard failures to this list still in it.
        kept = sum(suppressed_in_list.ask(account=account, list_id=maillist.platform_id))
        if kept:
            warnings.append(
                _(
                    "%(n)s addresses of this list failed permanently in earlier campaigns and "
                    "are on the suppression list; the platform will still send to them (and "
                    "charge for them) until they are removed from the list."
                )
                % {"n": kept}
            )
    budget = ratelimit.budget(account=account)
    if budget.remaining < 1 + extra_calls:
        problems.append(str(ratelimit.AddTaskLimitReached(budget, needed=1 + extra_calls)))
    return Review(
        recipients=recipients,
        quota=quota,
        quota_fetched_at=service.fetched_at if service else None,
        budget=budget,
        problems=problems,
        warnings=warnings,
    )


# -- drafts --------------------------------------------------------------------------------------

CONTENT_FIELDS = (
    "name",
    "template_ids",
    "template_names",
    "list_id",
    "list_name",
    "send_qty_start",
    "send_qty",
    "sender_kind",
    "send_domain",
    "send_account",
    "sender_name",
    "reply_to",
    "track_status",
    "track_domain",
    "subs_link",
    "send_now",
    "send_time",
    "hold",
)


def draft_create(*, account, user, **fields) -> Campaign:
    return Campaign.objects.create(
        account=account,
        created_by=user if user is not None and user.is_authenticated else None,
        local_state=S.DRAFT,
        **fields,
    )


def draft_update(*, campaign: Campaign, **fields) -> Campaign:
    if campaign.local_state not in (S.DRAFT, S.LOST, S.REJECTED):
        raise ActionNotAllowed(_("Only a draft can be changed here."))
    for key, value in fields.items():
        if key not in (*CONTENT_FIELDS, "ab_plan"):
            raise TypeError(f"not a draft field: {key}")
        setattr(campaign, key, value)
    if "template_ids" in fields:
        campaign.template_names = _template_names(campaign)
    if "list_id" in fields:
        maillist = _maillist(campaign)
        campaign.list_name = maillist.subject if maillist else ""
    campaign.save()
    return campaign


def _template_names(campaign: Campaign) -> list[str]:
    return [
        t.name if t else str(tid)
        for tid, t in zip(campaign.template_ids, _templates(campaign), strict=False)
    ]


def campaign_duplicate(*, account, user, campaign: Campaign, **overrides) -> Campaign:
    """A new draft with the same content, audience and sender (sent now unless changed)."""
    fields = {k: getattr(campaign, k) for k in CONTENT_FIELDS}
    fields.update(send_now=True, send_time=None, hold=False)
    if campaign.name:
        fields["name"] = _("Copy of %(name)s") % {"name": campaign.name}
    fields.update(overrides)
    return draft_create(account=account, user=user, duplicated_from=campaign, **fields)


def edit_draft_for(*, account, user, campaign: Campaign) -> Campaign:
    """A draft of changes to a waiting or held platform task (applied with §6.3 on confirm)."""
    if "edit" not in allowed_actions(campaign):
        raise ActionNotAllowed(_("This campaign can no longer be changed."))
    existing = campaign.edit_drafts.first()
    if existing is not None:
        return existing
    fields = {k: getattr(campaign, k) for k in CONTENT_FIELDS}
    fields["hold"] = campaign.status == Campaign.Status.ON_HOLD
    fields["send_now"] = False
    return draft_create(account=account, user=user, replaces=campaign, **fields)


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
        maillist = _maillist(claimed)
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
        status=-1 if campaign.hold else 1,
        submit_error="",
        next_reconcile_at=None,
    )


def _schedule_reconcile(campaign_id: int, delay: float) -> None:
    from .tasks import campaign_reconcile_task

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
            with transaction.atomic():
                updated = Campaign.objects.filter(pk=campaign.pk, local_state=S.UNCONFIRMED).update(
                    platform_id=task.id, local_state=S.ACTIVE, submit_error="",
                    next_reconcile_at=None,
                )  # fmt: skip
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
            campaign.refresh_from_db()
            _apply_task(campaign, task)
            campaign.save()
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


def campaign_sync_one(*, campaign: Campaign, tracking: bool = False) -> Campaign:
    """§6.1 for one campaign (and §3.1 with `tracking`)."""
    if not campaign.on_platform:
        return campaign
    with client_for_account(campaign.account) as client:
        task = client.tasks.get_task(campaign.platform_id)
        overview = None
        if task is not None and tracking and task.track_status and task.started_at is not None:
            overview = client.tracking.overview(send_id=campaign.platform_id)
    if task is None:
        _mark_gone(campaign)
        campaign.refresh_from_db()
        return campaign
    _apply_task(campaign, task)
    campaign.save()
    if overview is not None:
        _store_overview(campaign, overview)
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
                from .selectors import active_campaigns

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


def _store_overview(campaign: Campaign, overview) -> TrackingSnapshot:
    snapshot, _ = TrackingSnapshot.objects.update_or_create(
        campaign=campaign,
        defaults={
            "track_id": overview.track_id,
            "stat_task_id": overview.task_id,
            "send_count": overview.send_count,
            **tracking_numbers(overview),
            "open_ratio": overview.open_percent,
            "click_ratio": overview.click_percent,
            "fetched_at": timezone.now(),
        },
    )
    Campaign.objects.filter(pk=campaign.pk).update(
        stat_task_id=overview.task_id, track_id=overview.track_id
    )
    return snapshot


def tracking_refresh(*, campaign: Campaign) -> TrackingSnapshot | None:
    """§3.1 for a started campaign into its snapshot."""
    if not campaign.on_platform:
        return None
    with client_for_account(campaign.account) as client:
        overview = client.tracking.overview(send_id=campaign.platform_id)
    return _store_overview(campaign, overview)


def live_sync_wanted(campaign: Campaign) -> bool:
    """A live page may ask for a fresh §6.1 of this campaign (throttled)."""
    if not campaign.is_active:
        return False
    if campaign.synced_at is None:
        return True
    return (timezone.now() - campaign.synced_at).total_seconds() >= LIVE_SYNC_SECONDS


# -- changing a campaign (§6.3, §6.4) -------------------------------------------------------------

ACTIONS = {
    # action: (statuses it is offered in, the send_status it sets)
    "hold": ((1,), -1),
    "resume": ((-1, -2), None),  # -1 → 1 (its time), -2 → 2 (continue sending)
    "pause": ((2,), -2),
    "cancel": ((1, -1, 2, -2), -3),
}
ACTION_WORDS = {
    "hold": _("put on hold"),
    "resume": _("resumed"),
    "pause": _("paused"),
    "cancel": _("cancelled"),
}


def allowed_actions(campaign: Campaign) -> set[str]:
    """What the marketer may do to the campaign in its current status."""
    state = campaign.local_state
    out: set[str] = set()
    if campaign.replaces_id:
        return {"delete"}
    if state in (S.DRAFT, S.LOST, S.REJECTED):
        out |= {"continue", "delete", "duplicate"}
        if state != S.DRAFT:
            out.add("retry")
    elif state == S.UNCONFIRMED:
        out.add("check")
    elif state == S.ACTIVE:
        status = campaign.status
        out |= {"duplicate", "refresh"}
        for action, (codes, _target) in ACTIONS.items():
            if status in codes:
                out.add(action)
        if status in (1, -1):
            out.add("edit")
        if status in (1, -1, 3, -3):
            out.add("delete")
        if status in (3, -3) and campaign.track_status and campaign.time_start:
            out.add("resend")
    elif state == S.DELETED:
        out.add("duplicate")
    return out


def campaign_change_status(*, account, user, campaign: Campaign, action: str) -> Campaign:
    if action not in ACTIONS or action not in allowed_actions(campaign):
        raise ActionNotAllowed(
            _("The campaign is %(status)s: it cannot be %(action)s.")
            % {"status": campaign.status_label.lower(), "action": ACTION_WORDS.get(action, action)}
        )
    target = ACTIONS[action][1]
    if action == "resume":
        target = 1 if campaign.status == Campaign.Status.ON_HOLD else 2
    with (
        audited(
            account=account,
            user=user,
            action=f"campaigns.campaign.{action}",
            target=f"task {campaign.platform_id}: {campaign.display_name}",
            detail={"from": campaign.status, "to": target},
        ) as entry,
        client_for_account(account) as client,
    ):
        # Only the status: the other fields stay as the platform has them (a task found in
        # the console has no send_qty_start in §6.1 to repeat).
        reply = client.tasks.edit_task(campaign.platform_id, send_status=target)
        entry.message = reply.data
    Campaign.objects.filter(pk=campaign.pk).update(status=target, hold=target == -1)
    campaign.refresh_from_db()
    try:
        campaign_sync_one(campaign=campaign)
    except UmailError as exc:
        logger.info("task-list after edit-task %s failed: %s", campaign.platform_id, exc)
    return campaign


def campaign_apply_edit(*, account, user, draft: Campaign) -> Campaign:
    """§6.3 with an edit draft's fields onto the task it replaces; the draft goes."""
    original = draft.replaces
    if original is None or "edit" not in allowed_actions(original):
        raise ActionNotAllowed(_("This campaign can no longer be changed."))
    problems = review(account=account, campaign=draft, extra_calls=-1).problems
    if problems:
        raise CampaignRefused(problems)
    if draft.send_now:
        draft.send_time = timezone.now().replace(microsecond=0)
    status = -1 if draft.hold else (2 if draft.send_now else 1)
    params = task_params(draft, status=status)
    with (
        audited(
            account=account,
            user=user,
            action="campaigns.campaign.update",
            target=f"task {original.platform_id}: {original.display_name}",
            detail=_describe(draft),
        ) as entry,
        client_for_account(account) as client,
    ):
        reply = client.tasks.edit_task(original.platform_id, params)
        entry.message = reply.data
    with transaction.atomic():
        for key in CONTENT_FIELDS:
            setattr(original, key, getattr(draft, key))
        original.status = 1 if status == 2 else status
        original.save()
        draft.delete()
    try:
        campaign_sync_one(campaign=original)
    except UmailError as exc:
        logger.info("task-list after edit-task %s failed: %s", original.platform_id, exc)
    return original


def campaign_delete(*, account, user, campaign: Campaign) -> None:
    if "delete" not in allowed_actions(campaign):
        raise ActionNotAllowed(
            _("A campaign that is %(status)s cannot be deleted: cancel it first.")
            % {"status": campaign.status_label.lower()}
        )
    if not campaign.on_platform:
        campaign.delete()
        return
    with (
        audited(
            account=account,
            user=user,
            action="campaigns.campaign.delete",
            target=f"task {campaign.platform_id}: {campaign.display_name}",
        ) as entry,
        client_for_account(account) as client,
    ):
        reply = client.tasks.del_task(campaign.platform_id)
        entry.message = reply.data
    Campaign.objects.filter(pk=campaign.pk).update(local_state=S.DELETED, synced_at=timezone.now())


# -- A/B tests -----------------------------------------------------------------------------------

LABELS = "ABCDEFGH"


@dataclass(frozen=True)
class Split:
    """Where each variant's slice and the rest lie (positions in the list, 1-based)."""

    slices: list[tuple[int, int]]
    test_end: int
    rest: tuple[int, int]  # (start, end); end 0 = to the end of the list

    @property
    def rest_count_known(self) -> bool:
        return self.rest[1] != 0


def ab_split(*, start: int, end: int, audience: int, variants: int, percent: int) -> Split:
    """Split `audience` addresses from `start` into `variants` equal test slices (together
    `percent` % of it, at least one address each) and the rest."""
    test = max(variants, round(audience * percent / 100))
    if test >= audience:
        raise CampaignRefused(
            [_("The test slice would take the whole audience: lower the percentage.")]
        )
    size, extra = divmod(test, variants)
    slices, position = [], start
    for i in range(variants):
        n = size + (1 if i < extra else 0)
        slices.append((position, position + n - 1))
        position += n
    return Split(slices=slices, test_end=position - 1, rest=(position, end))


def abtest_submit(
    *,
    account,
    user,
    draft: Campaign,
    kind: str,
    percent: int,
    metric: str,
    mode: str,
    wait_hours,
) -> ABTest:
    """Send the variants (each its own task, recorded before its call) and plan the rest."""
    if kind == ABTest.Kind.SUBJECTS:
        first = _templates(draft)[0] if len(draft.template_ids) == 1 else None
        count = len(first.subjects or []) if first is not None else 0
    else:
        count = len(draft.template_ids)
    problems = review(account=account, campaign=draft, extra_calls=max(0, count - 1)).problems
    if problems:
        raise CampaignRefused(problems)
    if kind == ABTest.Kind.SUBJECTS:
        templates = _subject_copies(account=account, user=user, draft=draft)
    else:
        if len(draft.template_ids) < 2:
            raise CampaignRefused([_("An A/B test of templates needs two templates or more.")])
        templates = list(zip(draft.template_ids, draft.template_names, strict=False))
    if len(templates) > len(LABELS):
        raise CampaignRefused([_("At most %(n)s variants.") % {"n": len(LABELS)}])
    maillist = _maillist(draft)
    audience = recipient_count(maillist.count, draft.send_qty_start, draft.send_qty)
    split = ab_split(
        start=draft.send_qty_start,
        end=draft.send_qty,
        audience=audience,
        variants=len(templates),
        percent=percent,
    )
    ratelimit.reserve(account=account, count=len(templates))
    now = timezone.now()
    with transaction.atomic():
        ab = ABTest.objects.create(
            account=account,
            name=draft.name or " / ".join(n for _, n in templates),
            kind=kind,
            list_id=draft.list_id,
            list_name=draft.list_name,
            range_start=draft.send_qty_start,
            range_end=draft.send_qty,
            audience=audience,
            test_percent=percent,
            test_end=split.test_end,
            metric=metric,
            mode=mode,
            wait_hours=wait_hours,
            decide_at=now + dt.timedelta(hours=float(wait_hours)),
            created_by=user if user is not None and user.is_authenticated else None,
        )
        variants = []
        for label, (tpl_id, tpl_name), (first, last) in zip(
            LABELS, templates, split.slices, strict=False
        ):
            fields = {k: getattr(draft, k) for k in CONTENT_FIELDS}
            fields.update(
                name=f"{ab.name} · {label}",
                template_ids=[int(tpl_id)],
                template_names=[tpl_name],
                send_qty_start=first,
                send_qty=last,
                send_now=True,
                send_time=None,
                hold=False,
            )
            variants.append(
                draft_create(
                    account=account,
                    user=user,
                    ab_test=ab,
                    ab_role=Campaign.Role.VARIANT,
                    ab_label=label,
                    **fields,
                )  # fmt: skip
            )
        draft.delete()
    for variant in variants:
        campaign_submit(account=account, user=user, campaign=variant, reserved=True, checked=True)
    record(
        account=account,
        user=user,
        action="campaigns.abtest.start",
        target=f"A/B {ab.pk}: {ab.name}",
        detail={"variants": len(variants), "test_end": split.test_end, "metric": metric},
    )
    return ab


def _subject_copies(*, account, user, draft: Campaign) -> list[tuple[int, str]]:
    """One template per subject of the draft's template (through the templates section's
    service), so each subject is its own task and its own §3.1 statistics."""
    from apps.mailtemplates.services import template_create

    if len(draft.template_ids) != 1:
        raise CampaignRefused([_("An A/B test of subjects takes exactly one template.")])
    template = _templates(draft)[0]
    if template is None or len(template.subjects or []) < 2:
        raise CampaignRefused([_("The template needs two subjects or more for a subject test.")])
    copies = []
    for i, subject in enumerate(template.subjects):
        copy = template_create(
            account=account,
            user=user,
            name=f"{template.name} · A/B {LABELS[i]}",
            subjects=[subject],
            html=template.html,
            text=template.text,
            encoding=template.encoding,
        )
        copies.append((copy.platform_id, copy.name))
    return copies


def abtest_scores(*, ab: ABTest) -> list[tuple[Campaign, float | None]]:
    out = []
    for variant in ab.variants:
        snapshot = TrackingSnapshot.objects.filter(campaign=variant).first()
        out.append((variant, snapshot.rate(ab.metric) if snapshot else None))
    return out


def abtest_refresh(*, ab: ABTest) -> list[tuple[Campaign, float | None]]:
    for variant in ab.variants:
        if variant.on_platform:
            try:
                campaign_sync_one(campaign=variant, tracking=True)
            except UmailError as exc:
                logger.info("A/B %s variant %s refresh failed: %s", ab.pk, variant.pk, exc)
    return abtest_scores(ab=ab)


def abtest_decide(*, ab: ABTest, user=None, winner: Campaign | None = None) -> ABTest:
    """Send the winner to the rest: the marketer's choice, or (auto) the best rate once every
    variant has finished sending and its statistics are in. Returns the test; state READY or
    TESTING means "not yet"."""
    with transaction.atomic():
        ab = ABTest.objects.select_for_update().get(pk=ab.pk)
        if ab.state not in (ABTest.State.TESTING, ABTest.State.READY):
            return ab
    if winner is None:
        scores = abtest_refresh(ab=ab)
        variants = [v for v, _ in scores]
        if not variants or any(v.status not in (3,) for v in variants if v.on_platform):
            return ab  # still sending
        if any(not v.on_platform for v in variants) or any(r is None for _, r in scores):
            return ab
        winner, best = max(scores, key=lambda pair: (pair[1], -ord(pair[0].ab_label[:1] or "A")))
        note = (
            ", ".join(f"{v.ab_label}: {100 * (r or 0):.1f} %" for v, r in scores)
            + f" ({ab.get_metric_display()})"
        )
    else:
        if winner.ab_test_id != ab.pk or winner.ab_role != Campaign.Role.VARIANT:
            raise ActionNotAllowed(_("That campaign is not a variant of this test."))
        scores = abtest_scores(ab=ab)
        note = _("Chosen by %(who)s.") % {"who": getattr(user, "username", "") or "—"}
    rest_fields = {k: getattr(winner, k) for k in CONTENT_FIELDS}
    rest_fields.update(
        name=_("%(name)s · winner %(label)s") % {"name": ab.name, "label": winner.ab_label},
        send_qty_start=ab.test_end + 1,
        send_qty=ab.range_end,
        send_now=True,
        send_time=None,
        hold=False,
    )
    with transaction.atomic():
        # Claimed under the row lock: two deciders at once (beat overlapping itself while the
        # statistics are slow, or a click meanwhile) send the winner to the rest only once.
        locked = ABTest.objects.select_for_update().get(pk=ab.pk)
        if locked.state not in (ABTest.State.TESTING, ABTest.State.READY):
            return locked
        rest = draft_create(
            account=ab.account,
            user=user,
            ab_test=ab,
            ab_role=Campaign.Role.WINNER,
            ab_label=winner.ab_label,
            **rest_fields,
        )
        ABTest.objects.filter(pk=ab.pk).update(
            winner=winner,
            rest_campaign=rest,
            state=ABTest.State.SENDING_WINNER,
            decided_at=timezone.now(),
            decision_note=note,
        )
    try:
        rest = campaign_submit(account=ab.account, user=user, campaign=rest)
    except (CampaignRefused, ratelimit.AddTaskLimitReached) as exc:
        reasons = exc.reasons if isinstance(exc, CampaignRefused) else [str(exc)]
        ABTest.objects.filter(pk=ab.pk).update(
            state=ABTest.State.FAILED, decision_note=f"{note} — " + "; ".join(reasons)
        )
    else:
        if rest.local_state == S.REJECTED:
            ABTest.objects.filter(pk=ab.pk).update(
                state=ABTest.State.FAILED, decision_note=f"{note} — {rest.submit_error}"
            )
    record(
        account=ab.account,
        user=user,
        action="campaigns.abtest.winner",
        target=f"A/B {ab.pk}: {ab.name}",
        detail={"winner": winner.ab_label, "rest_from": ab.test_end + 1},
        message=note,
    )
    ab.refresh_from_db()
    return ab


def abtests_due() -> int:
    """Beat: tests whose wait is over decide (auto) or wait for the marketer (manual)."""
    count = 0
    due = ABTest.objects.filter(
        state__in=[ABTest.State.TESTING, ABTest.State.READY], decide_at__lte=timezone.now()
    )
    for ab in due:
        if ab.mode == ABTest.Mode.MANUAL:
            if ab.state == ABTest.State.TESTING:
                ABTest.objects.filter(pk=ab.pk).update(state=ABTest.State.READY)
                abtest_refresh(ab=ab)
            continue
        try:
            decided = abtest_decide(ab=ab)
        except UmailError as exc:
            logger.warning("A/B %s: deciding failed: %s", ab.pk, exc)
            continue
        count += decided.state != ab.state
    return count


# -- resend to non-openers -----------------------------------------------------------------------

RESEND_CHUNK = 5000


def resend_start(*, account, user, campaign: Campaign, list_name: str) -> ResendJob:
    if "resend" not in allowed_actions(campaign):
        raise ActionNotAllowed(
            _("Only a finished campaign that tracked opens can be resent to non-openers.")
        )
    from .tasks import campaign_resend_task

    job = ResendJob.objects.create(
        account=account,
        source=campaign,
        user=user if user is not None and user.is_authenticated else None,
        list_name=list_name,
    )
    enqueue_on_commit(
        lambda: campaign_resend_task.delay(job.pk),
        on_failure=lambda exc: ResendJob.objects.filter(
            pk=job.pk, state=ResendJob.State.PENDING
        ).update(state=ResendJob.State.FAILED, error=_(QUEUE_DOWN), finished_at=timezone.now()),
        what=f"resend job {job.pk}",
    )
    return job


def resend_run(*, job_id: int) -> ResendJob | None:
    """Build the list of recipients who did not open, then a draft campaign to it.

    The §3.2 openers are streamed into a temporary SQLite file and the list's addresses are read
    a §4.8 page at a time, so memory stays flat for a million addresses. The new list is made and
    filled through the contacts section's services (which refuse known hard bounces)."""
    from apps.contacts import services as contacts

    claimed = ResendJob.objects.filter(pk=job_id, state=ResendJob.State.PENDING).update(
        state=ResendJob.State.RUNNING
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
    from apps.contacts import services as contacts

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


# -- housekeeping ----------------------------------------------------------------------------------


def quota_refresh_if_stale(*, account) -> AccountService | None:
    """The review shows the quota left (§1.2); fetch it when the mirror is old."""
    from apps.accounts.services import account_refresh_service

    service = AccountService.objects.filter(account=account).first()
    fresh = service is not None and service.age_seconds is not None
    if fresh and service.age_seconds < settings.UMAIL_FRESHNESS_SECONDS:
        return service
    try:
        return account_refresh_service(account=account)
    except UmailError as exc:
        logger.info("service-info for the review failed: %s", exc)
        return service
