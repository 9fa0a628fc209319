"""Celery entry points for SMTP: thin wrappers that take ids and call services."""

from __future__ import annotations

from celery import shared_task

from . import services
from .errors import SmtpError
from .models import OutboundMail


@shared_task(bind=True, max_retries=3, acks_late=True)
def notification_send_task(self, mail_id: int) -> None:
    """Send one queued notification. Idempotent: a mail no longer queued is left alone."""
    mail = OutboundMail.objects.filter(pk=mail_id).select_related("account").first()
    if mail is None:
        return
    final = self.request.retries >= self.max_retries
    try:
        services.notification_send(mail=mail, final_attempt=final)
    except SmtpError as exc:
        # Only retryable failures get here (unreachable server, 4xx answers).
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
