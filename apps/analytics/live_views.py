"""The self-refreshing parts of pages that show a campaign's numbers (htmx partials).

The campaign page, the report and the A/B page load these with `hx-trigger="every Ns"`; they
read CampaignReport (the one store of §2.4/§3.1 numbers) and say how fresh it is. They never
call the platform: a report whose next look is overdue gets a background sync enqueued."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404, render

from apps.accounts.decorators import account_required
from apps.campaigns.models import Campaign
from apps.mailtemplates.models import MailTemplate

from . import live, selectors
from .models import CampaignReport

MAX_VARIANTS = 10


def _context(report: CampaignReport | None, campaign: Campaign) -> dict:
    if report is not None:
        live.nudge_if_stale(report)
    return {"report": report, "campaign": campaign}


@account_required
def campaign_numbers_view(request, pk: int):
    """A campaign's delivery and engagement numbers (the campaign page's live part, or the
    report's with `?part=report`)."""
    campaign = get_object_or_404(Campaign, pk=pk, account=request.account)
    if not campaign.on_platform:
        raise Http404("not on the platform")
    report = selectors.report_for(account=request.account, campaign=campaign)
    context = _context(report, campaign)
    if request.GET.get("part") == "report" and report is not None:
        view = selectors.report_view(report=report)
        context.update(view=view, growth=selectors.growth_series(view.points))
        return render(request, "analytics/_report_numbers.html", context)
    return render(request, "analytics/_campaign_numbers.html", context)


@account_required
def variants_numbers_view(request):
    """Numbers of several campaigns side by side (an A/B test's variants): `?c=<id>&c=<id>`."""
    ids = [int(v) for v in request.GET.getlist("c")[:MAX_VARIANTS] if v.isdigit()]
    campaigns = list(
        Campaign.objects.filter(account=request.account, pk__in=ids).order_by("ab_label", "pk")
    )
    reports = {
        r.campaign_id: r
        for r in CampaignReport.objects.filter(account=request.account, campaign__in=campaigns)
    }
    # What a variant tests is its subject line: the subjects of its templates (mirror).
    subjects = {}
    template_ids = {t for c in campaigns for t in (c.template_ids or [])}
    for platform_id, lines in MailTemplate.objects.filter(
        account=request.account, platform_id__in=template_ids
    ).values_list("platform_id", "subjects"):
        subjects[platform_id] = [line for line in (lines or []) if line]
    rows = []
    for campaign in campaigns:
        report = reports.get(campaign.pk)
        if report is not None:
            live.nudge_if_stale(report)
        tested = [s for t in (campaign.template_ids or []) for s in subjects.get(t, [])]
        rows.append(
            {
                "campaign": campaign,
                "report": report,
                "fresh": live.freshness(report),
                "subjects": " / ".join(dict.fromkeys(tested)),
            }
        )
    following = any(r["report"] is None or not r["report"].final for r in rows)
    return render(
        request,
        "analytics/_variants_numbers.html",
        {
            "rows": rows,
            "query": "&".join(f"c={c.pk}" for c in campaigns),
            "refresh_every": live.LIVE_REFRESH_SECONDS if following else None,
        },
    )
