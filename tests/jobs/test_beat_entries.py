"""Every beat entry of edmportal/schedule.py runs, with the tasks it enqueues, on whatever
database the suite uses: `make test` runs this file on PostgreSQL and again on SQLite (the
demo's database), so a job that only one of them accepts fails here, not in the demo's log."""

from __future__ import annotations

import importlib
import logging

import pytest

from apps.analytics.tests.factories import send
from apps.campaigns.tests.factories import mirror
from edmportal.celery import app
from edmportal.schedule import BEAT_SCHEDULE


@pytest.fixture
def eager_celery():
    """Tasks run in this process, and what they enqueue runs too (errors propagate)."""
    saved = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.mark.django_db(transaction=True)
def test_every_beat_entry_runs_on_this_database(demo_account, fresh_sandbox, eager_celery, caplog):
    mirror(demo_account)
    # Something for every job to do: a finished tracked campaign and one still sending.
    send(demo_account, fresh_sandbox, list_id=501, track=2, days=3.0)
    send(demo_account, fresh_sandbox, list_id=501, track=1, days=0)
    caplog.set_level(logging.WARNING)
    ran = []
    for _round in range(2):  # a second round finds the mirrors filled and work half done
        for name, entry in BEAT_SCHEDULE.items():
            importlib.import_module(entry["task"].rpartition(".")[0])  # registers the task
            task = app.tasks[entry["task"]]
            task.apply(throw=True)
            ran.append(name)
    assert set(ran) == set(BEAT_SCHEDULE)
    problems = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]
    tracebacks = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.exc_info]
    assert not problems and not tracebacks
