"""`platform_probe` against the seeded strict sandbox (both API modes) and against `--quirks`."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from apps.umail.client import UmailClient

#: Operations that change something on the platform: the probe must never call them.
WRITES = {
    ("mloperate.php", d)
    for d in (
        "maillist-add", "maillist-edit", "maillist-del", "ml-addr-add", "ml-addr-add-file",
        "ml-addr-edit", "ml-addr-del", "ml-addr-empty", "ml-sub", "ml-unsub",
    )
} | {
    ("template.php", d)
    for d in ("add-tpl", "del-tpl", "edit-tpl", "tpl-attachment-add", "tpl-attachment-del")
} | {("task.php", d) for d in ("add-task", "edit-task", "del-task")} | {
    ("bs.php", d)
    for d in (
        "customer-domain-add", "domain-add", "domain-del", "customer-domain-del",
        "mailbox-add", "mailbox-del", "mailbox-edit",
    )
}  # fmt: skip


@pytest.fixture
def seeded(fresh_sandbox):
    """The demo account with finished, tracked tasks and one file upload, so nothing is
    skipped."""
    fresh_sandbox.control(
        "POST", "stats/generate", {"username": "demo", "tasks": 4, "days": 3, "list_id": 501}
    )
    with UmailClient.connect(
        platform_url=fresh_sandbox.url, username="demo", password="demo-pass"
    ) as client:
        upload_id = client.contacts.addr_add_file(
            list_id=502, fileobj=io.BytesIO(b"probe@example.com;Probe\n"), filename="a.txt"
        )
    return fresh_sandbox, upload_id


def platform_state(sandbox) -> dict:
    with UmailClient.connect(
        platform_url=sandbox.url, username="demo", password="demo-pass"
    ) as client:
        return {
            "quota": client.account.service_info().qty_available,
            "lists": sorted((m.id, m.subject, m.count) for m in client.contacts.maillist_list()),
            "templates": sorted((t.id, t.name) for t in client.templates.list()),
            "tasks": sorted((t.id, t.send_status) for t in client.tasks.task_list()),
            "domains": sorted(d.domain for d in client.domains.domain_list()),
        }


def probe(sandbox, upload_id, tmp_path, api_mode="apinew"):
    out, report = io.StringIO(), tmp_path / f"probe-{api_mode}.json"
    code = 0
    try:
        call_command(
            "platform_probe",
            url=sandbox.url,
            username="demo",
            password="demo-pass",
            api_mode=api_mode,
            upload_id=upload_id,
            json_file=str(report),
            stdout=out,
        )
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), json.loads(report.read_text())


@pytest.mark.parametrize("api_mode", ["apinew", "api"])
def test_every_read_only_operation_is_understood_and_nothing_changes(seeded, tmp_path, api_mode):
    sandbox, upload_id = seeded
    before = platform_state(sandbox)
    since = sandbox.control("GET", "calls")["last_seq"]
    code, text, report = probe(sandbox, upload_id, tmp_path, api_mode)
    lines = text.strip().splitlines()
    n = report["attempted"]
    assert code == 0, text
    assert lines[-1] == f"{n} of {n} operations understood" and n >= 25
    assert not [r for r in report["results"] if r["outcome"] != "understood"], text
    assert len(lines) == n + 1  # one line per operation, then the total
    calls = [c for c in sandbox.calls(since=since) if c["username"] == "demo"]
    assert calls and not [c for c in calls if (c["script"], c["do"]) in WRITES]
    assert platform_state(sandbox) == before


def test_the_probe_reads_replies_served_as_the_manual_prints_them(seeded, tmp_path):
    sandbox, upload_id = seeded
    with sandbox.profile(quirks=True):
        code, text, report = probe(sandbox, upload_id, tmp_path)
    assert code == 0, text
    assert (
        text.strip().splitlines()[-1]
        == f"{report['attempted']} of {report['attempted']} operations understood"
    )


def test_refusals_and_skips_are_reported_and_fail_the_exit_status(fresh_sandbox, tmp_path):
    # No upload id: §4.9.4 is skipped (not counted); a platform that refuses an operation
    # shows its own words and exits 1.
    fresh_sandbox.control(
        "POST", "faults", {"kind": "rate_limit", "script": "deduction.php", "times": 10}
    )
    code, text, report = probe(fresh_sandbox, None, tmp_path)
    assert code == 1
    skipped = [r for r in report["results"] if r["outcome"] == "skipped"]
    assert [r["section"] for r in skipped] == ["4.9.4"]
    assert "skipped: no upload id" in text
    assert "§2.5" in text and "操作过于频繁" in text
    n = report["attempted"]
    assert text.strip().splitlines()[-1] == f"{n - 1} of {n} operations understood"
