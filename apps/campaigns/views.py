from __future__ import annotations

import logging
from decimal import Decimal

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from apps.accounts.decorators import account_required
from apps.core.errors import errors_as_messages
from apps.core.messages import platform_error_message
from apps.core.redirects import safe_next
from apps.umail.errors import UmailError

from . import ratelimit, selectors, services
from .filters import CampaignFilter
from .forms import AudienceForm, ContentForm, ScheduleForm, SenderForm
from .hooks import detail_context, index_context, submit_ab_plan
from .models import ABKind, ABMetric, ABMode, Campaign
from .tables import CampaignTable

logger = logging.getLogger(__name__)
SENDER = "sender"
STEPS = (
    ("content", gettext_lazy("Content")),
    ("audience", gettext_lazy("Audience")),
    ("sender", gettext_lazy("Sender and tracking")),
    ("schedule", gettext_lazy("When")),
    ("review", gettext_lazy("Review")),
)
S = Campaign.LocalState


def _platform_error(request, exc: UmailError, extra: str = "") -> None:
    messages.error(request, " ".join(filter(None, [platform_error_message(exc), extra])))


def _campaign(request, pk: int) -> Campaign:
    # Another account's campaign id is simply not found: 404, never its data.
    return get_object_or_404(Campaign, pk=pk, account=request.account)


def _enqueue_live_sync(account, *, campaign: Campaign | None = None) -> None:
    """Ask the worker for a fresh §6.1 (throttled per account or campaign)."""
    from .tasks import campaign_sync_task, campaigns_sync_account_task

    key = f"campaigns-live:{account.pk}:{campaign.pk if campaign else '*'}"
    if not cache.add(key, 1, timeout=services.LIVE_SYNC_SECONDS):
        return
    try:
        if campaign is not None:
            campaign_sync_task.delay(campaign.pk)
        else:
            campaigns_sync_account_task.delay(account.pk, False)
    except Exception:  # the broker is down: the page still shows the last local data
        logger.warning("could not enqueue a live campaign sync", exc_info=True)


# -- the list ---------------------------------------------------------------------------------


@account_required
def index_view(request):
    account = request.account
    if selectors.sync_state(account=account) is None:
        try:  # first visit: fetch the platform's tasks now rather than show an empty page
            services.campaigns_sync_account(account=account, full=True)
        except UmailError as exc:
            _platform_error(request, exc)
    filterset = CampaignFilter(
        request.GET,
        queryset=selectors.campaigns_for(
            account=account, include_deleted=request.GET.get("state") == "deleted"
        ),
    )
    table = CampaignTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    live = selectors.active_campaigns(account=account).exists()
    if live and any(
        services.live_sync_wanted(c) for c in selectors.active_campaigns(account=account)
    ):
        _enqueue_live_sync(account)
    context = {
        "table": table,
        "filter": filterset,
        "sync": selectors.sync_state(account=account),
        "budget": ratelimit.budget(account=account),
        "live": live,
    }
    for extra in index_context.ask(account=account):  # e.g. the open A/B tests (experiments)
        context.update(extra)
    if request.headers.get("HX-Request"):
        return render(request, "campaigns/_list_body.html", context)
    return render(request, "campaigns/index.html", context)


@require_POST
@account_required
def refresh_view(request):
    try:
        count = services.campaigns_sync_account(account=request.account, full=True)
    except UmailError as exc:
        _platform_error(request, exc, _("Showing the campaigns fetched earlier."))
    else:
        messages.success(request, _("%(n)s campaigns fetched from the platform.") % {"n": count})
    return redirect(safe_next(request, "campaigns:index"))


@account_required
def calendar_view(request, year: int | None = None, month: int | None = None):
    today = timezone.localdate()
    year, month = year or today.year, month or today.month
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise Http404
    grid = selectors.calendar_month(account=request.account, year=year, month=month)
    return render(request, "campaigns/calendar.html", {"month": grid})


# -- the create wizard --------------------------------------------------------------------------


def _wizard_context(request, campaign: Campaign | None, step: str, form) -> dict:
    return {
        "campaign": campaign,
        "step": step,
        "steps": STEPS,
        "form": form,
        "editing": bool(campaign and campaign.replaces_id),
        "budget": ratelimit.budget(account=request.account),
    }


def _stale(synced_at) -> bool:
    from django.conf import settings

    if synced_at is None:
        return True
    return (timezone.now() - synced_at).total_seconds() > settings.UMAIL_FRESHNESS_SECONDS


