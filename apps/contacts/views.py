from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig
from django_tables2.data import TableListData

from apps.accounts.decorators import account_required
from apps.core.exports import export_response
from apps.core.forms import TypedConfirmationForm
from apps.core.messages import platform_error_message
from apps.core.uploads import upload_limit
from apps.umail.errors import UmailError

from . import export_full, selectors, services
from .filters import MailListFilter
from .forms import (
    AddressForm,
    ConfirmNameForm,
    ImportMappingForm,
    ImportUploadForm,
    ListForm,
    SubscriptionForm,
    VariableNamesForm,
    field_label,
)
from .importing import FIELDS, ImportFileError
from .models import VAR_FIELDS, ImportJob, MailList
from .tables import AddressTable, ImportJobTable, MailListTable

logger = logging.getLogger(__name__)
PER_PAGE = 50
EDITOR = "editor"


def _platform_error(request, exc: UmailError, extra: str = "") -> None:
    messages.error(request, " ".join(filter(None, [platform_error_message(exc), extra])))


def _get_list(request, list_id: int) -> MailList:
    # Another account's list id is simply not found: 404, never its data.
    return get_object_or_404(MailList, account=request.account, platform_id=list_id)


# -- lists ----------------------------------------------------------------------------------------


@account_required
def index_view(request):
    account = request.account
    if selectors.lists_sync_state(account=account) is None:
        try:  # first visit: fetch the lists now rather than show an empty page
            services.list_sync(account=account)
        except UmailError as exc:
            _platform_error(request, exc)
    filterset = MailListFilter(request.GET, queryset=selectors.lists_for_account(account=account))
    table = MailListTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    return render(
        request,
        "contacts/index.html",
        {
            "table": table,
            "filter": filterset,
            "sync": selectors.lists_sync_state(account=account),
            "stale": selectors.lists_are_stale(account=account),
        },
    )


@require_POST
@account_required
def lists_refresh_view(request):
    try:
        services.list_sync(account=request.account)
    except UmailError as exc:
        _platform_error(request, exc, _("Showing the lists fetched earlier."))
    else:
        messages.success(request, _("Lists refreshed from the platform."))
    return redirect("contacts:index")


@account_required(role=EDITOR)
def list_create_view(request):
    form = ListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            maillist = services.list_create(
                account=request.account, user=request.user, **form.cleaned_data
            )
        except UmailError as exc:
            form.add_error(None, platform_error_message(exc))
        else:
            messages.success(request, _("List “%(name)s” created.") % {"name": maillist.subject})
            return redirect("contacts:list-detail", maillist.platform_id)
    return render(request, "contacts/list_form.html", {"form": form, "maillist": None})


@account_required(role=EDITOR)
def list_edit_view(request, list_id: int):
    maillist = _get_list(request, list_id)
    initial = {k: getattr(maillist, k) for k in ("subject", "description", "status")}
    form = ListForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.list_update(
                account=request.account, user=request.user, maillist=maillist, **form.cleaned_data
            )
        except UmailError as exc:
            form.add_error(None, platform_error_message(exc))
        else:
            messages.success(request, _("List saved."))
            return redirect("contacts:list-detail", maillist.platform_id)
    return render(request, "contacts/list_form.html", {"form": form, "maillist": maillist})


@require_POST
@account_required(role=EDITOR)
def list_status_view(request, list_id: int):
    maillist = _get_list(request, list_id)
    new = MailList.Status.DISABLED if maillist.enabled else MailList.Status.ENABLED
    try:
        services.list_update(
            account=request.account, user=request.user, maillist=maillist, status=new
        )
    except UmailError as exc:
        _platform_error(request, exc)
    else:
        messages.success(
            request,
            _("List enabled.") if new == MailList.Status.ENABLED else _("List disabled."),
        )
    return redirect("contacts:list-detail", maillist.platform_id)


@account_required(role=EDITOR)
def list_delete_view(request, list_id: int):
    maillist = _get_list(request, list_id)
    campaigns = selectors.list_scheduled_campaigns(account=request.account, list_id=list_id)
    # The list and every address in it go for good: the marketer types its name.
    confirm = TypedConfirmationForm(request.POST or None, expected=maillist.subject)
    if request.method == "POST":
        if campaigns and not request.POST.get("acknowledge"):
            messages.error(
                request, _("Confirm that the scheduled campaigns may lose their list first.")
            )
        elif confirm.is_valid():
            try:
                services.list_delete(account=request.account, user=request.user, maillist=maillist)
            except UmailError as exc:
                _platform_error(request, exc)
            else:
                messages.success(
                    request, _("List “%(name)s” deleted.") % {"name": maillist.subject}
                )
                return redirect("contacts:index")
    return render(
        request,
        "contacts/list_confirm_delete.html",
        {"maillist": maillist, "campaigns": campaigns, "confirm": confirm},
    )


