"""The client against the running sandbox process (real HTTP)."""

import pytest

from apps.umail.client import UmailClient
from apps.umail.errors import AuthenticationFailed, PlatformUnavailable
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


@pytest.mark.parametrize("api_mode", ["apinew", "api"])
def test_account_info_in_both_auth_modes(fresh_sandbox, api_mode):
    with connect(fresh_sandbox, api_mode=api_mode) as client:
        customer = client.account.customer_info()
        service = client.account.service_info()
    assert customer.username == "demo"
    assert customer.company == "深圳示例科技有限公司"
    assert customer.id and service.id == customer.id
    assert service.enabled and service.service_type == "all"
    assert (service.qty_available, service.qty_buytotal) == (63250, 100000)
    assert service.expiration_date > service.beginning_date


@pytest.mark.parametrize("api_mode", ["apinew", "api"])
def test_wrong_password_in_both_auth_modes(sandbox, api_mode):
    with connect(sandbox, password="nope", api_mode=api_mode) as client:
        with pytest.raises(AuthenticationFailed):
            client.account.customer_info()


def test_calls_reach_the_platform_as_documented(sandbox):
    seq = sandbox.calls()
    start = seq[-1]["seq"] if seq else 0
    with connect(sandbox) as client:
        client.account.service_info()
    new = [c for c in sandbox.calls(since=start) if c["username"] == "demo"]
    assert new[-1]["script"] == "account.php" and new[-1]["do"] == "service-info"


@pytest.mark.parametrize(
    ("username", "password", "user_type", "accepted"),
    [
        ("demo", "demo-pass", "", True),
        ("agent", "agent-pass", "agents", True),
        ("manager", "manager-pass", "manager", True),
        ("demo", "wrong", "", False),
        ("demo", "demo-pass", "agents", False),  # right password, wrong user type
        ("nobody", "x", "", False),
    ],
)
def test_console_login(sandbox, username, password, user_type, accepted):
    with connect(sandbox, username=username, password=password) as client:
        result = client.console_login(
            user_type=user_type, errurl="http://portal.test/login/?failed=1"
        )
    assert result is accepted


def test_unreachable_platform():
    client = UmailClient.connect(
        platform_url="http://127.0.0.1:9/", username="demo", password="x", config=CONFIG
    )
    with pytest.raises(PlatformUnavailable):
        client.account.customer_info()
