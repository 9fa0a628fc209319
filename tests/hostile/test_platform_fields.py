"""Fields the platform returns are untrusted: HTML and JavaScript in them is shown as text on
every page, links from the platform are never clickable as `javascript:`, and template HTML
runs only inside the sandboxed preview frame.

The hostile values are put on the platform the way a real attacker would: through its API
(list, address and template names; a template's HTML) and, for what the API cannot change
(§1.1 company and contact), the sandbox's control endpoint.
"""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from apps.accounts.clients import client_for_account
from apps.accounts.services import account_refresh_customer, account_refresh_service
from apps.contacts.services import list_sync
from apps.core.models import AuditEntry
from apps.mailtemplates.models import MailTemplate
from apps.mailtemplates.services import template_sync

pytestmark = [pytest.mark.django_db]

PAYLOADS = {
    "company": "<script>alert('company')</script>",
    "contact": "\"><img src=x onerror=alert('contact')>",
    "list": "<script>alert('list')</script>",
    "description": "<svg onload=alert('desc')>",
    "fullname": "<img src=x onerror=alert('name')>",
    "area": "javascript:alert('area')",
    "var1": "</td><script>alert('var')</script>",
    "template": "<iframe src=javascript:alert('tpl')>",
    "subject": "</title><script>alert('subject')</script>",
}
TEMPLATE_HTML = (
    "<p>你好</p><script>alert('template-html')</script>"
    "<a href=\"javascript:alert('link')\">点我</a>"
    '<a href="https://example.com/u">退订</a>'
)
JS_LINK = re.compile(r"""href\s*=\s*["']?\s*(?:&#\w+;|\s)*javascript:""", re.I)


@pytest.fixture
def hostile(demo_client, demo_account, fresh_sandbox):
    fresh_sandbox.patch_account("demo", company=PAYLOADS["company"], contact=PAYLOADS["contact"])
    with client_for_account(demo_account) as client:
        list_id = client.contacts.maillist_add(
            subject=PAYLOADS["list"], description=PAYLOADS["description"]
        )
        address_id = client.contacts.addr_add(
            list_id=list_id,
            address="victim@example.com",
            fullname=PAYLOADS["fullname"],
            area=PAYLOADS["area"],
            var1=PAYLOADS["var1"],
        )
        tpl_id = client.templates.add(
            name=PAYLOADS["template"],
            subjects=[PAYLOADS["subject"], "普通主题"],
            content=TEMPLATE_HTML,
        )
    account_refresh_customer(account=demo_account)
    account_refresh_service(account=demo_account)
    list_sync(account=demo_account)
    template_sync(account=demo_account)
    # The audit log repeats names the platform returned.
    AuditEntry.objects.create(
        account=demo_account, action="contacts.list.create", target=PAYLOADS["list"], outcome="ok"
    )
    template = MailTemplate.objects.get(account=demo_account, platform_id=tpl_id)
    # A campaign mirrors the names of its template and list, and the sender name §6.1 returns
    # (console-made tasks come with whatever their maker typed).
    from apps.campaigns.tests.factories import campaign

    made = campaign(
        demo_account,
        name=PAYLOADS["template"],
        template_ids=[tpl_id],
        template_names=[PAYLOADS["template"]],
        list_id=list_id,
        list_name=PAYLOADS["list"],
        sender_name=PAYLOADS["contact"],
    )
    return {
        "client": demo_client,
        "list": list_id,
        "address": address_id,
        "template": template,
        "campaign": made,
    }


def pages(ctx) -> dict[str, str]:
    client = ctx["client"]
    urls = {
        "overview": reverse("accounts:overview"),
        "lists": reverse("contacts:index"),
        "list detail": reverse("contacts:list-detail", args=[ctx["list"]]),
        "all addresses": reverse("contacts:addresses") + "?q=victim",
        "address edit": reverse("contacts:address-edit", args=[ctx["list"], ctx["address"]]),
        "list edit": reverse("contacts:list-edit", args=[ctx["list"]]),
        "list delete": reverse("contacts:list-delete", args=[ctx["list"]]),
        "subscriptions": reverse("contacts:subscriptions", args=[ctx["list"]]),
        "templates": reverse("mailtemplates:index"),
        "template editor": reverse("mailtemplates:edit", args=[ctx["template"].pk]),
        "template preview": reverse("mailtemplates:preview", args=[ctx["template"].pk]),
        "template delete": reverse("mailtemplates:delete", args=[ctx["template"].pk]),
        "activity": reverse("accounts:audit"),
        "new campaign": reverse("campaigns:new"),
        "campaigns": reverse("campaigns:index"),
        "campaign": reverse("campaigns:detail", args=[ctx["campaign"].pk]),
        "calendar": reverse("campaigns:calendar"),
        "smtp": reverse("smtp:index"),
    }
    out = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        out[name] = response.content.decode()
    return out


