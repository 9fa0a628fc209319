from django.contrib import admin

from .models import ABTest, ResendJob


@admin.register(ABTest)
class ABTestAdmin(admin.ModelAdmin):
    list_display = ("id", "account", "name", "state", "metric", "mode", "decide_at")
    list_filter = ("state", "metric", "mode")
    raw_id_fields = ("account", "winner", "rest_campaign", "created_by")


@admin.register(ResendJob)
class ResendJobAdmin(admin.ModelAdmin):
    list_display = ("id", "account", "source", "state", "openers", "added", "created_at")
    raw_id_fields = ("account", "source", "user", "draft")
