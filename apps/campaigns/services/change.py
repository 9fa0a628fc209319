"""Changing a campaign on the platform (§6.3 status and edit, §6.4 delete)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.clients import client_for_account
from apps.core.audit import audited
from apps.umail.errors import (
    UmailError,
)
from apps.umail.send_tasks import UndocumentedStatusRefused

from ..models import Campaign
from ._common import ActionNotAllowed, CampaignRefused, S, St, logger
from .lifecycle import campaign_sync_one
from .params import CONTENT_FIELDS, _describe, task_params
from .review import review

# -- changing a campaign (§6.3, §6.4) -------------------------------------------------------------

ACTIONS = {
    # action: (statuses it is offered in, the send_status it sets)
    "hold": ((St.WAITING,), St.ON_HOLD),
    "resume": ((St.ON_HOLD, St.PAUSED), None),  # on hold → waiting, paused → sending
    "pause": ((St.SENDING,), St.PAUSED),
    "cancel": ((St.WAITING, St.ON_HOLD, St.SENDING, St.PAUSED), St.CANCELLED),
    "send_now": ((St.WAITING, St.ON_HOLD), St.SENDING),
}
# pause (-2) and cancel (-3) are the portal's guess (apps.umail.send_tasks,
# UNDOCUMENTED_EDIT_STATUSES); what §6.3 documents, offered when the platform refuses the guess:
DOCUMENTED_ALTERNATIVES = {
    "hold": _("Hold"),
    "resume": _("Resume"),
    "send_now": _("Send now"),
    "delete": _("Delete"),
}
ACTION_WORDS = {
    "send_now": _("sent now"),
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
        if campaign.is_editable:
            out.add("edit")
        if campaign.is_editable or campaign.has_ended:
            out.add("delete")
        if campaign.has_ended and campaign.track_status and campaign.time_start:
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
        target = St.WAITING if campaign.is_on_hold else St.SENDING
    try:
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
    except UndocumentedStatusRefused as exc:
        raise ActionNotAllowed(_undocumented_refusal(campaign, action, exc)) from exc
    Campaign.objects.filter(pk=campaign.pk).update(status=target, hold=target == -1)
    campaign.refresh_from_db()
    try:
        campaign_sync_one(campaign=campaign)
    except UmailError as exc:
        logger.info("task-list after edit-task %s failed: %s", campaign.platform_id, exc)
    return campaign


def _undocumented_refusal(campaign: Campaign, action: str, exc: UndocumentedStatusRefused) -> str:
    """Pause/cancel refused: nothing changed (the page shows the platform's status, re-read
    now), why, and what the manual documents instead."""
    try:
        campaign_sync_one(campaign=campaign)
    except UmailError as sync_error:
        logger.info("task-list after a refused %s failed: %s", action, sync_error)
    campaign.refresh_from_db()
    message = _(
        "The platform refused to %(action)s this campaign (%(reason)s). Its documentation has no "
        "way to pause or cancel a campaign, so the portal tried; the campaign is unchanged: "
        "%(status)s."
    ) % {
        "action": {"pause": _("pause"), "cancel": _("cancel")}.get(action, action),
        "reason": exc.detail or exc.status,
        "status": campaign.status_label.lower(),
    }
    allowed = allowed_actions(campaign)
    offered = [str(label) for key, label in DOCUMENTED_ALTERNATIVES.items() if key in allowed]
    if offered:
        return (
            message
            + " "
            + _("What the platform documents: %(actions)s.") % {"actions": ", ".join(offered)}
        )
    return (
        message
        + " "
        + _(
            "While a campaign is sending, the platform documents no way to stop it; once it has "
            "ended it can be deleted."
        )
    )


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
        original.status = St.WAITING if status == St.SENDING else status
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
