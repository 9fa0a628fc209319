"""Writes for sender domains and mailboxes: the platform first, then the local mirror.

Every function acts in one scope, (account, customer_id): customer_id "" is the account itself;
otherwise the sub-account an agent or administrator works on, which the caller has validated
(request.scope, or a SubAccount row in tasks). Operations that take customer_id / user_type get
them from `_api_scope()`; §7.2/§7.6 (own domains) become §7.4/§7.5 for a sub-account.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.clients import client_for_account
from apps.accounts.models import PlatformAccount
from apps.accounts.scope import API_USER_TYPE
from apps.core.audit import audited
from apps.umail.domains import DomainCheck, DomainItem, MailboxItem
from apps.umail.errors import UmailError

from .models import DomainNotification, DomainSync, Mailbox, SenderDomain

logger = logging.getLogger(__name__)

# Background re-checks of unverified domains: 1, 2, 4 ... minutes, at most every 6 hours
# (DNS changes can take a day or two to spread); they go on until the domain verifies.
RECHECK_BASE = dt.timedelta(minutes=1)
RECHECK_MAX = dt.timedelta(hours=6)
# A domain handed to a worker is not handed out again for this long (see tasks).
RECHECK_LEASE = dt.timedelta(minutes=5)
CHECK_BATCH = 50  # domains per §7.3 call
MAILBOX_PAGE = 200  # §7.7 page size when mirroring

PASSWORD_LENGTH = 20
# No look-alikes (0/O, 1/l/I) so a password read off the screen is typed right; symbols that
# need no quoting in SMTP clients' settings or URLs.
_PASSWORD_ALPHABET = (
    "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI") + "-_.!#@"
)


def generate_mailbox_password(length: int = PASSWORD_LENGTH) -> str:
    """A strong random password (about 118 bits) with a lower, an upper, a digit and a symbol."""
    while True:
        value = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))
        if (
            any(c.islower() for c in value)
            and any(c.isupper() for c in value)
            and any(c.isdigit() for c in value)
            and any(c in "-_.!#@" for c in value)
        ):
            return value


def _api_scope(customer_id: str) -> dict[str, str]:
    return {"customer_id": customer_id, "user_type": API_USER_TYPE} if customer_id else {}


def next_check_time(attempts: int, now: dt.datetime) -> dt.datetime:
    return now + min(RECHECK_MAX, RECHECK_BASE * (2**attempts))


def _own_customer_id(account: PlatformAccount, client) -> int | None:
    if account.platform_id is None:
        account.platform_id = client.account.customer_info().id
        account.save(update_fields=["platform_id"])
    return account.platform_id


def _in_scope(items: Iterable[DomainItem], owner: int | None) -> list[DomainItem]:
    # §7.1 called by an agent for itself also lists its sub-accounts' domains: keep the scope's.
    return [i for i in items if i.is_system or (owner is not None and i.customer_id == owner)]


# -- reading the platform into the mirror ----------------------------------------------------


@dataclass
class SyncResult:
    domains: int
    mailboxes: int


def domains_sync(*, account: PlatformAccount, customer_id: str = "") -> SyncResult:
    """Fetch the scope's domains (§7.1), their state (§7.3) and mailboxes (§7.7) into the mirror.

    A failure is recorded on the scope's DomainSync (shown beside the older data) and re-raised.
    """
    sync, _created = DomainSync.objects.get_or_create(account=account, customer_id=customer_id)
    try:
        with client_for_account(account) as client:
            owner = int(customer_id) if customer_id else _own_customer_id(account, client)
            items = _in_scope(client.domains.domain_list(**_api_scope(customer_id)), owner)
            names = [i.domain for i in items if not i.is_system]
            checks = {c.val.lower(): c for c in _check(client, names)}
            boxes = {
                name: client.domains.mailbox_list_all(
                    domain=name, page_size=MAILBOX_PAGE, **_api_scope(customer_id)
                )
                for name in names
            }
    except UmailError as exc:
        sync.last_error = str(exc)[:2000]
        sync.last_error_at = timezone.now()
        sync.save(update_fields=["last_error", "last_error_at"])
        raise
    now = timezone.now()
    with transaction.atomic():
        seen = []
        for item in items:
            obj, created = SenderDomain.objects.get_or_create(
                account=account, customer_id=customer_id, domain=item.domain.lower()
            )
            obj.owner_customer_id = item.customer_id
            obj.is_system = item.is_system
            obj.synced_at = now
            if item.is_system:
                obj.verified = True
                obj.next_check_at = None
            check = checks.get(obj.domain)
            if check is not None:
                # Only a change seen after the first sync is news for the marketer.
                _apply_check(obj, check, now=now, notify=not created)
            obj.save()
            if not item.is_system:
                _mirror_mailboxes(obj, boxes.get(item.domain, []), now)
            seen.append(obj.pk)
        SenderDomain.objects.filter(account=account, customer_id=customer_id).exclude(
            pk__in=seen
        ).delete()
        sync.synced_at = now
        sync.last_error = ""
        sync.last_error_at = None
        sync.save()
    return SyncResult(
        domains=len(seen),
        mailboxes=Mailbox.objects.filter(account=account, customer_id=customer_id).count(),
    )


def _check(client, names: list[str]) -> list[DomainCheck]:
    out: list[DomainCheck] = []
    for start in range(0, len(names), CHECK_BATCH):
        out.extend(client.domains.domain_check(names[start : start + CHECK_BATCH]))
    return out


def _mirror_mailboxes(domain: SenderDomain, items: list[MailboxItem], now: dt.datetime) -> None:
    # A handful of queries whatever the number of mailboxes (a domain may have thousands).
    wanted = {}
    for item in items:
        address = (item.mailbox or f"{item.name}@{domain.domain}").lower()
        wanted[address] = item.name.lower() or address.partition("@")[0]
    existing = dict(Mailbox.objects.filter(domain=domain).values_list("address", "pk"))
    gone = [pk for address, pk in existing.items() if address not in wanted]
    for start in range(0, len(gone), 500):
        Mailbox.objects.filter(pk__in=gone[start : start + 500]).delete()
    Mailbox.objects.filter(domain=domain).update(synced_at=now)
    Mailbox.objects.bulk_create(
        [
            Mailbox(
                account=domain.account,
                customer_id=domain.customer_id,
                domain=domain,
                name=name,
                address=address,
                synced_at=now,
            )
            for address, name in wanted.items()
            if address not in existing
        ],
        batch_size=1000,
    )
    domain.mailbox_count = len(wanted)
    domain.mailboxes_synced_at = now
    domain.save(update_fields=["mailbox_count", "mailboxes_synced_at"])


def _apply_check(
    domain: SenderDomain, check: DomainCheck, *, now: dt.datetime, notify: bool
) -> bool:
    """Record a §7.3 answer; returns True when the domain became verified just now."""
    was_verified = domain.verified
    domain.check_status = check.status
    domain.check_info = (check.info or "")[:255]
    domain.checked_at = now
    if check.domain_id:
        domain.platform_id = check.domain_id
    domain.verified = check.status == SenderDomain.Check.VERIFIED
    if domain.verified:
        domain.next_check_at = None
        domain.check_attempts = 0
        if not was_verified:
            domain.verified_at = now
            if notify and domain.pk:
                DomainNotification.objects.create(
                    account=domain.account,
                    customer_id=domain.customer_id,
                    domain=domain,
                    domain_name=domain.domain,
                    kind=DomainNotification.Kind.VERIFIED,
                )
            return True
    elif domain.next_check_at is None:
        domain.next_check_at = next_check_time(domain.check_attempts, now)
    return False


def mailboxes_sync(*, domain: SenderDomain) -> int:
    """Fetch one domain's mailboxes (§7.7, page by page) into the mirror."""
    with client_for_account(domain.account) as client:
        items = client.domains.mailbox_list_all(
            domain=domain.domain, page_size=MAILBOX_PAGE, **_api_scope(domain.customer_id)
        )
    with transaction.atomic():
        _mirror_mailboxes(domain, items, timezone.now())
    return len(items)