@pytest.mark.reliability("hostile", area="platform fields")
@pytest.mark.parametrize("case", sorted(PAYLOADS))
def test_platform_values_are_shown_as_text(hostile, case):
    payload = PAYLOADS[case]
    rendered = pages(hostile)
    raw = [name for name, body in rendered.items() if payload in body]
    assert not raw, f"{case} unescaped on: {raw}"
    shown = [name for name, body in rendered.items() if html.escape(payload) in body]
    if case not in ("area", "var1"):  # shown on pages of the address only
        assert shown, f"{case} is on no page at all: the test would prove nothing"


@pytest.mark.reliability("hostile", area="platform fields")
@pytest.mark.parametrize("case", ["javascript: links"])
def test_no_javascript_link_is_clickable(hostile, case):
    problems = [name for name, body in pages(hostile).items() if JS_LINK.search(body)]
    assert not problems, problems


@pytest.mark.reliability("hostile", area="platform fields")
@pytest.mark.parametrize("case", ["template html only in the sandboxed frame"])
def test_template_html_runs_only_in_the_sandboxed_preview(hostile, case):
    client, template = hostile["client"], hostile["template"]
    for name, body in pages(hostile).items():
        assert "<script>alert('template-html')" not in body, name
    preview = client.get(reverse("mailtemplates:preview", args=[template.pk])).content.decode()
    frame_tag = re.search(r"<iframe[^>]*>", preview).group(0)
    assert 'sandbox=""' in frame_tag or "sandbox " in frame_tag + " "
    assert "allow-scripts" not in frame_tag and "allow-same-origin" not in frame_tag
    frame = client.get(reverse("mailtemplates:preview-frame", args=[template.pk]))
    policy = frame["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy
    assert frame["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.reliability("hostile", area="platform fields")
@pytest.mark.parametrize("case", ["javascript: link from tracking"])
def test_tracked_links_from_the_platform_are_never_clickable(
    demo_client, demo_account, fresh_sandbox, case
):
    """§3 reports the URLs of clicked links; a platform (or a template made in its console) can
    report anything there. The report, the click detail and the export form show it as text."""
    from apps.analytics import services as analytics
    from apps.analytics.models import CampaignReport, DetailFetch
    from apps.analytics.tests.factories import send
    from apps.campaigns.tests.factories import mirror

    mirror(demo_account)
    campaign = send(demo_account, fresh_sandbox, track=2, days=0)
    # Started (its tracked links exist), then the links get the platform's odd URLs.
    fresh_sandbox.control("POST", f"tasks/{campaign.platform_id}/fast-forward", {"seconds": 60})
    hostile = {
        0: "javascript:alert('link')",
        1: "https://example.com/\"><script>alert('url')</script>",
    }
    for position, value in hostile.items():
        fresh_sandbox.control(
            "POST", f"tasks/{campaign.platform_id}/links", {"position": position, "url": value}
        )
    fresh_sandbox.control(
        "POST", f"tasks/{campaign.platform_id}/fast-forward", {"seconds": 3 * 86400}
    )
    from apps.campaigns.services import campaigns_sync_account

    campaigns_sync_account(account=demo_account, full=True)  # the mirror sees it finished
    report_page = demo_client.get(reverse("analytics:report", args=[campaign.pk]))
    assert report_page.status_code == 200
    report = CampaignReport.objects.get(campaign=campaign)
    analytics.report_sync(report=report)
    fetch = DetailFetch.objects.create(
        account=demo_account, report=report, kind=DetailFetch.Kind.CLICKS
    )
    assert analytics.detail_fetch(fetch_id=fetch.pk).state == DetailFetch.State.DONE
    bodies = {
        "report": demo_client.get(reverse("analytics:report", args=[campaign.pk])),
        "clicks": demo_client.get(reverse("analytics:detail", args=[campaign.pk, "clicks"])),
    }
    rendered = {}
    for name, response in bodies.items():
        assert response.status_code == 200, name
        rendered[name] = response.content.decode()
    for name, body in rendered.items():
        assert not JS_LINK.search(body), name
        assert "<script>alert('url')" not in body, name
    assert html.escape(hostile[0]) in rendered["report"]  # shown, as text
    assert html.escape(hostile[1]) in rendered["report"]
