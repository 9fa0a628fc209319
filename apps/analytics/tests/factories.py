"""Test data for analytics: campaigns sent through the sandbox and the platform's own answers,
read over plain HTTP (never through the portal's client), to compare the portal with."""

from __future__ import annotations

import json

import requests
from django.urls import reverse
from django.utils import timezone

from apps.accounts.clients import client_for_account
from apps.campaigns.models import Campaign
from apps.campaigns.services import campaigns_sync_account
from apps.umail.send_tasks import TaskParams

DEMO_AUTH = ("demo", "demo-pass")
# A list whose fates are known: the sandbox bounces `bounce*` (not exist), `full*` (mailbox
# full), `reject*`, refuses `spam*` and `*.invalid` (invalid); `ok*` are drawn at random.
LINES = [
    "bounce1@x.cn;a",
    "bounce2@x.cn;b",
    "full1@x.cn;c",
    "reject1@x.cn;d",
    "spam1@x.cn;e",
    "z1@q.invalid;f",
] + [f"ok{i}@x.cn;n{i}" for i in range(30)]


def url(name, *args):
    return reverse(f"analytics:{name}", args=args)


def platform(sandbox, script, auth=DEMO_AUTH, **params):
    """The sandbox's raw reply to an API call."""
    response = requests.get(
        f"{sandbox.url}mm-ms/apinew/{script}", params=params, auth=auth, timeout=20
    )
    response.raise_for_status()
    return response


def platform_json(sandbox, script, **params):
    return json.loads(platform(sandbox, script, out_type="json", **params).content)


def platform_xml(sandbox, script, **params):
    import xml.etree.ElementTree as ET

    return ET.fromstring(platform(sandbox, script, **params).content)


def make_list(account, name: str, lines: list[str]) -> int:
    """A new contact list on the platform with these `email;name` lines."""
    with client_for_account(account) as client:
        list_id = client.contacts.maillist_add(subject=name)
        client.contacts.addr_add_batch(list_id=list_id, lines=lines)
    return list_id


def send(account, sandbox, *, list_id=501, tpl=501, track=2, days=3.0, mirror=True) -> Campaign:
    """A campaign sent at once to a list and run on the sandbox's clock for `days` (so that it
    finished and its opens and clicks arrived), mirrored by the campaigns app."""
    with client_for_account(account) as client:
        task_id = client.tasks.add_task(
            TaskParams(
                tpl_ids=(tpl,),
                maillist_id=list_id,
                time=timezone.now(),
                status=2,
                track_status=track,
                send_account="notice@demo-shop.cn",
            )
        )
    if days:
        sandbox.control("POST", f"tasks/{task_id}/fast-forward", {"seconds": days * 86400})
    if mirror:
        campaigns_sync_account(account=account, full=True)
        return Campaign.objects.get(account=account, platform_id=task_id)
    return task_id


def mirror_campaigns(account) -> list[Campaign]:
    campaigns_sync_account(account=account, full=True)
    return list(Campaign.objects.filter(account=account, platform_id__isnull=False))


def list_addresses(sandbox, list_id: int) -> set[str]:
    root = platform_xml(sandbox, "mloperate.php", do="ml-addr-list", list_id=list_id, limit=5000)
    return {a.findtext("address").strip().lower() for a in root.findall("addr")}
