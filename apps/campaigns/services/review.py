"""Checks before sending, in one place for the review page and every submit: the problems and
warnings, the add-task budget (one call per A/B variant) and where the A/B slices fall."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import AccountService
from apps.core.queue import enqueue_on_commit

from .. import ratelimit
from ..hooks import suppressed_in_list
from ..models import ABKind, Campaign
from ..selectors import recipient_count
from ._common import CampaignRefused

# -- checks before sending ---------------------------------------------------------------------


@dataclass
class Review:
    recipients: int
    quota: int | None
    quota_fetched_at: dt.datetime | None
    budget: ratelimit.Budget
    problems: list[str]
    warnings: list[str]


def draft_templates(campaign: Campaign):
    from apps.mailtemplates.models import MailTemplate

    found = {
        t.platform_id: t
        for t in MailTemplate.objects.filter(
            account=campaign.account, platform_id__in=campaign.template_ids or []
        )
    }
    return [found.get(int(t)) for t in campaign.template_ids or []]


def draft_maillist(campaign: Campaign):
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
    templates = draft_templates(campaign)
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
    maillist = draft_maillist(campaign)
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


# -- the A/B plan of a draft (the test itself runs in apps.experiments) ----------------------------

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


# -- housekeeping ----------------------------------------------------------------------------------


def quota_refresh_if_stale(*, account) -> bool:
    """The review shows the quota left (§1.2) from the mirror; an old mirror is refreshed by the
    worker (never inside the page). True when a refresh is on its way ("updating…")."""
    from apps.accounts.tasks import account_refresh_service_task

    service = AccountService.objects.filter(account=account).first()
    age = service.age_seconds if service is not None else None
    if age is not None and age < settings.UMAIL_FRESHNESS_SECONDS:
        return False
    # One refresh per account at a time, however often the page polls.
    if cache.add(f"campaigns-review-quota:{account.pk}", 1, timeout=30):
        enqueue_on_commit(
            lambda: account_refresh_service_task.delay(account.pk), what="a quota refresh"
        )
    return True


def ab_variant_count(campaign: Campaign, *, kind: str | None = None) -> int:
    """How many variants an A/B test of the draft makes (`kind`, else its plan's): one per
    template, or (subject test) one per subject of its single template; 1 without a plan."""
    kind = kind or (campaign.ab_plan or {}).get("kind")
    if not kind:
        return 1
    if kind == ABKind.SUBJECTS:
        templates = draft_templates(campaign) if len(campaign.template_ids) == 1 else []
        first = templates[0] if templates else None
        return len(first.subjects or []) if first is not None else 0
    return len(campaign.template_ids)


def review_with_plan(*, account, campaign: Campaign) -> tuple[Review, Split | None]:
    """The review step and the A/B submit check the same thing: the checks with one add-task
    call per extra variant, and where the variants' slices and the rest fall."""
    plan = campaign.ab_plan
    variants = ab_variant_count(campaign)
    checked = review(account=account, campaign=campaign, extra_calls=max(0, variants - 1))
    split = None
    if plan and checked.recipients and variants:
        try:
            split = ab_split(
                start=campaign.send_qty_start,
                end=campaign.send_qty,
                audience=checked.recipients,
                variants=variants,
                percent=int(plan["percent"]),
            )
        except CampaignRefused as exc:
            checked.problems += exc.reasons
    return checked, split
