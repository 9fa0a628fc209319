from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailtemplatesConfig(AppConfig):
    name = "apps.mailtemplates"
    label = "mailtemplates"
    verbose_name = _("Templates")
