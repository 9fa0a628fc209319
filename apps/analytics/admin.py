from django.contrib import admin

from .models import CampaignReport, DailyStats, DetailFetch, HygieneRun, HygieneSettings


@admin.register(CampaignReport)
class CampaignReportAdmin(admin.ModelAdmin):
    list_display = (
        "campaign",
        "account",
        "delivered",
        "open_unique",
        "click_unique",
        "final",
        "synced_at",
        "failures",
    )
    list_filter = ("final",)
    search_fields = ("campaign__name", "task_ident")
    raw_id_fields = ("campaign", "account")


@admin.register(DailyStats)
class DailyStatsAdmin(admin.ModelAdmin):
    list_display = (
        "account",
        "date",
        "ws_count",
        "actual_send",
        "actual_deduc",
        "final",
        "synced_at",
    )
    list_filter = ("final",)
    date_hierarchy = "date"


@admin.register(DetailFetch)
class DetailFetchAdmin(admin.ModelAdmin):
    list_display = ("report", "kind", "state", "rows", "created_at", "finished_at")
    list_filter = ("kind", "state")
    raw_id_fields = ("report", "account", "requested_by")


@admin.register(HygieneRun)
class HygieneRunAdmin(admin.ModelAdmin):
    list_display = (
        "report",
        "account",
        "state",
        "hard_failures",
        "unsubscribes",
        "removed",
        "created_at",
    )
    list_filter = ("state",)
    raw_id_fields = ("report", "account")


admin.site.register(HygieneSettings)
