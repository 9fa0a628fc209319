"""Lists, addresses, exports and subscriptions through the pages, against the sandbox."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from apps.accounts.tests.factories import member, platform_account
from apps.contacts import selectors
from apps.contacts.models import MailList, Suppression
from apps.core.models import AuditEntry

from .factories import mail_list

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"contacts:{name}", args=args)


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_index_syncs_and_lists_the_platforms_lists(demo_client, demo_account):
    body = page(demo_client.get(url("index")))
    assert "VIP 客户" in body and "Newsletter subscribers" in body and "旧客户（停用）" in body
    assert body.count("<h1") == 1
    vip = MailList.objects.get(account=demo_account, platform_id=501)
    assert vip.count == 25 and vip.enabled
    body = page(demo_client.get(url("index"), {"status": "disabled"}))
    assert "旧客户（停用）" in body and "VIP 客户" not in body
    body = page(demo_client.get(url("index"), {"q": "news"}))
    assert "Newsletter subscribers" in body and "VIP 客户" not in body


def test_create_rename_disable_delete(demo_client, demo_account, fresh_sandbox):
    r = demo_client.post(
        url("list-create"), {"subject": "春季活动", "description": "2026", "status": "enabled"}
    )
    maillist = MailList.objects.get(account=demo_account, subject="春季活动")
    assert r["Location"] == url("list-detail", maillist.platform_id)
    list_id = maillist.platform_id

    demo_client.post(
        url("list-edit", list_id), {"subject": "春季大促", "description": "", "status": "enabled"}
    )
    demo_client.post(url("list-status", list_id))
    demo_client.get(url("index"))
    body = page(demo_client.post(url("lists-refresh"), follow=True))
    assert "春季大促" in body
    maillist.refresh_from_db()
    assert (maillist.subject, maillist.status) == ("春季大促", "disabled")  # from the platform

    body = page(demo_client.get(url("list-delete", list_id)))
    assert "Delete the list" in body and "campaign-warning" not in body
    body = page(demo_client.post(url("list-delete", list_id), {"confirm": "春季"}))
    assert "nothing was deleted" in body  # the name must be typed in full
    assert MailList.objects.filter(platform_id=list_id).exists()
    r = demo_client.post(url("list-delete", list_id), {"confirm": "春季大促"})
    assert r["Location"] == url("index")
    assert not MailList.objects.filter(platform_id=list_id).exists()
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    for action in ("contacts.list.create", "contacts.list.update", "contacts.list.delete"):
        assert action in actions


def test_duplicate_name_is_refused_with_the_platforms_words(demo_client):
    demo_client.get(url("index"))
    body = page(demo_client.post(url("list-create"), {"subject": "VIP 客户", "status": "enabled"}))
    assert "联系人分类名称已存在" in body


def test_delete_warns_about_scheduled_campaigns(demo_client, monkeypatch):
    demo_client.get(url("index"))
    monkeypatch.setattr(
        selectors, "list_scheduled_campaigns", lambda *, account, list_id: ["Spring sale"]
    )
    body = page(demo_client.get(url("list-delete", 501)))
    assert "campaign-warning" in body and "Spring sale" in body
    body = page(demo_client.post(url("list-delete", 501), follow=True))
    assert MailList.objects.filter(platform_id=501).exists()  # not without acknowledging
    demo_client.post(url("list-delete", 501), {"acknowledge": "1", "confirm": "VIP 客户"})
    assert not MailList.objects.filter(platform_id=501).exists()


def test_empty_needs_the_typed_name(demo_client, demo_account):
    demo_client.get(url("index"))
    body = page(demo_client.post(url("list-empty", 502), {"confirm": "wrong"}))
    assert "nothing was changed" in body
    assert MailList.objects.get(platform_id=502).count == 12
    r = demo_client.post(url("list-empty", 502), {"confirm": "Newsletter subscribers"})
    assert r.status_code == 302
    demo_client.post(url("lists-refresh"))
    assert MailList.objects.get(platform_id=502).count == 0


def test_variable_names_are_headers_labels_and_merge_tags(demo_client, demo_account):
    demo_client.get(url("index"))
    demo_client.post(url("list-variables", 501), {"var1": "Membership level", "var2": "积分"})
    labels = selectors.list_field_labels(account=demo_account, list_id=501)
    assert labels["var1"] == "Membership level" and labels["var3"] == "var3"
    body = page(demo_client.get(url("list-detail", 501)))
    assert "Membership level" in body and "积分" in body
    body = page(demo_client.get(url("address-create", 501)))
    assert '<label class="form-label" for="id_var1">Membership level</label>' in body
    body = page(demo_client.post(url("list-variables", 501), {"var1": "x", "var2": "X"}))
    assert "same name" in body


def test_addresses_are_paged_and_searched_from_the_platform(demo_client):
    demo_client.get(url("index"))
    body = page(demo_client.get(url("list-detail", 501)))
    assert "member001@list501.example.com" in body and "25 matches" in body
    assert "金卡" in body  # var1
    body = page(demo_client.get(url("list-detail", 501), {"q": "member02"}))
    assert "6 matches" in body  # member020..025
    assert "member001@" not in body
    body = page(demo_client.get(url("addresses"), {"q": "member001"}))
    assert "member001@list501.example.com" in body and "member001@list502.example.com" in body


def test_paging_beyond_the_first_page(demo_client, fresh_sandbox):
    fresh_sandbox.control(
        "POST", "contacts/generate", {"username": "demo", "list_id": 503, "count": 120}
    )
    demo_client.get(url("index"))
    body = page(demo_client.get(url("list-detail", 503), {"page": 3}))
    assert "123 matches" in body
    assert body.count("/addresses/") // 2 == 23  # edit + delete link per row on the last page


def test_add_edit_delete_an_address(demo_client, demo_account):
    demo_client.get(url("index"))
    r = demo_client.post(
        url("address-create", 502),
        {
            "address": "han.meimei@example.cn",
            "fullname": "韩梅梅",
            "sex": "F",
            "birthday": "1992-03-04",
            "phone": "13500001111",
            "area": "北京市",
            "var1": "金卡",
        },
    )
    assert r.status_code == 302
    body = page(demo_client.get(url("list-detail", 502), {"q": "han.meimei"}))
    assert "韩梅梅" in body and "1992-03-04" in body
    from apps.contacts import services

    found = services.address_page(account=demo_account, list_id=502, keyword="han.meimei")
    address_id = found.addresses[0].id
    body = page(demo_client.get(url("address-edit", 502, address_id)))
    assert 'value="韩梅梅"' in body
    r = demo_client.post(
        url("address-edit", 502, address_id),
        {"address": "han.meimei@example.cn", "fullname": "韩梅", "var2": "VIP"},
    )
    assert r.status_code == 302
    found = services.address_page(account=demo_account, list_id=502, keyword="han.meimei")
    assert (found.addresses[0].fullname, found.addresses[0].var1, found.addresses[0].var2) == (
        "韩梅",
        "",
        "VIP",
    )
    body = page(demo_client.post(url("address-create", 502), {"address": "not valid"}))
    assert "valid e-mail address" in body
    assert demo_client.post(url("address-delete", 502, address_id)).status_code == 302
    assert services.address_page(account=demo_account, list_id=502, keyword="han.meimei").total == 0


def test_another_accounts_ids_give_404(demo_client, demo_account, fresh_sandbox):
    demo_client.get(url("index"))
    # List 601 belongs to "other" on the platform; a local row of another portal account too.
    stranger = platform_account(username="stranger")
    theirs = mail_list(stranger, platform_id=777, subject="Theirs")
    for name in ("list-detail", "list-edit", "list-delete", "list-empty", "subscriptions"):
        assert demo_client.get(url(name, 601)).status_code == 404
        assert demo_client.get(url(name, theirs.platform_id)).status_code == 404
    assert demo_client.get(url("export", 601, "addresses", "csv")).status_code == 404
    assert demo_client.post(url("list-status", 601)).status_code == 404
    # An address id of the other account's list, under our own list id.
    from apps.umail.client import UmailClient

    with UmailClient.connect(
        platform_url=fresh_sandbox.url, username="other", password="other-pass"
    ) as other:
        foreign = other.contacts.addr_list(list_id=601, page=1).addresses[0].id
    assert demo_client.get(url("address-edit", 501, foreign)).status_code == 404
    assert demo_client.post(url("address-delete", 501, foreign)).status_code == 404


def test_viewer_cannot_write(client, fresh_sandbox):
    account = platform_account(
        username="demo", password="demo-pass", platform_url=fresh_sandbox.url
    )
    client.force_login(member(account, role="viewer"))
    client.get(url("index"))
    assert client.get(url("list-detail", 501)).status_code == 200
    assert client.post(url("list-create"), {"subject": "x", "status": "enabled"}).status_code == 403
    assert client.get(url("list-empty", 501)).status_code == 403


def test_platform_down_shows_a_message_and_local_data(client):
    account = platform_account(platform_url="http://127.0.0.1:9/")
    mail_list(account, platform_id=5, subject="Kept locally", count=7)
    client.force_login(member(account))
    body = page(client.get(url("index")))
    assert "Kept locally" in body and "could not be reached" in body
    body = page(client.get(url("list-detail", 5)))
    assert "could not be reached" in body
    r = client.get(url("export", 5, "addresses", "xlsx"), follow=True)
    assert "could not be reached" in page(r)


def csv_rows(response):
    data = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(data)))


def test_exports_csv_and_xlsx(demo_client):
    demo_client.get(url("index"))
    r = demo_client.get(url("export", 501, "addresses", "csv"))
    assert r["Content-Type"].startswith("text/csv")
    rows = csv_rows(r)
    assert rows[0] == ["E-mail address", "Name"] and len(rows) == 26
    assert rows[1][0] == "member001@list501.example.com"
    r = demo_client.get(url("export", 501, "addresses", "xlsx"))
    workbook = load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True)
    values = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert len(values) == 26 and values[1][0] == "member001@list501.example.com"
    assert demo_client.get(url("export", 501, "everything", "csv")).status_code == 404


def test_formula_cells_are_neutralised_in_exports(demo_client):
    demo_client.get(url("index"))
    demo_client.post(url("address-create", 502), {"address": "f@example.com", "fullname": "=1+2"})
    rows = csv_rows(demo_client.get(url("export", 502, "addresses", "csv")))
    assert ["f@example.com", "'=1+2"] in rows


def test_subscribe_unsubscribe_and_the_unsubscribe_export(demo_client, demo_account):
    demo_client.get(url("index"))
    body = page(
        demo_client.post(
            url("subscriptions", 502),
            {"action": "subscribe", "addresses": "new1@example.com, 新人\nnew2@example.com\nbad"},
        )
    )
    assert "2 addresses sent to the platform" in body
    assert "订阅成功 2 个" in body  # the platform's own words
    assert "bad" in body.split("Not valid addresses")[1]

    body = page(
        demo_client.post(
            url("subscriptions", 502),
            {
                "action": "unsubscribe",
                "addresses": "new1@example.com\nmember002@list502.example.com",
            },
        )
    )
    assert "退订成功 2 个" in body
    assert set(
        Suppression.objects.filter(account=demo_account, reason="unsubscribe").values_list(
            "email", flat=True
        )
    ) >= {"new1@example.com", "member002@list502.example.com"}
    rows = csv_rows(demo_client.get(url("export", 502, "unsubscribes", "csv")))
    assert rows[0] == ["Unsubscribed at", "E-mail address"]
    emails = [r[1] for r in rows[1:]]
    assert {"new1@example.com", "member002@list502.example.com"} <= set(emails)
    # Exporting also teaches the suppression list what the platform knew.
    assert Suppression.objects.filter(
        account=demo_account, email="left@list502.example.com", source="platform"
    ).exists()


def test_hard_bounces_are_not_subscribed(demo_client, demo_account):
    from apps.contacts.services import suppression_add_many

    demo_client.get(url("index"))
    assert (
        suppression_add_many(
            account=demo_account,
            emails=["Bounce@Example.com"],
            reason="hard_bounce",
            source="analytics",
        )
        == 1
    )
    body = page(
        demo_client.post(
            url("subscriptions", 502), {"action": "subscribe", "addresses": "bounce@example.com"}
        )
    )
    assert "Hard-bounced addresses" in body and "0 addresses sent" in body
