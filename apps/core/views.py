from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from apps.accounts.decorators import account_required
from apps.accounts.selectors import sub_accounts_for

from .filters import ALL_SCOPES, AuditFilter
from .models import AuditEntry
from .tables import AuditTable


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
