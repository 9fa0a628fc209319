"""Analytics pages: the overview dashboard, campaign reports, detail tables, exports and list
hygiene. They read the local mirror (services keep it in sync) and say when it was synced; a
platform failure becomes a message and the last local data, never an error page."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig
from django_tables2.paginators import LazyPaginator

from apps.accounts.decorators import account_required
from apps.campaigns.models import Campaign
from apps.core.errors import errors_as_messages
from apps.core.exports import FORMATS, export_response
from apps.core.messages import platform_error_message, stored_error_message
from apps.core.queue import enqueue_on_commit
from apps.core.redirects import safe_next
from apps.umail.errors import UmailError

from . import selectors, services
from .filters import ClickRecordFilter, OpenRecordFilter
from .forms import (
    CompareForm,
    DayFailureExportForm,
    FailureExportForm,
    HygieneSettingsForm,
    RangeForm,
    TrackedExportForm,
)
from .models import (
    FAIL_TYPE_LABELS,
    ClickRecord,
    DetailFetch,
    HygieneItem,
    HygieneRun,
    HygieneSettings,
    OpenRecord,
)
from .tables import (
    ClickRecordTable,
    HygieneItemTable,
    HygieneRunTable,
    LinkTable,
    OpenRecordTable,
)

EDITOR = "editor"
BACKFILL_THROTTLE = 120  # seconds between two background backfills of the same account


SHOWING_LAST = gettext_noop("Showing the last data fetched.")


def _platform_failed(request, exc: UmailError) -> None:
    messages.error(request, platform_error_message(exc) + " " + _("Showing the last data fetched."))


def _campaign(request, pk: int) -> Campaign:
    return get_object_or_404(Campaign, pk=pk, account=request.account)


def _report(request, pk: int):
    """The campaign's report; a campaign never synced is synced now (first visit)."""
    campaign = _campaign(request, pk)
    if not campaign.on_platform:
        raise Http404("not on the platform")
    report = selectors.report_for(account=request.account, campaign=campaign)
    if report is None:
        services.reports_discover(account=request.account)
        report = selectors.report_for(account=request.account, campaign=campaign)
    if report is None:
        raise Http404("no report")
    if report.synced_at is None:
        counts = services.report_sync(report=report)
        report.refresh_from_db()
        if counts.failed:
            messages.error(
                request,
                _("The statistics could not be fetched: %(e)s")
                % {"e": stored_error_message(report.last_error)},
            )
    return report


# -- the overview dashboard ------------------------------------------------------------------------


def _range(request) -> tuple[dt.date, dt.date, RangeForm]:
    start, end = selectors.default_range()
    form = RangeForm(
        request.GET if "start" in request.GET else None, initial={"start": start, "end": end}
    )
    if form.is_bound:
        if form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        else:
            for error in form.non_field_errors():
                messages.warning(request, error)
    return start, end, form


def _backfill(account, start, end) -> None:
    """Ask for the range's missing days in the background (throttled per account)."""
    key = f"analytics:backfill:{account.pk}"
    if not cache.add(key, 1, BACKFILL_THROTTLE):
        return
    services.days_request_backfill(account=account, start=start, end=end)
    from .tasks import analytics_days_sync_task

    enqueue_on_commit(lambda: analytics_days_sync_task.delay(account.pk), what="a days backfill")


@account_required
def index_view(request):
    account = request.account
    start, end, form = _range(request)
    dash = selectors.dashboard(account=account, start=start, end=end)
    if dash.missing_days:
        _backfill(account, start, end)
    choices = selectors.compare_choices(account=account, start=start, end=end)
    picked = [c for c in (request.GET.get("a"), request.GET.get("b")) if c]
    compare_form = CompareForm(
        request.GET if picked else None,
        choices=[(r.campaign_id, str(r.campaign)) for r in choices],
        initial={"a": choices[0].campaign_id, "b": choices[1].campaign_id}
        if len(choices) > 1
        else None,
    )
    compared = []
    if compare_form.is_bound and compare_form.is_valid():
        compared = selectors.comparison(
            account=account,
            campaign_ids=[compare_form.cleaned_data["a"], compare_form.cleaned_data["b"]],
        )
    return render(
        request,
        "analytics/index.html",
        {
            "dash": dash,
            "day_rows": _day_rows(dash.days),
            "form": form,
            "compare_form": compare_form,
            "compared": compared,
            "compare_chart": selectors.compare_series(compared) if compared else None,
            "day_export_form": DayFailureExportForm(initial={"date": end, "type": "-1"}),
            "sync": selectors.sync_summary(account=account),
        },
    )


