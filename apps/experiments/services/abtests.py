"""A/B tests: variants to a test slice of a list, then the winner (chosen by analytics' numbers
or by the marketer) to the rest."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.analytics.models import CampaignReport
from apps.analytics.services import report_sync, reports_discover
from apps.campaigns import ratelimit
from apps.campaigns.models import Campaign
from apps.campaigns.selectors import recipient_count
from apps.campaigns.services import (
    CONTENT_FIELDS,
    LABELS,
    ActionNotAllowed,
    CampaignRefused,
    ab_split,
    ab_variant_count,
    campaign_submit,
    campaign_sync_one,
    draft_create,
    draft_maillist,
    draft_templates,
    review,
)
from apps.core.audit import record
from apps.mailtemplates.services import template_create
from apps.umail.errors import UmailError

from ..models import ABTest

logger = logging.getLogger(__name__)

S = Campaign.LocalState


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
    count = ab_variant_count(draft, kind=kind)
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
    maillist = draft_maillist(draft)
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
    if len(draft.template_ids) != 1:
        raise CampaignRefused([_("An A/B test of subjects takes exactly one template.")])
    template = draft_templates(draft)[0]
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
    """Each variant with its unique open or click rate from its analytics report (None until
    §3.1 has been synced for it)."""
    variants = list(ab.variants)
    reports = {
        r.campaign_id: r
        for r in CampaignReport.objects.filter(
            campaign__in=variants, tracking_synced_at__isnull=False
        )
    }
    out = []
    for variant in variants:
        report = reports.get(variant.pk)
        out.append((variant, report.unique_rate(ab.metric) if report is not None else None))
    return out


def abtest_refresh(*, ab: ABTest) -> list[tuple[Campaign, float | None]]:
    """§6.1 and the analytics report of every variant now, then the scores."""
    variants = [v for v in ab.variants if v.on_platform]
    for variant in variants:
        try:
            campaign_sync_one(campaign=variant)
        except UmailError as exc:
            logger.info("A/B %s variant %s refresh failed: %s", ab.pk, variant.pk, exc)
    if variants:
        reports_discover(account=ab.account)
    for report in CampaignReport.objects.filter(campaign__in=variants):
        report_sync(report=report)  # raises nothing: a failure is recorded on the report
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
        if not variants or any(not v.is_finished for v in variants if v.on_platform):
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
