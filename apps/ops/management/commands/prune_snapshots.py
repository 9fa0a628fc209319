"""Delete snapshots and finished job records past their retention (every registered kind)."""

from django.core.management.base import BaseCommand, CommandError

from apps.ops.services import snapshots_prune


class Command(BaseCommand):
    help = "Prune old snapshots and records (OPS_RETENTION_DAYS unless a kind sets its own)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=None, help="keep this many days for every kind instead"
        )
        parser.add_argument("--dry-run", action="store_true", help="count only, delete nothing")

    def handle(self, *args, days, dry_run, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        total = 0
        for result in snapshots_prune(days=days, dry_run=dry_run):
            verb = "would delete" if dry_run else "deleted"
            self.stdout.write(
                f"{result.kind.label} ({result.kind.model_label}): {verb} {result.count} "
                f"older than {result.cutoff:%Y-%m-%d %H:%M}"
            )
            total += result.count
        self.stdout.write(
            self.style.SUCCESS(f"{'Would delete' if dry_run else 'Deleted'} {total}.")
        )
