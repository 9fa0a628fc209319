"""The portal's own pages around the sections: activity log, preferences, help, the guide and
the toasts every page polls."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_tables2 import RequestConfig

from apps.core import notifications
from apps.core.filters import ALL_SCOPES, AuditFilter
from apps.core.help import GLOSSARY, guide_steps
from apps.core.models import AuditEntry
from apps.core.redirects import safe_next
from apps.core.tables import AuditTable
from apps.core.timezones import PLATFORM_TIME_ZONE

from .decorators import account_required
from .forms import PreferencesForm
from .middleware import set_language_cookie
from .preferences import guide_dismiss, guide_reopen, notifications_scan, preference_update
from .selectors import sub_accounts_for


@account_required
def audit_view(request):
    """The account's audit log for its users: every write made through the portal."""
    account = request.account
    entries = AuditEntry.objects.filter(account=account).select_related("user")
    actions = entries.order_by("action").values_list("action", flat=True).distinct()
    data = request.GET.copy()
    scopes = None
    sub_names = {}
    if account.is_agent_or_manager:
        sub_names = {s.customer_id: s.display_name for s in sub_accounts_for(account=account)}
        scopes = [("-", _("Own account")), *sub_names.items()]
        scopes += [(ALL_SCOPES, _("All sub-accounts and own account"))]
        # The page starts in the scope the user works on, like every other page.
        data.setdefault("sub_account", request.scope.customer_id or "-")
    filterset = AuditFilter(data, queryset=entries, actions=list(actions), scopes=scopes)
    table = AuditTable(filterset.qs, sub_names=sub_names)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "core/audit.html", {"table": table, "filter": filterset})


@account_required
def preferences_view(request):
    """Language and time zone of the signed-in user (not of the platform account)."""
    prefs = request.preferences
    form = PreferencesForm(
        request.POST or None,
        initial={"language": prefs.language, "time_zone": prefs.time_zone},
    )
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        preference_update(
            user=request.user, language=language, time_zone=form.cleaned_data["time_zone"]
        )
        # The confirmation already speaks the language just chosen.
        active = language or translation.get_language_from_request(request)
        with translation.override(active):
            messages.success(request, _("Your preferences were saved."))
        response = redirect("accounts:preferences")
        if language:
            set_language_cookie(response, language)
        return response
    now = timezone.now()
    return render(
        request,
        "core/preferences.html",
        {
            "form": form,
            "now_local": timezone.localtime(now),
            "now_beijing": timezone.localtime(now, PLATFORM_TIME_ZONE),
        },
    )


def _back(request, fallback: str) -> str:
    return safe_next(request, fallback, use_referer=True)


@require_POST
@account_required
def guide_dismiss_view(request):
    guide_dismiss(user=request.user)
    if request.headers.get("HX-Request"):
        return HttpResponse("")  # htmx removes the guide in place
    return redirect(_back(request, "accounts:overview"))


@require_POST
@account_required
def guide_reopen_view(request):
    guide_reopen(user=request.user)
    return redirect("accounts:overview")


@account_required
def help_view(request):
    return render(
        request,
        "core/help.html",
        {"steps": guide_steps(), "glossary": GLOSSARY},
    )


# htmx stops polling on this status: a signed-out tab must not fetch the sign-in page as toasts.
HTMX_STOP_POLLING = 286


@require_GET
def notifications_view(request):
    """Polled by every page: toasts for background jobs of this user that ended."""
    if not request.user.is_authenticated or not request.account:
        return HttpResponse(status=HTMX_STOP_POLLING)
    notifications_scan(user=request.user)
    pending = notifications.take_unshown(user=request.user)
    response = render(request, "partials/toasts.html", {"notifications": pending})
    response["Cache-Control"] = "no-store"
    return response
