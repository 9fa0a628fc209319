from django.contrib import admin
from django.db import models

from .models import AccountService, Membership, PlatformAccount


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
    readonly_fields = ["platform_id", "customer_synced_at", "created_at", "updated_at"]
    inlines = [MembershipInline, AccountServiceInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "account", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "account__username"]
    autocomplete_fields = ["user", "account"]
