"""Accessibility basics on every main page (one h1, every form field labelled), a screenshot of
each as a test artefact, and the main flows done with the keyboard alone."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import accessibility_problems, nav, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (screenshot name, path) of the pages a signed-in marketer reaches from the sidebar and the
# section pages; pages that need an object id are reached by clicking (below).
PAGES = [
    ("overview", "/"),
    ("contacts", "/contacts/"),
    ("contacts-new-list", "/contacts/new/"),
    ("contacts-list", "/contacts/501/"),
    ("contacts-edit-list", "/contacts/501/edit/"),
    ("contacts-variables", "/contacts/501/variables/"),
    ("contacts-add-address", "/contacts/501/addresses/new/"),
    ("contacts-subscriptions", "/contacts/501/subscriptions/"),
    ("contacts-import-upload", "/contacts/501/import/"),
    ("contacts-imports", "/contacts/imports/"),
    ("contacts-all-addresses", "/contacts/addresses/"),
    ("contacts-empty-list", "/contacts/503/empty/"),
    ("templates", "/templates/"),
    ("template-new", "/templates/new/"),
    ("template-gallery", "/templates/gallery/"),
    ("template-blocks", "/templates/blocks/"),
    ("template-letter-new", "/templates/letter/new/"),
    ("template-builder-new", "/templates/builder/new/"),
    ("campaigns", "/campaigns/"),
    ("campaigns-calendar", "/campaigns/calendar/"),
    ("campaign-new", "/campaigns/new/"),
    ("analytics", "/analytics/"),
    ("analytics-hygiene", "/analytics/hygiene/"),
    ("domains", "/domains/"),
    ("smtp", "/smtp/"),
    ("smtp-settings", "/smtp/settings/"),
    ("smtp-send-test", "/smtp/send-test/"),
    ("activity", "/activity/"),
    ("preferences", "/preferences/"),
    ("help", "/help/"),
]


def check(page, name: str, problems: dict) -> None:
    page.wait_for_load_state("networkidle")
    found = accessibility_problems(page)
    if found:
        problems[f"{name} ({page.url})"] = found
    screenshot(page, name)


def test_every_main_page_has_one_h1_and_labelled_fields(page, portal, sandbox, celery_worker):
    problems: dict[str, list[str]] = {}
    page.goto(f"{portal}/login/")
    check(page, "login", problems)
    page.goto(f"{portal}/login/team/")
    check(page, "login-team", problems)

    sign_in(page, portal)
    expect(page.get_by_role("heading", level=1)).to_have_text("Account overview")
    for name, path in PAGES:
        response = page.goto(f"{portal}{path}")
        assert response.status == 200, (path, response.status)
        check(page, name, problems)

    # Pages of one object, reached as a marketer does.
    nav(page, "Templates")
    page.get_by_test_id("template-table").get_by_role(
        "link", name="会员欢迎邮件", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("会员欢迎邮件")
    expect(page.get_by_test_id("tpl-status")).to_have_attribute("data-status", "green")
    # The live preview renders the saved HTML with the sample contact.
    expect(page.frame_locator("#draft-preview").get_by_role("heading")).to_contain_text("张三")
    check(page, "template-editor", problems)
    page.get_by_role("link", name="Preview", exact=True).click()
    check(page, "template-preview", problems)

    nav(page, "Domains")
    page.get_by_test_id("domain-table").get_by_role("link", name="demo-shop.cn", exact=True).click()
    check(page, "domain-detail", problems)
    page.get_by_test_id("mailbox-table").get_by_role("link", name="Change password").first.click()
    check(page, "mailbox-password", problems)

    assert not problems, "\n".join(f"{page}: {issues}" for page, issues in problems.items())


def test_agent_pages_have_one_h1_and_labelled_fields(page, portal):
    sign_in(page, portal, "agent", "agent-pass", "Agent")
    expect(page.get_by_role("heading", level=1)).to_have_text("Account overview")
    problems: dict[str, list[str]] = {}
    check(page, "agent-overview", problems)  # the header's switcher is a form too
    page.get_by_role("link", name="Sub-accounts").click()
    check(page, "agent-sub-accounts", problems)
    assert not problems, problems


# What has the focus: its accessible text (aria-label, label, text or value) and whether the
# browser shows a focus indicator on it.
FOCUSED = """() => {
  const el = document.activeElement;
  const labels = el.labels ? [...el.labels].map(l => l.textContent.trim()).join(" ") : "";
  const name = (el.getAttribute("aria-label") || labels || el.innerText || el.value || "").trim();
  return {name: name.replace(/\\s+/g, " "), tag: el.tagName.toLowerCase(),
          visible: el.matches(":focus-visible"), inMain: !!el.closest("main")};
}"""


def tab_to(page, name, *, tag: str | None = None, limit: int = 120) -> dict:
    """Press Tab until the element called `name` (a string, or a pattern it starts with; a `tag`
    element if given) has the focus, as a keyboard user does."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        named = (
            name.match(focused["name"])
            if isinstance(name, re.Pattern)
            else (focused["name"] == name)
        )
        if named and tag in (None, focused["tag"]):
            assert focused["visible"], f"{name} has the focus but no focus indicator"
            return focused
        seen.append(focused["name"])
    raise AssertionError(f"{name!r} is not reachable with Tab; reached: {seen[:30]}")


