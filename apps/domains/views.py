"""Sender domains and mailboxes of the current scope (request.scope: the account itself or the
sub-account an agent or administrator switched to). Every lookup is filtered by both the account
and the scope's customer_id, so another account's or another sub-account's id gives 404."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from apps.accounts.decorators import account_required, role_allows
from apps.core.errors import errors_as_messages
from apps.core.forms import TypedConfirmationForm
from apps.core.messages import platform_error_message
from apps.umail.errors import UmailError

from . import selectors, services
from .dns import required_records
from .filters import DomainFilter, MailboxFilter
from .forms import DomainAddForm, DomainVerifyForm, MailboxAddForm, MailboxPasswordForm
from .models import DomainNotification, Mailbox, SenderDomain
from .tables import DomainTable, MailboxTable

OWNER = "owner"


def _scope(request) -> tuple:
    return request.account, request.scope.customer_id


def _domain(request, pk) -> SenderDomain:
    account, customer_id = _scope(request)
    return get_object_or_404(SenderDomain, pk=pk, account=account, customer_id=customer_id)


def _mailbox(request, pk) -> Mailbox:
    account, customer_id = _scope(request)
    return get_object_or_404(
        Mailbox.objects.select_related("domain"), pk=pk, account=account, customer_id=customer_id
    )


def _platform_failed(request, exc: UmailError) -> None:
    messages.error(request, platform_error_message(exc) + " " + _("Showing the last data fetched."))


def _can_manage(request) -> bool:
    role = request.membership.role if request.membership else "viewer"
    return role_allows(role, OWNER)


@account_required
def index_view(request):
    account, customer_id = _scope(request)
    sync = selectors.domain_sync_state(account=account, customer_id=customer_id)
    if sync is None or (sync.synced_at is None and sync.last_error_at is None):
        # First visit of this scope: fetch now rather than show an empty page.
        try:
            services.domains_sync(account=account, customer_id=customer_id)
        except UmailError as exc:
            _platform_failed(request, exc)
        sync = selectors.domain_sync_state(account=account, customer_id=customer_id)
    queryset = selectors.domains_for(account=account, customer_id=customer_id)
    filterset = DomainFilter(request.GET or None, queryset=queryset)
    table = DomainTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    return render(
        request,
        "domains/index.html",
        {
            "table": table,
            "filter": filterset,
            "sync": sync,
            # Its own ids: the filter above has a "domain" field too.
            "add_form": DomainAddForm(auto_id="add_%s"),
            "notifications": selectors.notifications_for(account=account, customer_id=customer_id),
            "can_manage": _can_manage(request),
            "scope": request.scope,
            "has_unverified": queryset.filter(verified=False, is_system=False).exists(),
        },
    )


@require_POST
@account_required
def refresh_view(request):
    account, customer_id = _scope(request)
    try:
        result = services.domains_sync(account=account, customer_id=customer_id)
    except UmailError as exc:
        _platform_failed(request, exc)
    else:
        messages.success(
            request,
            _("Domains refreshed from the platform: %(d)s domains, %(m)s mailboxes.")
            % {"d": result.domains, "m": result.mailboxes},
        )
    return redirect("domains:index")


@require_POST
@account_required(role=OWNER)
@errors_as_messages("domains:index")
def add_view(request):
    account, customer_id = _scope(request)
    form = DomainAddForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("domain", []):
            messages.error(request, error)
        return redirect("domains:index")
    domain = form.cleaned_data["domain"]
    obj = services.domain_add(
        account=account, user=request.user, domain=domain, customer_id=customer_id
    )
    if obj.verified:
        messages.success(request, _("%(d)s was added and is already verified.") % {"d": domain})
    else:
        messages.success(
            request,
            _(
                "%(d)s was added. Create the DNS records below at your DNS provider; the portal "
                "checks the domain regularly and tells you here once it is verified."
            )
            % {"d": domain},
        )
    return redirect("domains:detail", pk=obj.pk)


@require_POST
@account_required(role=OWNER)
def verify_view(request):
    account, customer_id = _scope(request)
    queryset = selectors.domains_for(account=account, customer_id=customer_id)
    form = DomainVerifyForm(request.POST, queryset=queryset)
    back = request.POST.get("back") == "detail"
    if not form.is_valid():
        for error in form.errors.get("domains", []):
            messages.error(request, error)
        return redirect("domains:index")
    chosen = list(form.cleaned_data["domains"])
    try:
        results = services.domains_verify(account=account, user=request.user, domains=chosen)
    except UmailError as exc:
        messages.error(request, platform_error_message(exc))
    else:
        for domain, line in zip(
            [d for d, _c in results], services.verification_summary(results), strict=True
        ):
            (messages.success if domain.verified else messages.warning)(request, line)
    if back and len(chosen) == 1:
        return redirect("domains:detail", pk=chosen[0].pk)
    return redirect("domains:index")


@account_required
def detail_view(request, pk):
    domain = _domain(request, pk)
    boxes = selectors.mailboxes_for(domain=domain)
    filterset = MailboxFilter(request.GET or None, queryset=boxes)
    table = MailboxTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 30}).configure(table)
    return render(
        request,
        "domains/detail.html",
        {
            "domain": domain,
            "records": [] if domain.is_system else required_records(domain.domain),
            "table": table,
            "filter": filterset,
            "mailbox_form": MailboxAddForm(domain=domain),
            "can_manage": _can_manage(request),
            "scope": request.scope,
            "notifications": selectors.notifications_for(
                account=domain.account, customer_id=domain.customer_id
            ).filter(domain=domain),
        },
    )


@account_required
def status_view(request, pk):
    """The verification panel alone, polled by htmx while the domain is unverified."""
    domain = _domain(request, pk)
    return render(
        request, "domains/_status.html", {"domain": domain, "can_manage": _can_manage(request)}
    )


@account_required(role=OWNER)
@errors_as_messages("domains:detail")
def delete_view(request, pk):
    domain = _domain(request, pk)
    if domain.is_system:
        messages.error(request, _("System domains belong to the platform and cannot be deleted."))
        return redirect("domains:detail", pk=domain.pk)
    # The domain goes with its mailboxes (their passwords are not kept): type its name.
    confirm = TypedConfirmationForm(request.POST or None, expected=domain.domain)
    if request.method != "POST" or not confirm.is_valid():
        return render(
            request,
            "domains/delete_confirm.html",
            {"domain": domain, "scope": request.scope, "confirm": confirm},
        )
    name = domain.domain
    services.domain_delete(account=request.account, user=request.user, domain=domain)
    messages.success(request, _("%(d)s was deleted.") % {"d": name})
    return redirect("domains:index")


@require_POST
@account_required
@errors_as_messages("domains:detail", extra=gettext_noop("Showing the last data fetched."))
def mailboxes_refresh_view(request, pk):
    domain = _domain(request, pk)
    count = services.mailboxes_sync(domain=domain)
    messages.success(request, _("%(n)s mailboxes fetched from the platform.") % {"n": count})
    return redirect("domains:detail", pk=domain.pk)


def _password_page(request, *, mailbox: Mailbox, password: str, created: bool):
    # Rendered straight from the POST, never stored (not even in a session message).
    response = render(
        request,
        "domains/password_once.html",
        {"mailbox": mailbox, "password": password, "created": created},
    )
    response["Cache-Control"] = "no-store"
    return response


@sensitive_post_parameters("password")  # mailbox passwords: never in error reports
@never_cache
@require_POST
@account_required(role=OWNER)
@errors_as_messages("domains:detail")
def mailbox_add_view(request, pk):
    domain = _domain(request, pk)
    if domain.is_system:
        messages.error(request, _("Mailboxes on system domains are managed by the platform."))
        return redirect("domains:detail", pk=domain.pk)
    form = MailboxAddForm(request.POST, domain=domain)
    if not form.is_valid():
        for field_errors in form.errors.values():
            for error in field_errors:
                messages.error(request, error)
        return redirect("domains:detail", pk=domain.pk)
    mailbox, password = services.mailbox_add(
        account=request.account,
        user=request.user,
        domain=domain,
        name=form.cleaned_data["name"],
        password=form.cleaned_data["password"],
    )
    return _password_page(request, mailbox=mailbox, password=password, created=True)


@sensitive_post_parameters("password")
@never_cache
@account_required(role=OWNER)
def mailbox_password_view(request, pk):
    mailbox = _mailbox(request, pk)
    form = MailboxPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password = services.mailbox_set_password(
                account=request.account,
                user=request.user,
                mailbox=mailbox,
                password=form.cleaned_data["password"],
            )
        except UmailError as exc:
            messages.error(request, platform_error_message(exc))
        else:
            return _password_page(request, mailbox=mailbox, password=password, created=False)
    return render(
        request,
        "domains/mailbox_password.html",
        {"mailbox": mailbox, "form": form, "scope": request.scope},
    )


@account_required(role=OWNER)
def mailbox_delete_view(request, pk):
    mailbox = _mailbox(request, pk)
    if request.method != "POST":
        return render(
            request,
            "domains/mailbox_delete_confirm.html",
            {"mailbox": mailbox, "scope": request.scope},
        )
    domain_pk = mailbox.domain_id
    address = mailbox.address
    try:
        services.mailbox_delete(account=request.account, user=request.user, mailbox=mailbox)
    except UmailError as exc:
        messages.error(request, platform_error_message(exc))
    else:
        messages.success(request, _("%(m)s was deleted.") % {"m": address})
    return redirect("domains:detail", pk=domain_pk)


@require_POST
@account_required
def notification_dismiss_view(request, pk):
    account, customer_id = _scope(request)
    notification = get_object_or_404(
        DomainNotification, pk=pk, account=account, customer_id=customer_id
    )
    services.notification_dismiss(notification=notification)
    if request.POST.get("back") == "detail" and notification.domain_id:
        return redirect("domains:detail", pk=notification.domain_id)
    return redirect("domains:index")
