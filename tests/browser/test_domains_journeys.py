"""Journeys: a sender domain added, its DNS records copied, verified once they are published;
an agent switching between its sub-accounts."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import nav, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOMAIN = "promo.demo-shop.cn"


def row(table, domain: str):
    """The table row of one domain (not of its sub-domains)."""
    return table.get_by_role("row", name=re.compile(rf"(^|\s){re.escape(domain)}\s"))


def message(page):
    """The messages shown after a redirect (success: role status, error: role alert)."""
    return page.get_by_role("main").get_by_role("status").or_(page.get_by_role("alert")).first


def test_add_a_domain_publish_its_records_and_verify_it(page, portal, sandbox):
    # Verification waits for the published records only, not for the sandbox's delay.
    sandbox.control("POST", "domains/settings", {"verify_delay": None})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, portal)
    nav(page, "Domains")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sender domains")
    table = page.get_by_test_id("domain-table")
    expect(row(table, "demo-shop.cn")).to_contain_text("Verified")
    expect(row(table, "mail.demo-shop.cn")).to_contain_text("Not verified yet")

    page.get_by_label("Domain", exact=True).fill(f"  {DOMAIN.upper()} ")
    page.get_by_role("button", name="Add domain").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(DOMAIN)
    expect(message(page)).to_contain_text(f"{DOMAIN} was added. Create the DNS records below")
    status = page.get_by_test_id("domain-status")
    expect(status.locator("[data-state]")).to_have_attribute("data-state", "unverified")

    records = page.get_by_test_id("dns-records")
    expect(records.get_by_role("row")).to_have_count(5)  # the header and four records
    expect(records).to_contain_text(f"umail._domainkey.{DOMAIN}")
    spf = records.get_by_role("row", name=re.compile("v=spf1"))
    spf.get_by_role("button", name="Copy").nth(1).click()
    expect(page.locator("#copy-status")).to_have_text("Copied")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("v=spf1 include:spf.bestedm.org"), copied
    screenshot(page, "domain-records")

    # Checked before the records exist: the page says so, and keeps offering the check.
    status.get_by_role("button", name="Verify now").click()
    expect(message(page)).to_contain_text(f"{DOMAIN} is not verified yet")
    expect(status.locator("[data-state]")).to_have_attribute("data-state", "unverified")

    # The customer publishes the records at the DNS provider (the sandbox's control endpoint).
    sandbox.control("POST", f"domains/{DOMAIN}/publish")
    status.get_by_role("button", name="Verify now").click()
    expect(message(page)).to_contain_text(f"{DOMAIN} is verified: you can send from it.")
    expect(status.locator("[data-state]")).to_have_attribute("data-state", "verified")
    expect(status.get_by_role("button", name="Verify now")).to_have_count(0)
    assert sandbox.control("GET", f"domains/{DOMAIN}")["verified"]

    # A sender mailbox under it; its password is shown once.
    page.get_by_label("Mailbox name").fill("spring")
    page.get_by_role("button", name="Add mailbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"spring@{DOMAIN} was created")
    assert len(page.get_by_test_id("password").inner_text()) >= 12
    page.get_by_role("link", name="Done, back to the domain").click()
    expect(page.get_by_test_id("mailbox-table")).to_contain_text(f"spring@{DOMAIN}")
    screenshot(page, "domain-verified")

    nav(page, "Domains")
    expect(row(table, DOMAIN)).to_contain_text("Verified")


def switch_to(page, label: str) -> None:
    page.get_by_label("Working on").select_option(label=label)
    page.get_by_role("button", name="Switch").click()


def test_agent_switches_sub_account(page, portal, sandbox):
    sign_in(page, portal, "agent", "agent-pass", "Agent")
    expect(page.get_by_role("heading", level=1)).to_have_text("Account overview")
    expect(page.get_by_test_id("current-account")).to_contain_text("agent")
    # Sign-in found the agent's sub-accounts on the platform: they are in the header's switcher.
    options = page.get_by_label("Working on").locator("option")
    expect(options).to_have_text(["Own account", re.compile("shop-a"), re.compile("shop-b")])
    expect(page.get_by_test_id("current-scope")).to_have_count(0)

    nav(page, "Domains")
    table = page.get_by_test_id("domain-table")
    expect(table).to_contain_text("agent-sh.cn")
    switch_to(page, "shop-a.cn (1002)")
    # Back on the same section, now for the sub-account, and the header says so.
    expect(page.get_by_role("heading", level=1)).to_have_text("Sender domains")
    expect(message(page)).to_contain_text("You are now working on sub-account shop-a.cn (1002).")
    expect(page.get_by_test_id("current-scope")).to_have_text("Sub-account: shop-a.cn (1002)")
    expect(page.get_by_test_id("scope-notice")).to_contain_text("everything on this page")
    expect(table).to_contain_text("shop-a.cn")
    expect(table).not_to_contain_text("agent-sh.cn")
    expect(table).not_to_contain_text("shop-b.cn")
    screenshot(page, "agent-sub-account-domains")

    # Sections the platform offers only for the signed-in account say so.
    nav(page, "Overview")
    expect(page.get_by_test_id("scope-notice")).to_contain_text("always shows your own account")
    expect(page.get_by_test_id("current-scope")).to_have_text("Sub-account: shop-a.cn (1002)")

    nav(page, "Domains")
    switch_to(page, "shop-b.cn (1003)")
    expect(page.get_by_test_id("current-scope")).to_have_text("Sub-account: shop-b.cn (1003)")
    expect(row(table, "shop-b.cn")).to_contain_text("Not verified yet")
    expect(table).not_to_contain_text("shop-a.cn")

    switch_to(page, "Own account")
    expect(message(page)).to_contain_text("You are working on your own account again.")
    expect(page.get_by_test_id("current-scope")).to_have_count(0)
    expect(table).to_contain_text("agent-sh.cn")
    expect(table).not_to_contain_text("shop-b.cn")
    # Every switch is on the Activity page.
    nav(page, "Activity")
    expect(page.get_by_test_id("audit-table")).to_contain_text("Switched sub-account")
