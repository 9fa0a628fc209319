"""Domain and mailbox pages of an ordinary account, against the sandbox process."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.urls import reverse

from apps.core.models import AuditEntry
from apps.domains.models import DomainSync, Mailbox, SenderDomain

pytestmark = pytest.mark.django_db


def calls(sandbox, since, do=None):
    rows = [c for c in sandbox.calls(since=since) if c["script"] == "bs.php"]
    return [c for c in rows if do is None or c["do"] == do]


def last_seq(sandbox):
    rows = sandbox.calls()
    return rows[-1]["seq"] if rows else 0


def domain(account, name):
    return SenderDomain.objects.get(account=account, customer_id="", domain=name)


def test_list_marks_system_domains_states_and_counts(demo, demo_account):
    r = demo.get(reverse("domains:index"))
    html = r.content.decode()
    assert r.status_code == 200
    assert html.count("<h1") == 1
    rows = {
        d.domain: (d.is_system, d.verified, d.mailbox_count)
        for d in SenderDomain.objects.filter(account=demo_account)
    }
    assert rows == {
        "edm.bestedm.org": (True, True, None),
        "demo-shop.cn": (False, True, 2),
        "mail.demo-shop.cn": (False, False, 0),
    }
    assert 'data-state="system"' in html and 'data-state="unverified"' in html
    assert "Verify the selected domains now" in html
    assert set(Mailbox.objects.filter(account=demo_account).values_list("address", flat=True)) == {
        "notice@demo-shop.cn",
        "news@demo-shop.cn",
    }
    assert DomainSync.objects.get(account=demo_account, customer_id="").synced_at is not None


def test_index_reads_the_mirror_after_the_first_visit(demo, no_dns_delay):
    demo.get(reverse("domains:index"))
    since = last_seq(no_dns_delay)
    assert demo.get(reverse("domains:index")).status_code == 200
    assert calls(no_dns_delay, since) == []


def test_add_domain_shows_its_dns_records_and_is_audited(demo, demo_account, no_dns_delay):
    demo.get(reverse("domains:index"))
    since = last_seq(no_dns_delay)
    r = demo.post(reverse("domains:add"), {"domain": "News.Example.com"})
    obj = domain(demo_account, "news.example.com")
    assert r.status_code == 302 and r["Location"] == reverse("domains:detail", args=[obj.pk])
    assert (obj.verified, obj.check_status, obj.platform_id is not None) == (False, 2, True)
    assert obj.next_check_at is not None
    added = calls(no_dns_delay, since, "customer-domain-add")
    assert len(added) == 1 and added[0]["params"] == {"domain": "news.example.com"}

    page = demo.get(r["Location"]).content.decode()
    expected = no_dns_delay.control("GET", "domains/news.example.com")["records"]
    for record in expected:
        assert record["host"] in page
        assert record["value"] in page
    assert page.count('class="btn btn-sm btn-link p-0 ms-1 copy-btn"') == 2 * len(expected)
    assert "js/domains-copy.js" in page
    assert f'hx-get="/domains/{obj.pk}/status/"' in page  # live status while unverified

    entry = AuditEntry.objects.get(account=demo_account, action="domains.domain.add")
    assert (entry.outcome, entry.target, entry.platform_status) == (
        "ok",
        "news.example.com",
        "success",
    )


def test_bad_domain_is_refused_before_the_platform(demo, no_dns_delay):
    demo.get(reverse("domains:index"))
    since = last_seq(no_dns_delay)
    for bad in ("not a domain", "http://x.com", "me@x.com", "localhost"):
        r = demo.post(reverse("domains:add"), {"domain": bad}, follow=True)
        assert "Enter a domain name" in r.content.decode(), bad
    assert calls(no_dns_delay, since) == []


def test_platform_refusal_is_shown(demo, demo_account):
    r = demo.post(reverse("domains:add"), {"domain": "other-trade.cn"}, follow=True)
    assert r.status_code == 200
    assert "域名已存在" in r.content.decode()
    assert not SenderDomain.objects.filter(account=demo_account, domain="other-trade.cn").exists()
    entry = AuditEntry.objects.get(account=demo_account, action="domains.domain.add")
    assert (entry.outcome, entry.platform_status) == ("refused", "add_domain_error")


def test_verify_on_demand_one_and_many(demo, demo_account, no_dns_delay):
    demo.get(reverse("domains:index"))
    demo.post(reverse("domains:add"), {"domain": "a.example.com"})
    demo.post(reverse("domains:add"), {"domain": "b.example.com"})
    a, b = domain(demo_account, "a.example.com"), domain(demo_account, "b.example.com")
    no_dns_delay.control("POST", "domains/a.example.com/publish")
    since = last_seq(no_dns_delay)
    r = demo.post(reverse("domains:verify"), {"domains": [a.pk, b.pk]}, follow=True)
    html = r.content.decode()
    assert "a.example.com is verified" in html
    assert "b.example.com is not verified yet" in html
    check = calls(no_dns_delay, since, "domain-check")
    assert len(check) == 1 and check[0]["params"] == {"domains": "a.example.com,b.example.com"}
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.verified and a.verified_at and a.next_check_at is None
    assert not b.verified and b.next_check_at is not None and b.check_status == 2
    # From the detail page, back to it.
    no_dns_delay.control("POST", "domains/b.example.com/publish")
    r = demo.post(reverse("domains:verify"), {"domains": [b.pk], "back": "detail"})
    assert r["Location"] == reverse("domains:detail", args=[b.pk])
    b.refresh_from_db()
    assert b.verified
    assert demo.get(reverse("domains:status", args=[b.pk])).content.decode().count("hx-get") == 0


def test_verify_refuses_ids_of_another_account(demo, demo_account):
    from apps.accounts.tests.factories import platform_account

    from .factories import sender_domain

    stranger = sender_domain(platform_account(), "stranger.example.com", verified=False)
    r = demo.post(reverse("domains:verify"), {"domains": [stranger.pk]}, follow=True)
    assert "not in this account" in r.content.decode()
    assert r.status_code == 200


def test_delete_verified_domain_is_refused_with_the_reason(demo, demo_account):
    demo.get(reverse("domains:index"))
    verified = domain(demo_account, "demo-shop.cn")
    r = demo.get(reverse("domains:delete", args=[verified.pk]))
    assert "does not delete verified domains" in r.content.decode()
    r = demo.post(
        reverse("domains:delete", args=[verified.pk]), {"confirm": "demo-shop.cn"}, follow=True
    )
    assert "已经验证通过的域名不能删除" in r.content.decode()
    assert SenderDomain.objects.filter(pk=verified.pk).exists()
    entry = AuditEntry.objects.get(action="domains.domain.delete")
    assert (entry.outcome, entry.platform_status) == ("refused", "del_domain_error")


def test_delete_unverified_domain(demo, demo_account, no_dns_delay):
    demo.get(reverse("domains:index"))
    pending = domain(demo_account, "mail.demo-shop.cn")
    r = demo.post(reverse("domains:delete", args=[pending.pk]))
    assert r.status_code == 200 and "This cannot be undone" in r.content.decode()
    assert SenderDomain.objects.filter(pk=pending.pk).exists()  # not without the typed name
    r = demo.post(reverse("domains:delete", args=[pending.pk]), {"confirm": "mail.demo-shop.cn"})
    assert r.status_code == 302 and r["Location"] == reverse("domains:index")
    assert not SenderDomain.objects.filter(pk=pending.pk).exists()
    assert not no_dns_delay.control("GET", "domains/mail.demo-shop.cn")["known"]


def test_system_domain_cannot_be_deleted_or_get_mailboxes(demo, demo_account, no_dns_delay):
    demo.get(reverse("domains:index"))
    system = domain(demo_account, "edm.bestedm.org")
    since = last_seq(no_dns_delay)
    r = demo.post(reverse("domains:delete", args=[system.pk]), follow=True)
    assert "cannot be deleted" in r.content.decode()
    r = demo.post(reverse("domains:mailbox-add", args=[system.pk]), {"name": "x"}, follow=True)
    assert "managed by the platform" in r.content.decode()
    assert calls(no_dns_delay, since) == []
    page = demo.get(reverse("domains:detail", args=[system.pk])).content.decode()
    assert 'data-testid="dns-records"' not in page


def test_mailbox_add_shows_the_generated_password_once_and_never_stores_it(
    demo, demo_account, no_dns_delay
):
    demo.get(reverse("domains:index"))
    parent = domain(demo_account, "demo-shop.cn")
    since = last_seq(no_dns_delay)
    r = demo.post(reverse("domains:mailbox-add", args=[parent.pk]), {"name": "Sales"})
    assert r.status_code == 200
    assert "no-store" in r["Cache-Control"]
    password = re.search(r'data-testid="password">([^<]+)<', r.content.decode()).group(1)
    assert len(password) == 20
    assert any(c.isupper() for c in password) and any(c.isdigit() for c in password)
    box = Mailbox.objects.get(account=demo_account, address="sales@demo-shop.cn")
    assert box.domain == parent
    parent.refresh_from_db()
    assert parent.mailbox_count == 3
    sent = calls(no_dns_delay, since, "mailbox-add")
    assert sent[0]["params"] == {"mailbox": "sales@demo-shop.cn"}  # pwd never logged
    assert sent[0]["method"] == "POST"
    # Nowhere in the portal's database, not in the session, not in the audit log.
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from introspection
            for row in cursor.fetchall():
                assert all(password not in str(v) for v in row), table
    # The page after a reload does not show it again.
    assert password not in demo.get(reverse("domains:detail", args=[parent.pk])).content.decode()
    entry = AuditEntry.objects.get(action="domains.mailbox.add")
    assert entry.target == "sales@demo-shop.cn" and entry.outcome == "ok"


def test_mailbox_add_with_own_password_and_refusals(demo, demo_account, no_dns_delay):
    demo.get(reverse("domains:index"))
    parent = domain(demo_account, "demo-shop.cn")
    url = reverse("domains:mailbox-add", args=[parent.pk])
    since = last_seq(no_dns_delay)
    for data, words in (
        ({"name": "bad name"}, "lower-case letters"),
        ({"name": "x@other.cn"}, "must be under demo-shop.cn"),
        ({"name": "ok", "password": "short1"}, "12 to 32"),
        ({"name": "ok", "password": "onlyletterspassword"}, "one letter and one digit"),
        ({"name": "ok", "password": "with space 12345"}, "no spaces"),
    ):
        r = demo.post(url, data, follow=True)
        assert words in r.content.decode(), data
    assert calls(no_dns_delay, since) == []
    r = demo.post(url, {"name": "own@demo-shop.cn", "password": "My-own-pass-2026"})
    assert "My-own-pass-2026" in r.content.decode()
    assert Mailbox.objects.filter(address="own@demo-shop.cn").exists()
    r = demo.post(url, {"name": "notice"}, follow=True)
    assert "账号已存在" in r.content.decode()


def test_mailbox_change_password_and_delete(demo, demo_account, no_dns_delay):
    demo.get(reverse("domains:index"))
    box = Mailbox.objects.get(account=demo_account, address="news@demo-shop.cn")
    url = reverse("domains:mailbox-password", args=[box.pk])
    page = demo.get(url)
    assert page.status_code == 200 and "<label" in page.content.decode()
    r = demo.post(url, {"password": ""})
    new = re.search(r'data-testid="password">([^<]+)<', r.content.decode()).group(1)
    state = no_dns_delay.control("GET", "domains/demo-shop.cn")
    assert "news@demo-shop.cn" in state["mailboxes"]
    box.refresh_from_db()
    assert box.password_changed_at is not None
    assert AuditEntry.objects.get(action="domains.mailbox.password").target == box.address
    assert new not in str(list(AuditEntry.objects.values_list("detail", "message")))
    r = demo.post(url, {"password": "bad"})
    assert r.status_code == 200 and "12 to 32" in r.content.decode()

    assert (
        "Delete news@demo-shop.cn?"
        in demo.get(reverse("domains:mailbox-delete", args=[box.pk])).content.decode()
    )
    r = demo.post(reverse("domains:mailbox-delete", args=[box.pk]))
    assert r["Location"] == reverse("domains:detail", args=[box.domain_id])
    assert not Mailbox.objects.filter(pk=box.pk).exists()
    assert (
        "news@demo-shop.cn" not in no_dns_delay.control("GET", "domains/demo-shop.cn")["mailboxes"]
    )


def test_mailbox_list_is_paged_and_filtered(demo, demo_account):
    from .factories import mailbox, sender_domain

    parent = sender_domain(demo_account, "big.example.com")
    for i in range(45):
        mailbox(parent, f"user{i:02d}")
    url = reverse("domains:detail", args=[parent.pk])
    first = demo.get(url).content.decode()
    assert first.count("@big.example.com</td>") == 30
    second = demo.get(url + "?page=2").content.decode()
    assert second.count("@big.example.com</td>") == 15
    only = demo.get(url + "?address=user4").content.decode()
    assert only.count("@big.example.com</td>") == 5


def test_refresh_reports_platform_failure_without_error_page(demo, demo_account, settings):
    demo.get(reverse("domains:index"))
    settings.UMAIL_PLATFORM_URL = "http://127.0.0.1:9/"
    demo_account.platform_url = "http://127.0.0.1:9/"
    demo_account.save()
    r = demo.post(reverse("domains:refresh"), follow=True)
    assert r.status_code == 200
    html = r.content.decode()
    assert "could not be reached" in html and "Showing the last data fetched" in html
    assert "demo-shop.cn" in html  # the last local data
    sync = DomainSync.objects.get(account=demo_account, customer_id="")
    assert sync.last_error
    # Writes too: a message, no 500, nothing changed locally.
    r = demo.post(reverse("domains:add"), {"domain": "down.example.com"}, follow=True)
    assert r.status_code == 200 and "could not be reached" in r.content.decode()
    assert not SenderDomain.objects.filter(domain="down.example.com").exists()
    assert AuditEntry.objects.get(action="domains.domain.add").outcome == "failed"


def test_another_accounts_objects_are_404(demo, demo_account):
    from apps.accounts.tests.factories import platform_account

    from .factories import mailbox, sender_domain

    theirs = sender_domain(platform_account(), "theirs.example.com")
    box = mailbox(theirs)
    for name, pk in (
        ("domains:detail", theirs.pk),
        ("domains:status", theirs.pk),
        ("domains:delete", theirs.pk),
        ("domains:mailbox-password", box.pk),
        ("domains:mailbox-delete", box.pk),
    ):
        assert demo.get(reverse(name, args=[pk])).status_code == 404, name
        assert demo.post(reverse(name, args=[pk])).status_code == 404, name
    assert (
        demo.post(reverse("domains:mailbox-add", args=[theirs.pk]), {"name": "x"}).status_code
        == 404
    )
