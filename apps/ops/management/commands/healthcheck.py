"""The /healthz checks from the command line (container health checks, cron, an operator)."""

import json

from django.core.management.base import BaseCommand, CommandError

from apps.ops.health import CHECKS, FAIL, OK, run_checks


class Command(BaseCommand):
    # Run every minute by container health checks: skip the system checks, they cost time.
    requires_system_checks = []
    help = (
        "Check database, broker, platform and scheduler like /healthz; exit 1 when the database "
        "or broker fails (with --strict or --only: when anything is not ok)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only", action="append", choices=sorted(CHECKS), help="run only this check"
        )
        parser.add_argument("--strict", action="store_true", help="also exit 1 when only degraded")

    def handle(self, *args, only, strict, **options):
        report = run_checks(only)
        self.stdout.write(json.dumps(report, indent=2))
        if report["status"] == FAIL or ((strict or only) and report["status"] != OK):
            raise CommandError(f"health: {report['status']}")