def _templates(account):
    """The templates to choose from; their mirror is refreshed first when it is old."""
    from apps.mailtemplates.selectors import template_sync_state, templates_for_account
    from apps.mailtemplates.services import template_sync

    state = template_sync_state(account=account)
    if _stale(state.synced_at if state else None):
        try:
            template_sync(account=account)
        except UmailError as exc:
            logger.info("template sync for the wizard failed: %s", exc)
    return list(templates_for_account(account=account).order_by("name"))


def _content_form(request, campaign: Campaign | None):
    initial = {}
    if campaign is not None:
        plan = campaign.ab_plan or {}
        initial = {
            "name": campaign.name,
            "templates": campaign.template_ids,
            "ab_test": bool(plan),
            "ab_kind": plan.get("kind", ABKind.TEMPLATES),
            "ab_percent": plan.get("percent", 10),
            "ab_metric": plan.get("metric", ABMetric.OPENS),
            "ab_mode": plan.get("mode", ABMode.AUTO),
            "ab_wait_hours": Decimal(plan.get("wait_hours", "4")),
        }
    return ContentForm(request.POST or None, initial=initial, templates=_templates(request.account))


@account_required(role=SENDER)
def new_view(request):
    """Step 1 for a campaign that does not exist yet: the draft is made when it is valid."""
    form = _content_form(request, None)
    if request.method == "POST" and form.is_valid():
        campaign = services.draft_create(account=request.account, user=request.user)
        services.draft_update(
            campaign=campaign,
            name=form.cleaned_data["name"],
            template_ids=list(form.cleaned_data["templates"]),
            ab_plan=form.ab_plan(),
        )
        return redirect("campaigns:step", campaign.pk, "audience")
    return render(request, "campaigns/wizard.html", _wizard_context(request, None, "content", form))


@account_required(role=SENDER)
def step_view(request, pk: int, step: str):
    campaign = _draft_or_edit(request, pk)
    handler = {
        "content": _step_content,
        "audience": _step_audience,
        "sender": _step_sender,
        "schedule": _step_schedule,
    }.get(step)
    if handler is None:
        raise Http404
    return handler(request, campaign)


def _draft_or_edit(request, pk: int) -> Campaign:
    campaign = _campaign(request, pk)
    if campaign.local_state not in (S.DRAFT, S.LOST, S.REJECTED):
        raise Http404(_("This campaign is no longer a draft."))
    return campaign


def _next(campaign: Campaign, step: str):
    order = [name for name, _label in STEPS]
    following = order[order.index(step) + 1]
    if following == "review":
        return redirect("campaigns:review", campaign.pk)
    return redirect("campaigns:step", campaign.pk, following)


def _step_content(request, campaign):
    form = _content_form(request, campaign)
    if campaign.replaces_id:  # an A/B test cannot be made of a task that exists
        for name in ("ab_test", "ab_kind", "ab_percent", "ab_metric", "ab_mode", "ab_wait_hours"):
            form.fields.pop(name)
    if request.method == "POST" and form.is_valid():
        plan = form.ab_plan() if not campaign.replaces_id else None
        services.draft_update(
            campaign=campaign,
            name=form.cleaned_data["name"],
            template_ids=list(form.cleaned_data["templates"]),
            ab_plan=plan,
        )
        return _next(campaign, "content")
    return render(
        request, "campaigns/wizard.html", _wizard_context(request, campaign, "content", form)
    )


def _lists(account):
    from apps.contacts.selectors import lists_are_stale, lists_for_account
    from apps.contacts.services import list_sync

    if lists_are_stale(account=account):
        try:
            list_sync(account=account)
        except UmailError as exc:
            logger.info("list sync for the wizard failed: %s", exc)
    return list(lists_for_account(account=account).order_by("subject"))


def _step_audience(request, campaign):
    ranged = campaign.send_qty_start > 1 or campaign.send_qty
    initial = {
        "maillist": campaign.list_id,
        "scope": "range" if ranged else "all",
        "range_start": campaign.send_qty_start,
        "range_end": campaign.send_qty or None,
    }
    form = AudienceForm(request.POST or None, initial=initial, lists=_lists(request.account))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.draft_update(
            campaign=campaign,
            list_id=data["maillist"],
            send_qty_start=data["range_start"],
            send_qty=data["range_end"],
        )
        return _next(campaign, "audience")
    context = _wizard_context(request, campaign, "audience", form)
    context["lists_json"] = {m.platform_id: m.count for m in form.lists.values()}
    return render(request, "campaigns/wizard.html", context)


def _senders(account):
    from apps.domains.selectors import domain_sync_state, sender_domains, sender_mailboxes
    from apps.domains.services import domains_sync

    state = domain_sync_state(account=account)
    if _stale(state.synced_at if state else None):
        try:
            domains_sync(account=account)
        except UmailError as exc:
            logger.info("domain sync for the wizard failed: %s", exc)

    return list(sender_domains(account=account)), list(sender_mailboxes(account=account))


