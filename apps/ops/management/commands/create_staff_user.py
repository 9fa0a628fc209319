"""Create or update a staff user for /admin/ without prompts (deploy scripts, containers).

The password never goes on the command line (it would show in `ps` and shell history): it is
read from an environment variable (default EDMPORTAL_STAFF_PASSWORD) or from standard input.
"""

import os
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.ops.services import staff_user_create


class Command(BaseCommand):
    help = "Create (or with --update, update) a staff user who signs in to /admin/."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-env",
            default="EDMPORTAL_STAFF_PASSWORD",
            help="environment variable holding the password (default %(default)s)",
        )
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )
        parser.add_argument("--superuser", action="store_true", help="all permissions")
        parser.add_argument(
            "--update",
            action="store_true",
            help="change the password and flags of an existing user",
        )

    def handle(self, *args, username, email, password_env, password_stdin, superuser, update,
               **options):  # fmt: skip
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
            source = "standard input"
        else:
            password = os.environ.get(password_env, "")
            source = f"${password_env}"
        if not password:
            raise CommandError(f"No password given: set {password_env} or use --password-stdin.")
        try:
            user, created = staff_user_create(
                username=username, password=password, email=email, superuser=superuser,
                update=update,
            )  # fmt: skip
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            refused = " ".join(exc.messages)
            raise CommandError(f"The password from {source} is refused: {refused}") from None
        kind = "superuser" if user.is_superuser else "staff user"
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} {kind} {user.username!r}."))
