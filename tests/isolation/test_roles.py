"""Roles inside a team, per view: the access policy as a table, checked against every URL.

viewer < editor < sender < owner (docs/DEVELOPING.md, "Roles inside a team"): reads are for
every member; contacts and templates need an editor, campaigns a sender, domains, mailboxes,
SMTP settings and operations the owner. A URL that is not in POLICY fails the first test, so a
new page gets a role on purpose.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.test import Client

from apps.accounts.decorators import ROLE_ORDER, role_allows
from apps.accounts.models import Membership

from .walker import tenant_routes
from .world import kwargs_for, member_of, tenant

pytestmark = [pytest.mark.django_db]
V, E, S, O = (r.value for r in ROLE_ORDER)  # noqa: E741 - the four roles, in order

# name: (role needed to GET, role needed to POST)
POLICY: dict[str, tuple[str, str]] = {
    # overview, activity, help, preferences, sub-accounts
    "accounts:overview": (V, V),
    "accounts:overview-refresh": (V, V),
    "accounts:scope-switch": (V, V),
    "accounts:subaccounts": (V, V),
    "accounts:subaccounts-discover": (V, V),
    "accounts:subaccount-add": (O, O),
    "accounts:subaccount-credentials": (O, O),
    "accounts:audit": (V, V),
    "accounts:preferences": (V, V),
    "accounts:help": (V, V),
    "accounts:guide-dismiss": (V, V),
    "accounts:guide-reopen": (V, V),
    "ops:resync": (O, O),
    "ops:resync-start": (O, O),
    "ops:resync-jobs": (O, O),
    # contacts: reads for all, changes for editors
    "contacts:index": (V, V),
    "contacts:lists-refresh": (V, V),
    "contacts:addresses": (V, V),
    "contacts:imports": (V, V),
    "contacts:import-detail": (V, E),  # watching for all, the column mapping (POST) for editors
    "contacts:import-progress": (V, V),
    "contacts:import-rejects": (V, V),
    "contacts:list-detail": (V, V),
    "contacts:export": (V, V),
    "contacts:list-create": (E, E),
    "contacts:import-confirm": (E, E),
    "contacts:import-cancel": (E, E),
    "contacts:list-edit": (E, E),
    "contacts:list-status": (E, E),
    "contacts:list-delete": (E, E),
    "contacts:list-empty": (E, E),
    "contacts:list-variables": (E, E),
    "contacts:subscriptions": (E, E),
    "contacts:import-upload": (E, E),
    "contacts:address-create": (E, E),
    "contacts:address-edit": (E, E),
    "contacts:address-delete": (E, E),
    # templates
    "mailtemplates:index": (V, V),
    "mailtemplates:sync": (V, V),
    "mailtemplates:text-from-html": (V, V),
    "mailtemplates:lint": (V, V),
    "mailtemplates:merge-tags": (V, V),
    "mailtemplates:preview-draft": (V, V),
    "mailtemplates:edit": (V, E),  # everyone reads the editor; saving needs an editor
    "mailtemplates:status": (V, V),
    "mailtemplates:preview": (V, V),
    "mailtemplates:preview-frame": (V, V),
    "mailtemplates:create": (E, E),
    "mailtemplates:recheck": (E, E),
    "mailtemplates:delete": (E, E),
    "mailtemplates:attachments-add": (E, E),
    "mailtemplates:attachments-delete-all": (E, E),
    "mailtemplates:attachment-delete": (E, E),
    "mailtemplates:builder": (E, E),
    "mailtemplates:builder-new": (E, E),
    "mailtemplates:richtext": (E, E),
    "mailtemplates:richtext-new": (E, E),
    "mailtemplates:gallery": (V, V),
    "mailtemplates:gallery-frame": (V, V),
    "mailtemplates:blocks": (E, E),
    "mailtemplates:block": (E, E),
    "mailtemplates:block-apply": (E, E),
    "mailtemplates:inbox": (V, E),  # everyone sees it; saving the preheader needs an editor
    "mailtemplates:test-send": (S, S),
    # campaigns
    "campaigns:index": (V, V),
    "campaigns:refresh": (V, V),
    "campaigns:calendar": (V, V),
    "campaigns:calendar-month": (V, V),
    "campaigns:count": (V, V),
    "campaigns:detail": (V, V),
    "campaigns:campaign-refresh": (V, V),
    "experiments:ab": (V, S),  # reading the scores for all, deciding for senders
    "experiments:resend-job": (V, V),
    "campaigns:new": (S, S),
    "campaigns:step": (S, S),
    "campaigns:review": (S, S),
    "campaigns:check": (S, S),
    "campaigns:edit": (S, S),
    "campaigns:duplicate": (S, S),
    "campaigns:delete": (S, S),
    "experiments:resend": (S, S),
    "campaigns:action": (S, S),
    # statistics
    "analytics:index": (V, V),
    "analytics:refresh": (V, V),
    "analytics:day-failures": (V, V),
    "analytics:hygiene": (V, V),
    "analytics:hygiene-run": (V, V),
    "analytics:report": (V, V),
    "analytics:live-numbers": (V, V),
    "analytics:live-variants": (V, V),
    "analytics:report-refresh": (V, V),
    "analytics:failures": (V, V),
    "analytics:tracked": (V, V),
    "analytics:detail": (V, V),
    "analytics:detail-fetch": (V, V),
    "analytics:detail-status": (V, V),
    "analytics:detail-export": (V, V),
    "analytics:hygiene-rerun": (E, E),
    # domains and mailboxes
    "domains:index": (V, V),
    "domains:refresh": (V, V),
    "domains:detail": (V, V),
    "domains:status": (V, V),
    "domains:mailboxes-refresh": (V, V),
    "domains:notification-dismiss": (V, V),
    "domains:add": (O, O),
    "domains:verify": (O, O),
    "domains:delete": (O, O),
    "domains:mailbox-add": (O, O),
    "domains:mailbox-password": (O, O),
    "domains:mailbox-delete": (O, O),
    # SMTP
    "smtp:index": (V, V),
    "smtp:mail-detail": (V, V),
    "smtp:send-test": (S, S),
    "smtp:settings": (O, O),
    "smtp:connection-test": (O, O),
}
# Signed-in users only, not tied to a role (the toasts every page polls).
NO_ROLE = {"accounts:notifications"}


def test_every_url_has_a_role():
    names = {r.name for r in tenant_routes()}
    missing = sorted(names - set(POLICY) - NO_ROLE)
    stale = sorted(set(POLICY) - names)
    assert not missing, f"add these to POLICY: {missing}"
    assert not stale, f"no such URL any more: {stale}"


@pytest.fixture
def team(db):
    mine = tenant("team", "TEAM-MARK")
    clients = {}
    for role in ROLE_ORDER:
        client = Client()
        client.force_login(member_of(mine.account, role.value))
        clients[role.value] = client
    return mine, clients


ROUTES = {r.name: r for r in tenant_routes()}


@pytest.mark.reliability("isolation", area="roles")
@pytest.mark.parametrize("case", sorted(POLICY))
def test_roles_below_the_needed_one_get_403(team, case):
    mine, clients = team
    route = ROUTES[case]
    url = route.url(kwargs_for(case, list(route.kwargs), mine.objects))
    problems = []
    seen = defaultdict(dict)
    for role, client in clients.items():
        for method, needed in zip(("get", "post"), POLICY[case], strict=True):
            if role_allows(role, needed):
                if method == "post":
                    continue  # an allowed write really happens; the pages' own tests cover it
                status = client.get(url).status_code
                seen[role][method] = status
                if status == 403 and case != "accounts:scope-switch":
                    problems.append(f"{role} {method.upper()} {url}: 403 though allowed")
            else:
                status = getattr(client, method)(url, {}).status_code
                seen[role][method] = status
                if status not in (403, 405):
                    problems.append(f"{role} {method.upper()} {url}: {status}, not 403")
    assert not problems, "\n".join(problems) + f"\n{dict(seen)}"


@pytest.mark.reliability("isolation", area="roles")
def test_a_viewer_changes_nothing(team):
    """Every write view refused a viewer above; nothing was written on its behalf either."""
    from apps.core.models import AuditEntry

    mine, clients = team
    for name, (_get, post) in POLICY.items():
        if post != Membership.Role.VIEWER:
            route = ROUTES[name]
            url = route.url(kwargs_for(name, list(route.kwargs), mine.objects))
            clients["viewer"].post(url, {"name": "x", "subject": "x", "domain": "x.cn"})
    assert (
        not AuditEntry.objects.filter(account=mine.account)
        .exclude(target="TEAM-MARK audit")
        .exists()
    )
