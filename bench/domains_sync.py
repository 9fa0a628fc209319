"""Benchmark: mirroring a domain with many mailboxes (§7.1 + §7.3 + §7.7 page by page).

    .venv/bin/python bench/domains_sync.py [--mailboxes 5000] [--domains 20]

Starts the sandbox as a real HTTP server on a free port with a fresh state file (outside the
repository), gives `demo` one extra domain holding N mailboxes plus D small domains, then times
the portal's `domains_sync` (first run: everything created; second run: nothing changed; third
run: 10 % of the mailboxes replaced) and the rendering of the first and a deep page of the
domain's mailbox table. The portal uses a throwaway SQLite database.

No target is set by the issue; this shows the cost grows with the number of §7.7 pages, not with
one database query per mailbox.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mailboxes", type=int, default=5000)
    parser.add_argument("--domains", type=int, default=20)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-domains-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="edmportal.settings.test",
        DATABASE_URL=f"sqlite:///{tmp / 'portal.sqlite3'}",
        SANDBOX_DNS_VERIFY_DELAY="none",
    )
    os.environ.pop("REDIS_URL", None)

    from werkzeug.serving import make_server

    from sandbox.app import create_app

    app = create_app(tmp / "sandbox.sqlite3", seed_data=True)
    conn = app.store.conn
    with app.store.transaction():
        big = conn.execute(
            "INSERT INTO domains (account_id, domain, verified, created_at, created_epoch) "
            "VALUES (1001, 'big.example.com', 1, '2026-01-01 00:00:00', 0)"
        ).lastrowid
        conn.executemany(
            "INSERT INTO mailboxes (domain_id, account_id, name, mailbox, password, created_at) "
            "VALUES (?, 1001, ?, ?, 'Bench-pass-1', '2026-01-01 00:00:00')",
            ((big, f"user{i:06d}", f"user{i:06d}@big.example.com") for i in range(args.mailboxes)),
        )
        for d in range(args.domains):
            conn.execute(
                "INSERT INTO domains (account_id, domain, verified, created_at, created_epoch) "
                "VALUES (1001, ?, 0, '2026-01-01 00:00:00', 32503680000)",
                (f"d{d}.example.com",),
            )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/"

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    settings.UMAIL_PLATFORM_URL = url
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)

    from apps.accounts.tests.factories import member, platform_account
    from apps.domains import services
    from apps.domains.models import Mailbox, SenderDomain

    account = platform_account(username="demo", password="demo-pass", platform_url=url)  # noqa: S106
    account.platform_id = 1001
    account.save()

    def timed(label, func):
        start = time.perf_counter()
        result = func()
        print(f"| {label:<46} | {(time.perf_counter() - start) * 1000:9.0f} ms |")
        return result

    print(f"\n{args.mailboxes} mailboxes in one domain, {args.domains + 2} other domains\n")
    print(f"| {'step':<46} | {'time':>12} |")
    print(f"|{'-' * 48}|{'-' * 14}|")
    timed("first sync (all rows created)", lambda: services.domains_sync(account=account))
    assert Mailbox.objects.filter(account=account).count() == args.mailboxes + 2
    timed("second sync (nothing changed)", lambda: services.domains_sync(account=account))
    with app.store.transaction():
        n = args.mailboxes // 10
        conn.execute("DELETE FROM mailboxes WHERE domain_id = ? AND id % 10 = 0", (big,))
        conn.executemany(
            "INSERT INTO mailboxes (domain_id, account_id, name, mailbox, password, created_at) "
            "VALUES (?, 1001, ?, ?, 'Bench-pass-1', '2026-01-01 00:00:00')",
            ((big, f"new{i:06d}", f"new{i:06d}@big.example.com") for i in range(n)),
        )
    timed("third sync (10 % replaced)", lambda: services.domains_sync(account=account))

    client = Client()
    client.force_login(member(account, role="viewer"))
    domain = SenderDomain.objects.get(account=account, domain="big.example.com")
    path = f"/domains/{domain.pk}/"
    timed("mailbox page 1", lambda: client.get(path).status_code)
    last = args.mailboxes // 30
    timed(f"mailbox page {last}", lambda: client.get(f"{path}?page={last}").status_code)
    timed("domains list", lambda: client.get("/domains/").status_code)
    server.shutdown()


if __name__ == "__main__":
    main()
