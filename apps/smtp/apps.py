from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmtpConfig(AppConfig):
    name = "apps.smtp"
    label = "smtp"
    verbose_name = _("SMTP")

    def ready(self) -> None:
        from apps.accounts.signals import service_refreshed

        from .notifications import quota_checked

        service_refreshed.connect(
            lambda sender, account, service, **kwargs: quota_checked(
                account=account, service=service
            ),
            weak=False,
            dispatch_uid="smtp.quota_checked",
        )
