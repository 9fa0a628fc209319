"""Pages of A/B tests and resends to non-openers."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from apps.accounts.decorators import account_required, role_allows
from apps.campaigns.models import Campaign
from apps.campaigns.services import ActionNotAllowed
from apps.core.errors import errors_as_messages
from apps.core.messages import platform_error_message
from apps.umail.errors import UmailError

from . import services
from .forms import DecideForm, ResendForm
from .models import ABTest, ResendJob

SENDER = "sender"


def _platform_error(request, exc: UmailError) -> None:
    messages.error(request, platform_error_message(exc))


def _campaign(request, pk: int) -> Campaign:
    return get_object_or_404(Campaign, pk=pk, account=request.account)


# -- A/B tests ----------------------------------------------------------------------------------


@account_required
def ab_view(request, pk: int):
    ab = get_object_or_404(ABTest, pk=pk, account=request.account)
    scores = services.abtest_scores(ab=ab)
    form = DecideForm(request.POST or None, variants=[v for v, _ in scores])
    if request.method == "POST":
        if not _may(request, SENDER):
            return render(request, "accounts/forbidden.html", status=403)
        if request.POST.get("refresh"):
            try:
                scores = services.abtest_refresh(ab=ab)
            except UmailError as exc:
                _platform_error(request, exc)
            return redirect("experiments:ab", ab.pk)
        if form.is_valid() and ab.state in (ABTest.State.TESTING, ABTest.State.READY):
            winner = get_object_or_404(Campaign, pk=form.cleaned_data["winner"], ab_test=ab)
            try:
                ab = services.abtest_decide(ab=ab, user=request.user, winner=winner)
            except (ActionNotAllowed, UmailError) as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("The winner is being sent to the rest of the list."))
            return redirect("experiments:ab", ab.pk)
    rows = [(v, None if r is None else 100 * r) for v, r in scores]
    best = max((r for _, r in rows if r is not None), default=None)
    return render(
        request,
        "experiments/ab.html",
        {"ab": ab, "scores": rows, "form": form, "best": best},
    )


def _may(request, role: str) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and role_allows(membership.role, role)


# -- resend to non-openers ----------------------------------------------------------------------


@account_required(role=SENDER)
@errors_as_messages("campaigns:detail")
def resend_view(request, pk: int):
    campaign = _campaign(request, pk)
    default = _("%(name)s — did not open") % {"name": campaign.display_name}
    form = ResendForm(request.POST or None, initial={"list_name": default[:255]})
    if request.method == "POST" and form.is_valid():
        job = services.resend_start(
            account=request.account,
            user=request.user,
            campaign=campaign,
            list_name=form.cleaned_data["list_name"],
        )
        return redirect("experiments:resend-job", job.pk)
    return render(request, "experiments/resend.html", {"campaign": campaign, "form": form})


@account_required
def resend_job_view(request, pk: int):
    job = get_object_or_404(ResendJob, pk=pk, account=request.account)
    template = (
        "experiments/_resend_progress.html"
        if request.headers.get("HX-Request")
        else "experiments/resend_job.html"
    )
    return render(request, template, {"job": job})
