"""Fixtures for the isolation suite: two tenants and an agent, signed-in clients."""

from __future__ import annotations

import pytest
from django.test import Client

from .world import agent_with_sub_accounts, choose_scope, tenant


@pytest.fixture
def tenants(db):
    """(mine, theirs): two ordinary accounts with one object of every kind each."""
    return tenant("iso-mine", "MINE-MARK"), tenant("iso-theirs", "THEIRS-MARK")


@pytest.fixture
def mine_client(tenants):
    client = Client()
    client.force_login(tenants[0].user)
    return client


@pytest.fixture
def agent(db):
    """The agent signed in, working for sub-account 1002; scoped objects of every scope."""
    agent, scoped = agent_with_sub_accounts()
    client = Client()
    client.force_login(agent.user)
    choose_scope(client, agent.account, "1002")
    return agent, scoped, client
