from django.contrib import admin

from .models import ImportJob, MailList, Suppression


@admin.register(MailList)
class MailListAdmin(admin.ModelAdmin):
    list_display = ["subject", "account", "platform_id", "count", "status", "synced_at"]
    list_filter = ["status"]
    search_fields = ["subject", "account__username"]


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email", "account", "reason", "source", "list_platform_id", "created_at"]
    list_filter = ["reason", "source"]
    search_fields = ["email", "account__username"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["original_name", "account", "list_subject", "state", "rows_good", "created_at"]
    list_filter = ["state"]
    search_fields = ["original_name", "account__username", "list_subject"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]
