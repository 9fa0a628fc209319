from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExperimentsConfig(AppConfig):
    name = "apps.experiments"
    label = "experiments"
    verbose_name = _("A/B tests and resends")

    def ready(self) -> None:
        from . import hooks

        hooks.register()