# -- domains ----------------------------------------------------------------------------------


def domain_add(
    *, account: PlatformAccount, user, domain: str, customer_id: str = ""
) -> SenderDomain:
    """§7.2 for the account itself, §7.4 for a sub-account; the mirror gets the new domain."""
    with audited(
        account=account,
        user=user,
        action="domains.domain.add",
        target=domain,
        customer_id=customer_id,
    ) as entry:
        with client_for_account(account) as client:
            if customer_id:
                added = client.domains.domain_add_for(customer_id=customer_id, domain=domain)
            else:
                added = client.domains.domain_add(domain)
        entry.platform_status = "success_and_check_ok" if added.verified else "success"
        entry.detail = {"domain_id": added.domain_id}
    now = timezone.now()
    obj, _created = SenderDomain.objects.update_or_create(
        account=account,
        customer_id=customer_id,
        domain=domain,
        defaults={
            "platform_id": added.domain_id,
            "owner_customer_id": int(customer_id) if customer_id else account.platform_id,
            "is_system": False,
            "verified": added.verified,
            "verified_at": now if added.verified else None,
            "check_status": (
                SenderDomain.Check.VERIFIED if added.verified else SenderDomain.Check.NOT_VERIFIED
            ),
            "check_info": "",
            "checked_at": now,
            "check_attempts": 0,
            "next_check_at": None if added.verified else next_check_time(0, now),
            "mailbox_count": 0,
            "synced_at": now,
        },
    )
    return obj


