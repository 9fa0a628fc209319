from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "apps.campaigns"
    label = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from apps.contacts.selectors import scheduled_campaigns_for_list
        from apps.mailtemplates.selectors import scheduled_campaigns_for_template

        from . import selectors

        scheduled_campaigns_for_list.answer(selectors.scheduled_for_list)
        scheduled_campaigns_for_template.answer(selectors.scheduled_for_template)
