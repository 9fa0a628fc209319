from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import AddTaskCall, Campaign, CampaignSync


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "account",
        "campaign_name",
        "platform_id",
        "local_state",
        "status",
        "send_time",
        "send_count",
        "error_count",
    )
    list_filter = ("local_state", "status", "origin", "track_status")
    search_fields = ("name", "sn", "list_name", "account__username")
    raw_id_fields = ("account", "ab_test", "replaces", "duplicated_from", "created_by")
    readonly_fields = ("request_token", "created_at", "updated_at", "synced_at")

    @admin.display(description=_("name"), ordering="name")
    def campaign_name(self, obj):
        return obj.display_name


admin.site.register(CampaignSync)


@admin.register(AddTaskCall)
class AddTaskCallAdmin(admin.ModelAdmin):
    list_display = ("account", "at", "campaign")
    raw_id_fields = ("account", "campaign")