def _step_sender(request, campaign):
    domains, mailboxes = _senders(request.account)
    initial = {
        "sender_kind": campaign.sender_kind,
        "send_domain": campaign.send_domain,
        "send_account": campaign.send_account,
        "sender_name": campaign.sender_name or request.account.company,
        "reply_to": campaign.reply_to,
        "track_status": campaign.track_status,
        "track_domain": campaign.track_domain,
        "subs_link": campaign.subs_link,
    }
    if campaign.sender_kind == Campaign.SenderKind.ALL and not campaign.send_account and mailboxes:
        initial["sender_kind"] = Campaign.SenderKind.ADDRESS
        initial["send_account"] = mailboxes[0].address
    form = SenderForm(request.POST or None, initial=initial, domains=domains, mailboxes=mailboxes)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.draft_update(
            campaign=campaign,
            sender_kind=data["sender_kind"],
            send_domain=data["send_domain"],
            send_account=data["send_account"],
            sender_name=data["sender_name"],
            reply_to=data["reply_to"],
            track_status=data["track_status"],
            track_domain=data["track_domain"],
            subs_link=data["subs_link"],
        )
        return _next(campaign, "sender")
    context = _wizard_context(request, campaign, "sender", form)
    context["no_senders"] = not domains
    return render(request, "campaigns/wizard.html", context)


def _step_schedule(request, campaign):
    initial = {
        "when": "now" if campaign.send_now else "later",
        "send_at": timezone.localtime(campaign.send_time) if campaign.send_time else None,
        "hold": campaign.hold,
    }
    form = ScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.draft_update(
            campaign=campaign,
            send_now=data["when"] == "now",
            send_time=data["send_at"],
            hold=data["hold"],
        )
        return _next(campaign, "schedule")
    return render(
        request, "campaigns/wizard.html", _wizard_context(request, campaign, "schedule", form)
    )


@account_required(role=SENDER)
def review_view(request, pk: int):
    campaign = _campaign(request, pk)
    if campaign.local_state not in (S.DRAFT, S.LOST, S.REJECTED):
        # A second click (or a reload) of "Send": the campaign already went its way.
        return redirect("campaigns:detail", campaign.pk)
    if request.method == "POST":
        return _confirm(request, campaign)
    quota_updating = services.quota_refresh_if_stale(account=request.account)
    checked, split = services.review_with_plan(account=request.account, campaign=campaign)
    context = _wizard_context(request, campaign, "review", None)
    context.update(
        review=checked,
        plan=campaign.ab_plan,
        split=split,
        templates=services.draft_templates(campaign),
        quota_updating=quota_updating,
    )
    return render(request, "campaigns/review.html", context)


def _confirm(request, campaign: Campaign):
    account, user = request.account, request.user
    try:
        if campaign.replaces_id:
            original = services.campaign_apply_edit(account=account, user=user, draft=campaign)
            messages.success(request, _("Campaign changed on the platform."))
            return redirect("campaigns:detail", original.pk)
        if campaign.ab_plan:
            # The A/B test is run by apps.experiments; it answers with the test's page.
            pages = submit_ab_plan.ask(account=account, user=user, draft=campaign)
            if not pages:
                raise services.ActionNotAllowed(_("A/B tests are not available."))
            messages.success(request, _("A/B test started: the variants are on their way."))
            return redirect(pages[0])
        campaign = services.campaign_submit(account=account, user=user, campaign=campaign)
    except services.CampaignRefused as exc:
        for reason in exc.reasons:
            messages.error(request, reason)
        return redirect("campaigns:review", campaign.pk)
    except ratelimit.AddTaskLimitReached as exc:
        messages.error(request, str(exc))
        return redirect("campaigns:review", campaign.pk)
    except (services.ActionNotAllowed, UmailError) as exc:
        message = platform_error_message(exc) if isinstance(exc, UmailError) else str(exc)
        messages.error(request, message)
        return redirect("campaigns:review", campaign.pk)
    if campaign.local_state == S.ACTIVE:
        messages.success(request, _("Campaign created on the platform."))
    elif campaign.local_state == S.UNCONFIRMED:
        messages.warning(
            request,
            _(
                "The platform did not confirm in time. The portal is checking whether it created "
                "the campaign: do not create it again."
            ),
        )
    elif campaign.local_state == S.REJECTED:
        messages.error(request, campaign.submit_error)
        return redirect("campaigns:review", campaign.pk)
    return redirect("campaigns:detail", campaign.pk)


