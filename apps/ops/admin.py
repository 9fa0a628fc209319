from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import selectors, services
from .models import FailedTask, Heartbeat, ResyncJob


@admin.register(FailedTask)
class FailedTaskAdmin(admin.ModelAdmin):
    """Failed jobs, with the queues' depth and the workers above the list."""

    change_list_template = "admin/ops/failedtask/change_list.html"
    list_display = ["failed_at", "task_name", "exception_type", "short_message", "worker"]
    list_display += ["retried_at", "resolved"]
    list_filter = ["resolved", "task_name", "exception_type"]
    search_fields = ["task_id", "task_name", "exception_message", "request_id"]
    date_hierarchy = "failed_at"
    readonly_fields = [f.name for f in FailedTask._meta.fields if f.name != "id"]
    actions = ["retry", "mark_resolved"]

    @admin.display(description=_("message"))
    def short_message(self, obj):
        return obj.exception_message[:120]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        extra_context["queues"] = selectors.queue_overview()
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Run the selected jobs again"), permissions=["view"])
    def retry(self, request, queryset):
        sent = 0
        for failed in queryset:
            try:
                services.failed_task_retry(failed=failed)
            except Exception as exc:  # the broker may be down: say so, keep the page
                self.message_user(
                    request,
                    _("Could not queue %(task)s: %(error)s") % {"task": failed, "error": exc},
                    messages.ERROR,
                )
                return
            sent += 1
        self.message_user(
            request,
            ngettext("%(n)d job queued again.", "%(n)d jobs queued again.", sent) % {"n": sent},
        )

    @admin.action(description=_("Mark the selected jobs as resolved"), permissions=["view"])
    def mark_resolved(self, request, queryset):
        count = queryset.update(resolved=True)
        self.message_user(
            request,
            ngettext("%(n)d job marked resolved.", "%(n)d jobs marked resolved.", count)
            % {"n": count},
        )


@admin.register(ResyncJob)
class ResyncJobAdmin(admin.ModelAdmin):
    """Staff start a from-scratch resync of any account here ("Add resync job")."""

    list_display = ["created_at", "account", "status", "attempts", "worker", "finished_at"]
    list_filter = ["status"]
    search_fields = ["account__username", "account__company"]
    autocomplete_fields = ["account"]
    date_hierarchy = "created_at"

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["account"]
        return [f.name for f in ResyncJob._meta.fields if f.name != "id"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Through the service: one active job per account, queued after the commit.
        job, created = services.resync_job_start(account=obj.account, user=request.user)
        obj.pk = obj.id = job.pk
        obj._state.adding = False
        if not created:
            self.message_user(
                request, _("A resync of this account was already under way."), messages.INFO
            )


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "seen_at", "worker"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
