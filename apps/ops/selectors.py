"""Reads for operations pages: local rows, plus what the broker and workers say about queues."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings

from apps.core import registry

from .models import FailedTask, Heartbeat, ResyncJob

logger = logging.getLogger(__name__)


def resync_jobs(*, account, limit: int = 10) -> list[ResyncJob]:
    return list(ResyncJob.objects.filter(account=account).select_related("requested_by")[:limit])


def steps() -> list[registry.ResyncStep]:
    return registry.resync_steps()


@dataclass
class QueueOverview:
    broker: str
    queues: dict[str, int] = field(default_factory=dict)  # name -> messages waiting
    unacked: int | None = None  # Redis: delivered to a worker, not yet acknowledged
    workers: dict[str, int] | None = None  # node -> tasks running; None: nobody answered
    heartbeat: Heartbeat | None = None
    error: str = ""
    unresolved_failures: int = 0


def queue_overview(*, inspect_timeout: float = 1.0) -> QueueOverview:
    """Queue depth via kombu and the workers' own answer; never raises (the broker may be down)."""
    from edmportal.celery import app

    overview = QueueOverview(broker=app.conf.broker_url.split("://", 1)[0])
    overview.heartbeat = Heartbeat.objects.filter(name="beat").first()
    overview.unresolved_failures = FailedTask.objects.filter(resolved=False).count()
    names = {settings.CELERY_TASK_DEFAULT_QUEUE}
    names.update(q.name for q in (app.amqp.queues or {}).values())
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            channel = conn.default_channel
            for name in sorted(names):
                # A non-passive declare is what every worker does anyway; a passive one fails
                # for an empty Redis queue (the list does not exist then).
                overview.queues[name] = channel.queue_declare(queue=name).message_count
            client = getattr(channel, "client", None)
            unacked_key = getattr(channel, "unacked_key", None)
            if client is not None and unacked_key:
                overview.unacked = client.hlen(unacked_key)
    except Exception as exc:
        overview.error = f"{type(exc).__name__}: {exc}"[:300]
        return overview
    try:
        active = app.control.inspect(timeout=inspect_timeout).active()
    except Exception as exc:  # workers may be unreachable while the broker answers
        logger.info("inspect failed: %s", exc)
        active = None
    if active:
        overview.workers = {node: len(tasks or []) for node, tasks in sorted(active.items())}
    return overview
