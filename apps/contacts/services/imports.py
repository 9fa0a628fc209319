"""File imports: a small state machine on ImportJob; each step checks the state it expects,
so a redelivered task or a restarted worker changes nothing."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.clients import client_for_account
from apps.core.audit import audited
from apps.core.queue import QUEUE_DOWN, enqueue_on_commit
from apps.umail.errors import UmailError

from .. import importing
from ..models import ImportJob, MailList
from ._common import (
    BATCH_LIMIT,
    POLL_FACTOR,
    POLL_FIRST_SECONDS,
    POLL_GIVE_UP_SECONDS,
    POLL_MAX_SECONDS,
    logger,
)
from .lists import _refresh_list

# -- imports --------------------------------------------------------------------------------------


def import_dir(account) -> Path:
    folder = Path(settings.MEDIA_ROOT) / "contacts-imports" / str(account.pk)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _remove(*paths: str) -> None:
    for path in paths:
        if path:
            Path(path).unlink(missing_ok=True)


def import_create(*, account, user, maillist: MailList, uploaded) -> ImportJob:
    """Store the upload and look at it (format, encoding, columns); raises ImportFileError."""
    if uploaded.size > settings.CONTACTS_IMPORT_MAX_BYTES:
        raise importing.ImportFileError(
            _("The file is larger than %(limit)s MB.")
            % {"limit": settings.CONTACTS_IMPORT_MAX_BYTES // 2**20}
        )
    folder = import_dir(account)
    token = uuid.uuid4().hex
    suffix = Path(uploaded.name).suffix.lower()[:8]
    stored = folder / f"{token}{suffix}"
    with stored.open("wb") as out:
        for chunk in uploaded.chunks():
            out.write(chunk)
    try:
        sniffed = importing.sniff(stored, var_labels=maillist.var_labels)
    except importing.ImportFileError:
        stored.unlink(missing_ok=True)  # a refused file leaves nothing behind
        raise
    return ImportJob.objects.create(
        account=account,
        user=user if user and user.is_authenticated else None,
        list_platform_id=maillist.platform_id,
        list_subject=maillist.subject,
        original_name=Path(uploaded.name).name[:255],
        size=uploaded.size,
        stored_file=str(stored),
        file_format=sniffed.file_format,
        encoding=sniffed.encoding,
        delimiter=sniffed.delimiter,
        has_header=sniffed.has_header,
        mapping=sniffed.mapping,
    )


def import_sniffed(job: ImportJob) -> importing.Sniffed:
    """The preview of the stored file with the job's current settings."""
    maillist = MailList.objects.filter(
        account=job.account, platform_id=job.list_platform_id
    ).first()
    return importing.sniff(
        Path(job.stored_file), var_labels=maillist.var_labels if maillist else {}
    )


def import_configure(*, job: ImportJob, mapping: list[str], has_header: bool) -> ImportJob:
    """The marketer's column mapping: start local validation (in the background)."""
    from ..tasks import contacts_import_validate_task

    updated = ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.UPLOADED).update(
        mapping=mapping,
        has_header=has_header,
        state=ImportJob.State.VALIDATING,
        bytes_done=0,
        error="",
    )
    if updated:
        # The broker down: back to the mapping step (the marketer submits it again).
        enqueue_on_commit(
            lambda: contacts_import_validate_task.delay(job.pk),
            on_failure=lambda exc: ImportJob.objects.filter(
                pk=job.pk, state=ImportJob.State.VALIDATING, bytes_done=0
            ).update(state=ImportJob.State.UPLOADED),
            what=f"validation of import {job.pk}",
        )
    job.refresh_from_db()
    return job


def import_validate(*, job_id: int) -> ImportJob | None:
    """Local validation and conversion (the fast pipeline); no platform call."""
    job = ImportJob.objects.filter(pk=job_id, state=ImportJob.State.VALIDATING).first()
    if job is None:
        return None
    from ..selectors import suppressed_keys

    folder = Path(job.stored_file).parent
    converted = folder / f"{Path(job.stored_file).stem}.platform.txt"
    rejects = folder / f"{Path(job.stored_file).stem}.rejects.csv"
    sniffed = importing.Sniffed(
        file_format=job.file_format,
        encoding=job.encoding,
        delimiter=job.delimiter,
        has_header=job.has_header,
    )

    def progress(rows: int, position: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(bytes_done=position, rows_total=rows)

    try:
        result = importing.prepare(
            Path(job.stored_file),
            sniffed,
            mapping=list(job.mapping),
            out_path=converted,
            rejects_path=rejects,
            suppressed=suppressed_keys(account=job.account),
            progress=progress,
        )
    except (importing.ImportFileError, OSError, UnicodeDecodeError) as exc:
        _remove(str(converted))
        # An OSError names the server's path: shown to nobody (logged for operators).
        error = str(exc)
        if isinstance(exc, OSError):
            logger.warning("import %s: %s", job.pk, exc)
            error = _("The stored file could not be read. Please upload it again.")
        ImportJob.fail(job.pk, error)
        return ImportJob.objects.get(pk=job.pk)
    fields = dict(
        rows_total=result.total,
        rows_good=result.good,
        rows_invalid=result.invalid,
        rows_duplicate=result.duplicate,
        rows_suppressed=result.suppressed,
        bytes_done=job.size,
        converted_file=str(converted),
        rejects_file=str(rejects),
        validated_at=timezone.now(),
        state=ImportJob.State.VALIDATED,
    )
    if result.good == 0:
        fields.update(
            state=ImportJob.State.FAILED,
            error=_(
                "No row has a valid, new address: nothing was sent to the platform. "
                "Download the rejected rows to see why."
            ),
            finished_at=timezone.now(),
        )
        _remove(str(converted))
        fields["converted_file"] = ""
    ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.VALIDATING).update(**fields)
    return ImportJob.objects.get(pk=job.pk)


