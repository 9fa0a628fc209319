"""Re-encrypt every stored credential with the newest key of EDMPORTAL_CREDENTIALS_KEYS.

Procedure (docs/OPERATIONS.md): put the new key first (EDMPORTAL_CREDENTIALS_KEYS=new,old) on
every process and restart them, run this command, then drop the old key and restart again.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.ops.services import credentials_rotate


class Command(BaseCommand):
    help = "Re-encrypt stored platform passwords (and other registered secrets) with the first key."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="check every value decrypts; change nothing"
        )

    def handle(self, *args, dry_run, **options):
        keys = [k for k in settings.CREDENTIALS_KEYS if k]
        if len(keys) < 2:
            self.stdout.write(
                "Only one key is configured: values are re-encrypted with it, which changes "
                "nothing about which key protects them. To rotate, put a new key first."
            )
        reports = credentials_rotate(dry_run=dry_run)
        failed = []
        for report in reports:
            verb = "would re-encrypt" if dry_run else "re-encrypted"
            self.stdout.write(
                f"{report.field}: {report.total} rows, {verb} {report.rotated}, "
                f"{report.empty} empty, {len(report.undecryptable)} not decryptable"
            )
            if report.undecryptable:
                failed.append(f"{report.field} ids {report.undecryptable[:20]}")
        if failed:
            raise CommandError(
                "No configured key decrypts these values (they were left unchanged; the key "
                "that wrote them is missing from EDMPORTAL_CREDENTIALS_KEYS): " + "; ".join(failed)
            )
        if not dry_run:
            self.stdout.write(
                self.style.SUCCESS(
                    "Done. Every value now uses the first key; the other keys can be removed."
                )
            )
