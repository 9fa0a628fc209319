"""Log records with request ids, and a JSON formatter (one object per line) for log collectors.

Selected in settings with DJANGO_LOG_FORMAT=json (the default in production).
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from apps.umail.redaction import redact, scrub_exception_chain

from .context import request_id_var, task_var

# Attributes every LogRecord has; anything else was passed with `extra=` and goes into the JSON.
_STANDARD = set(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "request_id", "task_id", "task_name"}
)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (and, inside a Celery task, `task_id`/`task_name`) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        task = task_var.get()
        if task is not None and not hasattr(record, "task_id"):
            record.task_id, record.task_name = task
        return True


class RedactFilter(logging.Filter):
    """Takes credentials out of the message and the traceback before any formatter sees them:
    the exception chain is scrubbed and its text formatted here (formatters reuse exc_text)."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken %-format: leave it to logging's own error report
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            scrub_exception_chain(record.exc_info[1])
            record.exc_text = redact(self._formatter.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        for key in ("task_id", "task_name"):
            if getattr(record, key, None):
                payload[key] = getattr(record, key)
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            # RedactFilter left the scrubbed text in exc_text; never format it again unscrubbed.
            payload["exc_info"] = redact(record.exc_text or self.formatException(record.exc_info))
        if record.stack_info:
            payload["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(payload, ensure_ascii=False, default=str)
