"""Tenant isolation: every URL of the portal, discovered from the resolver, filled with the ids
of another account's objects (and another sub-account's), answers 404 to GET and POST alike.

A URL added later is walked too: if it names an object the walker does not know (world.OBJECTS)
its test fails until the object is added there; if its view does not scope the lookup to the
signed-in account, the 404 check fails. Id-less pages must be listed in walker.ID_LESS and are
checked to show nothing of the other tenant.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.apps import apps

from .walker import ADMIN, ID_LESS, routes, tenant_routes
from .world import OBJECTS, SCOPED, kwargs_for, lookup

pytestmark = [pytest.mark.django_db]

WITH_IDS = [r for r in tenant_routes() if r.ids]
WITHOUT_IDS = [r for r in tenant_routes() if not r.ids]
OWNED_MODELS = [
    "contacts.MailList",
    "contacts.ImportJob",
    "mailtemplates.MailTemplate",
    "mailtemplates.TemplateAttachment",
    "campaigns.Campaign",
    "experiments.ABTest",
    "experiments.ResendJob",
    "analytics.CampaignReport",
    "analytics.HygieneRun",
    "domains.SenderDomain",
    "domains.Mailbox",
    "domains.DomainNotification",
    "smtp.OutboundMail",
    "mailtemplates.SavedBlock",
]


def snapshot(account) -> dict:
    """Everything of `account` the walk could touch, to prove that it touched nothing."""
    out = {}
    for label in OWNED_MODELS:
        model = apps.get_model(label)
        rows = (
            model.objects.filter(template__account=account)
            if label.endswith("TemplateAttachment")
            else model.objects.filter(account=account)
        )
        out[label] = sorted(map(repr, rows.order_by("pk").values()))
    return out


def _is_scoped(route) -> bool:
    keys = {lookup(OBJECTS, route.name, k)[0] for k in route.ids if _known(route, k)}
    return bool(keys) and keys <= SCOPED


def _known(route, kwarg) -> bool:
    try:
        lookup(OBJECTS, route.name, kwarg)
    except KeyError:
        return False
    return True


class _Stub:
    """Any object of world.make_objects(): every id is 1."""

    def __getattr__(self, name):
        return 1


def test_every_url_is_named_and_known():
    """The walker can fill every URL: a new URL with an unknown keyword fails here first."""
    problems = []
    for route in tenant_routes():
        if not route.name:
            problems.append(f"{route.route}: unnamed (cannot be reversed and walked)")
        elif not route.ids and route.name not in ID_LESS:
            problems.append(f"{route.name}: id-less page not in walker.ID_LESS")
        else:
            try:
                kwargs_for(route.name, list(route.kwargs), defaultdict(_Stub))
            except KeyError as exc:
                problems.append(f"{route.name}: no object or value for keyword {exc}")
    stale = ID_LESS - {r.name for r in WITHOUT_IDS}
    problems += [f"{name}: in ID_LESS but no such id-less URL" for name in sorted(stale)]
    assert not problems, "\n".join(problems)


def _walk(client, route, objects) -> list[str]:
    url = route.url(kwargs_for(route.name, list(route.kwargs), objects))
    answers = {"GET": client.get(url).status_code, "POST": client.post(url, {}).status_code}
    bad = {m: s for m, s in answers.items() if s not in (404, 405)}
    if bad or 404 not in answers.values():
        return [f"{route.name} {url}: {answers}"]
    return []


@pytest.mark.reliability("isolation", area="another account's ids")
@pytest.mark.parametrize("case", [r.name for r in WITH_IDS])
def test_another_accounts_ids_are_not_found(tenants, mine_client, case):
    mine, theirs = tenants
    route = next(r for r in WITH_IDS if r.name == case)
    before = snapshot(theirs.account)
    problems = _walk(mine_client, route, theirs.objects)
    # Mixed: my own parent object, theirs for the rest (e.g. my template, their attachment).
    if len(route.ids) > 1 and all(_known(route, k) for k in route.ids):
        first = lookup(OBJECTS, route.name, route.ids[0])[0]
        mixed = {**theirs.objects, first: mine.objects[first]}
        problems += _walk(mine_client, route, mixed)
    assert not problems, "\n".join(problems)
    assert snapshot(theirs.account) == before


@pytest.mark.reliability("isolation", area="another sub-account's ids")
@pytest.mark.parametrize("case", [r.name for r in WITH_IDS])
def test_another_sub_accounts_ids_are_not_found(agent, tenants, case):
    """Working for sub-account 1002: objects of 1003 and of the agent's own scope are not
    found on scoped pages; on the sections without sub-accounts, another account's are not."""
    agent_tenant, scoped, client = agent
    route = next(r for r in WITH_IDS if r.name == case)
    if _is_scoped(route):
        problems = _walk(client, route, scoped["1003"]) + _walk(client, route, scoped[""])
        # The scope's own object is found: the 404s above are about the scope, not the URL.
        url = route.url(kwargs_for(route.name, list(route.kwargs), scoped["1002"]))
        if client.get(url).status_code == 404 and client.post(url, {}).status_code == 404:
            problems.append(f"{route.name}: 1002's own object is not found either")
    else:
        problems = _walk(client, route, tenants[1].objects)
    assert not problems, "\n".join(problems)


@pytest.mark.reliability("isolation", area="id-less pages")
@pytest.mark.parametrize("case", sorted(ID_LESS))
def test_id_less_pages_show_nothing_of_another_tenant(tenants, mine_client, agent, case):
    route = next(r for r in WITHOUT_IDS if r.name == case)
    kwargs = kwargs_for(route.name, list(route.kwargs), {})
    url = route.url(kwargs)
    response = mine_client.get(url, follow=True)
    # 404: a page ordinary accounts do not have (sub-accounts); 405: POST-only.
    assert response.status_code in (200, 404, 405), (url, response.status_code)
    body = response.content.decode()
    assert "THEIRS-MARK" not in body and "theirs" not in body.lower(), url
    # The agent working for 1002 sees nothing of 1003 or of its own scope on the pages scoped
    # to a sub-account (the other sections show the agent's own account, by design).
    if route.namespace == "domains" or route.name == "accounts:audit":
        _agent, _scoped, agent_client = agent
        body = agent_client.get(url, follow=True).content.decode()
        assert "SCOPE-1003" not in body and "SCOPE-OWN" not in body, url


ADMIN_VALUES = {
    "object_id": "1",
    "id": "1",
    "app_label": "accounts",
    "content_type_id": "1",
    "url": "x",
}


@pytest.mark.reliability("isolation", area="admin")
def test_admin_is_closed_to_members_who_are_not_staff(mine_client):
    from django.urls import reverse

    problems = []
    admin_routes = [r for r in routes() if r.namespace == ADMIN and r.name]
    assert len(admin_routes) > 50
    for route in admin_routes:
        url = reverse(route.name, kwargs={k: ADMIN_VALUES[k] for k in route.kwargs})
        response = mine_client.get(url)
        refused = response.status_code == 302 and "/admin/login/" in response["Location"]
        if not refused and route.name not in ("admin:login", "admin:logout"):
            problems.append(f"{route.name} {url}: {response.status_code}")
    assert not problems, "\n".join(problems)
