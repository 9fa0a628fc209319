"""Fixtures for the domains tests: signed-in clients for the sandbox's agent and demo users."""

from __future__ import annotations

import pytest
from django.test import Client


def sign_in(client, username, password, user_type=""):
    response = client.post(
        "/login/", {"username": username, "password": password, "user_type": user_type}
    )
    assert response.status_code == 302, response.content[:500]
    return client


@pytest.fixture
def no_dns_delay(fresh_sandbox):
    """Domains verify only once their records are "published" (no verification delay)."""
    fresh_sandbox.control("POST", "domains/settings", {"verify_delay": None})
    return fresh_sandbox


@pytest.fixture
def agent_client(fresh_sandbox, no_dns_delay):
    return sign_in(Client(), "agent", "agent-pass", "agents")


@pytest.fixture
def agent_account(agent_client):
    from apps.accounts.models import PlatformAccount

    return PlatformAccount.objects.get(username="agent", user_type="agents")


@pytest.fixture
def demo(demo_client, no_dns_delay):
    return demo_client
