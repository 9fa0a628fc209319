from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LogoutView
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from apps.core.messages import platform_error_message
from apps.core.redirects import safe_next
from apps.umail.errors import UmailError

from . import lockout, selectors, services
from .decorators import account_required
from .forms import PlatformLoginForm
from .middleware import SESSION_KEY
from .sessions import session_bind

logger = logging.getLogger(__name__)


@sensitive_post_parameters("password")  # never in error reports
def login_view(request):
    if request.user.is_authenticated and request.account:
        return redirect("accounts:overview")
    form = PlatformLoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        errurl = request.build_absolute_uri(reverse("accounts:login") + "?failed=1")
        username = form.cleaned_data["username"]
        if not lockout.signin_allowed(request, username=username):
            # Even the right password waits, and the platform is not asked.
            form.add_error(None, lockout.locked_out_message())
            return lockout.locked_out_page(
                request, template="accounts/login.html", context={"form": form, "next": ""}
            )
        try:
            user = services.account_sign_in(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                user_type=form.cleaned_data["user_type"] or "",
                errurl=errurl,
            )
        except services.SignInRefused:
            lockout.signin_failed(request, username=username)
            form.add_error(
                None, _("The platform did not accept this username, password and user type.")
            )
            status = 401
        except UmailError as exc:
            logger.warning("sign-in: platform unavailable: %s", exc)
            form.add_error(None, platform_error_message(exc))
            status = 503
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            lockout.signin_succeeded(request, username=username)
            account = selectors.account_for_user(user=user, account_id=None)
            request.session[SESSION_KEY] = account.pk if account else None
            if account is not None:
                session_bind(request, account=account)
            return redirect(safe_next(request, "accounts:overview"))
    elif request.method == "GET" and request.GET.get("failed"):
        form.add_error(
            None, _("The platform did not accept this username, password and user type.")
        )
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": safe_next(request, "accounts:overview")},
        status=status,
    )


class PortalLogoutView(LogoutView):
    next_page = "accounts:login"


@account_required
def overview_view(request):
    overview = selectors.account_overview(account=request.account)
    return render(request, "accounts/overview.html", {"overview": overview})


@require_POST
@account_required
def overview_refresh_view(request):
    try:
        services.account_refresh_service(account=request.account)
        services.account_refresh_customer(account=request.account)
    except UmailError as exc:
        messages.error(
            request, platform_error_message(exc) + " " + _("Showing the last data fetched.")
        )
    else:
        messages.success(request, _("Account information refreshed from the platform."))
    return redirect("accounts:overview")
