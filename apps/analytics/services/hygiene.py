"""List hygiene after a campaign: the report's hard failures and the list's unsubscribes go
to contacts' suppression list and (optionally) out of the list, through contacts' services."""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils import timezone

from apps.accounts.clients import client_for_account
from apps.contacts import services as contacts
from apps.contacts.models import Suppression
from apps.core.queue import QUEUE_DOWN, enqueue_on_commit
from apps.umail.errors import PlatformRejected, UmailError
from apps.umail.stats import ALL_FAILURES, HARD_FAILURES
from apps.umail.times import parse_platform_time

from ..models import (
    CampaignReport,
    HygieneItem,
    HygieneRun,
    HygieneSettings,
)
from ._common import HYGIENE_REMOVE_BATCH, logger

# -- list hygiene ---------------------------------------------------------------------------------


def hygiene_settings(*, account) -> HygieneSettings:
    found, _ = HygieneSettings.objects.get_or_create(account=account)
    return found


def hygiene_update_settings(*, account, user, enabled: bool, remove_from_lists: bool):
    from apps.core.audit import record

    found = hygiene_settings(account=account)
    found.enabled = enabled
    found.remove_from_lists = remove_from_lists
    found.save()
    record(
        account=account,
        user=user,
        action="analytics.hygiene.settings",
        target="list hygiene",
        detail={"enabled": enabled, "remove_from_lists": remove_from_lists},
    )
    return found


def hygiene_start(*, report: CampaignReport, force: bool = False) -> HygieneRun | None:
    """The hygiene run of an ended campaign (one per campaign; `force` runs it again)."""
    conf = hygiene_settings(account=report.account)
    if not conf.enabled and not force:
        return None
    campaign = report.campaign
    run, created = HygieneRun.objects.get_or_create(
        report=report,
        defaults={
            "account": report.account,
            "list_id": campaign.list_id,
            "list_name": campaign.list_name,
            "remove_enabled": conf.remove_from_lists,
        },
    )
    if not created and not force:
        return run
    if not created:
        if run.busy and run.state != HygieneRun.State.PENDING:
            return run
        HygieneRun.objects.filter(pk=run.pk).update(
            state=HygieneRun.State.PENDING,
            remove_enabled=conf.remove_from_lists,
            error="",
            finished_at=None,
        )
    from ..tasks import hygiene_collect_task

    enqueue_on_commit(
        lambda: hygiene_collect_task.delay(run.pk),
        what=f"list hygiene {run.pk}",
        on_failure=lambda exc: _hygiene_not_queued(run.pk),
    )
    return run


def _hygiene_not_queued(run_id: int) -> None:
    """Failed (so that "Run list hygiene again" starts it afresh: every step is idempotent)."""
    HygieneRun.fail(run_id, QUEUE_DOWN)


def _unsubscribed_since(client, list_id: int, since: dt.datetime | None) -> list[str]:
    found = []
    for when, email in client.contacts.export_unsubscribes(list_id):
        moment = parse_platform_time(when) if when else None
        if email and "@" in email and (since is None or moment is None or moment >= since):
            found.append(email.strip())
    return found


def _recount(run: HygieneRun) -> None:
    items = HygieneItem.objects.filter(run=run)
    A, R = HygieneItem.Action, HygieneItem.Reason
    HygieneRun.objects.filter(pk=run.pk).update(
        hard_failures=items.filter(reason=R.HARD_FAILURE).count(),
        unsubscribes=items.filter(reason=R.UNSUBSCRIBE).count(),
        removed=items.filter(action=A.REMOVED).count(),
        not_in_list=items.filter(reason=R.HARD_FAILURE, action=A.NOT_IN_LIST).count(),
        remove_failed=items.filter(action=A.REMOVE_FAILED).count(),
    )


