from django.contrib import admin
from django.db import models
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from apps.umail.errors import UmailError
from apps.umail.probe import ProbeReport, ProbeResult, run_probe

from .clients import client_for_account
from .models import AccountService, Membership, PlatformAccount, SubAccount


@admin.action(description=_("Probe the platform with this account (read-only operations)"))
def probe_platform(modeladmin, request, queryset):
    """`platform_probe` from admin: every read-only operation, nothing written."""
    reports = []
    for account in queryset[:10]:
        try:
            with client_for_account(account) as client:
                report = run_probe(client, user_type=account.user_type)
        except UmailError as exc:
            report = ProbeReport([ProbeResult("-", "connect", "failed", str(exc))])
        reports.append((account, report))
    return TemplateResponse(
        request,
        "admin/accounts/probe_report.html",
        {**modeladmin.admin_site.each_context(request), "reports": reports,
         "title": _("Platform probe")},
    )  # fmt: skip


class SubAccountInline(admin.TabularInline):
    """An agent's or administrator's sub-accounts: staff may add customer ids here; the platform
    confirms each one when the agent first switches to it."""

    model = SubAccount
    fk_name = "account"
    extra = 0
    fields = ["customer_id", "label", "source", "confirmed_at", "platform_account"]
    readonly_fields = ["source", "confirmed_at", "platform_account"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class AccountServiceInline(admin.StackedInline):
    model = AccountService
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in AccountService._meta.fields if f.name != "id"]


@admin.register(PlatformAccount)
class PlatformAccountAdmin(admin.ModelAdmin):
    # password_encrypted is excluded (editable=False) and never shown, not even as ciphertext.
    list_display = ["username", "user_type", "company", "platform_url", "api_mode", "updated_at"]
    list_filter = ["user_type", "api_mode"]
    search_fields = ["username", "company", "contact", "email"]
    readonly_fields = ["platform_id", "customer_synced_at", "created_at", "updated_at", "parent"]
    inlines = [MembershipInline, SubAccountInline, AccountServiceInline]
    actions = [probe_platform]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "account", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "account__username"]
    autocomplete_fields = ["user", "account"]


@admin.register(SubAccount)
class SubAccountAdmin(admin.ModelAdmin):
    list_display = ["customer_id", "label", "account", "source", "confirmed_at", "platform_account"]
    list_filter = ["source"]
    search_fields = ["customer_id", "label", "account__username"]
    autocomplete_fields = ["account"]
    readonly_fields = ["confirmed_at", "created_at", "platform_account"]
