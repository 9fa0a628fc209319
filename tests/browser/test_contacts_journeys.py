"""Journey: a marketer creates a contact list, imports a file into it and watches the import
through the local check, the upload and the platform's own parse to the end."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import nav, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊"]
GOOD = 600  # above the 500 of one batch call: the file goes through the platform's parse

# Every data-state the progress section shows, in order, whatever swaps it (htmx replaces it);
# an init script, so it also watches the page the confirmation's redirect loads.
RECORD_STATES = """document.addEventListener("DOMContentLoaded", () => {
  window.importStates = [];
  const note = () => {
    const el = document.getElementById("import-progress");
    const state = el && el.dataset.state;
    if (state && window.importStates.at(-1) !== state) window.importStates.push(state);
  };
  note();
  new MutationObserver(note).observe(document.body, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"]
  });
});"""


def address_file(path):
    lines = ["邮箱,姓名,城市"]
    lines += [f"spring{i}@example.com,{NAMES[i % len(NAMES)]},杭州" for i in range(GOOD)]
    lines += ["not-an-address,坏地址,杭州", "SPRING7@example.com,重复,杭州"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_create_a_list_import_a_file_and_watch_it_finish(
    page, portal, sandbox, celery_worker, tmp_path
):
    # The platform takes a few seconds to parse, so its step is seen on the page.
    sandbox.control("POST", "contacts/settings", {"parse_seconds": 3})
    sign_in(page, portal)
    nav(page, "Contacts")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact lists")
    page.get_by_role("link", name="New list").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("New contact list")
    page.get_by_label("Name").fill("春季活动名单")
    page.get_by_label("Description").fill("2026 春季新品活动报名客户")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("春季活动名单")
    expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_contain_text(
        "List “春季活动名单” created."
    )
    list_id = re.search(r"/contacts/(\d+)/", page.url).group(1)
    page.get_by_role("link", name="Import a file").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Import addresses into “春季活动名单”"
    )
    page.get_by_label("Address file (CSV, TXT or XLSX)").set_input_files(
        str(address_file(tmp_path / "春季客户.csv"))
    )
    page.get_by_role("button", name="Upload and preview").click()

    # The portal recognised the file: header row, and the address column mapped by itself.
    expect(page.get_by_role("heading", level=1)).to_have_text("Import of 春季客户.csv")
    expect(page.get_by_label("The first row is a header")).to_be_checked()
    expect(page.get_by_label("Column 1 (邮箱)")).to_have_value("address")
    page.get_by_label("Column 2 (姓名)").select_option(label="Name")
    expect(page.get_by_role("cell", name="spring0@example.com")).to_be_visible()
    page.get_by_role("button", name="Check the addresses").click()

    # The local check ends with the counts and asks before anything reaches the platform.
    send = page.get_by_role("button", name=f"Send {GOOD} addresses to the platform")
    expect(send).to_be_visible(timeout=30_000)
    counts = page.get_by_test_id("import-counts")
    expect(counts).to_contain_text("Rows in the file602")
    expect(counts).to_contain_text("Invalid addresses1")
    expect(counts).to_contain_text("Duplicates in the file1")
    expect(
        page.get_by_role("link", name="Download the rejected rows and why (CSV)")
    ).to_be_visible()
    page.add_init_script(RECORD_STATES)
    calls_before = sandbox.calls()[-1]["seq"]
    send.click()

    progress = page.locator("#import-progress")
    expect(progress).to_have_attribute("data-state", "parsing", timeout=30_000)
    expect(page.get_by_test_id("import-state")).to_have_text("The platform is importing the file")
    screenshot(page, "import-progress")
    expect(progress).to_have_attribute("data-state", "done", timeout=60_000)
    # The page itself moved through the platform's parse: it was watched, not just reloaded.
    states = page.evaluate("() => window.importStates")
    assert states[-1] == "done" and "parsing" in states, states
    expect(page.get_by_test_id("import-state")).to_have_text("Finished")
    expect(progress.get_by_role("status")).to_contain_text(
        f"Its import log: {GOOD} addresses, 0 invalid, 0 duplicates."
    )
    screenshot(page, "import-finished")
    # One file upload to the platform, into the new list (no batch calls, no second upload).
    calls = sandbox.calls(since=calls_before)
    writes = [c for c in calls if c["do"] in ("ml-addr-add", "ml-addr-add-file")]
    assert [c["do"] for c in writes] == ["ml-addr-add-file"]
    assert writes[0]["params"]["list_id"] == list_id

    progress.get_by_role("link", name="Open the list").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("春季活动名单")
    expect(page.get_by_text(f"{GOOD} addresses")).to_be_visible()
    page.get_by_label("Search address or name").fill("spring42@example.com")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("match-count")).to_have_text("1 match")
    expect(page.get_by_role("cell", name="spring42@example.com")).to_be_visible()
    expect(page.get_by_role("cell", name=NAMES[42 % len(NAMES)])).to_be_visible()
