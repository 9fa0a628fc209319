"""Benchmark: transactional mail through the e-mail backend to the sandbox's SMTP service (§10).

    .venv/bin/python bench/smtp_send.py [--messages 300]

Starts the sandbox's SMTP service in this process (its own thread and event loop, a fresh state
file outside the repository) and sends Chinese text mails with Django's EmailMessage through
``apps.smtp.backend.PlatformSMTPBackend`` (explicit settings, no database):

* one connection per message (connect, EHLO, AUTH, MAIL/RCPT/DATA, QUIT), as ``send_mail`` does;
* one connection for all messages (``get_connection()`` reused);
* a message with a 5 MB attachment.

Prints messages per second and median / 95th-percentile latency. Loopback only: it measures the
portal's and the sandbox's own cost, not the platform's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LOGIN, PASSWORD = "notice@demo-shop.cn", "Notice-pass-2026"


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()

    import django
    from django.conf import settings

    settings.configure(
        EMAIL_BACKEND="apps.smtp.backend.PlatformSMTPBackend",
        UMAIL_SMTP_ACCOUNT="",
        EMAIL_HOST="127.0.0.1",
        EMAIL_HOST_USER=LOGIN,
        EMAIL_HOST_PASSWORD=PASSWORD,
        EMAIL_TIMEOUT=10,
        USE_I18N=False,
    )
    django.setup()
    from django.core.mail import EmailMessage, get_connection

    from sandbox.app import create_app
    from sandbox.smtp_server import SmtpService

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Path(tmp) / "state.sqlite3", seed_data=True)
        service = SmtpService(app.store, app.clock, port=0)
        service.start()
        settings.EMAIL_PORT = service.port

        def message(n: int, connection=None) -> EmailMessage:
            return EmailMessage(
                f"您的验证码 {n:06d}",
                f"张伟您好：您的验证码是 {n:06d}，10 分钟内有效。\n" * 5,
                from_email=f"深圳示例科技 <{LOGIN}>",
                to=[f"user{n}@example.com"],
                connection=connection,
            )

        rows = []

        samples = []
        start = time.perf_counter()
        for n in range(args.messages):
            t0 = time.perf_counter()
            assert message(n).send() == 1
            samples.append((time.perf_counter() - t0) * 1000)
        total = time.perf_counter() - start
        rows.append(("connection per message", args.messages, total, samples))

        samples = []
        start = time.perf_counter()
        with get_connection() as connection:
            for n in range(args.messages):
                t0 = time.perf_counter()
                assert message(n, connection).send() == 1
                samples.append((time.perf_counter() - t0) * 1000)
        total = time.perf_counter() - start
        rows.append(("one connection, reused", args.messages, total, samples))

        big = message(0)
        big.attach("账单.pdf", bytes(range(256)) * (5 * 1024 * 4), "application/pdf")
        samples = []
        start = time.perf_counter()
        for _ in range(5):
            t0 = time.perf_counter()
            assert big.send() == 1
            samples.append((time.perf_counter() - t0) * 1000)
        total = time.perf_counter() - start
        rows.append(("5 MB attachment", 5, total, samples))

        stored = app.store.conn.execute("SELECT count(*) FROM smtp_messages").fetchone()[0]
        service.stop()
        app.store.close()

    print(f"{'case':<26} {'messages':>9} {'msg/s':>8} {'median ms':>10} {'p95 ms':>8}")
    for name, count, total, samples in rows:
        print(
            f"{name:<26} {count:>9} {count / total:>8.1f} "
            f"{statistics.median(samples):>10.2f} {percentile(samples, 0.95):>8.2f}"
        )
    print(f"\nstored by the sandbox: {stored} messages")


if __name__ == "__main__":
    main()
