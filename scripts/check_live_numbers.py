"""Checks the live-numbers promise on a running `make run` demo, as a marketer would see it.

    .venv/bin/python scripts/check_live_numbers.py [--portal URL] [--sandbox URL] [--minutes 7]

Sends a tracked campaign to the demo's list 501 through the portal's own services (as the
wizard would), opens its page and its report in headless Chromium, and for the given minutes
reads the unique opens the pages show (nobody reloads them) beside the sandbox platform's own
§3.1 numbers. It fails when a page showed fewer opens than the platform had two minutes before.
Run it with the demo's settings (it reads var/demo.env like scripts/run_demo.py does)."""

from __future__ import annotations

import argparse
import os
import sys
import time
import xml.etree.ElementTree as ET  # noqa: S405 (the sandbox's own replies)
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WINDOW = 120


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--portal", default="http://127.0.0.1:8000")
    parser.add_argument("--sandbox", default="http://127.0.0.1:8025")
    parser.add_argument("--minutes", type=float, default=7)
    args = parser.parse_args()

    from run_demo import demo_env

    os.environ.update(demo_env())
    os.environ["UMAIL_PLATFORM_URL"] = args.sandbox.rstrip("/") + "/"
    import django

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API
    django.setup()
    from playwright.sync_api import sync_playwright

    from apps.accounts.models import PlatformAccount
    from apps.analytics.tests.factories import send

    class Box:
        url = args.sandbox.rstrip("/") + "/"

        def control(self, method, path, body=None):
            requests.request(method, f"{self.url}_sandbox/{path}", json=body, timeout=10)

    def platform_opens() -> int:
        reply = requests.get(
            f"{Box.url}mm-ms/apinew/track.php",
            params={"do": "overview", "id": campaign.platform_id},
            auth=("demo", "demo-pass"),
            timeout=10,
        )
        return int(ET.fromstring(reply.content).findtext("open_unique") or 0)  # noqa: S314

    samples, late = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        context = browser.new_context(locale="en-US")
        page = context.new_page()
        page.goto(f"{args.portal}/login/")
        page.get_by_label("Username").fill("demo")
        page.get_by_label("Password").fill("demo-pass")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{args.portal}/")
        account = PlatformAccount.objects.get(username="demo", user_type="")
        campaign = send(account, Box(), list_id=501, track=2, days=0)
        print(f"campaign {campaign.pk} (platform task {campaign.platform_id}) sent", flush=True)
        pages = {"campaign": page, "report": context.new_page()}
        pages["campaign"].goto(f"{args.portal}/campaigns/{campaign.pk}/")
        pages["report"].goto(f"{args.portal}/analytics/campaigns/{campaign.pk}/")
        start = time.monotonic()
        while (now := time.monotonic() - start) < args.minutes * 60 + WINDOW:
            truth = platform_opens()
            samples.append((now, truth))
            shown = {}
            for name, p in pages.items():
                cell = p.get_by_test_id("open-unique").first
                text = cell.text_content(timeout=5000) if cell.count() else "0"
                shown[name] = int((text or "0").split("(")[0].strip().replace(",", "") or 0)
            if now >= WINDOW:
                before = max(v for t, v in samples if t <= now - WINDOW)
                for name, value in shown.items():
                    if value < before:
                        late.append((round(now), name, value, before))
            print(f"{now:6.0f} s  platform {truth:4}  shown {shown}", flush=True)
            time.sleep(10)
        browser.close()
    if late:
        print(f"FAILED: pages behind the platform by more than 2 minutes: {late}")
        return 1
    print(f"OK: both pages stayed within 2 minutes of the platform for {args.minutes} minutes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
