"""Fetch everything of one platform account from the platform again and replace local mirrors."""

import socket

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import PlatformAccount
from apps.core.messages import platform_error_message
from apps.core.registry import resync_steps
from apps.ops import services
from apps.umail.errors import UmailError


class Command(BaseCommand):
    help = "Resync one platform account from scratch (in this process, or --background)."

    def add_arguments(self, parser):
        parser.add_argument("account", help="the account's id in the portal, or its username")
        parser.add_argument(
            "--user-type",
            default=None,
            choices=["", "agents", "manager"],
            help="with a username: '' ordinary, agents or manager (default: the only match)",
        )
        parser.add_argument(
            "--background", action="store_true", help="queue it for the workers and return"
        )

    def _account(self, ref: str, user_type):
        qs = PlatformAccount.objects.all()
        if ref.isdigit():
            qs = qs.filter(pk=int(ref)) | qs.filter(username=ref)
        else:
            qs = qs.filter(username=ref)
        if user_type is not None:
            qs = qs.filter(user_type=user_type)
        found = list(qs.distinct()[:3])
        if not found:
            raise CommandError(f"No platform account matches {ref!r}.")
        if len(found) > 1:
            names = ", ".join(f"#{a.pk} {a}" for a in found)
            raise CommandError(f"{ref!r} matches several accounts ({names}); give the id.")
        return found[0]

    def handle(self, *args, account, user_type, background, **options):
        target = self._account(account, user_type)
        job, created = services.resync_job_start(account=target, enqueue=background)
        if not created:
            raise CommandError(
                f"A resync of {target} is already {job.get_status_display().lower()} "
                f"(job {job.pk}, worker {job.worker or '-'})."
            )
        if background:
            self.stdout.write(f"Queued resync job {job.pk} for {target}.")
            return
        self.stdout.write(
            f"Resyncing {target}: " + ", ".join(str(s.label) for s in resync_steps()) + " …"
        )
        try:
            outcome = services.resync_job_run(
                job_id=job.pk, worker=f"manage.py@{socket.gethostname()}"
            )
        except services.StepFailed as failure:
            exc = failure.original
            message = platform_error_message(exc) if isinstance(exc, UmailError) else str(exc)
            services.resync_job_fail(
                job_id=job.pk, attempt=failure.attempt, error=f"{failure.step}: {message}"
            )
            raise CommandError(f"{failure.step} failed: {message}") from exc
        job.refresh_from_db()
        if outcome.state != "done":
            raise CommandError(f"The resync did not finish ({outcome.state}).")
        self.stdout.write(
            self.style.SUCCESS(f"Resynced {target}: {', '.join(job.steps_done)} (job {job.pk}).")
        )