def test_main_flows_by_keyboard_alone(page, portal, sandbox, celery_worker, tmp_path):
    # Playwright intercepts file choosers only while something listens, and switches that on
    # without waiting: listen from the start, so the Space that opens the chooser below cannot
    # beat it (under load it did, and the chooser never reached the test).
    page.on("filechooser", lambda chooser: None)
    page.goto(f"{portal}/login/")
    page.keyboard.type("demo")  # the username field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type("demo-pass")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Account overview")

    # The first Tab reaches "Skip to content", which jumps over the header and the menu.
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["name"] == "Skip to content"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["inMain"]

    # A list, created and filled from a file.
    tab_to(page, "Contacts")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact lists")
    tab_to(page, "New list")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("New contact list")
    tab_to(page, "Name")
    page.keyboard.type("键盘名单")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("键盘名单")

    tab_to(page, "Import a file")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Import addresses into")
    tab_to(page, "Address file (CSV, TXT or XLSX)")
    upload = tmp_path / "keyboard.csv"
    upload.write_text("".join(f"kb{i}@example.com,键盘{i}\n" for i in range(20)), "utf-8")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(upload))
    tab_to(page, "Upload and preview")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import of keyboard.csv")
    tab_to(page, "Check the addresses")
    page.keyboard.press("Enter")
    send = page.get_by_role("button", name="Send 20 addresses to the platform")
    expect(send).to_be_visible(timeout=30_000)
    tab_to(page, "Send 20 addresses to the platform")
    page.keyboard.press("Enter")
    expect(page.locator("#import-progress")).to_have_attribute("data-state", "done", timeout=60_000)

    # A template: the HTML editor takes typing and lets Tab go on to the next field.
    page.goto(f"{portal}/templates/new/")
    tab_to(page, "Name")
    page.keyboard.type("键盘模板")
    tab_to(page, "Subject 1")
    page.keyboard.type("键盘输入的主题")
    tab_to(page, "HTML body")
    # The editor closes (and lays out) tags as they are opened; End steps over them.
    page.keyboard.type('<p>键盘输入的正文 <a href="https://example.com/unsubscribe">退订')
    page.keyboard.press("End")
    expect(page.locator("#template-form textarea[name=html]")).to_have_value(
        re.compile(
            r'^<p>\s*键盘输入的正文 <a href="https://example.com/unsubscribe">退订</a>\s*</p>$'
        )
    )
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["name"] != "HTML body", "the HTML editor traps the focus"
    expect(page.frame_locator("#draft-preview").get_by_text("键盘输入的正文")).to_be_visible()
    lint = page.locator("#lint-panel")
    expect(lint).to_contain_text("There is no plain-text part")
    tab_to(page, "Generate from HTML")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Plain-text part")).to_have_value(re.compile("键盘输入的正文"))
    expect(page.get_by_test_id("lint-clean")).to_be_visible()
    tab_to(page, "Upload to the platform")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("键盘模板")

    # A sender domain.
    page.goto(f"{portal}/domains/")
    tab_to(page, "Domain", tag="input")
    page.keyboard.type("kb.demo-shop.cn")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("kb.demo-shop.cn")


