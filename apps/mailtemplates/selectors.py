"""Reads for the template pages: local mirrors only, never the platform."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum

from apps.contacts.selectors import list_field_labels, lists_for_account
from apps.core.hooks import Hook

from .content import FIXED_FIELDS, VAR_FIELDS, merge_tag
from .models import MailTemplate, TemplateSync

logger = logging.getLogger(__name__)


def templates_for_account(*, account) -> QuerySet[MailTemplate]:
    return (
        MailTemplate.objects.filter(account=account)
        .annotate(attachment_count=Count("attachments"))
        .order_by("-updated_at", "-id")
    )


def template_sync_state(*, account) -> TemplateSync | None:
    return TemplateSync.objects.filter(account=account).first()


def attachments_total_bytes(*, template: MailTemplate) -> int:
    """Bytes of the attachments whose size the portal knows (those uploaded through it)."""
    return template.attachments.aggregate(total=Sum("size_bytes"))["total"] or 0


#: Answered by the campaigns app from its mirror of §6.1: campaigns still to be sent (waiting,
#: not yet sending or paused) that use a template, as objects whose str() names them.
scheduled_campaigns_for_template = Hook("mailtemplates.scheduled_campaigns_for_template")


def template_scheduled_campaigns(*, account, template_id: int) -> list:
    """Campaigns still to be sent that use this template (platform id), to warn before delete."""
    return scheduled_campaigns_for_template.collect(account=account, template_id=template_id)


@dataclass(frozen=True)
class MergeField:
    name: str  # the platform's field name, e.g. "fullname", "var3"
    label: str
    tag: str  # what goes into the template, e.g. "{$fullname}"


def merge_tag_fields(*, account, list_id: int | None = None) -> list[MergeField]:
    """The merge-tag picker: the platform's fixed address fields and var1–var10, with the names
    the marketer gave var1–var10 on a contact list when one is chosen."""
    labels: dict[str, str] = {}
    if list_id is not None:
        # The names the marketer gave var1–var10 on that list (contacts' mirror).
        try:
            labels = dict(list_field_labels(account=account, list_id=list_id) or {})
        except Exception:  # a picker must never break the editor
            logger.exception("list_field_labels failed for list %s", list_id)
            labels = {}
    fields = [MergeField(name, str(label), merge_tag(name)) for name, label in FIXED_FIELDS]
    for name in VAR_FIELDS:
        named = (labels.get(name) or "").strip()
        label = f"{name} · {named}" if named and named != name else name
        fields.append(MergeField(name, label, merge_tag(name)))
    return fields


def merge_tag_lists(*, account) -> list[tuple[int, str]]:
    """Contact lists whose variable names the picker can show: (platform id, name)."""
    try:
        return [(row.platform_id, str(row)) for row in lists_for_account(account=account)]
    except Exception:  # a picker must never break the editor
        logger.exception("lists_for_account failed")
        return []
