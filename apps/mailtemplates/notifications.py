"""Toasts when template content checks end (registered into apps.core.notifications)."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext_noop

from apps.accounts.models import Membership
from apps.core.models import Notification
from apps.core.notifications import JobEnded, register_scanner, url_or_blank

from .models import MailTemplate

# Template checks are started by saving a template; the check belongs to the account, so every
# member who may edit templates hears about it.
_TEMPLATE_MESSAGES = {
    "green": (
        Notification.Level.SUCCESS,
        gettext_noop("The template “%(name)s” passed the content check."),
    ),
    "yellow": (
        Notification.Level.SUCCESS,
        gettext_noop("The template “%(name)s” passed the content check with warnings."),
    ),
    "red_pass": (
        Notification.Level.INFO,
        gettext_noop("The template “%(name)s” passed the content check but scored high for spam."),
    ),
    "red": (
        Notification.Level.ERROR,
        gettext_noop("The platform rejected the template “%(name)s” in its content check."),
    ),
}


@register_scanner
def _template_checks(user, since) -> Iterator[JobEnded]:
    editors = Membership.objects.filter(user=user).exclude(role=Membership.Role.VIEWER)
    templates = MailTemplate.objects.filter(
        account_id__in=editors.values("account_id"),
        poll_finished_at__gte=since,
        poll_state__in=[
            MailTemplate.PollState.DONE,
            MailTemplate.PollState.TIMED_OUT,
            MailTemplate.PollState.FAILED,
        ],
    )
    for template in templates:
        stamp = int(template.poll_finished_at.timestamp())
        url = url_or_blank("mailtemplates:edit", template.pk)
        params = {"name": template.name}
        if template.poll_state == MailTemplate.PollState.DONE:
            level, message = _TEMPLATE_MESSAGES.get(
                template.check_result,
                (
                    Notification.Level.INFO,
                    gettext_noop("The content check of “%(name)s” has finished."),
                ),
            )
        else:
            level = Notification.Level.ERROR
            message = gettext_noop(
                "The content check of “%(name)s” did not finish. Open it to check again."
            )
        yield JobEnded(
            f"templates.check:{template.pk}:{stamp}",
            level,
            message,
            params,
            url,
            template.account_id,
        )
