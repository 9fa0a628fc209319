"""Writes for contacts: the platform first, then the local mirror, each write audited.

Imports are a small state machine on `ImportJob` (see models.ImportJob.State); every step is a
function here that a thin Celery task calls with the job's id, and each step checks the state it
expects first, so running one twice (a redelivered task, a restarted worker) changes nothing.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.clients import client_for_account
from apps.core import reconcile
from apps.core.audit import audited, record
from apps.core.queue import QUEUE_DOWN, enqueue_on_commit
from apps.umail.contacts import LINE_FIELDS, Address, AddressPage, WriteResult
from apps.umail.errors import UmailError

from . import importing
from .models import VAR_FIELDS, ContactsSync, ImportJob, MailList, Suppression

logger = logging.getLogger(__name__)

BATCH_LIMIT = 500  # §4.9.2: "数目不建议超过 500"; above it §4.9.3 file import
SUBSCRIBE_CHUNK = 500
# Platform parse polling: first after 2 s, then x1.5 up to a minute; give up after 6 hours.
POLL_FIRST_SECONDS = 2.0
POLL_FACTOR = 1.5
POLL_MAX_SECONDS = 60.0
POLL_GIVE_UP_SECONDS = 6 * 3600
IMPORT_MAX_BYTES = getattr(settings, "CONTACTS_IMPORT_MAX_BYTES", 300 * 1024 * 1024)


# -- lists ----------------------------------------------------------------------------------------


def list_sync(*, account) -> list[MailList]:
    """Mirror §4.1 into MailList (var names are kept); failures are recorded and re-raised."""
    try:
        with client_for_account(account) as client:
            remote = client.contacts.maillist_list()
    except UmailError as exc:
        ContactsSync.objects.update_or_create(
            account=account,
            defaults={"last_error": str(exc)[:1000], "last_error_at": timezone.now()},
        )
        raise
    now = timezone.now()
    with transaction.atomic():
        seen = []
        for item in remote:
            if item.id is None:
                continue
            seen.append(item.id)
            MailList.objects.update_or_create(
                account=account,
                platform_id=item.id,
                defaults={
                    "subject": item.subject,
                    "description": item.description,
                    "count": item.count,
                    "status": item.status or MailList.Status.ENABLED,
                    "synced_at": now,
                },
            )
        MailList.objects.filter(account=account).exclude(platform_id__in=seen).delete()
        ContactsSync.objects.update_or_create(
            account=account,
            defaults={"lists_synced_at": now, "last_error": "", "last_error_at": None},
        )
    return list(MailList.objects.filter(account=account))


def _refresh_list(account, list_id: int) -> MailList | None:
    """Re-read one list (§4.2) into the mirror after a write that changed its count."""
    try:
        with client_for_account(account) as client:
            item = client.contacts.maillist_detail(list_id)
    except UmailError as exc:
        logger.info("list %s detail after write failed: %s", list_id, exc)
        return None
    MailList.objects.filter(account=account, platform_id=list_id).update(
        subject=item.subject,
        description=item.description,
        count=item.count,
        status=item.status or MailList.Status.ENABLED,
        synced_at=timezone.now(),
    )
    return MailList.objects.filter(account=account, platform_id=list_id).first()


def list_create(*, account, user, subject: str, description: str = "", status: str = "enabled"):
    """§4.3; a create whose answer was lost is looked for in §4.1 (by its name, which the
    platform keeps unique) before anything is sent again (apps/core/reconcile.py)."""

    def create(entry):
        with client_for_account(account) as client:
            list_id = client.contacts.maillist_add(
                subject=subject, status=status, description=description
            )
        entry.target = f"list {list_id} ({subject})"
        return list_id, 0

    def find(_since):
        with client_for_account(account) as client:
            remote = client.contacts.maillist_list()
        match = next((i for i in remote if i.id is not None and i.subject == subject), None)
        return (match.id, match.count) if match else None

    (list_id, count), _adopted = reconcile.create_once(
        account=account,
        user=user,
        action="contacts.list.create",
        fp=reconcile.fingerprint(subject),
        target=subject,
        create=create,
        find=find,
    )
    maillist, _new = MailList.objects.update_or_create(
        account=account,
        platform_id=list_id,
        defaults=dict(
            subject=subject,
            description=description,
            status=status,
            count=count or 0,
            synced_at=timezone.now(),
        ),
    )
    return maillist


def list_update(
    *, account, user, maillist: MailList, subject=None, description=None, status=None
) -> MailList:
    changes = {"subject": subject, "description": description, "status": status}
    changes = {k: v for k, v in changes.items() if v is not None and v != getattr(maillist, k)}
    if not changes:
        return maillist
    with (
        audited(
            account=account,
            user=user,
            action="contacts.list.update",
            target=f"list {maillist.platform_id} ({maillist.subject})",
            detail=changes,
        ),
        client_for_account(account) as client,
    ):
        client.contacts.maillist_edit(maillist.platform_id, **changes)
    for key, value in changes.items():
        setattr(maillist, key, value)
    maillist.save(update_fields=[*changes])
    return maillist


def list_delete(*, account, user, maillist: MailList) -> None:
    with (
        audited(
            account=account,
            user=user,
            action="contacts.list.delete",
            target=f"list {maillist.platform_id} ({maillist.subject})",
            detail={"count": maillist.count},
        ),
        client_for_account(account) as client,
    ):
        client.contacts.maillist_del(maillist.platform_id)
    maillist.delete()


def list_empty(*, account, user, maillist: MailList) -> WriteResult:
    with audited(
        account=account,
        user=user,
        action="contacts.list.empty",
        target=f"list {maillist.platform_id} ({maillist.subject})",
        detail={"count": maillist.count},
    ) as entry:
        with client_for_account(account) as client:
            outcome = client.contacts.addr_empty(maillist.platform_id)
        entry.message = outcome.data
    MailList.objects.filter(pk=maillist.pk).update(count=0, synced_at=timezone.now())
    return outcome


def list_set_field_labels(*, account, user, maillist: MailList, labels: dict[str, str]) -> None:
    """Name var1–var10 (local only: the platform has no names for them)."""
    clean = {k: (labels.get(k) or "").strip() for k in VAR_FIELDS if (labels.get(k) or "").strip()}
    maillist.var_labels = clean
    maillist.save(update_fields=["var_labels"])
    record(
        account=account,
        user=user,
        action="contacts.list.variables",
        target=f"list {maillist.platform_id} ({maillist.subject})",
        detail=clean,
    )


# -- addresses ------------------------------------------------------------------------------------


def address_page(
    *, account, list_id: int | None, keyword: str = "", page: int = 1, per_page: int = 50
) -> AddressPage:
    """One page of addresses straight from the platform (§4.8)."""
    with client_for_account(account) as client:
        return client.contacts.addr_list(
            list_id=list_id, keyword=keyword or None, page=page, limit=per_page
        )


def address_get(*, account, address_id: int) -> Address | None:
    with client_for_account(account) as client:
        return client.contacts.addr_get(address_id)


def _address_values(values: dict) -> dict:
    return {k: (values.get(k) or "") for k in LINE_FIELDS if k in values}


def address_add(*, account, user, maillist: MailList, values: dict) -> int | None:
    """§4.9.1; an add whose answer was lost is looked for in §4.8 before anything is sent again
    (apps/core/reconcile.py)."""
    fields = _address_values(values)
    email = fields.pop("address")

    def create(entry):
        with client_for_account(account) as client:
            address_id = client.contacts.addr_add(
                list_id=maillist.platform_id, address=email, **fields
            )
        entry.target = f"address {address_id} ({email}) → list {maillist.platform_id}"
        return address_id

    def find(_since):
        with client_for_account(account) as client:
            page = client.contacts.addr_list(
                list_id=maillist.platform_id, keyword=email, page=1, limit=50
            )
        match = next((a for a in page.addresses if a.address.lower() == email.lower()), None)
        return match.id if match else None

    address_id, adopted = reconcile.create_once(
        account=account,
        user=user,
        action="contacts.address.add",
        fp=reconcile.fingerprint(maillist.platform_id, email.lower()),
        target=f"{email} → list {maillist.platform_id}",
        create=create,
        find=find,
    )
    if adopted:
        _refresh_list(account, maillist.platform_id)
    else:
        MailList.objects.filter(pk=maillist.pk).update(count=F("count") + 1)
    return address_id


def address_update(*, account, user, address_id: int, values: dict) -> WriteResult:
    fields = _address_values(values)
    with (
        audited(
            account=account,
            user=user,
            action="contacts.address.update",
            target=f"address {address_id} ({fields.get('address', '')})",
        ),
        client_for_account(account) as client,
    ):
        return client.contacts.addr_edit(address_id, **fields)


def address_delete(*, account, user, address: Address) -> WriteResult:
    with (
        audited(
            account=account,
            user=user,
            action="contacts.address.delete",
            target=f"address {address.id} ({address.address})",
        ),
        client_for_account(account) as client,
    ):
        outcome = client.contacts.addr_del(address.id)
    MailList.objects.filter(account=account, platform_id=address.list_id, count__gt=0).update(
        count=F("count") - 1
    )
    return outcome


# -- suppression, subscriptions -------------------------------------------------------------------

_SPLIT = re.compile(r"[\s,;]+")


def suppression_add_many(
    *, account, emails, reason: str, source: str, list_id: int | None = None
) -> int:
    """Add addresses to the account's suppression list; returns how many were new.

    For the analytics app too (hard failures): `reason=Suppression.Reason.HARD_BOUNCE`.
    """
    lowered = sorted({e.strip().lower() for e in emails if e and "@" in e})
    if not lowered:
        return 0
    before = Suppression.objects.filter(account=account, reason=reason).count()
    for start in range(0, len(lowered), 5000):
        Suppression.objects.bulk_create(
            [
                Suppression(
                    account=account, email=e, reason=reason, source=source, list_platform_id=list_id
                )
                for e in lowered[start : start + 5000]
            ],
            ignore_conflicts=True,
        )
    return Suppression.objects.filter(account=account, reason=reason).count() - before


@dataclass
class SubscriptionOutcome:
    sent: list[str]  # addresses sent to the platform
    invalid: list[str]  # refused locally: not an address
    suppressed: list[str]  # refused locally: hard bounce
    replies: list[str]  # what the platform answered, one per call
    failed: str = ""  # the platform's error, if a call failed (earlier calls stand)
    error: UmailError | None = None


def parse_pasted(text: str, *, with_names: bool) -> list[tuple[str, str]]:
    """Lines of `email` or `email<TAB or , or ;>name`; blank lines skipped, duplicates dropped."""
    out: dict[str, tuple[str, str]] = {}
    for line in (text or "").splitlines():
        line = line.strip().lstrip("\ufeff")
        if not line:
            continue
        if with_names:
            parts = re.split(r"[\t,;]", line, maxsplit=1)
            email, name = parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")
            out.setdefault(email.lower(), (email, name))
        else:
            for email in _SPLIT.split(line):
                if email:
                    out.setdefault(email.lower(), (email, ""))
    return list(out.values())


def _valid(email: str) -> bool:
    return len(email) <= 254 and importing.EMAIL_RE.fullmatch(email) is not None


def subscribe_many(
    *, account, user, maillist: MailList, entries: list[tuple[str, str]]
) -> SubscriptionOutcome:
    """§4.13 in chunks; hard-bounced addresses are refused, an explicit subscribe lifts an
    earlier unsubscribe from the suppression list."""
    from .selectors import suppression_reasons

    valid = [(e, n) for e, n in entries if _valid(e)]
    invalid = [e for e, _ in entries if not _valid(e)]
    reasons = suppression_reasons(account=account, emails=[e for e, _ in valid])
    bounced = [e for e, _ in valid if reasons.get(e.lower()) == Suppression.Reason.HARD_BOUNCE]
    to_send = [(e, n) for e, n in valid if e.lower() not in {b.lower() for b in bounced}]
    outcome = SubscriptionOutcome(sent=[], invalid=invalid, suppressed=bounced, replies=[])
    with client_for_account(account) as client:
        for start in range(0, len(to_send), SUBSCRIBE_CHUNK):
            chunk = to_send[start : start + SUBSCRIBE_CHUNK]
            try:
                with audited(
                    account=account,
                    user=user,
                    action="contacts.subscribe",
                    target=f"list {maillist.platform_id}: {len(chunk)} addresses",
                ) as entry:
                    reply = client.contacts.subscribe_many(
                        list_id=maillist.platform_id, entries=chunk
                    )
                    entry.message = reply.data
            except UmailError as exc:
                outcome.failed = str(exc)
                outcome.error = exc
                break
            outcome.sent += [e for e, _ in chunk]
            outcome.replies.append(reply.data)
    if outcome.sent:
        Suppression.objects.filter(
            account=account,
            reason=Suppression.Reason.UNSUBSCRIBE,
            email__in=[e.lower() for e in outcome.sent],
        ).delete()
        _refresh_list(account, maillist.platform_id)
    return outcome


def unsubscribe_many(
    *, account, user, maillist: MailList, emails: list[str]
) -> SubscriptionOutcome:
    """§4.14 in chunks; what the platform accepted goes on the suppression list."""
    valid = [e for e in emails if _valid(e)]
    invalid = [e for e in emails if not _valid(e)]
    outcome = SubscriptionOutcome(sent=[], invalid=invalid, suppressed=[], replies=[])
    with client_for_account(account) as client:
        for start in range(0, len(valid), SUBSCRIBE_CHUNK):
            chunk = valid[start : start + SUBSCRIBE_CHUNK]
            try:
                with audited(
                    account=account,
                    user=user,
                    action="contacts.unsubscribe",
                    target=f"list {maillist.platform_id}: {len(chunk)} addresses",
                ) as entry:
                    reply = client.contacts.unsubscribe(
                        list_id=maillist.platform_id, addresses=chunk
                    )
                    entry.message = reply.data
            except UmailError as exc:
                outcome.failed = str(exc)
                outcome.error = exc
                break
            outcome.sent += chunk
            outcome.replies.append(reply.data)
    if outcome.sent:
        suppression_add_many(
            account=account,
            emails=outcome.sent,
            reason=Suppression.Reason.UNSUBSCRIBE,
            source="portal",
            list_id=maillist.platform_id,
        )
        _refresh_list(account, maillist.platform_id)
    return outcome


# -- exports --------------------------------------------------------------------------------------


def export_addresses(*, account, list_id: int):
    """(client, rows) for §4.6; the caller closes the client when the download ends."""
    client = client_for_account(account)
    try:
        rows = client.contacts.export_subscriptions(list_id)
    except BaseException:
        client.close()
        raise
    return client, rows


def export_unsubscribes(*, account, list_id: int):
    """(client, rows) for §4.7; each address seen is also added to the suppression list."""
    client = client_for_account(account)
    try:
        rows = client.contacts.export_unsubscribes(list_id)
    except BaseException:
        client.close()
        raise

    def learning(rows_in):
        pending = []
        for when, email in rows_in:
            pending.append(email)
            if len(pending) >= 5000:
                suppression_add_many(
                    account=account,
                    emails=pending,
                    reason=Suppression.Reason.UNSUBSCRIBE,
                    source="platform",
                    list_id=list_id,
                )
                pending = []
            yield when, email
        suppression_add_many(
            account=account,
            emails=pending,
            reason=Suppression.Reason.UNSUBSCRIBE,
            source="platform",
            list_id=list_id,
        )

    return client, learning(rows)


# -- imports --------------------------------------------------------------------------------------


def _import_dir(account) -> Path:
    folder = Path(settings.MEDIA_ROOT) / "contacts-imports" / str(account.pk)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _remove(*paths: str) -> None:
    for path in paths:
        if path:
            Path(path).unlink(missing_ok=True)


def import_create(*, account, user, maillist: MailList, uploaded) -> ImportJob:
    """Store the upload and look at it (format, encoding, columns); raises ImportFileError."""
    if uploaded.size > IMPORT_MAX_BYTES:
        raise importing.ImportFileError(
            _("The file is larger than %(limit)s MB.") % {"limit": IMPORT_MAX_BYTES // 2**20}
        )
    folder = _import_dir(account)
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
    from .tasks import contacts_import_validate_task

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
    from .selectors import suppressed_keys

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
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED, error=error, finished_at=timezone.now()
        )
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
    from .tasks import contacts_import_upload_task

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
    from .tasks import contacts_import_poll_task

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
    from .tasks import contacts_import_validate_task

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
