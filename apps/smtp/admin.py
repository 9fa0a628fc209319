from django.contrib import admin

from .models import OutboundMail, QuotaAlert, SmtpSettings


@admin.register(SmtpSettings)
class SmtpSettingsAdmin(admin.ModelAdmin):
    list_display = ("account", "mailbox", "host", "port", "security", "last_test_ok", "updated_at")
    search_fields = ("account__username", "mailbox", "host")
    # The encrypted password is not a form field (editable=False); owners set it on the SMTP page.
    readonly_fields = (
        "last_test_at",
        "last_test_ok",
        "last_test_message",
        "last_test_transcript",
        "updated_at",
        "updated_by",
    )


@admin.register(OutboundMail)
class OutboundMailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "account", "kind", "event", "subject", "status", "queue_id")
    list_filter = ("kind", "status", "event")
    search_fields = ("account__username", "subject", "queue_id")
    readonly_fields = [f.name for f in OutboundMail._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(QuotaAlert)
class QuotaAlertAdmin(admin.ModelAdmin):
    list_display = ("account", "low", "notified_at")
