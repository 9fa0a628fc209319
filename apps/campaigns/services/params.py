"""What a campaign sends: the §6.2/§6.3 parameters built from a campaign, in one place."""

from __future__ import annotations

from django.utils import timezone

from apps.umail.send_tasks import TaskParams

from ..models import Campaign

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


# The fields a draft, a duplicate, an edit or an A/B variant copy from a campaign.
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