FAILING = ["bounce.kb@example.com", "full.kb@example.com", "reject.kb@example.com"]


def test_campaign_by_keyboard_through_accessible_steps(page, portal, sandbox, celery_worker):
    # A fast clock: the campaign waits and sends for a few seconds each.
    sandbox.control(
        "POST", "delivery/settings", {"speed": 120, "start_delay": 120, "min_send_seconds": 240}
    )
    problems: dict[str, list[str]] = {}
    sign_in(page, portal)
    # Three more subscribers whose mail the platform will not deliver (the sandbox fails local
    # parts starting bounce / full / reject), typed into the list's subscription form.
    nav(page, "Contacts")
    page.get_by_role("link", name="VIP 客户", exact=True).click()
    page.get_by_role("link", name="Subscribe / unsubscribe").click()
    tab_to(page, "Subscribe", tag="input")
    page.keyboard.press("Space")
    tab_to(page, "Addresses", tag="textarea")
    for address in FAILING:
        page.keyboard.type(address)
        page.keyboard.press("Enter")
    tab_to(page, "Send to the platform")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("outcome")).to_contain_text("3 addresses sent to the platform.")

    nav(page, "Campaigns")
    tab_to(page, "New campaign")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("New campaign")
    tab_to(page, "Campaign name")
    page.keyboard.type("键盘活动")
    tab_to(page, re.compile("春季促销"), tag="input")
    page.keyboard.press("Space")
    tab_to(page, "Next")
    page.keyboard.press("Enter")

    expect(page.get_by_label("Contact list")).to_be_visible()
    check(page, "campaign-step-audience", problems)
    tab_to(page, "Contact list", tag="select")
    page.keyboard.type("VIP")  # a closed select picks the option typed
    expect(page.get_by_test_id("recipient-count")).to_contain_text("28 recipients")
    tab_to(page, "Next")
    page.keyboard.press("Enter")

    expect(page.get_by_label("Sender mailbox")).to_be_visible()
    check(page, "campaign-step-sender", problems)
    tab_to(page, "Sender mailbox", tag="select")
    page.keyboard.type("notice")
    tab_to(page, "Next")
    page.keyboard.press("Enter")

    expect(page.get_by_label("Send now")).to_be_checked()
    check(page, "campaign-step-schedule", problems)
    tab_to(page, "Next")
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("recipients")).to_have_text("28")
    check(page, "campaign-review", problems)
    tab_to(page, "Send now")
    page.keyboard.press("Enter")

    status = page.get_by_test_id("status")
    expect(status).to_have_text("Finished", timeout=60_000)
    check(page, "campaign-detail", problems)

    # Its report, and the failed addresses downloaded and opened.
    tab_to(page, "Statistics and report")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Report: 键盘活动")
    expect(page.get_by_test_id("planned")).to_have_text("28")
    assert int(page.get_by_test_id("failed").inner_text()) >= len(FAILING)
    check(page, "campaign-report-keyboard", problems)
    tab_to(page, "Failure type", tag="select")
    expect(page.get_by_label("Failure type")).to_have_value("-1")  # every type
    with page.expect_download() as download:
        tab_to(page, "Export failed addresses")
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".csv")
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(content)))
    assert header == ["E-mail", "Failure type", "Type code", "Statistics task id"]
    codes = {row[0]: row[2] for row in rows}
    # Not exist, over quota, refused by the user (§2.3's types 1, 2 and 3).
    assert [codes.get(address) for address in FAILING] == ["1", "2", "3"], rows
    assert not problems, problems
