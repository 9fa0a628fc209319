"""Test data for campaigns: local rows, mirrors of the sandbox, and the wizard driven by forms."""

from __future__ import annotations

import itertools

from django.urls import reverse
from django.utils import timezone

from apps.accounts.clients import client_for_account
from apps.campaigns.models import Campaign

_seq = itertools.count(1)


def url(name, *args):
    return reverse(f"campaigns:{name}", args=args)


def campaign(account, **fields) -> Campaign:
    """A local campaign row (as the mirror or the wizard would have left it)."""
    n = next(_seq)
    defaults = dict(
        name=f"Campaign {n}",
        template_ids=[501],
        template_names=["会员欢迎邮件"],
        list_id=501,
        list_name="VIP 客户",
        sender_kind=Campaign.SenderKind.ADDRESS,
        send_account="notice@demo-shop.cn",
        sender_name="深圳示例科技",
        local_state=Campaign.LocalState.ACTIVE,
        platform_id=700_000 + n,
        status=1,
        send_now=False,
        send_time=timezone.now() + timezone.timedelta(days=1),
    )
    defaults.update(fields)
    return Campaign.objects.create(account=account, **defaults)


def mirror(account) -> None:
    """What the wizard offers comes from the other sections' mirrors: fill them from the
    sandbox, with each template's §5.3 verdict (what the templates poller would store)."""
    from apps.accounts.services import account_refresh_service
    from apps.contacts.services import list_sync
    from apps.domains.services import domains_sync
    from apps.mailtemplates.models import MailTemplate
    from apps.mailtemplates.services import template_sync

    list_sync(account=account)
    template_sync(account=account)
    domains_sync(account=account)
    account_refresh_service(account=account)
    with client_for_account(account) as client:
        for template in MailTemplate.objects.filter(account=account):
            template.apply_status(client.templates.status(template.platform_id))
            template.save()


def wizard(client, *, content=None, audience=None, sender=None, schedule=None, follow=True):
    """Drive the four steps; returns (campaign, last response). Each dict overrides defaults."""
    step1 = {"name": "", "templates": [501]}
    step1.update(content or {})
    response = client.post(url("new"), step1)
    assert response.status_code == 302, response.content.decode()[:3000]
    pk = int(response["Location"].rstrip("/").split("/")[-3])
    steps = (
        ("audience", {"maillist": 501, "scope": "all"}, audience),
        (
            "sender",
            {
                "sender_kind": "address",
                "send_account": "notice@demo-shop.cn",
                "sender_name": "深圳示例科技",
                "track_status": 2,
                "subs_link": "on",
            },
            sender,
        ),
        ("schedule", {"when": "now"}, schedule),
    )
    for step, data, override in steps:
        data = {**data, **(override or {})}
        data = {k: v for k, v in data.items() if v is not None}
        response = client.post(url("step", pk, step), data)
        assert response.status_code == 302, response.content.decode()[:3000]
    return Campaign.objects.get(pk=pk), response


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def task_of(sandbox, task_id: int) -> dict:
    return sandbox.control("GET", f"tasks/{task_id}")


def platform_tasks(sandbox, username: str = "demo") -> list[dict]:
    return sandbox.control("GET", f"tasks?username={username}")["tasks"]
