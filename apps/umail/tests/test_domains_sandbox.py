"""§7 through the client against the running sandbox process (real HTTP, both auth modes)."""

import pytest

from apps.umail.client import UmailClient
from apps.umail.errors import PlatformRejected
from apps.umail.transport import TransportConfig

CONFIG = TransportConfig(connect_timeout=2, read_timeout=5, read_retries=1, retry_backoff=0.01)


def connect(sandbox, username="demo", password="demo-pass", api_mode="apinew"):
    return UmailClient.connect(
        platform_url=sandbox.url,
        username=username,
        password=password,
        api_mode=api_mode,
        config=CONFIG,
    )


@pytest.fixture
def box(fresh_sandbox):
    fresh_sandbox.control("POST", "domains/settings", {"verify_delay": None})
    return fresh_sandbox


@pytest.mark.parametrize("api_mode", ["apinew", "api"])
def test_every_domain_operation(box, api_mode):
    with connect(box, api_mode=api_mode) as client:
        api = client.domains
        listed = api.domain_list()
        assert [(d.customer_id, d.domain, d.is_system) for d in listed] == [
            (0, "edm.bestedm.org", True),
            (1001, "demo-shop.cn", False),
            (1001, "mail.demo-shop.cn", False),
        ]
        added = api.domain_add("client.example.com")
        assert added.domain_id and not added.verified
        (check,) = api.domain_check(["client.example.com"])
        assert (check.status, check.known, check.verified) == (2, True, False)
        box.control("POST", "domains/client.example.com/publish")
        (check,) = api.domain_check(["client.example.com"])
        assert check.verified and check.domain_id == added.domain_id

        api.mailbox_add(mailbox="a@client.example.com", password="First-pass-123")
        api.mailbox_add(mailbox="b@client.example.com", password="Second-pass-123")
        api.mailbox_set_password(mailbox="a@client.example.com", password="Changed-pass-123")
        rows = api.mailbox_list(domain="client.example.com")
        assert [m.mailbox for m in rows] == ["a@client.example.com", "b@client.example.com"]
        assert [m.name for m in api.mailbox_list(domain="client.example.com", page=2, limit=1)] == [
            "b"
        ]
        assert len(api.mailbox_list_all(domain="client.example.com", page_size=1)) == 2
        api.mailbox_delete(mailbox="b@client.example.com")
        assert len(api.mailbox_list(domain="client.example.com")) == 1

        with pytest.raises(PlatformRejected) as refused:
            api.domain_delete("client.example.com")  # verified
        assert "验证通过" in refused.value.detail
        api.domain_add("temp.example.com")
        api.domain_delete("temp.example.com")
        assert "temp.example.com" not in [d.domain for d in api.domain_list()]

        with pytest.raises(PlatformRejected):
            api.domain_add_for(customer_id=1002, domain="x.example.com")  # not a manager


def test_agent_acts_for_its_sub_account_with_the_sub_accounts_credentials(box):
    # §7 L3123-3125: user_type=manager needs the administrator's credentials; an agent is
    # refused (strict sandbox) and manages a sub-account by signing in as it.
    with connect(box, "agent", "agent-pass") as client:
        with pytest.raises(PlatformRejected, match="管理员"):
            client.domains.domain_list(customer_id="1002", user_type="manager")
        with pytest.raises(PlatformRejected, match="管理员"):
            client.domains.domain_add_for(customer_id="1002", domain="sub.shop-a.cn")
    with connect(box, "shop-a", "shop-a-pass") as client:
        api = client.domains
        assert {d.domain for d in api.domain_list()} == {"edm.bestedm.org", "shop-a.cn"}
        assert api.domain_add(domain="sub.shop-a.cn").domain_id
        api.mailbox_add(mailbox="m@sub.shop-a.cn", password="Sub-pass-2026")
        assert [m.customer_id for m in api.mailbox_list(domain="sub.shop-a.cn")] == [1002]
        api.mailbox_set_password(mailbox="m@sub.shop-a.cn", password="Sub-pass-2027")
        api.mailbox_delete(mailbox="m@sub.shop-a.cn")
        api.domain_delete("sub.shop-a.cn")


def test_the_administrator_keeps_manager_calls(box):
    with connect(box, "manager", "manager-pass") as client:
        api = client.domains
        scope = {"customer_id": "1002", "user_type": "manager"}
        assert {d.domain for d in api.domain_list(**scope)} == {"edm.bestedm.org", "shop-a.cn"}
        assert api.domain_add_for(customer_id="1002", domain="sub.shop-a.cn").domain_id
        api.mailbox_add(mailbox="m@sub.shop-a.cn", password="Sub-pass-2026", **scope)
        api.mailbox_delete(mailbox="m@sub.shop-a.cn", **scope)
        api.domain_delete_for(customer_id="1002", domain="sub.shop-a.cn")
    with box.profile(profile="permissive"), connect(box, "agent", "agent-pass") as client:
        # the older latitude stays available for platforms that allow it
        assert client.domains.domain_list(customer_id="1002", user_type="manager")
