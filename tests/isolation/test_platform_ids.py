"""Ids that live only on the platform (addresses): another account's id in a URL of my own list
is not found either, because the platform answers for the signed-in account only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.clients import client_for_account
from apps.accounts.models import PlatformAccount

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def others_address(demo_client):
    other = Client()
    assert other.post("/login/", {"username": "other", "password": "other-pass"}).status_code == 302
    account = PlatformAccount.objects.get(username="other")
    with client_for_account(account) as client:
        return client.contacts.addr_list(list_id=601, page=1, limit=1).addresses[0]


@pytest.mark.reliability("isolation", area="another account's ids")
@pytest.mark.parametrize("case", ["contacts:address-edit", "contacts:address-delete"])
def test_another_accounts_address_in_my_list_is_not_found(
    demo_client, demo_account, others_address, fresh_sandbox, case
):
    from apps.contacts.services import list_sync

    list_sync(account=demo_account)
    url = reverse(case, args=[501, others_address.id])
    assert demo_client.get(url).status_code == 404
    assert demo_client.post(url, {"address": "taken@example.com"}).status_code == 404
    # Still there, unchanged, for its owner.
    assert any(c["do"] in ("ml-addr-edit", "ml-addr-del") for c in fresh_sandbox.calls()) is False
