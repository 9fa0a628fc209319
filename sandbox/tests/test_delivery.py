"""The delivery simulation and §3.1/§3.2 track.php: deterministic outcomes, opens and clicks on
the accelerated clock, consistency between the overview and the detail, restarts, control."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from werkzeug.test import Client

from sandbox import delivery
from sandbox.app import create_app
from sandbox.tests.conftest import parse_xml
from sandbox.tests.test_tasks import DEMO, OTHER, ManualClock, add, new_id, task

TRACK = "/mm-ms/apinew/track.php"


@pytest.fixture
def clock():
    return ManualClock()


def make(path, clock):
    app = create_app(path, seed_data=True, clock=clock)
    client = Client(app)
    client.clock = clock
    client.app = app
    return client


@pytest.fixture
def tc(tmp_path, clock):
    client = make(tmp_path / "state.sqlite3", clock)
    yield client
    client.app.store.close()


def generate(tc, count: int, list_id: int = 502, prefix: str = "") -> None:
    lines = "\n".join(f"{prefix}u{i}@load{i % 7}.example.com;姓名{i}" for i in range(count))
    reply = tc.post(
        "/mm-ms/apinew/mloperate.php",
        query_string={"do": "ml-addr-add", "list_id": list_id},
        data={"ml_addr": lines},
        auth=DEMO,
    )
    assert parse_xml(reply).findtext("status") == "success"


def overview(tc, auth=DEMO, **params):
    return parse_xml(tc.get(TRACK, query_string={"do": "overview", **params}, auth=auth))


def openers(tc, auth=DEMO, **params):
    root = parse_xml(tc.get(TRACK, query_string={"do": "open-detail", **params}, auth=auth))
    assert root.tag == "data"
    return root.findall("user")


def outcomes(tc, task_id):
    rows = tc.app.store.conn.execute(
        "SELECT email, outcome, open_first, click_count FROM delivery_recipients "
        "WHERE task_id = ? ORDER BY seq",
        (task_id,),
    )
    return [tuple(r) for r in rows]


def test_the_same_task_gets_the_same_fates_every_time(tmp_path, clock):
    runs = []
    for name in ("a", "b"):
        tc = make(tmp_path / name / "state.sqlite3", clock)
        generate(tc, 400)
        tc.post("/_sandbox/delivery/settings", json={"speed": 100000})
        task_id = new_id(add(tc, tpl_id="501,502", maillist_id="502", track_status=2))
        clock.advance(10)
        task(tc, task_id)
        runs.append(outcomes(tc, task_id))
        tc.app.store.close()
    assert runs[0] == runs[1]
    codes = {o for _, o, _, _ in runs[0]}
    assert 0 in codes and len(codes) >= 3  # delivered and several failure types
    delivered = [r for r in runs[0] if r[1] == 0]
    opened = [r for r in delivered if r[2] is not None]
    assert 0.1 < len(opened) / len(delivered) < 0.45
    assert any(r[3] for r in opened)  # some clicked
    assert all(r[2] is None for r in runs[0] if r[1] != 0)  # only the delivered open


def test_outcomes_follow_the_address_where_a_test_wants_them(tc):
    addresses = "bounce1@x.cn;a\nfull1@x.cn;b\nreject1@x.cn;c\nspam1@x.cn;d\nz@nowhere.invalid;e"
    tc.post(
        "/mm-ms/apinew/mloperate.php",
        query_string={"do": "ml-addr-add", "list_id": 502},
        data={"ml_addr": addresses},
        auth=DEMO,
    )
    tc.post("/_sandbox/delivery/settings", json={"speed": 100000})
    task_id = new_id(add(tc, maillist_id="502", send_qty_start=13))
    tc.clock.advance(10)
    row = task(tc, task_id)
    fates = {email: code for email, code, _, _ in outcomes(tc, task_id)}
    assert fates == {
        "bounce1@x.cn": 1,
        "full1@x.cn": 2,
        "reject1@x.cn": 3,
        "spam1@x.cn": 5,
        "z@nowhere.invalid": 8,
    }
    # Handed to receiving servers: the three bounces; not sent: spam-rejected and invalid.
    assert (row.findtext("send_count"), row.findtext("error_count")) == ("3", "2")
    state = tc.get(f"/_sandbox/tasks/{task_id}").json
    assert state["outcomes_final"] == {"1": 1, "2": 1, "3": 1, "5": 1, "8": 1}


def test_opens_and_clicks_arrive_over_time_and_overview_matches_detail(tc):
    generate(tc, 300)
    tc.post("/_sandbox/delivery/settings", json={"speed": 60})
    task_id = new_id(add(tc, tpl_id="501", maillist_id="502", track_status=2))
    assert overview(tc, id=task_id).findtext("open_unique") == "0"
    seen = []
    for minutes in (1, 3, 10, 60, 24 * 60):
        tc.clock.advance(minutes * 60 - (sum(seen) if seen else 0))
        seen.append(minutes * 60 - (sum(seen) if seen else 0))
        over = overview(tc, id=task_id)
        users = openers(tc, id=task_id)
        assert int(over.findtext("open_unique")) == len(users)
        assert int(over.findtext("open_total")) == sum(int(u.findtext("open_total")) for u in users)
        assert int(over.findtext("click_total")) == sum(
            int(u.findtext("click_total")) for u in users
        )
        assert int(over.findtext("click_unique")) == sum(
            1 for u in users if int(u.findtext("click_total"))
        )
    final = overview(tc, id=task_id)
    assert int(final.findtext("open_unique")) > 20
    assert int(final.findtext("click_unique")) > 0
    delivered = int(final.findtext("real_send_count"))
    ratio = float(final.findtext("open_ratio").rstrip("%"))
    assert ratio == pytest.approx(100 * int(final.findtext("open_unique")) / delivered, abs=0.01)
    assert int(final.findtext("send_count")) == delivered + int(final.findtext("error_send_count"))
    # Ids: the statistics task id and the track id are not the send id.
    assert final.findtext("send_id") == str(task_id)
    assert final.findtext("task_id") not in ("", str(task_id))
    assert final.findtext("track_id") not in ("", str(task_id))
    links = final.findall("link_statistic/link")
    assert {link.findtext("link") for link in links} >= {"https://example.com/member"}
    assert sum(int(link.findtext("click_total")) for link in links) == int(
        final.findtext("click_total")
    )
    user = openers(tc, id=task_id)[0]
    assert user.findtext("browser") and user.findtext("os")
    assert user.findtext("ip_first").count(".") == 3 and user.findtext("addr_first")
    first = dt.datetime.fromisoformat(user.findtext("open_first"))
    last = dt.datetime.fromisoformat(user.findtext("open_last"))
    assert first <= last <= tc.clock.now().replace(tzinfo=None)


def test_ident_wins_and_other_accounts_see_nothing(tc):
    tc.post("/_sandbox/delivery/settings", json={"speed": 100000})
    a = new_id(add(tc, track_status=1))
    b = new_id(add(tc, track_status=1, send_qty=3))
    tc.clock.advance(3 * 86400)
    sn_b = task(tc, b).findtext("sn")
    assert overview(tc, id=a, ident=sn_b).findtext("send_id") == str(b)
    assert len(openers(tc, id=a, ident=sn_b)) <= 3
    refused = overview(tc, auth=OTHER, id=a)
    assert (refused.findtext("status"), refused.findtext("data")) == ("error", f"任务不存在：{a}")
    missing = parse_xml(tc.get(TRACK, query_string={"do": "overview"}, auth=DEMO))
    assert missing.findtext("status") == "error"


def test_untracked_tasks_have_no_opens(tc):
    tc.post("/_sandbox/delivery/settings", json={"speed": 100000})
    task_id = new_id(add(tc, track_status=0))
    tc.clock.advance(5 * 86400)
    assert overview(tc, id=task_id).findtext("open_unique") == "0"
    assert openers(tc, id=task_id) == []
    assert int(overview(tc, id=task_id).findtext("real_send_count")) > 20


def test_a_restart_shows_exactly_the_same_state(tmp_path, clock):
    path = tmp_path / "state.sqlite3"
    tc = make(path, clock)
    generate(tc, 200)
    tc.post("/_sandbox/delivery/settings", json={"speed": 60})
    task_id = new_id(add(tc, maillist_id="502", track_status=2))
    clock.advance(3 * 60)
    before = (task(tc, task_id).findtext("send_count"), len(openers(tc, id=task_id)))
    tc.app.store.close()
    again = make(path, clock)  # a new process on the same state file
    after = (task(again, task_id).findtext("send_count"), len(openers(again, id=task_id)))
    assert before == after
    again.app.store.close()


def test_fast_forward_and_speed_changes_keep_what_happened(tc):
    tc.post("/_sandbox/delivery/settings", json={"speed": 1})
    task_id = new_id(add(tc, track_status=1))
    state = tc.post(f"/_sandbox/tasks/{task_id}/fast-forward", json={"seconds": 86400}).json
    assert state["status"] == 3 and state["openers"] > 0
    tc.post("/_sandbox/delivery/settings", json={"speed": 1})
    second = new_id(add(tc, track_status=1))
    tc.clock.advance(301 + 300)  # half sent at speed 1
    sent = tc.get(f"/_sandbox/tasks/{second}").json["processed"]
    assert 10 <= sent <= 15
    tc.post("/_sandbox/delivery/settings", json={"speed": 600})  # from now on, faster
    assert tc.get(f"/_sandbox/tasks/{second}").json["processed"] == sent
    tc.clock.advance(1)
    assert tc.get(f"/_sandbox/tasks/{second}").json["status"] == 3


def test_settings_control(tc):
    assert tc.get("/_sandbox/delivery/settings").json["speed"] == delivery.DEFAULTS["speed"]
    bad = tc.post("/_sandbox/delivery/settings", json={"speed": 0})
    assert bad.status_code == 400
    assert tc.post("/_sandbox/delivery/settings", json={"warp": 1}).status_code == 400
    assert tc.post("/_sandbox/delivery/settings", json={"open_rate": 2}).status_code == 400
    assert tc.post("/_sandbox/delivery/settings", json={"open_rate": 1}).json["open_rate"] == 1
    reset = tc.post("/_sandbox/delivery/settings", json={"reset": True}).json
    assert reset["open_rate"] is None
    assert tc.get("/_sandbox/tasks/9999").status_code == 404


def test_a_large_open_detail_streams(tc):
    generate(tc, 500)
    generate(tc, 500, prefix="b")
    tc.post("/_sandbox/delivery/settings", json={"speed": 100000, "open_rate": 1})
    task_id = new_id(add(tc, maillist_id="502", track_status=1))
    tc.clock.advance(4 * 86400)
    response = tc.get(TRACK, query_string={"do": "open-detail", "id": task_id}, auth=DEMO)
    assert response.is_streamed
    users = parse_xml(response).findall("user")
    delivered = int(overview(tc, id=task_id).findtext("real_send_count"))
    assert len(users) == delivered > 900
    emails = [u.findtext("email") for u in users]
    assert len(set(emails)) == len(emails)


def test_count_at_and_latest_at():
    assert delivery.count_at(None, None, 0, 10) == 0
    assert delivery.count_at(5, 5, 1, 4) == 0
    assert delivery.count_at(5, 5, 1, 5) == 1
    assert delivery.count_at(0, 100, 5, 49) == 2
    assert delivery.count_at(0, 100, 5, 100) == 5
    assert delivery.latest_at(0, 100, 5, 60) == 50
    rng = random.Random(1)
    for _ in range(200):
        first, span, count = rng.uniform(0, 100), rng.uniform(0, 100), rng.randint(1, 9)
        t = rng.uniform(0, 250)
        k = delivery.count_at(first, first + span, count, t)
        assert 0 <= k <= count
        if k:
            assert (
                first <= delivery.latest_at(first, first + span, count, t) <= min(t, first + span)
            )


def test_the_engine_starts_due_tasks_while_nobody_asks(tc):
    import time

    store = tc.app.store
    tc.post("/_sandbox/delivery/settings", json={"speed": 1000})
    before = store.account_by_username("demo")["qty_available"]
    task_id = new_id(add(tc, send_qty=10))
    engine = delivery.Engine(store, tc.clock, interval=0.05).start()
    try:
        tc.clock.advance(1)
        deadline = time.monotonic() + 10
        while (
            store.conn.execute("SELECT status FROM send_tasks WHERE id = ?", (task_id,)).fetchone()[
                0
            ]
            == 1
        ):
            assert time.monotonic() < deadline, "the engine did not start the task"
            time.sleep(0.05)
    finally:
        engine.stop()
    assert store.account_by_username("demo")["qty_available"] == before - 10


def test_serve_takes_the_speed_from_the_command_line(tmp_path):
    import json
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--port", str(port), "--smtp-port", "-1",
         "--state", str(tmp_path / "s.sqlite3"), "--seed", "--speed", "600"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(  # noqa: S310 - loopback
                    f"http://127.0.0.1:{port}/_sandbox/delivery/settings", timeout=2
                ) as reply:
                    settings = json.loads(reply.read())
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert settings["speed"] == 600
    finally:
        proc.terminate()
        proc.wait(timeout=10)