@account_required
def count_view(request):
    """htmx: how many addresses the chosen list range covers."""
    from apps.contacts.selectors import list_for_account

    try:
        list_id = int(request.GET.get("maillist", ""))
        start = max(1, int(request.GET.get("range_start") or 1))
        end = max(0, int(request.GET.get("range_end") or 0))
    except ValueError:
        return HttpResponse("")
    if request.GET.get("scope") != "range":
        start, end = 1, 0
    maillist = list_for_account(account=request.account, list_id=list_id)
    if maillist is None:
        return HttpResponse("")
    count = selectors.recipient_count(maillist.count, start, end)
    return render(
        request, "campaigns/_count.html", {"count": count, "maillist": maillist, "end": end}
    )


# -- one campaign -----------------------------------------------------------------------------


def _detail_context(request, campaign: Campaign) -> dict:
    context = {
        "campaign": campaign,
        "actions": services.allowed_actions(campaign),
        "edit_draft": campaign.edit_drafts.first(),
        "live": campaign.is_active or campaign.local_state in (S.SUBMITTING, S.UNCONFIRMED),
    }
    for extra in detail_context.ask(campaign=campaign):  # e.g. its resends (experiments)
        context.update(extra)
    return context


@account_required
def detail_view(request, pk: int):
    campaign = _campaign(request, pk)
    if campaign.replaces_id:
        return redirect("campaigns:review", campaign.pk)
    if services.live_sync_wanted(campaign):
        _enqueue_live_sync(request.account, campaign=campaign)
    context = _detail_context(request, campaign)
    if request.headers.get("HX-Request"):
        return render(request, "campaigns/_live.html", context)
    return render(request, "campaigns/detail.html", context)


@require_POST
@account_required(role=SENDER)
def action_view(request, pk: int, action: str):
    campaign = _campaign(request, pk)
    if action not in services.ACTIONS:
        raise Http404
    try:
        services.campaign_change_status(
            account=request.account, user=request.user, campaign=campaign, action=action
        )
    except services.ActionNotAllowed as exc:
        messages.error(request, str(exc))
    except UmailError as exc:
        _platform_error(request, exc)
    else:
        messages.success(
            request,
            _("Campaign %(action)s.") % {"action": services.ACTION_WORDS[action]},
        )
    return redirect("campaigns:detail", campaign.pk)


@account_required(role=SENDER)
@errors_as_messages("campaigns:detail")
def delete_view(request, pk: int):
    campaign = _campaign(request, pk)
    allowed = "delete" in services.allowed_actions(campaign)
    if request.method == "POST" and allowed:
        back = campaign.replaces_id
        services.campaign_delete(account=request.account, user=request.user, campaign=campaign)
        messages.success(request, _("Campaign deleted."))
        if back:
            return redirect("campaigns:detail", back)
        return redirect("campaigns:index")
    return render(request, "campaigns/delete.html", {"campaign": campaign, "allowed": allowed})


@require_POST
@account_required(role=SENDER)
def duplicate_view(request, pk: int):
    campaign = _campaign(request, pk)
    copy = services.campaign_duplicate(
        account=request.account, user=request.user, campaign=campaign
    )
    messages.info(request, _("A copy was made: check it and send it."))
    return redirect("campaigns:step", copy.pk, "content")


@require_POST
@account_required(role=SENDER)
def edit_view(request, pk: int):
    campaign = _campaign(request, pk)
    try:
        draft = services.edit_draft_for(
            account=request.account, user=request.user, campaign=campaign
        )
    except services.ActionNotAllowed as exc:
        messages.error(request, str(exc))
        return redirect("campaigns:detail", campaign.pk)
    return redirect("campaigns:step", draft.pk, "content")


@require_POST
@account_required
def campaign_refresh_view(request, pk: int):
    campaign = _campaign(request, pk)
    try:
        services.campaign_sync_one(campaign=campaign)
    except UmailError as exc:
        _platform_error(request, exc, _("Showing what was fetched earlier."))
    else:
        messages.success(request, _("Fetched from the platform."))
    return redirect("campaigns:detail", campaign.pk)


@require_POST
@account_required(role=SENDER)
def check_view(request, pk: int):
    """Search §6.1 now for a campaign whose creation was not confirmed."""
    campaign = _campaign(request, pk)
    services.campaign_reconcile(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    if campaign.local_state == S.ACTIVE:
        messages.success(request, _("The platform had created it: the campaign is linked."))
    else:
        messages.info(request, _("Not found on the platform yet; the portal keeps looking."))
    return redirect("campaigns:detail", campaign.pk)
