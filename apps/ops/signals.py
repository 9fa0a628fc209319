"""Celery signals: failed jobs recorded, request ids carried into tasks, JSON worker logs."""

from __future__ import annotations

import logging
import traceback as tb

from celery import signals
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from apps.umail.redaction import redact, scrub_exception_chain

from .context import request_id_var, task_var

logger = logging.getLogger(__name__)

_tokens: dict[str, tuple] = {}


def _jsonable(value):
    """Task arguments as JSON (they came as JSON, but be safe with eager or pickled calls)."""
    import json

    try:
        return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    except (TypeError, ValueError):
        return repr(value)


def record_task_failure(sender=None, task_id=None, exception=None, args=None, kwargs=None,
                        traceback=None, einfo=None, **_):  # fmt: skip
    from .models import FailedTask

    request = getattr(sender, "request", None)
    # The chain may repeat a URL with the legacy API's password=<md5>: scrub it, then the text.
    scrub_exception_chain(exception)
    if einfo is not None:
        scrub_exception_chain(getattr(einfo, "exception", None))
    try:
        FailedTask.objects.create(
            task_id=task_id or "",
            task_name=getattr(sender, "name", "") or "",
            args=_jsonable(list(args or [])),
            kwargs=_jsonable(dict(kwargs or {})),
            exception_type=type(exception).__name__ if exception else "",
            exception_message=redact(str(exception))[:5000],
            traceback=redact(_traceback_text(exception, einfo, traceback))[:20000],
            worker=getattr(request, "hostname", "") or "",
            request_id=getattr(request, "request_id", "") or "",
        )
    except Exception:  # recording must never hide the original failure
        logger.exception("could not record the failure of task %s", task_id)


def _traceback_text(exception, einfo, traceback) -> str:
    if exception is not None:
        # The whole chain, formatted after scrubbing (einfo's text was formatted before).
        return "".join(tb.format_exception(type(exception), exception, exception.__traceback__))
    return str(einfo) if einfo else "".join(tb.format_tb(traceback))


def add_request_id_header(sender=None, headers=None, **_):
    request_id = request_id_var.get()
    if headers is not None and request_id != "-":
        headers.setdefault("request_id", request_id)


def enter_task(task_id=None, task=None, **_):
    request_id = getattr(task.request, "request_id", None) or "-"
    _tokens[task_id] = (request_id_var.set(request_id), task_var.set((task_id, task.name)))


def leave_task(task_id=None, **_):
    tokens = _tokens.pop(task_id, None)
    if tokens:
        request_id_var.reset(tokens[0])
        task_var.reset(tokens[1])


def json_worker_logs(logger=None, **_):
    """Celery sets up its own handlers in workers and beat; give them the project's format."""
    from .logging import JsonFormatter, RedactFilter, RequestIdFilter

    if logger is None:
        return
    for handler in logger.handlers:
        handler.addFilter(RedactFilter())  # in every format: no credential in a worker's log
        if settings.LOG_FORMAT == "json":
            handler.setFormatter(JsonFormatter())
            handler.addFilter(RequestIdFilter())


def connect() -> None:
    signals.task_failure.connect(record_task_failure, weak=False, dispatch_uid="ops-failure")
    signals.before_task_publish.connect(
        add_request_id_header, weak=False, dispatch_uid="ops-request-id"
    )
    signals.task_prerun.connect(enter_task, weak=False, dispatch_uid="ops-enter")
    signals.task_postrun.connect(leave_task, weak=False, dispatch_uid="ops-leave")
    signals.after_setup_logger.connect(json_worker_logs, weak=False, dispatch_uid="ops-log")
    signals.after_setup_task_logger.connect(
        json_worker_logs, weak=False, dispatch_uid="ops-task-log"
    )
