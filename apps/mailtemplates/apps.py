from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailtemplatesConfig(AppConfig):
    name = "apps.mailtemplates"
    label = "mailtemplates"
    verbose_name = _("Templates")

    def ready(self) -> None:
        from . import notifications  # noqa: F401 - registers the toast scanner
