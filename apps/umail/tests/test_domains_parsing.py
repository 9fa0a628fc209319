"""§7 bs.php against the documentation's XML samples, with Session.request faked."""

import traceback

import pytest

from apps.umail.client import UmailClient
from apps.umail.errors import MalformedReply, PlatformRejected
from apps.umail.transport import Transport, TransportConfig

from .fakes import FakeSession, canned, make_response

# Pure logic: part of `make check`.
pytestmark = pytest.mark.unit

FAST = TransportConfig(read_retries=2, retry_backoff=0.001)


def client_with(*replies, api_mode="apinew"):
    session = FakeSession(*replies)
    transport = Transport(
        platform_url="http://platform.test/",
        username="agent",
        password="agent-pass",
        api_mode=api_mode,
        config=FAST,
        session=session,
    )
    return UmailClient(transport), session


def test_domain_list_marks_system_domains():
    client, session = client_with(make_response(canned("domain-list.xml")))
    items = client.domains.domain_list()
    assert [(d.customer_id, d.domain, d.is_system) for d in items] == [
        (0, "edm.bestedm.org", True),
        (2369, "test.com", False),
        (2370, "shop.we.com", False),
    ]
    sent = session.sent[0]
    assert (sent["method"], sent["url"]) == ("GET", "http://platform.test/mm-ms/apinew/bs.php")
    assert sent["params"] == {"do": "domain-list"}


def test_domain_list_for_a_sub_account_sends_customer_id_and_user_type():
    client, session = client_with(make_response(canned("domain-list-empty.xml")))
    assert client.domains.domain_list(customer_id="1002", user_type="manager") == []
    assert session.sent[0]["params"] == {
        "do": "domain-list",
        "customer_id": "1002",
        "user_type": "manager",
    }


def test_domain_add_both_documented_replies():
    client, session = client_with(
        make_response(canned("customer-domain-add-ok.xml")),
        make_response(canned("customer-domain-add.xml")),
    )
    ok = client.domains.domain_add("test.com")
    assert (ok.domain_id, ok.verified) == (23, True)
    pending = client.domains.domain_add("test.com")
    assert (pending.domain_id, pending.verified) == (23, False)
    # §7.2 documents `domain` as a GET parameter (strict sandbox refuses it in the body).
    assert session.sent[0]["params"] == {"do": "customer-domain-add", "domain": "test.com"}
    assert not session.sent[0]["data"]


def test_domain_check_statuses():
    client, session = client_with(make_response(canned("domain-check.xml")))
    rows = client.domains.domain_check(["test.com", " we.com ", "", "me.com"])
    assert [(r.val, r.status, r.known, r.verified) for r in rows] == [
        ("test.com", 3, True, True),
        ("we.com", 2, True, False),
        ("me.com", 0, False, False),
    ]
    assert rows[1].info == "添加成功但验证不通过"
    assert session.sent[0]["method"] == "POST"
    assert session.sent[0]["data"] == {"domains": "test.com,we.com,me.com"}


def test_domain_check_of_nothing_makes_no_call():
    client, session = client_with()
    assert client.domains.domain_check(["", "  "]) == []
    assert session.sent == []


def test_domain_check_is_a_read_and_is_retried():
    client, session = client_with(
        make_response("", status=502), make_response(canned("domain-check.xml"))
    )
    assert len(client.domains.domain_check(["test.com"])) == 3
    assert len(session.sent) == 2


def test_writes_are_never_retried():
    client, session = client_with(make_response("", status=502))
    from apps.umail.errors import PlatformUnavailable

    with pytest.raises(PlatformUnavailable):
        client.domains.mailbox_add(mailbox="a@test.com", password="Secret-1234")
    assert len(session.sent) == 1


def test_unbalanced_reply_is_recovered():
    # The manual's sample closes <domain_list> with </domain_lst>: read what it says.
    broken = canned("domain-check-unbalanced.xml")
    client, session = client_with(make_response(broken))
    [check] = client.domains.domain_check(["test.com"])
    assert (check.val, check.status) == ("test.com", 3)
    assert len(session.sent) == 1


def test_unrepairable_reply_is_a_clear_error():
    broken = canned("domain-check-unbalanced.xml").replace(b"</domain>", b"</domain")
    client, session = client_with(*[make_response(broken)] * 3)
    with pytest.raises(MalformedReply):
        client.domains.domain_check(["test.com"])
    assert len(session.sent) == 3  # a read: retried, then reported


def test_wrong_root_is_a_clear_error():
    client, _ = client_with(make_response(canned("mailbox-list.xml")))
    with pytest.raises(MalformedReply):
        client.domains.domain_list()


