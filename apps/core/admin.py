from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "account",
        "customer_id",
        "user",
        "action",
        "target",
        "outcome",
        "platform_status",
    ]
    list_filter = ["outcome", "action"]
    search_fields = ["account__username", "user__username", "action", "target", "message"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # an audit log is append-only


# The admin speaks of the portal, not of Django (and in the reader's language).
admin.site.site_header = _("edmportal administration")
admin.site.site_title = _("edmportal administration")
admin.site.index_title = _("Administration")
