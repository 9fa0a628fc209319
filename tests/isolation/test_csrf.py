"""CSRF on every state-changing request: a POST without the token is refused on every URL of
the portal (discovered from the resolver, sign-in pages and admin included)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from .test_url_walker import ADMIN_VALUES
from .walker import ADMIN, EXEMPT, routes, tenant_routes
from .world import kwargs_for

pytestmark = [pytest.mark.django_db]


def all_posts(objects) -> list[tuple[str, str]]:
    out = []
    for route in tenant_routes():
        out.append((route.name, route.url(kwargs_for(route.name, list(route.kwargs), objects))))
    for name in EXEMPT:
        out.append((name, reverse(name)))
    for route in routes():
        if route.namespace == ADMIN and route.name:
            kwargs = {k: ADMIN_VALUES[k] for k in route.kwargs}
            out.append((route.name, reverse(route.name, kwargs=kwargs)))
    return out


@pytest.mark.reliability("isolation", area="CSRF")
@pytest.mark.parametrize("signed_in", [True, False], ids=["member", "anonymous"])
def test_every_post_without_the_token_is_refused(tenants, signed_in):
    mine, _theirs = tenants
    client = Client(enforce_csrf_checks=True)
    if signed_in:
        client.force_login(mine.user)
    client.get(reverse("accounts:login"))  # a CSRF cookie, but no token in the POST
    problems = []
    posts = all_posts(mine.objects)
    assert len(posts) > 150
    for name, url in posts:
        response = client.post(url, {"name": "x", "subject": "x", "password": "x"})
        if response.status_code != 403 or b"CSRF" not in response.content:
            problems.append(f"{name} {url}: {response.status_code}")
    assert not problems, "\n".join(problems)


@pytest.mark.reliability("isolation", area="CSRF")
def test_the_token_lets_a_post_through(tenants):
    """The control: the same client with the token passes the check."""
    mine, _theirs = tenants
    client = Client(enforce_csrf_checks=True)
    client.force_login(mine.user)
    client.get(reverse("accounts:help"))
    token = client.cookies["csrftoken"].value
    response = client.post(reverse("accounts:guide-dismiss"), {"csrfmiddlewaretoken": token})
    assert response.status_code in (200, 204, 302)
    htmx = client.post(reverse("accounts:guide-reopen"), HTTP_X_CSRFTOKEN=token)
    assert htmx.status_code in (200, 204, 302)
