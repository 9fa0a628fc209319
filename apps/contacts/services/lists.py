"""Contact lists (§4.1–§4.4): the platform first, then the mirror; every write audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.accounts.clients import client_for_account
from apps.core import reconcile
from apps.core.audit import audited, record
from apps.umail.contacts import WriteResult
from apps.umail.errors import UmailError

from ..models import VAR_FIELDS, ContactsSync, MailList
from ._common import logger

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
