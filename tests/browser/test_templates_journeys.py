"""Journeys for templates: the marketer's whole round, and the preview's isolation in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from apps.accounts.models import PlatformAccount
from apps.mailtemplates.models import MailTemplate, TemplateSync

from .conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHINESE_HTML = (
    "<h1>春季新品</h1>\n<p>尊敬的 {$fullname}，您好！春季新品已经上架，欢迎选购。</p>\n"
    '<p><img src="https://example.com/spring.png" alt="新品"></p>\n'
    '<p><a href="https://example.com/shop">立即选购</a> · '
    '<a href="https://example.com/unsubscribe">退订</a></p>'
)


def nav(page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def set_html(page, html: str) -> None:
    # CodeMirror owns the textarea; type through its API as a paste would.
    page.evaluate("html => document.querySelector('.CodeMirror').CodeMirror.setValue(html)", html)


def test_create_check_edit_and_preview(page, portal, sandbox, celery_worker, tmp_path):
    sandbox.control("POST", "templates/check-delay", {"seconds": 1})
    sign_in(page, portal)
    nav(page, "Templates")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mail templates")
    page.get_by_role("link", name="New template").click()

    page.get_by_label("Name", exact=True).fill("春季新品通知")
    page.get_by_label("Subject 1").fill("春季新品上架")
    page.get_by_label("Another subject (A/B test, optional)").fill("给 {$fullname} 的春季礼物")
    set_html(page, CHINESE_HTML)
    # The live preview shows the unsaved HTML with the sample contact.
    frame = page.frame_locator("#draft-preview")
    expect(frame.get_by_text("尊敬的 张三，您好！")).to_be_visible()
    page.get_by_role("button", name="Generate from HTML").click()
    expect(page.get_by_label("Plain-text part")).to_have_value(re.compile("立即选购"))
    attachment = tmp_path / "价目表.pdf"
    attachment.write_bytes(b"%PDF-1.4 price list")
    page.get_by_label("Attachments").set_input_files(str(attachment))
    expect(page.get_by_test_id("lint-clean")).to_be_visible()
    page.get_by_role("button", name="Upload to the platform").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("春季新品通知")
    status = page.get_by_test_id("tpl-status")
    expect(status).to_have_attribute("data-status", "green", timeout=30_000)
    expect(page.get_by_test_id("attachment-list")).to_contain_text("价目表.pdf")
    template = MailTemplate.objects.get(name="春季新品通知")
    stored = sandbox.control("GET", f"templates/{template.platform_id}")
    assert stored["subjects"] == ["春季新品上架", "给 {$fullname} 的春季礼物"]
    assert stored["content"] == CHINESE_HTML
    assert "立即选购 (https://example.com/shop)" in stored["text_content"]
    screenshot(page, "template-green")

    # A spammy one turns red, and the page says plainly it will not be sent.
    nav(page, "Templates")
    page.get_by_role("link", name="New template").click()
    page.get_by_label("Name", exact=True).fill("大促")
    page.get_by_label("Subject 1").fill("免费中奖！")
    set_html(page, "<p>Click here to claim your casino lottery prize 赚钱</p>")
    page.get_by_role("button", name="Generate from HTML").click()
    expect(page.get_by_label("Plain-text part")).to_have_value(re.compile("casino"))
    page.get_by_role("button", name="Upload to the platform").click()
    expect(page.get_by_test_id("tpl-status")).to_have_attribute(
        "data-status", "red", timeout=30_000
    )
    expect(page.get_by_test_id("red-warning")).to_contain_text(
        "The platform will not send this template."
    )
    screenshot(page, "template-red")

    # The list shows both, with their colours, live.
    nav(page, "Templates")
    table = page.get_by_test_id("template-table")
    expect(table.get_by_role("row", name=re.compile("春季新品通知"))).to_contain_text("Green")
    expect(table.get_by_role("row", name=re.compile("大促"))).to_contain_text("Red")

    # Edit the first: it is checked again.
    table.get_by_role("link", name="春季新品通知", exact=True).click()
    page.get_by_label("Subject 1").fill("春季新品上架啦")
    page.get_by_role("button", name="Save and upload changes").click()
    expect(page.get_by_role("status").first).to_contain_text("Changes uploaded")
    expect(page.get_by_test_id("tpl-status")).to_have_attribute(
        "data-status", "green", timeout=30_000
    )
    assert sandbox.control("GET", f"templates/{template.platform_id}")["subjects"][0] == (
        "春季新品上架啦"
    )

    # Preview at mobile width.
    page.get_by_role("link", name="Preview at mobile width").click()
    frame_element = page.get_by_test_id("preview-frame")
    box = frame_element.bounding_box()
    assert box is not None and 370 <= box["width"] <= 380
    expect(page.frame_locator("[data-testid=preview-frame]").get_by_text("张三")).to_be_visible()
    expect(page.get_by_test_id("preview-subject").nth(1)).to_have_text("给 张三 的春季礼物")
    screenshot(page, "template-preview-mobile")


EVIL = """<p id="visible">模板正文</p>
<script>
  document.body.setAttribute("data-ran", "1");
  try { parent.document.title = "pwned"; parent.pwned = true; } catch (e) {}
  var c = "";
  try { c = document.cookie + "|" + parent.document.cookie; } catch (e) { c = "blocked"; }
  new Image().src = "/exfil?c=" + encodeURIComponent(c);
  fetch("/templates/").then(function () { new Image().src = "/exfil-fetch"; });
</script>
<img src="/no-such-image" onerror="new Image().src='/exfil-onerror?c='+document.cookie">
<form action="/exfil-form" method="post"><button id="go">go</button></form>"""


def test_template_script_cannot_reach_the_portal(page, portal):
    sign_in(page, portal)
    expect(page.get_by_role("heading", level=1)).to_have_text("Account overview")
    account = PlatformAccount.objects.get(username="demo", user_type="")
    TemplateSync.objects.create(account=account)
    template = MailTemplate.objects.create(
        account=account, platform_id=777, name="恶意", subjects=["x"], html=EVIL
    )
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    title_before = None
    page.goto(f"{portal}/templates/{template.pk}/preview/")
    title_before = page.title()
    frame = page.frame_locator("[data-testid=preview-frame]")
    expect(frame.locator("#visible")).to_have_text("模板正文")
    # The form cannot be submitted either (sandbox without allow-forms, CSP form-action).
    frame.locator("#go").click()
    page.wait_for_timeout(1000)

    assert page.title() == title_before and "pwned" not in page.title()
    assert page.evaluate("() => window.pwned === undefined")
    assert frame.locator("body[data-ran]").count() == 0
    assert not [u for u in requests if "/exfil" in u], requests
    # The portal's cookies exist, and the page itself can read the non-HttpOnly one...
    assert "csrftoken=" in page.evaluate("() => document.cookie")
    # ...but the frame's document has an opaque origin and no script runs in it at all.
    frame_obj = next(f for f in page.frames if "/preview/frame/" in f.url)
    assert frame_obj.evaluate("() => window.origin") == "null"
    screenshot(page, "template-preview-isolated")