def import_confirm(*, job: ImportJob, user) -> bool:
    """The marketer confirms the counts: send to the platform (in the background)."""
    from ..tasks import contacts_import_upload_task

    updated = (
        ImportJob.objects.filter(
            pk=job.pk,
            state__in=[ImportJob.State.VALIDATED, ImportJob.State.FAILED],
            platform_import_id__isnull=True,
        )
        .exclude(converted_file="")
        .update(state=ImportJob.State.UPLOADING, error="")
    )
    if updated:
        # The broker down: the job says so and offers "send again" (nothing was sent).
        enqueue_on_commit(
            lambda: contacts_import_upload_task.delay(job.pk),
            on_failure=lambda exc: ImportJob.objects.filter(
                pk=job.pk, state=ImportJob.State.UPLOADING, platform_import_id__isnull=True
            ).update(state=ImportJob.State.FAILED, error=_(QUEUE_DOWN)),
            what=f"upload of import {job.pk}",
        )
    return bool(updated)


def import_cancel(*, job: ImportJob) -> bool:
    updated = ImportJob.objects.filter(
        pk=job.pk,
        state__in=[ImportJob.State.UPLOADED, ImportJob.State.VALIDATED, ImportJob.State.FAILED],
    ).update(state=ImportJob.State.CANCELLED, finished_at=timezone.now())
    if updated:
        _remove(job.stored_file, job.converted_file)
        ImportJob.objects.filter(pk=job.pk).update(stored_file="", converted_file="")
    return bool(updated)


def _schedule_poll(job: ImportJob, *, delay: float, new_chain: bool = False) -> None:
    from ..tasks import contacts_import_poll_task

    if new_chain:
        ImportJob.objects.filter(pk=job.pk).update(poll_token=F("poll_token") + 1)
    job.refresh_from_db(fields=["poll_token"])
    next_at = timezone.now() + timezone.timedelta(seconds=delay)
    ImportJob.objects.filter(pk=job.pk).update(next_poll_at=next_at)
    token = job.poll_token
    transaction.on_commit(
        lambda: contacts_import_poll_task.apply_async((job.pk, token), countdown=delay)
    )


