"""Browser journeys: Playwright driving Debian's Chromium against a live portal and the sandbox."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# The README's screenshots: refreshed from a run with EDMPORTAL_DOC_SCREENSHOTS=1 (a normal run
# leaves the committed files alone, so the tree stays clean).
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DOC_SCREENSHOTS = {
    "login",
    "overview",
    "import-progress",
    "template-editor",
    "campaign-report",
    "compose-gallery",
    "compose-builder",
    "compose-test-send",
    "compose-inbox-preview",
}
# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
# itself (not by the live server) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        reason = "Debian's chromium is not installed (make test installs it when run as root)"
        # CI (.ci/run) sets this: there a missing browser is a failure, not a quiet skip.
        if os.environ.get("EDMPORTAL_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    # CI's two cores also run the portal, the worker and the sandbox: give assertions the same
    # 15 s as actions (a passing assertion returns as soon as it holds).
    expect.set_options(timeout=15_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def portal(live_server, sandbox, settings):
    """The live portal (pytest-django's live server) talking to the sandbox process."""
    settings.UMAIL_PLATFORM_URL = sandbox.url
    sandbox.reset()
    return live_server.url


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Saved as a test artefact under test-artifacts/screenshots/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    # Chromium's full-page capture leaves sandboxed (out-of-process) iframes blank, such as the
    # template previews: pages with one are taken through a viewport as tall as the document.
    viewport = page.viewport_size
    # From the top: a page scrolled down would show its sticky header halfway down the capture.
    height = page.evaluate(
        "() => { window.scrollTo({top: 0, left: 0, behavior: 'instant'});"
        " return document.querySelector('iframe') ? document.documentElement.scrollHeight : 0; }"
    )
    if viewport and height > viewport["height"]:
        page.set_viewport_size({"width": viewport["width"], "height": min(height, 10_000)})
        try:
            page.screenshot(path=str(path))
        finally:
            page.set_viewport_size(viewport)
    else:
        page.screenshot(path=str(path), full_page=True)
    if path.stem in DOC_SCREENSHOTS and os.environ.get("EDMPORTAL_DOC_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / path.name)
    return path


def nav(page, name: str) -> None:
    """Follow a link of the sidebar, as a marketer does."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


# Fields with no accessible name: no <label> (for= or wrapping), aria-label or aria-labelledby.
_UNLABELLED_FIELDS = """() => [...document.querySelectorAll("input, select, textarea")]
  .filter(el => el.type !== "hidden" && !el.closest("[aria-hidden=true]"))
  .filter(el => {
    const byLabel = [...(el.labels || [])].map(l => l.textContent.trim()).join("");
    const byAria = (el.getAttribute("aria-label") || "").trim();
    const byRef = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean)
      .map(id => (document.getElementById(id) || {}).textContent || "").join("").trim();
    return !(byLabel || byAria || byRef);
  })
  .map(el => el.outerHTML.slice(0, 200))"""


def accessibility_problems(page) -> list[str]:
    """The basics every page must meet: exactly one h1, and every form field labelled."""
    problems = [f"unlabelled field: {html}" for html in page.evaluate(_UNLABELLED_FIELDS)]
    h1 = page.locator("h1").count()
    if h1 != 1:
        problems.append(f"{h1} h1 elements")
    return problems


def sign_in(page, portal: str, username="demo", password="demo-pass", user_type="Ordinary user"):
    page.goto(f"{portal}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("User type").select_option(label=user_type)
    page.get_by_role("button", name="Sign in").click()
