"""What operations know about the apps that exist today (§1.1/§1.2 accounts and ops' own rows).

Apps that land later register themselves in their own AppConfig.ready() (see registry.py).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.core.registry import register_encrypted_field, register_resync, register_snapshot


def _resync_customer(*, account) -> None:
    from apps.accounts.services import account_refresh_customer

    account_refresh_customer(account=account)


def _resync_service(*, account) -> None:
    from apps.accounts.services import account_refresh_service

    account_refresh_service(account=account)


def register() -> None:
    register_encrypted_field("accounts.PlatformAccount", "password_encrypted")
    register_resync("accounts.customer", _("Company and contact (§1.1)"), order=10)(
        _resync_customer
    )
    register_resync("accounts.service", _("Service and quota (§1.2)"), order=20)(_resync_service)
    register_snapshot(
        "ops.ResyncJob",
        "created_at",
        label=_("Finished resync jobs"),
        only={"status__in": ["done", "failed"]},
    )
    register_snapshot(
        "ops.FailedTask", "failed_at", label=_("Resolved failed jobs"), only={"resolved": True}
    )
