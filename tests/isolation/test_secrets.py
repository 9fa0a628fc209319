"""The platform password stays secret: not in logs (at DEBUG), rendered pages, admin, error
pages, tracebacks as Django reports them (with local variables), the audit log or the database.

The sandbox's `demo` gets a password no other text contains; the test signs in with it, uses
the portal (refreshes, a failing platform, admin as staff, a bug that ends in a 500) and greps
everything that was produced for the password, its Basic-auth form and its md5 (legacy API).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.signals import got_request_exception
from django.test import Client
from django.urls import reverse
from django.views.debug import ExceptionReporter

from apps.accounts.models import PlatformAccount

from .walker import ID_LESS, routes
from .world import kwargs_for

pytestmark = [pytest.mark.django_db]

SECRET = "Qz7-kumquat-Sekret-4711"
FORMS = {
    "password": SECRET,
    "basic auth": base64.b64encode(f"demo:{SECRET}".encode()).decode(),
    "md5": hashlib.md5(SECRET.encode()).hexdigest(),
}


def leaks(text: str) -> list[str]:
    return [name for name, value in FORMS.items() if value in text]


@pytest.fixture
def signed_in(fresh_sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    fresh_sandbox.patch_account("demo", password=SECRET)
    client = Client()
    # A wrong password first (the refused form comes back), then the right one.
    refused = client.post(reverse("accounts:login"), {"username": "demo", "password": "wrong"})
    assert refused.status_code == 401
    response = client.post(reverse("accounts:login"), {"username": "demo", "password": SECRET})
    assert response.status_code == 302
    return client


@pytest.mark.reliability("isolation", area="secrets")
def test_password_is_in_no_log_page_admin_or_table(signed_in, fresh_sandbox, caplog):
    client = signed_in
    account = PlatformAccount.objects.get(username="demo")
    pages: dict[str, str] = {}
    # Refreshes call the platform at DEBUG logging, and once more while it fails.
    for name in ("accounts:overview-refresh", "contacts:lists-refresh", "mailtemplates:sync"):
        pages[name] = client.post(reverse(name), follow=True).content.decode()
    fresh_sandbox.control("POST", "faults", {"kind": "http_error", "status": 500})
    pages["refresh failing"] = client.post(
        reverse("accounts:overview-refresh"), follow=True
    ).content.decode()
    fresh_sandbox.control("POST", "faults/clear")
    for name in sorted(ID_LESS):
        route = next(r for r in routes() if r.name == name)
        kwargs = kwargs_for(name, list(route.kwargs), {}) if route.kwargs else {}
        pages[name] = client.get(reverse(name, kwargs=kwargs)).content.decode()
    # Staff in admin: every changelist, the account's own change page.
    get_user_model().objects.filter(membership__account=account).update(
        is_staff=True, is_superuser=True
    )
    for route in routes():
        if route.name and route.name.endswith("_changelist"):
            pages[route.name] = client.get(reverse(route.name)).content.decode()
    pages["account in admin"] = client.get(
        reverse("admin:accounts_platformaccount_change", args=[account.pk])
    ).content.decode()

    problems = [f"page {n}: {leaks(p)}" for n, p in pages.items() if leaks(p)]
    problems += [f"log: {leaks(caplog.text)}"] if leaks(caplog.text) else []
    from apps.core.models import AuditEntry

    table = json.dumps(list(AuditEntry.objects.values()), default=str, ensure_ascii=False)
    table += json.dumps(list(PlatformAccount.objects.values()), default=str)
    problems += [f"database: {leaks(table)}"] if leaks(table) else []
    calls = json.dumps(fresh_sandbox.calls(), ensure_ascii=False)
    problems += [f"the platform's own call log: {leaks(calls)}"] if leaks(calls) else []
    assert len(pages) > 60
    assert not problems, "\n".join(problems)


@pytest.mark.reliability("isolation", area="secrets")
def test_password_is_not_in_error_pages_or_tracebacks(fresh_sandbox, caplog, monkeypatch):
    """A bug deep in the platform client during sign-in: the 500 page, the logged traceback and
    Django's full report (with every frame's local variables, as DEBUG pages and error mails
    show it) contain no password."""
    import requests

    caplog.set_level(logging.DEBUG)
    fresh_sandbox.patch_account("demo", password=SECRET)

    def broken(self, method, url, **kwargs):
        raise RuntimeError("a bug below the portal")

    monkeypatch.setattr(requests.Session, "request", broken)
    reports = []

    def capture(sender, request, **kwargs):
        reporter = ExceptionReporter(request, *sys.exc_info())
        reports.append(reporter.get_traceback_text())
        reports.append(reporter.get_traceback_html())

    got_request_exception.connect(capture)
    try:
        client = Client(raise_request_exception=False)
        response = client.post(reverse("accounts:login"), {"username": "demo", "password": SECRET})
    finally:
        got_request_exception.disconnect(capture)
    assert response.status_code == 500
    assert reports and "a bug below the portal" in reports[0]
    problems = (
        [f"500 page: {leaks(response.content.decode())}"]
        if leaks(response.content.decode())
        else []
    )
    for i, report in enumerate(reports):
        if leaks(report):
            near = [line.strip()[:160] for line in report.splitlines() if SECRET in line]
            problems.append(f"report {i}: {leaks(report)}: {near[:12]}")
    problems += [f"log: {leaks(caplog.text)}"] if leaks(caplog.text) else []
    assert not problems, "\n".join(problems)
