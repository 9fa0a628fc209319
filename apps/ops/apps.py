from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "apps.ops"
    label = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from . import builtin, notifications, signals  # noqa: F401 - notifications: toasts

        signals.connect()
        builtin.register()
