"""No POST (or sign-in) with `next=https://elsewhere` sends the browser off-site: every `next` goes
through apps.core.redirects (Django's url_has_allowed_host_and_scheme)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = [
    "https://elsewhere.example/phish",
    "//elsewhere.example/phish",
    "/\\elsewhere.example",
    "javascript:alert(1)",
    "https:elsewhere.example",
]


def off_site(location: str) -> bool:
    return "elsewhere" in location or location.startswith(("javascript:", "//", "/\\"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "campaigns:refresh",
        "analytics:refresh",
        "accounts:guide-dismiss",
        "accounts:guide-reopen",
        "accounts:scope-switch",
    ],
)
def test_post_with_a_foreign_next_stays_on_site(demo_client, name):
    """Regression: the refresh buttons of campaigns and analytics redirected to any `next`."""
    for target in HOSTILE:
        response = demo_client.post(reverse(name), {"next": target}, HTTP_REFERER=target)
        assert response.status_code in (302, 303), (name, response.status_code)
        assert not off_site(response["Location"]), (name, target, response["Location"])


@pytest.mark.django_db
def test_sign_in_with_a_foreign_next_stays_on_site(client, fresh_sandbox):
    for n, target in enumerate(HOSTILE):
        response = client.post(
            reverse("accounts:login") + "?next=" + target,
            {"username": "demo", "password": "demo-pass", "next": target},
            REMOTE_ADDR=f"10.3.0.{n}",
        )
        assert response.status_code == 302
        assert not off_site(response["Location"]), (target, response["Location"])
        client.post(reverse("accounts:logout"))
    page = client.get(reverse("accounts:login") + "?next=https://elsewhere.example/")
    hidden = re.findall(r'name="next" value="([^"]*)"', page.content.decode())
    # The login form's own `next` falls back to the overview; the language switch's is this path.
    assert hidden and all(
        value.startswith("/") and not value.startswith(("//", "/\\")) for value in hidden
    )


def test_every_next_in_the_code_goes_through_the_one_check():
    """A view that reads `next` (or the Referer) itself, outside apps/core/redirects.py, fails."""
    pattern = re.compile(r"""(get\(\s*["']next["']|HTTP_REFERER)""")
    offenders = []
    for path in (ROOT / "apps").rglob("*.py"):
        if "tests" in path.parts or path.name == "redirects.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
