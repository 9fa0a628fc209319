from django.contrib import admin

from .models import MailTemplate, TemplateAttachment, TemplateSync


class AttachmentInline(admin.TabularInline):
    model = TemplateAttachment
    extra = 0
    readonly_fields = ("platform_id", "name", "size_bytes", "created_at")
    can_delete = False


@admin.register(MailTemplate)
class MailTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "platform_id", "account", "check_result", "size_kb", "poll_state")
    list_filter = ("check_result", "poll_state")
    search_fields = ("name", "subject_line", "account__username")
    readonly_fields = [f.name for f in MailTemplate._meta.fields]
    inlines = [AttachmentInline]

    def has_add_permission(self, request):
        return False  # templates are created on the platform, through the portal's editor


@admin.register(TemplateSync)
class TemplateSyncAdmin(admin.ModelAdmin):
    list_display = ("account", "synced_at", "last_error_at")
    readonly_fields = ("account", "synced_at", "last_error", "last_error_at")