def hygiene_collect(*, run_id: int) -> HygieneRun | None:
    """Collect the campaign's hard failures (§2.3.2) and the list's unsubscribes since it
    started (§4.7), put them on the suppression list, and queue the removals if switched on."""

    updated = HygieneRun.objects.filter(
        pk=run_id, state__in=[HygieneRun.State.PENDING, HygieneRun.State.FAILED]
    ).update(
        state=HygieneRun.State.COLLECTING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not updated:
        return None
    run = HygieneRun.objects.select_related("report__campaign", "account").get(pk=run_id)
    report, campaign = run.report, run.report.campaign
    if not report.stat_task_id:  # a local precondition, not a platform failure
        HygieneRun.fail(run.pk, "The campaign's statistics task id is not known yet.")
        return HygieneRun.objects.get(pk=run.pk)
    try:
        with client_for_account(run.account) as client:
            hard: dict[str, int] = {}
            failures = client.stats.iter_failures(
                task_id=report.stat_task_id, fail_type=ALL_FAILURES
            )
            for item in failures:
                if item.type in HARD_FAILURES:
                    hard.setdefault(item.email.lower(), item.type)
            unsubscribed = (
                _unsubscribed_since(client, run.list_id, campaign.time_start) if run.list_id else []
            )
    except UmailError as exc:
        HygieneRun.fail(run.pk, exc)
        logger.warning("hygiene of campaign %s failed: %s", campaign.pk, exc)
        return HygieneRun.objects.get(pk=run.pk)
    A, R = HygieneItem.Action, HygieneItem.Reason
    new = contacts.suppression_add_many(
        account=run.account,
        emails=list(hard),
        reason=Suppression.Reason.HARD_BOUNCE,
        source="analytics",
        list_id=run.list_id,
    )
    new += contacts.suppression_add_many(
        account=run.account,
        emails=unsubscribed,
        reason=Suppression.Reason.UNSUBSCRIBE,
        source="analytics",
        list_id=run.list_id,
    )
    remove = run.remove_enabled and run.list_id is not None
    items = [
        HygieneItem(
            run=run,
            email=email,
            reason=R.HARD_FAILURE,
            fail_type=code,
            action=A.TO_REMOVE if remove else A.SUPPRESSED,
        )
        for email, code in hard.items()
    ]
    # The platform took unsubscribes out of the list itself (§4.14).
    items += [
        HygieneItem(run=run, email=e.lower(), reason=R.UNSUBSCRIBE, action=A.NOT_IN_LIST)
        for e in dict.fromkeys(unsubscribed)
    ]
    HygieneItem.objects.bulk_create(items, ignore_conflicts=True, batch_size=2000)
    pending = HygieneItem.objects.filter(run=run, action=A.TO_REMOVE).exists()
    HygieneRun.objects.filter(pk=run.pk).update(
        suppressed_new=F("suppressed_new") + new,
        state=HygieneRun.State.REMOVING if pending else HygieneRun.State.DONE,
        finished_at=None if pending else timezone.now(),
    )
    _recount(run)
    if pending:
        from ..tasks import hygiene_remove_task

        enqueue_on_commit(
            lambda: hygiene_remove_task.delay(run.pk),
            what=f"the removals of list hygiene {run.pk}",
            on_failure=lambda exc: _hygiene_not_queued(run.pk),
        )
    return HygieneRun.objects.get(pk=run.pk)


def hygiene_remove(*, run_id: int, batch: int = HYGIENE_REMOVE_BATCH) -> tuple[HygieneRun, bool]:
    """Remove one bounded batch of a run's hard failures from the list (§4.8 finds the
    address, §4.11 deletes it); returns (run, more to do). A platform that cannot be reached
    stops the batch: what is left is tried again later."""
    run = HygieneRun.objects.select_related("account").get(pk=run_id)
    if run.state != HygieneRun.State.REMOVING:
        return run, False
    A = HygieneItem.Action
    items = list(HygieneItem.objects.filter(run=run, action=A.TO_REMOVE).order_by("id")[:batch])
    stop: UmailError | None = None
    for item in items:
        try:
            removed = contacts.address_remove_by_email(
                account=run.account, user=None, list_id=run.list_id, email=item.email
            )
            item.action = A.REMOVED if removed else A.NOT_IN_LIST
            item.detail = ""
        except PlatformRejected as exc:
            item.action = A.REMOVE_FAILED
            item.detail = str(exc)[:500]
        except UmailError as exc:
            stop = exc
            break
        item.save(update_fields=["action", "detail"])
    _recount(run)
    more = HygieneItem.objects.filter(run=run, action=A.TO_REMOVE).exists()
    if not more:
        HygieneRun.objects.filter(pk=run.pk).update(
            state=HygieneRun.State.DONE, finished_at=timezone.now(), error=""
        )
    else:  # the reason a batch stopped, until one goes through
        HygieneRun.objects.filter(pk=run.pk).update(error=str(stop)[:2000] if stop else "")
    run.refresh_from_db()
    return run, more


def suppressed_in_list(*, account, list_id: int) -> int:
    """Hard failures of earlier campaigns to this list that hygiene left in it (removal off or
    failed), as far as the portal knows: for the campaign review step's warning."""
    return (
        HygieneItem.objects.filter(
            run__account=account,
            run__list_id=list_id,
            reason=HygieneItem.Reason.HARD_FAILURE,
            action__in=[HygieneItem.Action.SUPPRESSED, HygieneItem.Action.REMOVE_FAILED],
        )
        .values("email")
        .distinct()
        .count()
    )
