"""`python manage.py platform_probe --url URL --username U --password P [--user-type ''|agents|
manager] [--api-mode apinew|api] [--upload-id N] [--json FILE]`

Calls every read-only operation of the platform's API once (apps.umail.probe) and prints one
line per operation, then `N of M operations understood`. Exit status 0 only when N = M. Writes
nothing to the platform, ever. Start here when pointing the portal at a real platform.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.views.decorators.debug import sensitive_variables

from apps.umail.client import UmailClient
from apps.umail.errors import AuthenticationFailed, UmailError
from apps.umail.probe import ProbeResult, run_probe


class Command(BaseCommand):
    help = "Check that the platform answers every read-only operation as the manual says."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", required=True, help="platform URL, e.g. http://www.bestedm.org/"
        )
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument(
            "--user-type", default="", choices=["", "agents", "manager"], help="§8 user type"
        )
        parser.add_argument("--api-mode", default="apinew", choices=["apinew", "api"])
        parser.add_argument(
            "--upload-id", type=int, default=None, help="a §4.9.3 upload id, for §4.9.4"
        )
        parser.add_argument("--json", dest="json_file", default=None, help="write a JSON report")

    @sensitive_variables("options")
    def handle(self, *args, **options):
        def show(result: ProbeResult) -> None:
            self.stdout.write(result.line)

        try:
            with UmailClient.connect(
                platform_url=options["url"],
                username=options["username"],
                password=options["password"],
                api_mode=options["api_mode"],
            ) as client:
                report = run_probe(
                    client,
                    user_type=options["user_type"],
                    upload_id=options["upload_id"],
                    on_result=show,
                )
        except AuthenticationFailed as exc:
            raise CommandError(f"The platform refused the username or password: {exc}") from None
        except UmailError as exc:  # pragma: no cover - run_probe reports per operation
            raise CommandError(str(exc)) from None
        if options["json_file"]:
            with open(options["json_file"], "w", encoding="utf-8") as fh:
                payload = {
                    "url": options["url"],
                    "username": options["username"],
                    "user_type": options["user_type"],
                    "api_mode": options["api_mode"],
                    **report.as_json(),
                }
                json.dump(payload, fh, ensure_ascii=False, indent=1)
        self.stdout.write(report.summary)
        if not report.ok:
            raise SystemExit(1)
