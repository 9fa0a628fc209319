"""The compose issue's "done when", in Chromium: a marketer starts from a gallery design in the
visual builder, changes it without touching HTML, saves, reopens it unchanged, gets a green
content check, sends a test that arrives in the sandbox with merge values filled, looks at the
inbox preview and sends the campaign. The builder page runs under its strict CSP (no
'unsafe-inline' and no 'unsafe-eval' for scripts) and the browser reports no violation."""

import json
import re

import pytest
from playwright.sync_api import expect

from apps.accounts.models import PlatformAccount
from apps.mailtemplates.models import MailTemplate
from apps.smtp.tests.factories import smtp_settings

from .conftest import accessibility_problems, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_csp(page, violations: list[str]) -> None:
    """Collect every Content-Security-Policy violation the browser reports."""
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )


def canonical(html: str) -> list:
    """The HTML's tags with their attributes sorted, and its text."""
    from html.parser import HTMLParser

    out = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            out.append((tag, sorted(attrs)))

        def handle_endtag(self, tag):
            out.append(("/", tag))

        def handle_data(self, data):
            out.append(data)

    Parser().feed(html)
    return out


def builder_state(page) -> dict:
    return page.evaluate(
        "() => ({project: JSON.stringify(window.edmBuilder.getProjectData()),"
        " html: window.edmBuilder.getHtml(), css: window.edmBuilder.getCss()})"
    )


def test_gallery_to_builder_to_test_send_to_campaign(page, portal, sandbox, celery_worker):
    sandbox.control("POST", "templates/check-delay", {"seconds": 1})
    sandbox.control(
        "POST", "delivery/settings", {"speed": 600, "start_delay": 0, "min_send_seconds": 1}
    )
    violations: list[str] = []
    watch_csp(page, violations)
    sign_in(page, portal)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    smtp_settings(PlatformAccount.objects.get(username="demo"), from_name="深圳示例科技")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Templates").click()
    page.get_by_role("link", name="Start from a design").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start from a design")
    assert accessibility_problems(page) == []
    screenshot(page, "compose-gallery")
    link = page.get_by_role("link", name=re.compile(r"^Use this design\W+March newsletter$"))
    link.scroll_into_view_if_needed()
    with page.expect_response(lambda r: "/templates/builder/new/" in r.url) as opened:
        link.click()
    csp = opened.value.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline' " not in csp.split("style-src")[0]
    assert "unsafe-eval" not in csp

    # The builder opens with the design; the blocks are offered.
    expect(page.get_by_role("heading", level=1)).to_have_text("Build a new template")
    expect(page.locator("#builder-form[data-ready='1']")).to_have_count(1, timeout=30_000)
    canvas = page.frame_locator("#gjs iframe.gjs-frame")
    expect(canvas.get_by_text("March newsletter")).to_be_visible()
    blocks = page.locator(".gjs-block")
    for label in ("Text", "Image", "Button", "Two columns", "Divider", "Social links"):
        expect(blocks.filter(has_text=label).first).to_be_visible()
    expect(blocks.filter(has_text="Unsubscribe link")).to_have_count(1)
    expect(blocks.filter(has_text="var3")).to_have_count(1)

    # Without touching HTML: drag a divider and a merge tag in, and rewrite the headline.
    target = canvas.locator(".pad").nth(1)
    blocks.filter(has_text="Divider").first.drag_to(target)
    blocks.filter(has_text="Name").first.drag_to(target)
    headline = canvas.get_by_text("March newsletter")
    headline.dblclick()
    page.keyboard.press("End")
    page.keyboard.type(" for our members")
    expect(canvas.get_by_text("March newsletter for our members")).to_be_visible()
    # Selecting another part ends the text editing, as a marketer's next click does.
    canvas.locator("hr").first.click()
    page.get_by_label("Name", exact=True).fill("Member newsletter (March)")
    before = builder_state(page)
    assert "<hr" in before["html"]
    screenshot(page, "compose-builder")
    page.get_by_test_id("builder-save").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Build “Member newsletter (March)”", timeout=30_000
    )
    template = MailTemplate.objects.get(name="Member newsletter (March)")
    assert template.editor_mode == "builder"
    assert json.loads(before["project"]) == template.builder_project_data
    # Reopened: exactly what was saved.
    expect(page.locator("#builder-form[data-ready='1']")).to_have_count(1, timeout=30_000)
    after = builder_state(page)
    assert after["project"] == before["project"]
    # GrapesJS writes a freshly parsed element's attributes in another order than a restored
    # one's: the same HTML, attribute for attribute.
    assert canonical(after["html"]) == canonical(before["html"])
    assert after["css"] == before["css"]
    expect(page.get_by_test_id("tpl-status")).to_have_attribute(
        "data-status", "green", timeout=30_000
    )
    # At a phone's width the columns stack (the design's media query, kept by css-inline).
    page.get_by_label("Device").select_option("phone")
    frame_width = "document.querySelector('#gjs iframe.gjs-frame').clientWidth"
    page.wait_for_function(f"() => {frame_width} <= 380")
    column = canvas.locator("td.col").first
    expect(column).to_be_visible()
    assert column.bounding_box()["width"] > 300  # stacked: each column the frame's full width
    screenshot(page, "compose-builder-phone")
    stored = sandbox.control("GET", f"templates/{template.platform_id}")
    assert "March newsletter for our members" in stored["content"]
    assert "<script" not in stored["content"]

    # A test with a real contact's values, through the account's SMTP settings.
    since = max([m["id"] for m in sandbox.mail()] or [0])
    page.get_by_role("link", name="Send a test").click()
    page.get_by_label("Send to").fill("me@example.com, boss@example.com")
    page.get_by_label("Fill in the values of the contact").fill("member001@list501.example.com")
    page.get_by_role("button", name="Send the test").click()
    expect(page.get_by_test_id("outcome")).to_have_count(2)
    expect(page.get_by_test_id("test-send-result")).to_contain_text("Accepted by the SMTP server")
    assert accessibility_problems(page) == []
    screenshot(page, "compose-test-send")
    [received] = sandbox.mail(since=since)
    message = sandbox.mail_message(received["id"])
    body = message.get_body(("html",)).get_content()
    assert "Dear 李艳," in body and "{$fullname}" not in body
    assert "March newsletter for our members" in message.get_body(("html",)).get_content()

    # The inbox preview: sender, subject, preheader.
    page.goto(f"{portal}/templates/{template.pk}/inbox/")
    expect(page.get_by_test_id("inbox-sender")).to_have_text("深圳示例科技")
    expect(page.get_by_test_id("inbox-subject")).to_have_text("March newsletter")
    expect(page.get_by_test_id("inbox-preheader")).to_contain_text("member centre")
    assert accessibility_problems(page) == []
    screenshot(page, "compose-inbox-preview")

    # And the campaign with it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Campaign name").fill("March newsletter")
    page.get_by_label("Member newsletter (March)", exact=False).check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Contact list").select_option("501")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("One mailbox").check()
    page.get_by_label("Sender mailbox").select_option("notice@demo-shop.cn")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Send now").check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("link", name="send a test")).to_be_visible()
    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_test_id("status")).to_be_visible()
    assert violations == [], violations


