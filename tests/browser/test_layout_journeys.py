"""The layout on a phone (375 px: no horizontal scroll, the menu), the language switch in the
header, and toasts for background jobs, in headless Chromium."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import screenshot, sign_in


def sign_in_chinese(page, portal):
    """The sign-in page in the browser's language (a Chinese phone)."""
    page.goto(f"{portal}/login/")
    page.get_by_label("用户名").fill("demo")
    page.get_by_label("密码").fill("demo-pass")
    page.get_by_label("用户类型").select_option(label="普通用户")
    page.get_by_role("button", name="登录", exact=True).click()


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
MAIN_PAGES = [
    "/",
    "/contacts/",
    "/contacts/501/",
    "/contacts/imports/",
    "/templates/",
    "/templates/new/",
    "/campaigns/",
    "/campaigns/calendar/",
    "/campaigns/new/",
    "/analytics/",
    "/analytics/hygiene/",
    "/domains/",
    "/smtp/",
    "/activity/",
    "/preferences/",
    "/help/",
]


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def overflow(page) -> int:
    """How many CSS pixels the page is wider than the screen (0: no horizontal scroll)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


def test_no_horizontal_scroll_at_375_px_in_both_languages(phone, portal):
    sign_in_chinese(phone, portal)
    wide = {}
    for language in ("zh-hans", "en"):
        for path in MAIN_PAGES:
            phone.goto(f"{portal}{path}")
            phone.wait_for_load_state("networkidle")
            if overflow(phone) > 0:
                wide[f"{language} {path}"] = overflow(phone)
            if path in ("/", "/contacts/501/", "/domains/"):
                screenshot(phone, f"phone-{language}-{path.strip('/').replace('/', '-') or 'home'}")
        # The header's switch: the other language, on the current page.
        phone.get_by_role("button", name="English" if language == "zh-hans" else "简体中文").click()
    assert not wide, f"pages wider than 375 px: {wide}"


def test_the_menu_opens_on_a_phone_and_navigates(phone, portal):
    sign_in_chinese(phone, portal)
    expect(phone.get_by_role("heading", level=1)).to_have_text("账户概览")
    # Open, Bootstrap makes the off-canvas menu a dialog: find it by its id.
    menu = phone.locator("#sidebar")
    expect(menu.get_by_role("link", name="联系人")).to_be_hidden()
    phone.get_by_role("button", name="菜单").click()
    expect(menu.get_by_role("link", name="联系人")).to_be_visible()
    phone.wait_for_timeout(500)  # the slide-in animation
    screenshot(phone, "phone-menu-open")
    menu.get_by_role("link", name="联系人").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("联系人分类")
    expect(phone.get_by_test_id("breadcrumbs")).to_contain_text("概览")


def test_switching_language_in_the_header_turns_the_page_chinese(page, portal):
    sign_in(page, portal)
    expect(page.get_by_role("heading", level=1)).to_have_text("Account overview")
    page.get_by_role("button", name="简体中文").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("账户概览")
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.goto(f"{portal}/contacts/")
    expect(page.get_by_role("heading", level=1)).to_have_text("联系人分类")
    screenshot(page, "contacts-chinese")


def test_a_finished_job_shows_a_toast_on_whatever_page_is_open(page, portal):
    from apps.contacts.models import ImportJob

    sign_in(page, portal)
    with page.expect_response(lambda r: "/notifications/" in r.url):
        page.goto(f"{portal}/help/")  # its first poll starts the clock
    user = get_user_model().objects.get(username="demo")
    job = ImportJob.objects.create(
        account=user.platform_accounts.get(),
        user=user,
        list_platform_id=501,
        list_subject="VIP 客户",
        original_name="春季名单.csv",
        state=ImportJob.State.DONE,
        finished_at=timezone.now(),
    )
    page.reload()  # the poll runs a second after load, and then every 20 s
    toast = page.get_by_test_id("toast")
    expect(toast).to_contain_text("春季名单.csv", timeout=10_000)
    expect(toast.get_by_role("link", name="Open")).to_have_attribute(
        "href", f"/contacts/imports/{job.pk}/"
    )
    screenshot(page, "toast-import-finished")
    toast.get_by_role("button", name="Close").click()
    expect(toast).to_have_count(0)


def test_an_agents_header_with_the_sub_account_switcher_fits_a_phone(phone, portal):
    phone.goto(f"{portal}/login/")
    phone.get_by_label("用户名").fill("agent")
    phone.get_by_label("密码").fill("agent-pass")
    phone.get_by_label("用户类型").select_option(label="代理商")
    phone.get_by_role("button", name="登录", exact=True).click()
    expect(phone.get_by_test_id("scope-switcher")).to_be_visible()
    for path in ("/", "/sub-accounts/", "/domains/"):
        phone.goto(f"{portal}{path}")
        phone.wait_for_load_state("networkidle")
        assert overflow(phone) <= 0, path
    screenshot(phone, "phone-agent-sub-accounts")
