"""Drafts: made by the wizard, duplicated from a campaign, or holding an edit of a task."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ..models import Campaign
from ._common import ActionNotAllowed, S
from .change import allowed_actions
from .params import CONTENT_FIELDS
from .review import draft_maillist, draft_templates

# -- drafts --------------------------------------------------------------------------------------


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
        maillist = draft_maillist(campaign)
        campaign.list_name = maillist.subject if maillist else ""
    campaign.save()
    return campaign


def _template_names(campaign: Campaign) -> list[str]:
    return [
        t.name if t else str(tid)
        for tid, t in zip(campaign.template_ids, draft_templates(campaign), strict=False)
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
    fields["hold"] = campaign.is_on_hold
    fields["send_now"] = False
    return draft_create(account=account, user=user, replaces=campaign, **fields)