def test_plain_letter_saved_block_and_switching_modes(page, portal, sandbox, celery_worker):
    sandbox.control("POST", "templates/check-delay", {"seconds": 1})
    sign_in(page, portal)
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    # A saved footer with the sender's address.
    page.goto(f"{portal}/templates/blocks/")
    page.get_by_label("Kind").select_option("footer")
    page.get_by_label("Name", exact=True).fill("公司页脚")
    page.get_by_label("Sender's postal address").fill("深圳市南山区科技园 1 号")
    page.get_by_role("button", name="Save the block").click()
    expect(page.get_by_test_id("block-list")).to_contain_text("公司页脚")
    assert accessibility_problems(page) == []
    screenshot(page, "compose-saved-blocks")

    # A plain letter, written without HTML.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Templates").click()
    page.get_by_role("link", name="Start from a design").click()
    page.get_by_role("link", name="Write a plain letter").click()
    page.get_by_label("Name", exact=True).fill("服务时间通知")
    page.get_by_label("Subject").fill("服务时间调整")
    letter = page.get_by_test_id("letter-editor")
    letter.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("自下月起，服务时间调整为每天 9:00–21:00。")
    page.get_by_role("button", name="Unsubscribe link").click()
    assert accessibility_problems(page) == []
    screenshot(page, "compose-letter")
    page.get_by_role("button", name="Upload to the platform").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Write “服务时间通知”")
    expect(page.get_by_test_id("tpl-status")).to_have_attribute(
        "data-status", "green", timeout=30_000
    )
    template = MailTemplate.objects.get(name="服务时间通知")
    assert template.editor_mode == "richtext"
    assert "每天 9:00–21:00" in template.html and "{$unsubscribe_url}" in template.html

    # Switching to the builder with unsaved changes asks first; dismissing stays.
    page.get_by_role("link", name="HTML code editor").click()
    expect(page.locator(".CodeMirror")).to_be_visible()
    page.evaluate(
        "() => document.querySelector('.CodeMirror').CodeMirror.replaceSelection('<p>新段落</p>')"
    )
    questions = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("link", name="Visual builder").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit template")
    assert questions and "not saved" in questions[0]
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("link", name="Visual builder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Build “服务时间通知”")
    expect(page.locator("#builder-form[data-ready='1']")).to_have_count(1, timeout=30_000)
    canvas = page.frame_locator("#gjs iframe.gjs-frame")
    expect(canvas.get_by_text("每天 9:00–21:00", exact=False)).to_be_visible()
    expect(page.locator(".gjs-block").filter(has_text="公司页脚")).to_have_count(1)
