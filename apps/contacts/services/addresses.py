"""Addresses of a list (§4.5–§4.8): read page by page from the platform, written one by one."""

from __future__ import annotations

from django.db.models import F

from apps.accounts.clients import client_for_account
from apps.core import reconcile
from apps.core.audit import audited
from apps.umail.contacts import LINE_FIELDS, Address, AddressPage, WriteResult

from ..models import MailList
from .lists import _refresh_list

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


def address_remove_by_email(*, account, user, list_id: int, email: str) -> int:
    """Delete every copy of `email` from a list (§4.8 finds it, §4.11 deletes it; list hygiene
    calls this); returns how many were removed. Platform errors are raised."""
    email = email.strip().lower()
    with client_for_account(account) as client:
        found = client.contacts.addr_list(list_id=list_id, keyword=email, limit=50)
    matches = [a for a in found.addresses if a.address.strip().lower() == email]
    for address in matches:
        address_delete(account=account, user=user, address=address)
    return len(matches)
