"""The client against the documentation's XML samples, with Session.request faked."""

import datetime as dt
import logging

import pytest
import requests

from apps.umail.client import UmailClient
from apps.umail.errors import (
    AuthenticationFailed,
    MalformedReply,
    PlatformRejected,
    PlatformTimeout,
    PlatformUnavailable,
    RateLimited,
)
from apps.umail.transport import Transport, TransportConfig, redact

from .fakes import FakeSession, canned, make_response

# Pure logic: part of `make check`.
pytestmark = pytest.mark.unit

FAST = TransportConfig(read_retries=2, retry_backoff=0.001)


def client_with(*replies, api_mode="apinew", password="s3cret-密码"):
    session = FakeSession(*replies)
    transport = Transport(
        platform_url="http://platform.test/",
        username="demo",
        password=password,
        api_mode=api_mode,
        config=FAST,
        session=session,
    )
    return UmailClient(transport), session


def test_customer_info_parses_cdata_and_plain_values():
    client, session = client_with(make_response(canned("customer-info.xml")))
    info = client.account.customer_info()
    assert info.id == 10086
    assert info.company == "深圳示例科技有限公司"
    assert info.contact == "张伟"
    assert info.address == "深圳市南山区科技园 <A> 栋 & 3 楼"
    sent = session.sent[0]
    assert sent["method"] == "GET"
    assert sent["url"] == "http://platform.test/mm-ms/apinew/account.php"
    assert sent["params"] == {"do": "customer-info"}
    assert sent["headers"]["Authorization"].startswith("Basic ")


def test_basic_auth_header_is_utf8():
    import base64

    client, session = client_with(make_response(canned("customer-info.xml")))
    client.account.customer_info()
    token = session.sent[0]["headers"]["Authorization"].split()[1]
    assert base64.b64decode(token).decode() == "demo:s3cret-密码"


def test_service_info_types():
    client, _ = client_with(make_response(canned("service-info.xml")))
    info = client.account.service_info()
    assert info.enabled
    assert info.service_type == "all"
    assert info.expiration_date == dt.date(2027, 6, 15)
    assert (info.qty_available, info.qty_buytotal) == (63250, 100000)


def test_missing_and_empty_elements_keep_defaults():
    client, _ = client_with(make_response(canned("service-info-missing.xml")))
    info = client.account.service_info()
    assert info.id == 10086
    assert not info.enabled
    assert info.send_type == ""
    assert info.beginning_date is None and info.expiration_date is None
    assert info.qty_available == 0 and info.qty_buytotal is None


def test_misspelt_element_names_are_read(monkeypatch):
    from dataclasses import dataclass

    from apps.umail import xml

    @dataclass
    class Item:
        description: str = xml.xml_names("description", "descrīption", default="")
        birthday: str = xml.xml_names("birthday", "brithday", default="")

    root = xml.parse(
        "<item><descrīption>说明</descrīption><brithday>1990-01-02</brithday></item>".encode()
    )
    assert xml.to_dataclass(Item, root) == Item(description="说明", birthday="1990-01-02")


def test_unexpected_value_is_malformed():
    body = b"<service><qty_available>lots</qty_available></service>"
    client, _ = client_with(*[make_response(body)] * 3)
    with pytest.raises(MalformedReply, match="qty_available"):
        client.account.service_info()


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><service><id>1 & 2</id></service>',  # not XML, not repairable
        b"<html><body><h1>502 Bad Gateway</h1></body>",  # an HTML error page
        b"",  # an empty 200
        b'<?xml version="1.0"?><service><id>1</id>',  # truncated
    ],
    ids=["unbalanced", "html", "empty", "truncated"],
)
def test_malformed_replies_raise_clear_error_after_retries(body):
    client, session = client_with(*[make_response(body)] * 3)
    with pytest.raises(MalformedReply):
        client.account.service_info()
    assert len(session.sent) == 3  # a read is retried (read_retries=2)


@pytest.mark.parametrize("name", ["xml-bomb.xml", "external-entity.xml"])
def test_entities_are_refused(name):
    client, _ = client_with(*[make_response(canned(name))] * 3)
    with pytest.raises(MalformedReply):
        client.account.customer_info()


