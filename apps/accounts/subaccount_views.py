"""Agents and administrators: the sub-account switcher and the sub-accounts page; team members'
own sign-in (portal users staff gave access to an account, with a role)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import LoginView
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.messages import platform_error_message
from apps.core.redirects import safe_next
from apps.umail.errors import UmailError

from . import selectors, services
from .decorators import account_required, role_allows
from .forms import SubAccountForm, TeamLoginForm
from .scope import remember_scope


def _back(request) -> str:
    """Where to go after a switch: the page the user was on when it is a section's landing page
    (a detail page of the previous scope would be a 404 in the new one), else the overview."""
    overview = reverse("accounts:overview")
    target = safe_next(request, overview)
    if target != overview:
        try:
            match = resolve(target.split("?")[0])
        except Resolver404:
            match = None
        if match is not None and not match.kwargs:
            return target.split("?")[0]
    return reverse("accounts:overview")


@require_POST
@account_required
def scope_switch_view(request):
    customer_id = (request.POST.get("customer_id") or "").strip()
    try:
        sub = services.scope_switch(
            account=request.account, user=request.user, customer_id=customer_id
        )
    except services.ScopeRefused as exc:
        if not request.account.is_agent_or_manager:
            return render(request, "accounts/scope_refused.html", {"reason": str(exc)}, status=403)
        messages.error(request, str(exc))
        return redirect(_back(request))
    remember_scope(request, account=request.account, customer_id=sub.customer_id if sub else "")
    if sub is None:
        messages.success(request, _("You are working on your own account again."))
    else:
        messages.success(
            request, _("You are now working on sub-account %(name)s.") % {"name": sub.display_name}
        )
    return redirect(_back(request))


def _agent_account(request):
    if not request.account.is_agent_or_manager:
        raise Http404("Only agent and administrator accounts have sub-accounts.")
    return request.account


@account_required
def subaccounts_view(request):
    account = _agent_account(request)
    return render(
        request,
        "accounts/subaccounts.html",
        {
            "sub_accounts": selectors.sub_accounts_for(account=account),
            "form": SubAccountForm(),
            "can_discover": account.user_type == account.UserType.AGENT,
            "can_add": role_allows(
                request.membership.role if request.membership else "viewer", "owner"
            ),
        },
    )


@require_POST
@account_required
def subaccounts_discover_view(request):
    account = _agent_account(request)
    try:
        found = services.subaccounts_discover(account=account)
    except UmailError as exc:
        messages.error(request, platform_error_message(exc))
    else:
        if found:
            messages.success(
                request,
                _("The platform lists %(n)s sub-accounts with domains for this account.")
                % {"n": len(found)},
            )
        else:
            messages.warning(
                request,
                _(
                    "The platform lists no sub-account domains for this account. Add your "
                    "sub-accounts by customer id."
                ),
            )
    return redirect("accounts:subaccounts")


@require_POST
@account_required(role="owner")
def subaccount_add_view(request):
    account = _agent_account(request)
    form = SubAccountForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "accounts/subaccounts.html",
            {
                "sub_accounts": selectors.sub_accounts_for(account=account),
                "form": form,
                "can_discover": account.user_type == account.UserType.AGENT,
                "can_add": True,
            },
            status=400,
        )
    try:
        sub = services.subaccount_add(
            account=account,
            user=request.user,
            customer_id=form.cleaned_data["customer_id"],
            label=form.cleaned_data["label"],
        )
    except UmailError as exc:
        messages.error(request, platform_error_message(exc))
    else:
        messages.success(request, _("Sub-account %(name)s added.") % {"name": sub.display_name})
    return redirect("accounts:subaccounts")


class TeamLoginView(LoginView):
    """Sign-in for team members: portal users with their own password, created by staff and
    given a role in a platform account (they never see the platform's password)."""

    template_name = "accounts/team_login.html"
    authentication_form = TeamLoginForm
    redirect_authenticated_user = False

    # Team passwords are guessable like any other: django-axes locks them out as it does the
    # platform sign-in and /admin/ (apps.accounts.lockout), through LockoutBackend.
