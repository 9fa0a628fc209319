"""The sender pickers other sections use (campaign and SMTP forms)."""

import pytest

from apps.accounts.tests.factories import platform_account
from apps.domains.selectors import sender_domains, sender_mailboxes

from .factories import mailbox, sender_domain

pytestmark = pytest.mark.django_db


def test_sender_domains_and_mailboxes_are_usable_and_scoped():
    account, other = platform_account(), platform_account()
    system = sender_domain(account, "edm.bestedm.org", is_system=True)
    good = sender_domain(account, "good.example.com")
    pending = sender_domain(account, "pending.example.com", verified=False)
    sub = sender_domain(account, "sub.example.com", customer_id="1002")
    sender_domain(other, "theirs.example.com")
    a, b = mailbox(good, "a"), mailbox(good, "b")
    mailbox(pending, "p")
    s = mailbox(sub, "s")

    assert list(sender_domains(account=account)) == [good, system]
    assert list(sender_domains(account=account, customer_id="1002")) == [sub]
    assert list(sender_mailboxes(account=account)) == [a, b]
    assert list(sender_mailboxes(account=account, domain=good)) == [a, b]
    assert list(sender_mailboxes(account=account, domain=" Good.example.com ")) == [a, b]
    assert list(sender_mailboxes(account=account, domain=pending)) == []
    assert list(sender_mailboxes(account=account, customer_id="1002")) == [s]
    assert list(sender_mailboxes(account=other)) == []


def test_dns_records_for_a_domain(settings):
    from apps.domains.dns import required_records

    settings.UMAIL_MAIL_HOST = "mail.test"
    records = {r.key: r for r in required_records("news.example.com")}
    assert set(records) == {"spf", "dkim", "mx", "tracking"}
    assert records["spf"].value == "v=spf1 include:spf.mail.test ~all"
    # A sub-domain's records live in the zone of its registered domain (example.com).
    assert records["spf"].relative_host == "news"
    assert records["dkim"].relative_host == "umail._domainkey.news"
    assert records["dkim"].value.startswith("v=DKIM1; k=rsa; p=MIGf")
    assert (records["mx"].type, records["mx"].value, records["mx"].priority) == (
        "MX",
        "mx.mail.test",
        10,
    )
    assert (records["tracking"].type, records["tracking"].relative_host) == ("CNAME", "edm.news")
    own = {r.key: r for r in required_records("shop.com.cn")}
    assert own["spf"].relative_host == "@" and own["tracking"].relative_host == "edm"
