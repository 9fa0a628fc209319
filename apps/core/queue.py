"""Queueing background work once the database has committed, without losing it to a broker
that is down: the failure is recorded where the marketer sees it (a job's error, a "try again"
button) instead of turning the page into a 500 with the job stuck in a state nobody resumes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext_noop

logger = logging.getLogger(__name__)

QUEUE_DOWN = gettext_noop(
    "The job queue could not be reached; nothing was started. Please try again."
)


def enqueue_on_commit(
    send: Callable[[], object],
    *,
    what: str,
    on_failure: Callable[[Exception], object] | None = None,
) -> None:
    """Run `send()` (e.g. `task.delay(job.pk)`) after the commit; if publishing fails, log it
    and call `on_failure(exc)`, which must leave the work in a state that can be started again
    (none for work the next beat tick redoes anyway)."""

    def run() -> None:
        try:
            send()
        except Exception as exc:  # kombu's OperationalError, a timeout, a refused connection
            logger.error("could not queue %s: %s", what, exc)
            if on_failure is not None:
                on_failure(exc)

    transaction.on_commit(run)
