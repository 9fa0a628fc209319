"""Writes for templates: platform first (§5.2–§5.8), then the local mirror, each audited; and
the content-check poller's single step (§5.3)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.clients import client_for_account
from apps.core import reconcile
from apps.core.audit import audited
from apps.core.queue import QUEUE_DOWN, enqueue_on_commit
from apps.core.timezones import from_platform
from apps.umail.errors import UmailError
from apps.umail.templates import Template

from .content import normalise_newlines
from .models import CheckResult, MailTemplate, TemplateAttachment, TemplateSync
from .sanitise import sanitise_if_needed
from .sendtest import attachments_keep_files

logger = logging.getLogger(__name__)


def poll_settings() -> tuple[float, float, float]:
    """(first and base delay, longest delay, time limit) of the content-check poller, seconds."""
    return (
        float(settings.MAILTEMPLATES_POLL_BASE_SECONDS),
        float(settings.MAILTEMPLATES_POLL_MAX_SECONDS),
        float(settings.MAILTEMPLATES_CHECK_TIME_LIMIT),
    )


@dataclass(frozen=True)
class NewFile:
    """An attachment on its way to the platform."""

    name: str
    data: bytes
    content_type: str = "application/octet-stream"

    def upload(self) -> tuple[str, bytes, str]:
        return (self.name, self.data, self.content_type)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    # Beijing time, whatever zone the current request has active (the user's).
    return from_platform(value)


def _same_content(local: str, remote: str) -> bool:
    # The platform's XML pads CDATA with whitespace and parsers turn CR LF into LF, so only
    # the inner text can be compared.
    return normalise_newlines(local).strip() == normalise_newlines(remote).strip()


def _mirror_attachments(
    template: MailTemplate, remote: Template, sizes: dict[str, list[int]] | None = None
) -> None:
    """Make the local attachment rows match §5.4; sizes of new uploads are kept by file name."""
    sizes = {k: list(v) for k, v in (sizes or {}).items()}
    known = {a.platform_id: a for a in template.attachments.all()}
    seen = set()
    for atta in remote.attachments:
        if atta.atta_id is None:
            continue
        seen.add(atta.atta_id)
        row = known.get(atta.atta_id)
        if row is None:
            size = sizes.get(atta.atta_name, []).pop(0) if sizes.get(atta.atta_name) else None
            TemplateAttachment.objects.create(
                template=template, platform_id=atta.atta_id, name=atta.atta_name, size_bytes=size
            )
        elif row.name != atta.atta_name:
            row.name = atta.atta_name
            row.save(update_fields=["name"])
    template.attachments.exclude(platform_id__in=seen).delete()


def _apply_remote(template: MailTemplate, remote: Template) -> None:
    template.name = remote.name
    template.subjects = remote.subject_names
    if not _same_content(template.html, remote.content):
        template.html = remote.content
    template.content_type = remote.content_type
    template.platform_created_at = _aware(remote.created) or template.platform_created_at
    template.platform_updated_at = _aware(remote.updated) or template.platform_updated_at
    template.synced_at = timezone.now()


def _start_polling(template: MailTemplate) -> None:
    """Mark the template as being checked and enqueue the poller once the transaction commits."""
    from .tasks import template_check_poll_task

    base, _longest, limit = poll_settings()
    now = timezone.now()
    template.poll_generation += 1
    template.poll_attempts = 0
    template.poll_state = MailTemplate.PollState.POLLING
    template.poll_started_at = now
    template.poll_deadline = now + dt.timedelta(seconds=limit)
    template.poll_finished_at = None
    template.poll_error = ""
    template.check_result = CheckResult.CHECKING
    template.check_status = -1
    template.colour = ""
    template.size_status = -1
    template.save()
    args = (template.pk, template.poll_generation, 0)

    def queue_down(exc):
        # The broker down: say so on the template, whose page offers "Ask again".
        MailTemplate.objects.filter(
            pk=template.pk, poll_generation=args[1], poll_state=MailTemplate.PollState.POLLING
        ).update(
            poll_state=MailTemplate.PollState.FAILED,
            poll_error=QUEUE_DOWN,
            poll_finished_at=timezone.now(),
            check_result=CheckResult.UNKNOWN,
        )

    enqueue_on_commit(
        lambda: template_check_poll_task.apply_async(args, countdown=base),
        on_failure=queue_down,
        what=f"content check of template {template.pk}",
    )


# -- create, edit, delete ---------------------------------------------------------------------


def template_create(
    *,
    account,
    user,
    name: str,
    subjects: Sequence[str],
    html: str,
    text: str = "",
    encoding: str = MailTemplate.Encoding.BASE64,
    files: Iterable[NewFile] = (),
) -> MailTemplate:
    """§5.2 add-tpl (with any attachments in the same request), then mirror it and start the
    content-check poller. An add whose answer was lost is looked for in §5.4 (same name, subjects
    and HTML) before anything is sent again (apps/core/reconcile.py)."""
    files = list(files)
    html, text = sanitise_if_needed(normalise_newlines(html)), normalise_newlines(text)
    detail = {"name": name, "subjects": list(subjects), "attachments": [f.name for f in files]}

    def create(entry) -> int:
        with client_for_account(account) as client:
            tpl_id = client.templates.add(
                name=name,
                subjects=subjects,
                content=html,
                text_content=text,
                encoding=encoding,
                files=[f.upload() for f in files],
            )
        entry.target = f"template {tpl_id}: {name}"
        return tpl_id

    def find(since) -> int | None:
        with client_for_account(account) as client:
            remote = client.templates.list()
        wanted = [s.strip() for s in subjects]
        same = [
            t.id
            for t in remote
            if t.id is not None
            and t.name.strip() == name.strip()
            and [s.strip() for s in t.subject_names] == wanted
            and _same_content(html, t.content)
        ]
        # Identical templates the portal knew before the attempt are older ones, not this one.
        older = set(
            MailTemplate.objects.filter(
                account=account, platform_id__in=same, created_at__lt=since
            ).values_list("platform_id", flat=True)
        )
        fresh = [i for i in same if i not in older]
        return max(fresh) if fresh else None

    tpl_id, _adopted = reconcile.create_once(
        account=account,
        user=user,
        action="templates.create",
        fp=reconcile.fingerprint(name.strip(), [s.strip() for s in subjects], html.strip()),
        target=name,
        detail=detail,
        create=create,
        find=find,
    )
    existing = MailTemplate.objects.filter(account=account, platform_id=tpl_id).first()
    if existing is not None:  # adopted, and a sync had mirrored it already
        return existing
    try:
        with client_for_account(account) as client:
            remote = client.templates.get(tpl_id)
    except UmailError as exc:  # the template exists; the next sync fills in the rest
        logger.warning("list-tpl after add-tpl %s failed: %s", tpl_id, exc)
        remote = None
    with transaction.atomic():
        template = MailTemplate.objects.create(
            account=account,
            platform_id=tpl_id,
            name=name,
            subjects=list(subjects),
            html=html,
            text=text,
            encoding=encoding,
        )
        sizes: dict[str, list[int]] = {}
        for f in files:
            sizes.setdefault(f.name, []).append(len(f.data))
        if remote is not None:
            _apply_remote(template, remote)
            template.save()
            _mirror_attachments(template, remote, sizes)
            attachments_keep_files(template, files)
        _start_polling(template)
    return template


def template_update(
    *,
    account,
    user,
    template: MailTemplate,
    name: str,
    subjects: Sequence[str],
    html: str,
    text: str,
    encoding: str,
) -> bool:
    """§5.6 edit-tpl with what changed; False when nothing did (no call, no new check)."""
    html, text = sanitise_if_needed(normalise_newlines(html)), normalise_newlines(text)
    changes: dict = {}
    if name != template.name:
        changes["name"] = name
    if list(subjects) != list(template.subjects):
        changes["subjects"] = list(subjects)
    if html != template.html:
        changes["content"] = html
    if text != template.text:
        changes["text_content"] = text
    if encoding != template.encoding:
        changes["encoding"] = encoding
    if not changes:
        return False
    # edit-tpl needs one of name/subject/content; the name is always safe to resend.
    if not ({"name", "subjects", "content"} & changes.keys()):
        changes["name"] = name
    with (
        audited(
            account=account,
            user=user,
            action="templates.update",
            target=f"template {template.platform_id}: {name}",
            detail={"fields": sorted(changes)},
        ),
        client_for_account(account) as client,
    ):
        client.templates.edit(template.platform_id, **changes)
    with transaction.atomic():
        template = MailTemplate.objects.select_for_update().get(pk=template.pk)
        template.name, template.subjects, template.html = name, list(subjects), html
        template.text, template.encoding = text, encoding
        _start_polling(template)
    return True


def template_delete(*, account, user, template: MailTemplate) -> None:
    """§5.5 del-tpl, then forget the mirror."""
    with (
        audited(
            account=account,
            user=user,
            action="templates.delete",
            target=f"template {template.platform_id}: {template.name}",
        ),
        client_for_account(account) as client,
    ):
        client.templates.delete(template.platform_id)
    template.delete()


# -- attachments ------------------------------------------------------------------------------


def _refresh_attachments(client, template: MailTemplate, sizes=None) -> None:
    remote = client.templates.get(template.platform_id)
    if remote is not None:
        _mirror_attachments(template, remote, sizes)


def template_attachments_add(
    *, account, user, template: MailTemplate, files: Iterable[NewFile]
) -> None:
    """§5.7 tpl-attachment-add with several files in one request; the size changes, so the
    platform checks the template again."""
    files = list(files)
    with (
        audited(
            account=account,
            user=user,
            action="templates.attachments.add",
            target=f"template {template.platform_id}: {template.name}",
            detail={"files": [f.name for f in files]},
        ),
        client_for_account(account) as client,
    ):
        client.templates.attachment_add(template.platform_id, [f.upload() for f in files])
        sizes: dict[str, list[int]] = {}
        for f in files:
            sizes.setdefault(f.name, []).append(len(f.data))
        try:
            with transaction.atomic():
                _refresh_attachments(client, template, sizes)
                attachments_keep_files(template, files)
        except UmailError as exc:
            logger.warning("list-tpl after tpl-attachment-add failed: %s", exc)
    with transaction.atomic():
        _start_polling(MailTemplate.objects.select_for_update().get(pk=template.pk))


def template_attachment_delete(
    *, account, user, template: MailTemplate, attachment: TemplateAttachment | None = None
) -> None:
    """§5.8 tpl-attachment-del: one attachment, or all of them when `attachment` is None."""
    target = attachment.name if attachment else "all"
    with (
        audited(
            account=account,
            user=user,
            action="templates.attachments.delete",
            target=f"template {template.platform_id}: {target}",
        ),
        client_for_account(account) as client,
    ):
        client.templates.attachment_delete(
            template.platform_id, attachment.platform_id if attachment else None
        )
    with transaction.atomic():
        if attachment is None:
            template.attachments.all().delete()
        else:
            attachment.delete()
        _start_polling(MailTemplate.objects.select_for_update().get(pk=template.pk))


# -- reading the platform into the mirror -----------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    created: int
    updated: int
    removed: int


def template_sync(*, account) -> SyncResult:
    """§5.4 list-tpl into the mirror: new templates appear, vanished ones go; the text part and
    encoding (which list-tpl does not return) stay as the portal knows them. Templates whose
    verdict is unknown get the poller."""
    started = timezone.now()
    try:
        with client_for_account(account) as client:
            remote = client.templates.list()
    except UmailError as exc:
        TemplateSync.objects.update_or_create(
            account=account,
            defaults={"last_error": str(exc)[:1000], "last_error_at": timezone.now()},
        )
        raise
    created = updated = 0
    with transaction.atomic():
        existing = {
            t.platform_id: t
            for t in MailTemplate.objects.select_for_update().filter(account=account)
        }
        for item in remote:
            if item.id is None:
                continue
            template = existing.pop(item.id, None)
            if template is None:
                template = MailTemplate(account=account, platform_id=item.id)
                created += 1
            else:
                updated += 1
            seen_update = template.platform_updated_at
            _apply_remote(template, item)
            template.save()
            _mirror_attachments(template, item)
            # Changed elsewhere (e.g. in the platform's console) or never checked: ask again.
            changed = seen_update is not None and template.platform_updated_at != seen_update
            unknown = template.check_result in (CheckResult.UNKNOWN, CheckResult.CHECKING)
            if (changed or unknown) and template.poll_state != MailTemplate.PollState.POLLING:
                _start_polling(template)
        # Only what existed before this sync began can have vanished; a template created while
        # the list was on its way is simply not in it yet.
        gone = [t.pk for t in existing.values() if t.created_at < started]
        MailTemplate.objects.filter(pk__in=gone).delete()
        TemplateSync.objects.update_or_create(
            account=account,
            defaults={"synced_at": timezone.now(), "last_error": "", "last_error_at": None},
        )
    return SyncResult(created=created, updated=updated, removed=len(gone))


def template_recheck(*, template: MailTemplate) -> None:
    """Start polling §5.3 again (after a timeout or a failure)."""
    with transaction.atomic():
        _start_polling(MailTemplate.objects.select_for_update().get(pk=template.pk))


def template_poll_step(*, template_id: int, generation: int, attempt: int) -> float | None:
    """One poll of §5.3 for the poller; returns the delay before the next poll, or None to stop.

    Idempotent: the step first claims (generation, attempt) with a conditional UPDATE, so a
    redelivered or duplicated message, a newer upload (new generation) or a finished poll makes
    it return at once without calling the platform.
    """
    claimed = MailTemplate.objects.filter(
        pk=template_id,
        poll_generation=generation,
        poll_attempts=attempt,
        poll_state=MailTemplate.PollState.POLLING,
    ).update(poll_attempts=attempt + 1)
    if not claimed:
        return None
    template = MailTemplate.objects.select_related("account").get(pk=template_id)
    base, longest, _limit = poll_settings()
    delay = min(longest, base * (2 ** (attempt + 1)))
    try:
        with client_for_account(template.account) as client:
            status = client.templates.status(template.platform_id)
    except UmailError as exc:
        template.poll_error = str(exc)[:1000]
        if not exc.retryable:
            _save_poll(template, MailTemplate.PollState.FAILED)
            return None
        if not _save_poll(template):
            return None
        return _next_or_timeout(template, delay)
    template.apply_status(status)
    template.poll_error = ""
    if status.final:
        _save_poll(template, MailTemplate.PollState.DONE)
        return None
    if not _save_poll(template):
        return None
    return _next_or_timeout(template, delay)


def _save_poll(template: MailTemplate, state: str | None = None) -> bool:
    """Store what the poll learnt, touching only the check's fields and only while this chain is
    the current one: an edit made meanwhile (a newer generation) is never overwritten."""
    fields = dict(
        check_status=template.check_status,
        colour=template.colour,
        check_result=template.check_result,
        size_status=template.size_status,
        size_kb=template.size_kb,
        platform_updated_at=template.platform_updated_at,
        status_fetched_at=template.status_fetched_at,
        poll_error=template.poll_error,
        updated_at=timezone.now(),
    )
    if state is not None:
        fields.update(poll_state=state, poll_finished_at=timezone.now())
        if state != MailTemplate.PollState.DONE and template.check_result == CheckResult.CHECKING:
            fields["check_result"] = CheckResult.UNKNOWN
    return bool(
        MailTemplate.objects.filter(
            pk=template.pk,
            poll_generation=template.poll_generation,
            poll_state=MailTemplate.PollState.POLLING,
        ).update(**fields)
    )


def _next_or_timeout(template: MailTemplate, delay: float) -> float | None:
    remaining = (template.poll_deadline - timezone.now()).total_seconds()
    if remaining <= 0:
        _save_poll(template, MailTemplate.PollState.TIMED_OUT)
        return None
    # One last poll right at the deadline rather than a long sleep past it.
    return max(0.2, min(delay, remaining))