def _day_rows(days: list[dict]):
    """The day-by-day table's rows (a year of them: built here, the template engine is slow)."""
    return format_html_join(
        "",
        "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                "" if d["synced"] else mark_safe(' class="text-secondary"'),  # noqa: S308
                d["date"].isoformat(),
                d["batches"],
                d["sent"],
                d["delivered"],
                d["failed"],
                d["credits"],
                "—" if d["quota"] is None else d["quota"],
            )
            for d in days
        ),
    )


@account_required
@require_POST
def refresh_view(request):
    """Fetch the last days now (and queue the campaigns due)."""
    try:
        counts = services.days_sync(account=request.account, limit=10)
    except UmailError as exc:
        _platform_failed(request, exc)
    else:
        if counts.failed:
            # The sentence for people, not the broken reply the exception carries.
            reason = (
                platform_error_message(counts.exception)
                if isinstance(counts.exception, UmailError)
                else counts.errors[0]
            )
            messages.warning(request, _("Some days could not be fetched: %(e)s") % {"e": reason})
        else:
            messages.success(request, _("Statistics fetched from the platform."))
    from .tasks import analytics_days_sync_task, analytics_sync_due_task

    account_id = request.account.pk
    enqueue_on_commit(lambda: analytics_days_sync_task.delay(account_id), what="a days sync")
    enqueue_on_commit(analytics_sync_due_task.delay, what="a campaign statistics sync")
    return redirect(safe_next(request, "analytics:index"))


@account_required
@errors_as_messages("analytics:index", extra=SHOWING_LAST)
def day_failures_export_view(request):
    form = DayFailureExportForm(request.GET)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("analytics:index")
    data = form.cleaned_data
    client, rows = services.failures_export(
        account=request.account, fail_type=data["type"], source=data["source"], day=data["date"]
    )
    return export_response(
        _failure_rows(rows),
        fmt=data["fmt"],
        filename=f"failures-{data['date'].isoformat()}",
        header=[_("E-mail"), _("Failure type"), _("Type code"), _("Statistics task id")],
        on_close=client.close,
    )


def _failure_rows(rows):
    for item in rows:
        label = FAIL_TYPE_LABELS.get(item.type, "") if item.type else ""
        yield (item.email, str(label), item.type or "", item.task_id or "")


# -- campaign report ------------------------------------------------------------------------------


@account_required
def report_view(request, pk: int):
    report = _report(request, pk)
    view = selectors.report_view(report=report)
    links = LinkTable(view.links, clickers=report.click_unique)
    return render(
        request,
        "analytics/report.html",
        {
            "report": report,
            "campaign": report.campaign,
            "view": view,
            "links_table": links,
            "growth": selectors.growth_series(view.points),
            "siblings": selectors.ab_siblings(report=report),
            # Two forms with the same field names on one page: distinct ids for the labels.
            "failure_form": FailureExportForm(auto_id="failures_%s"),
            "tracked_form": TrackedExportForm(links=view.links, auto_id="tracked_%s"),
            "opens_latest": selectors.latest_fetch(report=report, kind=DetailFetch.Kind.OPENS),
            "clicks_latest": selectors.latest_fetch(report=report, kind=DetailFetch.Kind.CLICKS),
            "hygiene": HygieneRun.objects.filter(report=report).first(),
        },
    )


