from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmtpConfig(AppConfig):
    name = "apps.smtp"
    label = "smtp"
    verbose_name = _("SMTP")
