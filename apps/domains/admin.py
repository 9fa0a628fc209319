from django.contrib import admin

from .models import DomainNotification, DomainSync, Mailbox, SenderDomain


class MailboxInline(admin.TabularInline):
    model = Mailbox
    extra = 0
    fields = ["address", "name", "synced_at", "password_changed_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(SenderDomain)
class SenderDomainAdmin(admin.ModelAdmin):
    # A mirror of the platform: staff look, the platform (through the portal's pages) decides.
    list_display = [
        "domain",
        "account",
        "customer_id",
        "is_system",
        "verified",
        "mailbox_count",
        "checked_at",
        "next_check_at",
    ]
    list_filter = ["verified", "is_system"]
    search_fields = ["domain", "account__username", "customer_id"]
    readonly_fields = [f.name for f in SenderDomain._meta.fields]
    inlines = [MailboxInline]

    def has_add_permission(self, request):
        return False


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ["address", "account", "customer_id", "synced_at", "password_changed_at"]
    search_fields = ["address", "account__username"]
    readonly_fields = [f.name for f in Mailbox._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(DomainNotification)
class DomainNotificationAdmin(admin.ModelAdmin):
    list_display = ["domain_name", "kind", "account", "customer_id", "created_at", "dismissed_at"]
    list_filter = ["kind"]


@admin.register(DomainSync)
class DomainSyncAdmin(admin.ModelAdmin):
    list_display = ["account", "customer_id", "synced_at", "last_error_at"]
