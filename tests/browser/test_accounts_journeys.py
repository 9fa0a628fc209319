"""Journeys: sign in (and a wrong password), the account overview, safety basics."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from .conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_and_overview(page, portal):
    sign_in(page, portal)
    expect(page.get_by_role("heading", level=1)).to_have_text("Account overview")
    expect(page.get_by_test_id("qty-available")).to_have_text("63,250")
    expect(page.get_by_role("meter", name="Quota available")).to_be_visible()
    expect(page.get_by_text("深圳示例科技有限公司").first).to_be_visible()
    assert page.locator("h1").count() == 1
    screenshot(page, "overview")


def test_wrong_password_shows_a_message(page, portal):
    sign_in(page, portal, password="not-the-password")
    expect(page.get_by_role("alert")).to_contain_text(
        "did not accept this username, password and user type"
    )
    expect(page.get_by_label("Username")).to_have_value("demo")
    screenshot(page, "sign-in-wrong-password")


def test_sign_in_by_keyboard_only(page, portal):
    page.goto(f"{portal}/login/")
    page.keyboard.type("demo")  # the username field has autofocus
    page.keyboard.press("Tab")
    page.keyboard.type("demo-pass")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Account overview")


def test_every_sign_in_field_has_a_label(page, portal):
    page.goto(f"{portal}/login/")
    for field in page.locator("input:not([type=hidden]), select, textarea").all():
        field_id = field.get_attribute("id")
        assert field_id and page.locator(f"label[for='{field_id}']").count() == 1
    assert page.locator("h1").count() == 1


def test_form_without_csrf_token_is_refused(page, portal):
    sign_in(page, portal)
    response = page.request.post(f"{portal}/overview/refresh/", form={})
    assert response.status == 403


def test_sign_out(page, portal):
    sign_in(page, portal)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to edmportal")
    page.goto(f"{portal}/")
    expect(page).to_have_url(f"{portal}/login/?next=/")


def test_overview_follows_the_platform_and_survives_its_outage(page, portal, sandbox):
    """The overview after the quota was spent and the service nears its end on the platform; then
    a refresh while the platform fails: a message, and the last figures stay."""
    sign_in(page, portal)
    expect(page.get_by_test_id("qty-available")).to_have_text("63,250")
    soon = (dt.date.today() + dt.timedelta(days=12)).isoformat()
    sandbox.patch_account("demo", qty_available=1500, expiration_date=soon)

    page.get_by_role("button", name="Refresh from the platform").click()
    expect(page.get_by_role("main").get_by_role("status").first).to_contain_text(
        "Account information refreshed from the platform."
    )
    expect(page.get_by_test_id("qty-available")).to_have_text("1,500")
    expect(page.get_by_role("meter", name="Quota available")).to_have_attribute(
        "aria-valuenow", "1500"
    )
    expect(page.get_by_role("alert")).to_contain_text(
        f"Your bulk-mail service expires in 12 days ({soon})."
    )
    screenshot(page, "overview-expiring")

    sandbox.control("POST", "faults", {"kind": "http_error", "status": 502, "times": 10})
    page.get_by_role("button", name="Refresh from the platform").click()
    expect(page.get_by_role("alert").first).to_contain_text(
        "The U-Mail platform could not be reached just now (HTTP 502). Please try again. "
        "Showing the last data fetched."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Account overview")
    expect(page.get_by_test_id("qty-available")).to_have_text("1,500")
    screenshot(page, "overview-platform-down")


def test_pages_run_under_the_content_security_policy(page, portal):
    """Chromium enforces the CSP: no page's script, style or frame is refused, and htmx,
    Bootstrap, Chart.js and CodeMirror still work (the menu, the live parts, the editor)."""
    violations = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.on("pageerror", lambda exc: violations.append(str(exc)))
    sign_in(page, portal)
    expect(page.get_by_role("heading", level=1)).to_have_text("Account overview")
    for path in ("/contacts/", "/templates/new/", "/campaigns/", "/analytics/", "/smtp/"):
        page.goto(f"{portal}{path}")
        page.wait_for_load_state("networkidle")
    page.goto(f"{portal}/templates/new/")
    expect(page.locator(".CodeMirror").first).to_be_visible()  # CodeMirror ran
    assert violations == []


def test_a_locked_out_sign_in_says_so_in_the_browser(page, portal):
    for _ in range(5):
        sign_in(page, portal, password="not-the-password")
    sign_in(page, portal)  # the right password, from the same client: locked for now
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")
