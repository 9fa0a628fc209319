"""The portal's own notification mails, sent through the platform's SMTP relay (§10).

Other apps call these; each queues an :class:`~apps.smtp.models.OutboundMail` and a Celery task
sends it after the current transaction commits, through the account's SMTP settings (see
:func:`apps.smtp.services.notification_send`). They never raise for SMTP problems: the outcome is
on the SMTP page.

    from apps.smtp.notifications import notify, notify_import_finished, notify_domain_verified

    notify_import_finished(account=account, list_name="VIP", imported=980, rejected=20)
    notify_domain_verified(account=account, domain="demo-shop.cn")
    notify(account=account, subject="…", body="…", event="my-app.something")
"""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.accounts.models import AccountService, PlatformAccount
from apps.accounts.preferences import account_language

from .models import OutboundMail, QuotaAlert

logger = logging.getLogger(__name__)

IMPORT_FINISHED = "import_finished"
DOMAIN_VERIFIED = "domain_verified"
QUOTA_LOW = "quota_low"


def notify(
    *,
    account: PlatformAccount,
    subject: str,
    body: str,
    event: str = "",
    recipients: list[str] | None = None,
) -> OutboundMail:
    """Queue a plain-text notification for the account's people (or ``recipients``)."""
    from .tasks import notification_send_task

    mail = OutboundMail.objects.create(
        account=account,
        kind=OutboundMail.Kind.NOTIFICATION,
        event=event[:50],
        subject=subject[:255],
        body=body,
        recipients=list(recipients or []),
    )
    transaction.on_commit(lambda: notification_send_task.delay(mail.pk))
    return mail


def _in_account_language(func):
    """Written in the language the account's owner reads the portal in (no page is being read
    when a worker sends these)."""

    @functools.wraps(func)
    def wrapper(*args, account: PlatformAccount, **kwargs):
        with translation.override(account_language(account=account)):
            return func(*args, account=account, **kwargs)

    return wrapper


def _signature(account: PlatformAccount) -> str:
    return "\n\n-- \n" + _("edmportal, for the U-Mail account %(account)s") % {
        "account": account.company or account.username
    }


@_in_account_language
def notify_import_finished(
    *, account: PlatformAccount, list_name: str, imported: int, rejected: int = 0, detail: str = ""
) -> OutboundMail:
    subject = _("Import finished: %(list)s") % {"list": list_name}
    body = _(
        "The address import into the contact list “%(list)s” has finished.\n\n"
        "Imported: %(imported)s\nRejected (invalid or duplicate): %(rejected)s"
    ) % {"list": list_name, "imported": imported, "rejected": rejected}
    if detail:
        body += "\n\n" + detail
    return notify(
        account=account, subject=subject, body=body + _signature(account), event=IMPORT_FINISHED
    )


@_in_account_language
def notify_domain_verified(*, account: PlatformAccount, domain: str) -> OutboundMail:
    subject = _("Domain verified: %(domain)s") % {"domain": domain}
    body = _(
        "The platform has verified the DNS records of %(domain)s. Its mailboxes can now send "
        "campaigns and transactional mail."
    ) % {"domain": domain}
    return notify(
        account=account, subject=subject, body=body + _signature(account), event=DOMAIN_VERIFIED
    )


def is_quota_low(service: AccountService) -> bool:
    if service.qty_available is None or not service.qty_buytotal:
        return False
    return service.qty_available * 100 < service.qty_buytotal * settings.QUOTA_LOW_PERCENT


@_in_account_language
def quota_checked(*, account: PlatformAccount, service: AccountService) -> OutboundMail | None:
    """Called after each §1.2 refresh: notify once when the quota falls below the alert level.

    The alert re-arms when the quota is back above the level (e.g. after buying more). A failure
    here is logged and never fails the refresh.
    """
    try:
        low = is_quota_low(service)
        with transaction.atomic():
            alert, _created = QuotaAlert.objects.select_for_update().get_or_create(account=account)
            if low == alert.low:
                return None
            alert.low = low
            if not low:
                alert.save(update_fields=["low"])
                return None
            alert.notified_at = timezone.now()
            alert.save(update_fields=["low", "notified_at"])
            subject = _("Sending quota low: %(available)s of %(bought)s credits left") % {
                "available": f"{service.qty_available:,}",
                "bought": f"{service.qty_buytotal:,}",
            }
            body = _(
                "Only %(available)s of the %(bought)s credits bought for %(account)s are left "
                "(below %(percent)s%%). Campaigns and transactional mail stop when they run out: "
                "buy more credits from the platform in time."
            ) % {
                "available": f"{service.qty_available:,}",
                "bought": f"{service.qty_buytotal:,}",
                "account": account.company or account.username,
                "percent": settings.QUOTA_LOW_PERCENT,
            }
            return notify(
                account=account, subject=subject, body=body + _signature(account), event=QUOTA_LOW
            )
    except Exception:
        logger.exception("quota-low notification for %s failed", account)
        return None