@account_required(role=EDITOR)
def list_empty_view(request, list_id: int):
    maillist = _get_list(request, list_id)
    form = ConfirmNameForm(request.POST or None, expected=maillist.subject)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.list_empty(
                account=request.account, user=request.user, maillist=maillist
            )
        except UmailError as exc:
            form.add_error(None, platform_error_message(exc))
        else:
            messages.success(
                request, _("List emptied. The platform said: %(reply)s") % {"reply": outcome.data}
            )
            return redirect("contacts:list-detail", maillist.platform_id)
    return render(request, "contacts/list_empty.html", {"maillist": maillist, "form": form})


@account_required(role=EDITOR)
def list_variables_view(request, list_id: int):
    maillist = _get_list(request, list_id)
    form = VariableNamesForm(request.POST or None, labels=maillist.var_labels)
    if request.method == "POST" and form.is_valid():
        services.list_set_field_labels(
            account=request.account, user=request.user, maillist=maillist, labels=form.cleaned_data
        )
        messages.success(request, _("Variable names saved."))
        return redirect("contacts:list-detail", maillist.platform_id)
    return render(request, "contacts/list_variables.html", {"maillist": maillist, "form": form})


# -- addresses ------------------------------------------------------------------------------------


class PlatformPages:
    """A sequence over §4.8 for django-tables2's paginator: only the pages shown are fetched."""

    def __init__(self, fetch, *, page: int, per_page: int):
        self.fetch = fetch
        self.per_page = per_page
        first = fetch(page, per_page)  # may raise UmailError: the view catches it
        self.total = first.total
        self.shown = first.addresses  # the page the table shows
        self._pages = {page: first.addresses}

    def __len__(self) -> int:
        return self.total

    def _page(self, number: int):
        if number not in self._pages:
            self._pages[number] = self.fetch(number, self.per_page).addresses
        return self._pages[number]

    def __getitem__(self, key):
        if isinstance(key, slice):
            start = key.start or 0
            rows = self._page(start // self.per_page + 1)
            stop = None if key.stop is None else key.stop - start
            return rows[:stop]
        return self._page(key // self.per_page + 1)[key % self.per_page]

    def __iter__(self):
        return iter(self[0 : self.per_page])


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1


def _address_table(request, *, list_id: int | None, labels: dict[str, str]):
    keyword = request.GET.get("q", "").strip()[:100]

    def fetch(page, per_page):
        return services.address_page(
            account=request.account, list_id=list_id, keyword=keyword, page=page, per_page=per_page
        )

    try:
        data = PlatformPages(fetch, page=_page_number(request), per_page=PER_PAGE)
    except UmailError as exc:
        _platform_error(request, exc)
        data = []
    # Variables the list has named, or that an address on this page has: ten empty columns would
    # only push the table off the screen (and cost a tenth of a second to render).
    shown = data.shown if isinstance(data, PlatformPages) else []
    variables = [
        var
        for var in VAR_FIELDS
        if labels.get(var, var) != var or any(getattr(a, var, "") for a in shown)
    ]
    # Wrapped so django-tables2 keeps the lazy sequence instead of copying it into a list.
    table = AddressTable(
        TableListData(data), var_labels=labels, show_list=list_id is None, variables=variables
    )
    try:
        RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    except UmailError as exc:  # a later page fetched by the paginator failed
        _platform_error(request, exc)
        table = AddressTable([], var_labels=labels, show_list=list_id is None)
    return table, keyword, (len(data) if isinstance(data, PlatformPages) else None)


@account_required
def list_detail_view(request, list_id: int):
    maillist = _get_list(request, list_id)
    labels = selectors.list_field_labels(account=request.account, list_id=list_id)
    table, keyword, total = _address_table(request, list_id=list_id, labels=labels)
    return render(
        request,
        "contacts/list_detail.html",
        {
            "maillist": maillist,
            "table": table,
            "keyword": keyword,
            "total": total,
            "labels": labels,
            "active_import": selectors.active_import_for_list(
                account=request.account, list_id=list_id
            ),
        },
    )


@account_required
def addresses_all_view(request):
    table, keyword, total = _address_table(request, list_id=None, labels={})
    return render(
        request,
        "contacts/addresses_all.html",
        {"table": table, "keyword": keyword, "total": total},
    )


def _address_or_404(request, list_id: int, address_id: int):
    try:
        address = services.address_get(account=request.account, address_id=address_id)
    except UmailError as exc:
        _platform_error(request, exc)
        return None
    if address is None or address.list_id != list_id:
        raise Http404(_("No such address in this list."))
    return address


@account_required(role=EDITOR)
def address_create_view(request, list_id: int):
    maillist = _get_list(request, list_id)
    labels = selectors.list_field_labels(account=request.account, list_id=list_id)
    form = AddressForm(request.POST or None, var_labels=labels)
    if request.method == "POST" and form.is_valid():
        try:
            services.address_add(
                account=request.account,
                user=request.user,
                maillist=maillist,
                values=form.platform_values(),
            )
        except UmailError as exc:
            form.add_error(None, platform_error_message(exc))
        else:
            messages.success(request, _("Address added."))
            return redirect("contacts:list-detail", list_id)
    return render(
        request, "contacts/address_form.html", {"form": form, "maillist": maillist, "address": None}
    )


@account_required(role=EDITOR)
def address_edit_view(request, list_id: int, address_id: int):
    maillist = _get_list(request, list_id)
    address = _address_or_404(request, list_id, address_id)
    if address is None:
        return redirect("contacts:list-detail", list_id)
    labels = selectors.list_field_labels(account=request.account, list_id=list_id)
    initial = {k: getattr(address, k) for k in FIELDS}
    initial["birthday"] = address.birthday or None
    form = AddressForm(request.POST or None, initial=initial, var_labels=labels)
    if request.method == "POST" and form.is_valid():
        values = form.platform_values()
        if not values.get("sex"):
            values.pop("sex")  # §4.8 does not return sex: leave the platform's value alone
        try:
            services.address_update(
                account=request.account, user=request.user, address_id=address_id, values=values
            )
        except UmailError as exc:
            form.add_error(None, platform_error_message(exc))
        else:
            messages.success(request, _("Address saved."))
            return redirect("contacts:list-detail", list_id)
    return render(
        request,
        "contacts/address_form.html",
        {"form": form, "maillist": maillist, "address": address},
    )


@account_required(role=EDITOR)
def address_delete_view(request, list_id: int, address_id: int):
    maillist = _get_list(request, list_id)
    address = _address_or_404(request, list_id, address_id)
    if address is None:
        return redirect("contacts:list-detail", list_id)
    if request.method == "POST":
        try:
            services.address_delete(account=request.account, user=request.user, address=address)
        except UmailError as exc:
            _platform_error(request, exc)
        else:
            messages.success(request, _("Address %(email)s deleted.") % {"email": address.address})
            return redirect("contacts:list-detail", list_id)
    return render(
        request, "contacts/address_confirm_delete.html", {"maillist": maillist, "address": address}
    )


# -- exports --------------------------------------------------------------------------------------


@account_required
def export_view(request, list_id: int, kind: str, fmt: str):
    maillist = _get_list(request, list_id)
    if kind not in ("addresses", "full", "unsubscribes") or fmt not in ("csv", "xlsx"):
        raise Http404
    try:
        if kind == "full":  # every field, §4.8 pages (apps/contacts/export_full.py)
            client, rows = export_full.export_full(account=request.account, maillist=maillist)
            header = export_full.full_export_header(maillist)
        elif kind == "addresses":
            client, rows = services.export_addresses(account=request.account, list_id=list_id)
            header = [_("E-mail address"), pgettext("person", "Name")]
        else:
            client, rows = services.export_unsubscribes(account=request.account, list_id=list_id)
            header = [_("Unsubscribed at"), _("E-mail address")]
    except UmailError as exc:
        _platform_error(request, exc)
        return redirect("contacts:list-detail", list_id)
    name = f"{maillist.subject}-{kind}"
    return export_response(rows, fmt=fmt, filename=name, header=header, on_close=client.close)


# -- subscriptions --------------------------------------------------------------------------------


@account_required(role=EDITOR)
def subscriptions_view(request, list_id: int):
    maillist = _get_list(request, list_id)
    form = SubscriptionForm(
        request.POST or None, request.FILES or None, initial={"action": "subscribe"}
    )
    outcome = None
    if request.method == "POST" and form.is_valid():
        action = form.cleaned_data["action"]
        entries = services.parse_pasted(form.cleaned_data["text"], with_names=action == "subscribe")
        if action == "subscribe":
            outcome = services.subscribe_many(
                account=request.account, user=request.user, maillist=maillist, entries=entries
            )
        else:
            outcome = services.unsubscribe_many(
                account=request.account,
                user=request.user,
                maillist=maillist,
                emails=[e for e, _ in entries],
            )
        if outcome.error is not None:
            _platform_error(
                request,
                outcome.error,
                _("%(n)s addresses were sent before the failure.") % {"n": len(outcome.sent)},
            )
    return render(
        request,
        "contacts/subscriptions.html",
        {"maillist": maillist, "form": form, "outcome": outcome},
    )


# -- imports --------------------------------------------------------------------------------------


# The address file may be far larger than other forms: streamed to disk, counted on the way.
@upload_limit(
    request_bytes=settings.CONTACTS_IMPORT_MAX_BYTES + 1024 * 1024,
    file_bytes=settings.CONTACTS_IMPORT_MAX_BYTES,
)
@account_required(role=EDITOR)
def import_upload_view(request, list_id: int):
    maillist = _get_list(request, list_id)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_create(
                account=request.account,
                user=request.user,
                maillist=maillist,
                uploaded=form.cleaned_data["file"],
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("contacts:import-detail", job.pk)
    return render(request, "contacts/import_upload.html", {"maillist": maillist, "form": form})


def _get_job(request, job_id: int) -> ImportJob:
    return get_object_or_404(ImportJob, pk=job_id, account=request.account)


# Anyone may watch an import; choosing its column mapping (POST) is an editor's change.
@account_required(write_role=EDITOR)
def import_detail_view(request, job_id: int):
    job = _get_job(request, job_id)
    labels = selectors.list_field_labels(account=request.account, list_id=job.list_platform_id)
    context = {"job": job, "labels": labels}
    if job.state == ImportJob.State.UPLOADED:
        try:
            sniffed = services.import_sniffed(job)
        except ImportFileError as exc:
            messages.error(request, str(exc))
            return redirect("contacts:imports")
        except OSError:  # its message names the server's path: never shown
            logger.exception("import %s: stored file unreadable", job.pk)
            messages.error(
                request, _("The uploaded file is no longer available. Please upload it again.")
            )
            return redirect("contacts:imports")
        headers = sniffed.header or []
        form = ImportMappingForm(
            request.POST or None,
            columns=sniffed.columns,
            initial_mapping=job.mapping,
            var_labels=labels,
            headers=headers,
            initial={"has_header": job.has_header},
        )
        if request.method == "POST" and form.is_valid():
            services.import_configure(
                job=job,
                mapping=form.cleaned_data["mapping"],
                has_header=form.cleaned_data["has_header"],
            )
            return redirect("contacts:import-detail", job.pk)
        context.update(
            form=form,
            sniffed=sniffed,
            field_names={name: field_label(name, labels) for name in FIELDS},
        )
    else:
        context["mapping_labels"] = [field_label(m, labels) if m else "" for m in job.mapping]
    return render(request, "contacts/import_detail.html", context)


@account_required
def import_progress_view(request, job_id: int):
    """The live part of the import page (htmx polls it every 2 s while the job is active)."""
    job = _get_job(request, job_id)
    return render(request, "contacts/_import_progress.html", {"job": job})


@require_POST
@account_required(role=EDITOR)
def import_confirm_view(request, job_id: int):
    job = _get_job(request, job_id)
    if not services.import_confirm(job=job, user=request.user):
        messages.error(request, _("This import cannot be sent to the platform in its state."))
    return redirect("contacts:import-detail", job.pk)


@require_POST
@account_required(role=EDITOR)
def import_cancel_view(request, job_id: int):
    job = _get_job(request, job_id)
    if services.import_cancel(job=job):
        messages.success(request, _("Import cancelled; nothing was sent to the platform."))
    else:
        messages.error(request, _("This import can no longer be cancelled."))
    return redirect("contacts:list-detail", job.list_platform_id)


@account_required
def import_rejects_view(request, job_id: int):
    job = _get_job(request, job_id)
    if not job.rejects_file or not Path(job.rejects_file).exists():
        raise Http404(_("The file of rejected rows is no longer kept."))
    return FileResponse(
        open(job.rejects_file, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=f"rejected-{Path(job.original_name).stem}.csv",
        content_type="text/csv; charset=utf-8",
    )


@account_required
def imports_view(request):
    table = ImportJobTable(selectors.imports_for_account(account=request.account))
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    return render(request, "contacts/imports.html", {"table": table})


def list_url(list_id: int) -> str:
    return reverse("contacts:list-detail", args=[list_id])
