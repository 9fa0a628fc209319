"""Content-Security-Policy on every page (django-csp): scripts from the portal's own files or with
the request's nonce, never 'unsafe-inline' or 'unsafe-eval'; no inline script or event handler
in any page or template; HSTS on by default in production (tests/../test_production_settings)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from .walker import ID_LESS, tenant_routes

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"""<[^>]+\s(on[a-z]+|hx-on[:\w-]*)\s*=""", re.I)


def directives(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"no CSP on {response.request['PATH_INFO']}"
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def check_page(response) -> None:
    policy = directives(response)
    scripts = policy.get("script-src") or policy["default-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, scripts
    assert "'self'" in scripts
    assert policy.get("object-src") == ["'none'"]
    body = response.content.decode(errors="replace")
    if "text/html" in response.get("Content-Type", ""):
        assert not INLINE_SCRIPT.search(body), INLINE_SCRIPT.search(body).group(0)
        assert not EVENT_HANDLER.search(body), EVENT_HANDLER.search(body).group(0)
        # The portal's own pages carry this request's nonce on their scripts (admin's do not
        # need one: its scripts are 'self' files too).
        for used in set(re.findall(r'<script nonce="([^"]+)"', body)):
            assert f"'nonce-{used}'" in scripts


@pytest.mark.django_db
def test_anonymous_pages_send_a_strict_csp(client):
    """Regression: no Content-Security-Policy on the application's pages."""
    for url in (reverse("accounts:login"), reverse("accounts:team-login"), "/admin/login/"):
        response = client.get(url)
        assert response.status_code == 200
        check_page(response)


@pytest.mark.django_db
def test_every_id_less_page_sends_a_strict_csp(demo_client):
    names = sorted(r.name for r in tenant_routes() if r.name in ID_LESS and not r.kwargs)
    assert len(names) > 20
    for name in names:
        response = demo_client.get(reverse(name))
        if response.status_code in (405,):  # POST-only endpoints
            continue
        check_page(response)


@pytest.mark.django_db
def test_admin_pages_send_a_strict_csp(sandbox):
    staff = get_user_model().objects.create_superuser("root", password="x-123456789")
    client = Client()
    client.force_login(staff)
    for url in ("/admin/", "/admin/accounts/platformaccount/", "/admin/auth/user/add/"):
        response = client.get(url)
        assert response.status_code == 200, url
        check_page(response)


def test_no_template_or_script_has_inline_code():
    """Inline <script> blocks, on…= handlers, hx-on and javascript: URLs are all refused by the
    policy, so none may be written in the first place."""
    offenders = []
    files = [*(ROOT / "templates").rglob("*.html"), *(ROOT / "apps").rglob("templates/**/*.html")]
    for path in files:
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, re.compile(r"javascript:", re.I)):
            for match in pattern.finditer(text):
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)[:80]}")
    for path in (ROOT / "static" / "js").glob("*.js"):
        text = path.read_text()
        for pattern in (r"\beval\(", r"new Function\(", r"setAttribute\(\s*['\"]on"):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []
