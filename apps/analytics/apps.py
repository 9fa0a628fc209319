from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "apps.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from apps.campaigns.hooks import suppressed_in_list
        from apps.core.registry import register_resync, register_snapshot

        from . import services

        suppressed_in_list.answer(services.suppressed_in_list)

        register_resync(
            "analytics.statistics", _("Campaign and daily statistics (§2, §3)"), order=60
        )(services.analytics_resync)
        register_snapshot(
            "analytics.TrackingPoint", "taken_at", days=730, label=_("Open and click history")
        )
        register_snapshot(
            "analytics.DetailFetch",
            "created_at",
            days=180,
            label=_("Failed detail downloads"),
            only={"state": "failed"},
        )