def import_upload(*, job_id: int) -> ImportJob | None:
    """Send the converted file: ≤ 500 rows through §4.9.2, more as one streamed §4.9.3 upload."""
    job = ImportJob.objects.filter(
        pk=job_id, state=ImportJob.State.UPLOADING, platform_import_id__isnull=True
    ).first()
    if job is None:
        return None
    account = job.account
    converted = Path(job.converted_file)
    try:
        if job.rows_good <= BATCH_LIMIT:
            lines = list(importing.iter_lines(converted))
            with audited(
                account=account,
                user=job.user,
                action="contacts.import.batch",
                target=f"import {job.pk}: {len(lines)} addresses → list {job.list_platform_id}",
            ) as entry:
                with client_for_account(account) as client:
                    reply = client.contacts.addr_add_batch(
                        list_id=job.list_platform_id, lines=lines
                    )
                entry.message = reply.data
            ImportJob.objects.filter(pk=job.pk).update(
                upload_method="batch",
                platform_message=reply.data,
                state=ImportJob.State.DONE,
                finished_at=timezone.now(),
            )
            _finish_files(job)
            _refresh_list(account, job.list_platform_id)
            return ImportJob.objects.get(pk=job.pk)
        filename = f"edmportal-{job.pk}-{uuid.uuid4().hex[:8]}.txt"
        with audited(
            account=account,
            user=job.user,
            action="contacts.import.file",
            target=f"import {job.pk}: {job.rows_good} addresses → list {job.list_platform_id}",
        ) as entry:
            with client_for_account(account) as client, converted.open("rb") as fh:
                import_id = client.contacts.addr_add_file(
                    list_id=job.list_platform_id, fileobj=fh, filename=filename
                )
            entry.message = f"platform import id {import_id}"
    except UmailError as exc:
        # A write is never retried blindly: the marketer sees why and can send it again.
        from apps.core.messages import platform_error_message

        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED,
            error=platform_error_message(exc),
            finished_at=timezone.now(),
        )
        return ImportJob.objects.get(pk=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(
        upload_method="file",
        platform_filename=filename,
        platform_import_id=import_id,
        state=ImportJob.State.PARSING,
        poll_attempts=0,
        uploaded_at=timezone.now(),
    )
    job.refresh_from_db()
    _schedule_poll(job, delay=POLL_FIRST_SECONDS, new_chain=True)
    return job


def _finish_files(job: ImportJob) -> None:
    """The platform confirmed: the upload and its conversion go; the rejects file stays."""
    _remove(job.stored_file, job.converted_file)
    ImportJob.objects.filter(pk=job.pk).update(stored_file="", converted_file="")


def import_poll(*, job_id: int, token: int) -> ImportJob | None:
    """§4.9.4 once; on success read §4.15. Stale chains (another token) stop here."""
    job = ImportJob.objects.filter(
        pk=job_id, state=ImportJob.State.PARSING, poll_token=token
    ).first()
    if job is None:
        return None
    account = job.account
    now = timezone.now()
    try:
        with client_for_account(account) as client:
            status = client.contacts.addr_file_status(job.platform_import_id)
            logs = client.contacts.import_log() if status.state == "success" else []
    except UmailError as exc:
        # The platform is down or slow: keep polling (with backoff) rather than failing.
        logger.warning("import %s: polling failed: %s", job.pk, exc)
        status = None
    ImportJob.objects.filter(pk=job.pk).update(
        poll_attempts=F("poll_attempts") + 1, last_polled_at=now
    )
    job.refresh_from_db()
    if status is None or status.state == "no_complete":
        waited = (now - (job.uploaded_at or job.created_at)).total_seconds()
        if waited > POLL_GIVE_UP_SECONDS:
            ImportJob.objects.filter(pk=job.pk).update(
                state=ImportJob.State.FAILED,
                error=_("The platform did not finish importing the file within 6 hours."),
                finished_at=now,
            )
            return ImportJob.objects.get(pk=job.pk)
        delay = min(POLL_MAX_SECONDS, POLL_FIRST_SECONDS * POLL_FACTOR**job.poll_attempts)
        _schedule_poll(job, delay=delay)
        return job
    if status.state == "success":
        log = next((g for g in logs if g.filename == job.platform_filename), None)
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.DONE,
            platform_message=status.detail,
            log_count_all=log.count_all if log else None,
            log_invalid=log.count_err_1 if log else None,
            log_duplicate=log.count_err_2 if log else None,
            log_status=log.status if log else None,
            finished_at=now,
        )
        _finish_files(job)
        _refresh_list(account, job.list_platform_id)
    else:  # error / not_exist: the file stays so the marketer can send it again
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED,
            platform_message=status.detail,
            platform_import_id=None,
            error=_("The platform could not import the file (%(state)s: %(detail)s).")
            % {"state": status.state, "detail": status.detail},
            finished_at=now,
        )
    return ImportJob.objects.get(pk=job.pk)


def import_resume(*, overdue_seconds: float = 30.0, force: bool = False) -> int:
    """Restart polling of parses whose poll went missing (a worker died holding it), and
    validations a dead worker left half-done. Idempotent; returns the number resumed."""
    from ..tasks import contacts_import_validate_task

    now = timezone.now()
    parsing = ImportJob.objects.filter(state=ImportJob.State.PARSING)
    if not force:
        parsing = parsing.filter(next_poll_at__lt=now - timezone.timedelta(seconds=overdue_seconds))
    count = 0
    for job in parsing:
        _schedule_poll(job, delay=0, new_chain=True)
        count += 1
    stale = now - timezone.timedelta(minutes=10)
    validating = ImportJob.objects.filter(state=ImportJob.State.VALIDATING)
    if not force:
        validating = validating.filter(updated_at__lt=stale)
    for job_id in validating.values_list("pk", flat=True):
        transaction.on_commit(lambda job_id=job_id: contacts_import_validate_task.delay(job_id))
        count += 1
    return count


def import_discard_files(*, older_than_days: int = 30) -> int:
    """Housekeeping: rejected-row files of finished imports are kept for a month."""
    cutoff = timezone.now() - timezone.timedelta(days=older_than_days)
    old = ImportJob.objects.filter(finished_at__lt=cutoff).exclude(rejects_file="")
    count = 0
    for job in old:
        _remove(job.rejects_file, job.stored_file, job.converted_file)
        count += 1
    old.update(rejects_file="", stored_file="", converted_file="")
    return count