def test_mailbox_list_cdata_and_plain_and_paging_params():
    client, session = client_with(make_response(canned("mailbox-list.xml")))
    rows = client.domains.mailbox_list(
        domain="test.com", customer_id=2369, user_type="manager", page=2
    )
    assert [(m.customer_id, m.domain, m.name, m.mailbox) for m in rows] == [
        (2369, "test.com", "sales", "sales@test.com"),
        (2369, "test.com", "service", "service@test.com"),
    ]
    assert session.sent[0]["params"] == {
        "do": "mailbox-list",
        "domain": "test.com",
        "customer_id": "2369",
        "user_type": "manager",
        "page": "2",
        "limit": "30",
    }


EMPTY_MAILBOXES = '<?xml version="1.0" encoding="UTF-8"?>\n<mailbox_list>\n</mailbox_list>\n'


def test_mailbox_list_all_pages_until_a_short_page():
    client, session = client_with(
        make_response(canned("mailbox-list.xml")), make_response(EMPTY_MAILBOXES)
    )
    rows = client.domains.mailbox_list_all(domain="test.com", page_size=2)
    assert [m.name for m in rows] == ["sales", "service"]
    assert [(s["params"]["page"], s["params"]["limit"]) for s in session.sent] == [
        ("1", "2"),
        ("2", "2"),
    ]


def test_mailbox_password_goes_where_the_manual_puts_it_and_never_into_a_log(caplog):
    # §7.8/§7.10 document `pwd` as a GET parameter: it is sent in the query string, and the
    # transport's log redacts it.
    import logging

    client, session = client_with(
        make_response(canned("customer-domain-add.xml")),
        make_response(canned("customer-domain-add.xml")),
    )
    with caplog.at_level(logging.DEBUG):
        client.domains.mailbox_add(mailbox="a@test.com", password="Top-Secret-99")
        client.domains.mailbox_set_password(
            mailbox="a@test.com", password="Top-Secret-98", customer_id="7", user_type="manager"
        )
    assert session.sent[0]["params"] == {
        "do": "mailbox-add",
        "mailbox": "a@test.com",
        "pwd": "Top-Secret-99",
    }
    assert session.sent[1]["params"]["customer_id"] == "7"
    assert not session.sent[0]["data"] and not session.sent[1]["data"]
    assert "Top-Secret" not in caplog.text


def test_a_failing_request_never_carries_the_query_string_into_the_traceback():
    import requests

    from apps.umail.errors import PlatformUnavailable

    secret_url = "http://x/mm-ms/apinew/bs.php?do=mailbox-add&pwd=Top-Secret-99"
    client, _ = client_with(
        requests.ConnectionError(f"Max retries exceeded with url: {secret_url}")
    )
    with pytest.raises(PlatformUnavailable) as info:
        client.domains.mailbox_add(mailbox="a@test.com", password="Top-Secret-99")
    # The requests error stays chained for debugging, scrubbed of the password at the transport.
    links, exc = [], info.value
    while exc is not None:  # every message of the chain (tracebacks also quote this test's source)
        links.append("".join(traceback.format_exception_only(exc)))
        exc = exc.__cause__ or exc.__context__
    chain = "\n".join(links)
    assert "Top-Secret" not in chain and "Top-Secret" not in str(info.value)


def test_legacy_mode_sends_the_md5_login_and_pwd_in_the_query():
    client, session = client_with(make_response(canned("customer-domain-add.xml")), api_mode="api")
    client.domains.mailbox_add(mailbox="a@test.com", password="Top-Secret-99")
    sent = session.sent[0]
    assert set(sent["params"]) == {"username", "password", "do", "mailbox", "pwd"}


def test_refusal_carries_the_platforms_reason():
    client, _ = client_with(make_response(canned("mailbox-add-exists.xml")))
    with pytest.raises(PlatformRejected) as info:
        client.domains.mailbox_add(mailbox="sales@test.com", password="Xx-123456789")
    assert info.value.status == "add_mailbox_error"
    assert info.value.detail == "账号已存在：sales@test.com"


def test_sub_account_operations_send_the_scope():
    replies = [make_response(canned("customer-domain-add.xml")) for _ in range(4)]
    client, session = client_with(*replies)
    client.domains.domain_add_for(customer_id=1002, domain="x.cn")
    client.domains.domain_delete_for(customer_id=1002, domain="x.cn")
    client.domains.mailbox_delete(mailbox="a@x.cn", customer_id="1002", user_type="manager")
    client.domains.domain_delete("y.cn")
    assert [s["params"]["do"] for s in session.sent] == [
        "domain-add",
        "domain-del",
        "mailbox-del",
        "customer-domain-del",
    ]
    # GET parameters (§7.4/§7.5 take customer_id and domain; no user_type documented there)
    assert session.sent[0]["params"] == {
        "do": "domain-add",
        "customer_id": "1002",
        "domain": "x.cn",
    }
    assert session.sent[2]["params"]["user_type"] == "manager"
    assert session.sent[3]["params"] == {"do": "customer-domain-del", "domain": "y.cn"}