def domains_verify(
    *,
    account: PlatformAccount,
    user,
    domains: list[SenderDomain],
    automatic: bool = False,
) -> list[tuple[SenderDomain, DomainCheck | None]]:
    """§7.3 for one or many domains of the account (any of its scopes).

    On demand (a person clicked) it is logged and resets the backoff, since records were
    probably just published. Automatic checks count attempts and back off; a domain that
    verifies gets a notification for the marketer.
    """
    domains = [d for d in domains if not d.is_system]
    if not domains:
        return []
    names = [d.domain for d in domains]

    def run() -> list[DomainCheck]:
        with client_for_account(account) as client:
            return _check(client, names)

    if automatic:
        answers = run()
    else:
        with audited(
            account=account,
            user=user,
            action="domains.domain.verify",
            target=", ".join(names)[:255],
            customer_id=domains[0].customer_id,
        ) as entry:
            answers = run()
            verified = [c.val for c in answers if c.status == SenderDomain.Check.VERIFIED]
            entry.detail = {"verified": verified, "checked": names}
    by_name = {c.val.lower(): c for c in answers}
    now = timezone.now()
    out = []
    with transaction.atomic():
        for domain in domains:
            check = by_name.get(domain.domain)
            if check is not None:
                if not automatic:
                    domain.check_attempts = 0
                    domain.next_check_at = None
                _apply_check(domain, check, now=now, notify=automatic)
            if not domain.verified:
                if automatic:
                    domain.check_attempts += 1
                domain.next_check_at = next_check_time(domain.check_attempts, now)
            domain.save()
            out.append((domain, check))
    return out


def domain_delete(*, account: PlatformAccount, user, domain: SenderDomain) -> None:
    """§7.6 for the account's own domain (the platform refuses verified ones, with the reason);
    §7.5 for a sub-account's. The mirror loses the domain and its mailboxes."""
    with (
        audited(
            account=account,
            user=user,
            action="domains.domain.delete",
            target=domain.domain,
            customer_id=domain.customer_id,
            detail={"verified": domain.verified, "mailboxes": domain.mailbox_count},
        ),
        client_for_account(account) as client,
    ):
        if domain.customer_id:
            client.domains.domain_delete_for(customer_id=domain.customer_id, domain=domain.domain)
        else:
            client.domains.domain_delete(domain.domain)
    domain.delete()


# -- mailboxes --------------------------------------------------------------------------------


def mailbox_add(
    *, account: PlatformAccount, user, domain: SenderDomain, name: str, password: str = ""
) -> tuple[Mailbox, str]:
    """§7.8 with a generated strong password unless one is given. Returns the mailbox and the
    password, which the caller shows once: the portal never stores it."""
    password = password or generate_mailbox_password()
    address = f"{name}@{domain.domain}"
    with (
        audited(
            account=account,
            user=user,
            action="domains.mailbox.add",
            target=address,
            customer_id=domain.customer_id,
        ),
        client_for_account(account) as client,
    ):
        client.domains.mailbox_add(
            mailbox=address, password=password, **_api_scope(domain.customer_id)
        )
    now = timezone.now()
    with transaction.atomic():
        box, _created = Mailbox.objects.update_or_create(
            account=account,
            customer_id=domain.customer_id,
            address=address,
            defaults={"domain": domain, "name": name, "synced_at": now},
        )
        domain.mailbox_count = Mailbox.objects.filter(domain=domain).count()
        domain.save(update_fields=["mailbox_count"])
    return box, password


def mailbox_set_password(
    *, account: PlatformAccount, user, mailbox: Mailbox, password: str = ""
) -> str:
    """§7.10: a new (generated unless given) password, returned to be shown once."""
    password = password or generate_mailbox_password()
    with (
        audited(
            account=account,
            user=user,
            action="domains.mailbox.password",
            target=mailbox.address,
            customer_id=mailbox.customer_id,
        ),
        client_for_account(account) as client,
    ):
        client.domains.mailbox_set_password(
            mailbox=mailbox.address, password=password, **_api_scope(mailbox.customer_id)
        )
    mailbox.password_changed_at = timezone.now()
    mailbox.save(update_fields=["password_changed_at"])
    return password


def mailbox_delete(*, account: PlatformAccount, user, mailbox: Mailbox) -> None:
    """§7.9"""
    with (
        audited(
            account=account,
            user=user,
            action="domains.mailbox.delete",
            target=mailbox.address,
            customer_id=mailbox.customer_id,
        ),
        client_for_account(account) as client,
    ):
        client.domains.mailbox_delete(mailbox=mailbox.address, **_api_scope(mailbox.customer_id))
    domain = mailbox.domain
    mailbox.delete()
    domain.mailbox_count = Mailbox.objects.filter(domain=domain).count()
    domain.save(update_fields=["mailbox_count"])


def notification_dismiss(*, notification: DomainNotification) -> None:
    if notification.dismissed_at is None:
        notification.dismissed_at = timezone.now()
        notification.save(update_fields=["dismissed_at"])


def verification_summary(results: list[tuple[SenderDomain, DomainCheck | None]]) -> list[str]:
    """Sentences for the page after an on-demand check."""
    lines = []
    for domain, check in results:
        if check is None:
            lines.append(_("%(d)s: the platform did not report on it.") % {"d": domain.domain})
        elif domain.verified:
            lines.append(_("%(d)s is verified: you can send from it.") % {"d": domain.domain})
        else:
            lines.append(
                _("%(d)s is not verified yet (%(info)s). Check the DNS records below.")
                % {"d": domain.domain, "info": check.info or domain.get_check_status_display()}
            )
    return lines
