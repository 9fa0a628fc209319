"""Open and click detail (§3.2 / §3.3): downloads stored as rows for the report pages."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.accounts.clients import client_for_account
from apps.core.queue import QUEUE_DOWN, enqueue_on_commit
from apps.umail.errors import UmailError

from ..models import (
    CampaignReport,
    DetailFetch,
)
from ._common import logger

# -- open and click detail (§3.2 / §3.3) ----------------------------------------------------------


def detail_request(*, report: CampaignReport, kind: str, user=None) -> DetailFetch:
    """A new download of the detail, unless one is already waiting or running (idempotent)."""
    busy = DetailFetch.objects.filter(
        report=report, kind=kind, state__in=[DetailFetch.State.PENDING, DetailFetch.State.RUNNING]
    ).first()
    if busy is not None:
        return busy
    fetch = DetailFetch.objects.create(
        account=report.account, report=report, kind=kind, requested_by=user
    )
    from ..tasks import detail_fetch_task

    enqueue_on_commit(
        lambda: detail_fetch_task.delay(fetch.pk),
        what=f"the {kind} download of report {report.pk}",
        on_failure=lambda exc: DetailFetch.fail(fetch.pk, QUEUE_DOWN),
    )
    return fetch


def detail_fetch(*, fetch_id: int) -> DetailFetch | None:
    """Download and store one detail fetch; its rows become visible only if the whole reply
    was read (they are written in one transaction), and older fetches are then dropped."""
    from .. import detail_store

    with transaction.atomic():
        fetch = (
            DetailFetch.objects.select_for_update()
            .filter(pk=fetch_id, state=DetailFetch.State.PENDING)
            .first()
        )
        if fetch is None:
            return None  # done, failed, or being run by another worker
        fetch.state = DetailFetch.State.RUNNING
        fetch.started_at = timezone.now()
        fetch.save(update_fields=["state", "started_at"])
    report = CampaignReport.objects.select_related("campaign", "account").get(pk=fetch.report_id)
    campaign = report.campaign
    try:
        with client_for_account(report.account) as client:
            store = (
                detail_store.store_openers
                if fetch.kind == DetailFetch.Kind.OPENS
                else detail_store.store_clicks
            )
            rows = store(fetch, client, send_id=campaign.platform_id)
    except (UmailError, ValueError) as exc:
        DetailFetch.fail(fetch.pk, exc)
        logger.warning("§3 detail %s of campaign %s failed: %s", fetch.kind, campaign.pk, exc)
        fetch.refresh_from_db()
        return fetch
    DetailFetch.objects.filter(pk=fetch.pk).update(
        state=DetailFetch.State.DONE,
        rows=rows,
        summary=detail_store.summarise(fetch),
        finished_at=timezone.now(),
    )
    detail_store.drop_older(fetch)
    fetch.refresh_from_db()
    return fetch
