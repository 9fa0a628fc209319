"""What experiments answers for the campaigns app (apps.campaigns.hooks)."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from apps.campaigns import hooks as campaigns

from . import selectors, services


def _submit_ab_plan(*, account, user, draft) -> str:
    plan = draft.ab_plan
    ab = services.abtest_submit(
        account=account,
        user=user,
        draft=draft,
        kind=plan["kind"],
        percent=int(plan["percent"]),
        metric=plan["metric"],
        mode=plan["mode"],
        wait_hours=Decimal(plan["wait_hours"]),
    )
    return reverse("experiments:ab", args=[ab.pk])


def _index_context(*, account) -> dict:
    return {"ab_tests": selectors.open_ab_tests(account=account)[:5]}


def _detail_context(*, campaign) -> dict:
    return {
        "resends": selectors.resend_jobs_for(account=campaign.account).filter(source=campaign)[:5]
    }


def register() -> None:
    campaigns.submit_ab_plan.answer(_submit_ab_plan)
    campaigns.index_context.answer(_index_context)
    campaigns.detail_context.answer(_detail_context)