@account_required
@require_POST
def report_refresh_view(request, pk: int):
    report = _report(request, pk)
    counts = services.report_sync(report=report)
    report.refresh_from_db()
    if counts.failed:
        messages.error(
            request,
            _("The statistics could not be fetched: %(e)s Showing the last data fetched.")
            % {"e": stored_error_message(report.last_error)},
        )
    else:
        messages.success(request, _("Statistics fetched from the platform."))
    return redirect("analytics:report", pk=pk)


@account_required
@require_POST
def detail_fetch_view(request, pk: int, kind: str):
    if kind not in DetailFetch.Kind.values:
        raise Http404("unknown detail")
    report = _report(request, pk)
    if not report.campaign.track_status or (
        kind == DetailFetch.Kind.CLICKS and report.campaign.track_status != 2
    ):
        messages.error(request, _("This campaign does not track that."))
    else:
        services.detail_request(report=report, kind=kind, user=request.user)
        messages.info(
            request, _("Downloading from the platform; this page updates when it is done.")
        )
    return redirect(reverse("analytics:report", args=[pk]) + f"#{kind}")


@account_required
def detail_status_view(request, pk: int, kind: str):
    """The state of the latest download (htmx polls it while it runs)."""
    if kind not in DetailFetch.Kind.values:
        raise Http404("unknown detail")
    campaign = _campaign(request, pk)
    report = get_object_or_404(selectors.reports_for(account=request.account), campaign=campaign)
    return render(
        request,
        "analytics/_detail_status.html",
        {
            "campaign": campaign,
            "kind": kind,
            "latest": selectors.latest_fetch(report=report, kind=kind),
            "current": selectors.current_fetch(report=report, kind=kind),
        },
    )


def _records(request, report, kind):
    fetch = selectors.current_fetch(report=report, kind=kind)
    model = OpenRecord if kind == DetailFetch.Kind.OPENS else ClickRecord
    # The platform's order (by first open or click), which is the order the rows were stored in.
    qs = model.objects.filter(fetch=fetch).order_by("id") if fetch else model.objects.none()
    return fetch, qs


@account_required
def detail_table_view(request, pk: int, kind: str):
    if kind not in DetailFetch.Kind.values:
        raise Http404("unknown detail")
    campaign = _campaign(request, pk)
    report = get_object_or_404(selectors.reports_for(account=request.account), campaign=campaign)
    fetch, qs = _records(request, report, kind)
    filter_class = OpenRecordFilter if kind == DetailFetch.Kind.OPENS else ClickRecordFilter
    table_class = OpenRecordTable if kind == DetailFetch.Kind.OPENS else ClickRecordTable
    filterset = filter_class(request.GET, queryset=qs)
    table = table_class(filterset.qs)
    RequestConfig(request, paginate={"per_page": 50, "paginator_class": LazyPaginator}).configure(
        table
    )
    return render(
        request,
        "analytics/detail.html",
        {
            "campaign": campaign,
            "report": report,
            "kind": kind,
            "fetch": fetch,
            "latest": selectors.latest_fetch(report=report, kind=kind),
            "filter": filterset,
            "table": table,
        },
    )


@account_required
def detail_export_view(request, pk: int, kind: str, fmt: str):
    if kind not in DetailFetch.Kind.values or fmt not in FORMATS:
        raise Http404("unknown export")
    campaign = _campaign(request, pk)
    report = get_object_or_404(selectors.reports_for(account=request.account), campaign=campaign)
    fetch, qs = _records(request, report, kind)
    if fetch is None:
        messages.error(request, _("Download the detail from the platform first."))
        return redirect("analytics:report", pk=pk)
    if kind == DetailFetch.Kind.OPENS:
        qs = OpenRecordFilter(request.GET, queryset=qs).qs
        columns = OpenRecordTable.Meta.fields
    else:
        qs = ClickRecordFilter(request.GET, queryset=qs).qs
        columns = ClickRecordTable.Meta.fields
    model = qs.model
    header = [str(model._meta.get_field(c).verbose_name) for c in columns]
    rows = (
        [_cell(v) for v in values]
        for values in qs.order_by("id").values_list(*columns).iterator(chunk_size=5000)
    )
    return export_response(rows, fmt=fmt, filename=f"{kind}-{campaign.pk}", header=header)


