"""Agents and administrators: the sub-account switcher and the sub-accounts page; team members'
own sign-in (portal users staff gave access to an account, with a role)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import LoginView
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.messages import platform_error_message
from apps.core.redirects import safe_next
from apps.umail.errors import UmailError

from . import selectors, services, subaccounts
from .decorators import account_required, role_allows
from .forms import SubAccountCredentialsForm, SubAccountForm, TeamLoginForm
from .middleware import SESSION_KEY as ACCOUNT_KEY
from .models import SubAccount
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


def _activate(request, account) -> None:
    """Make `account` the active platform account for everything (and its own scope)."""
    request.session[ACCOUNT_KEY] = account.pk
    remember_scope(request, account=account, customer_id="")


def _agent_switch(request, agent, customer_id: str):
    """Agents: a sub-account is its own platform account; switching activates it."""
    if not customer_id:
        services.scope_switch(account=agent, user=request.user, customer_id="")
        _activate(request, agent)
        messages.success(request, _("You are working on your own account again."))
        return redirect(_back(request))
    sub = SubAccount.objects.filter(account=agent, customer_id=customer_id).first()
    if sub is None:
        messages.error(
            request,
            _("Customer %(id)s is not one of this account's sub-accounts.") % {"id": customer_id},
        )
        return redirect(_back(request))
    if sub.needs_credentials:
        return redirect("accounts:subaccount-credentials", sub.pk)
    try:
        child = subaccounts.subaccount_enter(account=agent, user=request.user, sub=sub)
    except subaccounts.CredentialsRefused as exc:
        messages.error(request, str(exc))
        return redirect("accounts:subaccount-credentials", sub.pk)
    _activate(request, child)
    messages.success(
        request, _("You are now working on sub-account %(name)s.") % {"name": sub.display_name}
    )
    return redirect(_back(request))


@account_required
def subaccount_credentials_view(request, pk: int):
    """The sub-account's own credentials, asked once (and again when they stop working)."""
    agent = subaccounts.managing_account(request.account)
    membership = subaccounts.membership_for(user=request.user, account=agent)
    if not role_allows(membership.role if membership else "viewer", "owner"):
        return render(request, "accounts/forbidden.html", {"needed": _("Owner")}, status=403)
    if agent.user_type != agent.UserType.AGENT:
        raise Http404("Only agents sign in as their sub-accounts.")
    sub = get_object_or_404(SubAccount, pk=pk, account=agent)
    form = SubAccountCredentialsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            child = subaccounts.subaccount_credentials_set(
                account=agent,
                user=request.user,
                sub=sub,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except subaccounts.CredentialsRefused as exc:
            form.add_error(None, str(exc))
        else:
            _activate(request, child)
            messages.success(
                request,
                _("You are now working on sub-account %(name)s.") % {"name": sub.display_name},
            )
            return redirect("accounts:overview")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "accounts/subaccount_credentials.html", {"sub": sub, "form": form}, status=status
    )


@require_POST
@account_required
def scope_switch_view(request):
    customer_id = (request.POST.get("customer_id") or "").strip()
    agent = subaccounts.managing_account(request.account)
    if subaccounts.acts_through_own_credentials(request.account):
        return _agent_switch(request, agent, customer_id)
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
    account = subaccounts.managing_account(request.account)
    if not account.is_agent_or_manager:
        raise Http404("Only agent and administrator accounts have sub-accounts.")
    return account


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