def test_wrong_root_element_is_malformed():
    client, _ = client_with(*[make_response(canned("customer-info.xml"))] * 3)
    with pytest.raises(MalformedReply, match="<service>"):
        client.account.service_info()


def test_platform_error_status_carries_its_text():
    client, session = client_with(make_response(canned("result-error.xml")))
    with pytest.raises(PlatformRejected) as err:
        client.account.customer_info()
    assert err.value.status == "add_maillist_error"
    assert err.value.detail == "添加联系人分类时发生错误"
    assert len(session.sent) == 1  # the platform's own answer is final: no retry


def test_http_401_is_bad_credentials_and_not_retried():
    client, session = client_with(make_response("Unauthorized", status=401))
    with pytest.raises(AuthenticationFailed):
        client.account.customer_info()
    assert len(session.sent) == 1


def test_legacy_auth_error_status_is_bad_credentials():
    client, session = client_with(make_response(canned("auth-error-legacy.xml")), api_mode="api")
    with pytest.raises(AuthenticationFailed):
        client.account.customer_info()


def test_legacy_mode_sends_md5_password_as_get_parameters():
    import hashlib

    client, session = client_with(make_response(canned("customer-info.xml")), api_mode="api")
    client.account.customer_info()
    sent = session.sent[0]
    assert sent["url"] == "http://platform.test/mm-ms/api/account.php"
    assert sent["params"]["username"] == "demo"
    assert sent["params"]["password"] == hashlib.md5("s3cret-密码".encode()).hexdigest()
    assert "Authorization" not in sent["headers"]


def test_5xx_then_success_is_retried_for_reads():
    client, session = client_with(
        make_response("oops", status=503), make_response(canned("service-info.xml"))
    )
    assert client.account.service_info().qty_available == 63250
    assert len(session.sent) == 2


def test_timeout_maps_to_platform_timeout():
    client, session = client_with(*[requests.ReadTimeout("slow")] * 3)
    with pytest.raises(PlatformTimeout):
        client.account.service_info()
    assert len(session.sent) == 3


def test_connection_error_maps_to_unavailable():
    client, _ = client_with(*[requests.ConnectionError("refused")] * 3)
    with pytest.raises(PlatformUnavailable):
        client.account.service_info()


def test_429_is_rate_limited():
    client, _ = client_with(*[make_response("slow down", status=429)] * 3)
    with pytest.raises(RateLimited):
        client.account.service_info()


def test_writes_are_never_retried():
    client, session = client_with(requests.ReadTimeout("slow"), make_response(b"never used"))
    with pytest.raises(PlatformTimeout):
        client.transport.call("mloperate.php", "maillist-add", data={"subject": "x"}, write=True)
    assert len(session.sent) == 1
    assert session.sent[0]["method"] == "POST"


def test_logs_never_contain_password_or_authorization(caplog):
    caplog.set_level(logging.DEBUG, logger="apps.umail")
    client, _ = client_with(make_response(canned("customer-info.xml")), api_mode="api")
    client.account.customer_info()
    client2, _ = client_with(make_response(canned("customer-info.xml")))
    client2.account.customer_info()
    text = caplog.text
    assert "umail GET" in text
    assert "s3cret" not in text and "Basic " not in text
    assert repr(client.transport).count("s3cret") == 0


def test_redact():
    assert redact("http://x/a.php?username=u&password=abc&pwd=q") == (
        "http://x/a.php?username=u&password=***&pwd=***"
    )


def test_gbk_declared_reply_is_read():
    body = canned("customer-info.xml").decode().replace('encoding="UTF-8"', 'encoding="GBK"')
    client, _ = client_with(make_response(body.encode("gbk")))
    assert client.account.customer_info().company == "深圳示例科技有限公司"


def test_gbk_mislabelled_as_utf8_is_read():
    client, _ = client_with(make_response(canned("customer-info.xml").decode().encode("gbk")))
    assert client.account.customer_info().contact == "张伟"


def test_undecodable_reply_is_malformed():
    body = b'<?xml version="1.0"?><customer><company>\xff\xfe\xff</company></customer>'
    client, _ = client_with(*[make_response(body)] * 3)
    with pytest.raises(MalformedReply):
        client.account.customer_info()
