"""The control endpoint that gives a tracked link a hostile URL, and §3.1 reporting it."""

from __future__ import annotations

import json

import pytest
from werkzeug.test import Client

from sandbox.app import create_app
from sandbox.tests.conftest import parse_xml
from sandbox.tests.test_tasks import DEMO, ManualClock, add, new_id


@pytest.fixture
def tc(tmp_path):
    clock = ManualClock()
    app = create_app(tmp_path / "state.sqlite3", seed_data=True, clock=clock)
    client = Client(app)
    client.clock = clock
    yield client
    app.store.close()


def test_a_tracked_links_url_can_be_made_hostile(tc):
    task_id = new_id(add(tc, track_status="2"))
    tc.clock.advance(3600)
    hostile = "javascript:alert('x')"
    reply = tc.post(
        f"/_sandbox/tasks/{task_id}/links",
        data=json.dumps({"position": 0, "url": hostile}),
        content_type="application/json",
    )
    assert reply.status_code == 200, reply.get_data(as_text=True)
    link_id = json.loads(reply.get_data())["link_id"]
    root = parse_xml(
        tc.get("/mm-ms/apinew/track.php", query_string={"do": "overview", "id": task_id}, auth=DEMO)
    )
    urls = {lk.findtext("link_id"): lk.findtext("link") for lk in root.iter("link")}
    assert urls[str(link_id)] == hostile


def test_unknown_link_or_bad_body(tc):
    task_id = new_id(add(tc, track_status="2"))
    missing = tc.post(
        f"/_sandbox/tasks/{task_id}/links",
        data=json.dumps({"position": 99, "url": "x"}),
        content_type="application/json",
    )
    assert missing.status_code == 404
    bad = tc.post(
        f"/_sandbox/tasks/{task_id}/links",
        data=json.dumps({"url": 5}),
        content_type="application/json",
    )
    assert bad.status_code == 400