def _cell(value):
    if isinstance(value, dt.datetime):
        from django.utils import timezone

        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    return value


@account_required
@errors_as_messages("analytics:report", extra=SHOWING_LAST)
def failures_export_view(request, pk: int):
    report = _report(request, pk)
    form = FailureExportForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("Pick a failure type and formats."))
        return redirect("analytics:report", pk=pk)
    data = form.cleaned_data
    client, rows = services.failures_export(
        account=request.account, fail_type=data["type"], source=data["source"], report=report
    )
    suffix = "all" if data["type"] == -1 else str(data["type"])
    return export_response(
        _failure_rows(rows),
        fmt=data["fmt"],
        filename=f"failures-{report.campaign_id}-{suffix}",
        header=[_("E-mail"), _("Failure type"), _("Type code"), _("Statistics task id")],
        on_close=client.close,
    )


@account_required
@errors_as_messages("analytics:report", extra=SHOWING_LAST)
def tracked_export_view(request, pk: int):
    report = _report(request, pk)
    form = TrackedExportForm(request.GET, links=selectors.report_view(report=report).links)
    if not form.is_valid():
        messages.error(request, _("Pick what to export."))
        return redirect("analytics:report", pk=pk)
    data = form.cleaned_data
    client, export = services.tracked_export(
        report=report,
        clickers_only=data["who"] == "clickers",
        link_id=data["link"],
    )
    return export_response(
        iter(export),
        fmt=data["fmt"],
        filename=f"tracked-{report.campaign_id}",
        header=export.header,
        on_close=client.close,
    )


# -- list hygiene ---------------------------------------------------------------------------------


@account_required
def hygiene_view(request):
    account = request.account
    conf = selectors.hygiene_settings_for(account=account)
    if request.method == "POST":
        if not request.membership or not _may_edit(request):
            messages.error(request, _("Only editors and above can change list hygiene."))
            return redirect("analytics:hygiene")
        form = HygieneSettingsForm(request.POST, instance=conf)
        if form.is_valid():
            services.hygiene_update_settings(
                account=account,
                user=request.user,
                enabled=form.cleaned_data["enabled"],
                remove_from_lists=form.cleaned_data["remove_from_lists"],
            )
            messages.success(request, _("List hygiene settings saved."))
            return redirect("analytics:hygiene")
    else:
        form = HygieneSettingsForm(instance=conf or HygieneSettings(account=account))
    table = HygieneRunTable(selectors.hygiene_runs_for(account=account))
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    return render(request, "analytics/hygiene.html", {"form": form, "table": table})


def _may_edit(request) -> bool:
    from apps.accounts.decorators import role_allows

    return role_allows(request.membership.role, EDITOR)


@account_required
def hygiene_run_view(request, run_pk: int):
    run = get_object_or_404(
        HygieneRun.objects.select_related("report__campaign"), pk=run_pk, account=request.account
    )
    items = HygieneItem.objects.filter(run=run)
    action = request.GET.get("action")
    if action in HygieneItem.Action.values:
        items = items.filter(action=action)
    table = HygieneItemTable(items)
    RequestConfig(request, paginate={"per_page": 100}).configure(table)
    return render(
        request,
        "analytics/hygiene_run.html",
        {"run": run, "table": table, "actions": HygieneItem.Action.choices, "action": action},
    )


@account_required(role=EDITOR)
@require_POST
def hygiene_rerun_view(request, pk: int):
    report = _report(request, pk)
    if not services.campaign_ended(report.campaign):
        messages.error(request, _("List hygiene runs once the campaign has finished."))
    else:
        services.hygiene_start(report=report, force=True)
        messages.info(request, _("List hygiene started for this campaign."))
    return redirect("analytics:report", pk=pk)
