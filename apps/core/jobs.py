"""BackgroundJob: what the portal's job rows (imports, resends, detail downloads, hygiene runs,
full resyncs) share: an error and an end time, and the two moves every worker makes: claiming
the job (one conditional UPDATE, so a redelivered message or a second worker does nothing) and
failing it (the error kept for the page, translated when shown)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ERROR_MAX = 2000


class BackgroundJob(models.Model):
    #: The name of the job's state field (its choices are the job's own).
    STATE_FIELD = "state"
    FAILED = "failed"

    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        abstract = True

    @classmethod
    def claim(cls, pk, *, from_states: Iterable[str], to_state: str, **updates) -> bool:
        """Move the job from one of `from_states` to `to_state` (with `updates`) in one UPDATE;
        False when it was not in one of them (another worker, or a message delivered twice)."""
        field = cls.STATE_FIELD
        return bool(
            cls.objects.filter(pk=pk, **{f"{field}__in": list(from_states)}).update(
                **{field: to_state}, **updates
            )
        )

    @classmethod
    def fail(cls, pk, error, *, only_from: Iterable[str] | None = None) -> bool:
        """Mark the job failed with `error` (a stored msgid or the exception's text) and its end
        time; with `only_from`, only a job still in one of those states."""
        rows = cls.objects.filter(pk=pk)
        if only_from is not None:
            rows = rows.filter(**{f"{cls.STATE_FIELD}__in": list(only_from)})
        return bool(
            rows.update(
                **{cls.STATE_FIELD: cls.FAILED},
                error=str(error)[:ERROR_MAX],
                finished_at=timezone.now(),
            )
        )
