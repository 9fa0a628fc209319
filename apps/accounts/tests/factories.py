"""Factories for accounts tests (plain functions: no factory library needed for these few)."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.accounts.models import AccountService, Membership, PlatformAccount

_seq = itertools.count(1)


def platform_account(*, username=None, password="pw", user_type="", platform_url=None, **fields):
    account = PlatformAccount(
        username=username or f"user{next(_seq)}", user_type=user_type, **fields
    )
    if platform_url:
        account.platform_url = platform_url
    account.set_password(password)
    account.save()
    return account


def account_service(account, **fields):
    defaults = dict(
        service_status="enabled",
        service_type="all",
        send_type="local",
        qty_available=500,
        qty_buytotal=1000,
        beginning_date=timezone.localdate() - timezone.timedelta(days=10),
        expiration_date=timezone.localdate() + timezone.timedelta(days=300),
        fetched_at=timezone.now(),
    )
    defaults.update(fields)
    return AccountService.objects.create(account=account, **defaults)


def member(account, *, username=None, role=Membership.Role.OWNER):
    user = get_user_model().objects.create(username=username or f"member{next(_seq)}")
    user.set_unusable_password()
    user.save()
    Membership.objects.create(user=user, account=account, role=role)
    return user
