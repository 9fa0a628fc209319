"""§2.2–§2.5 and §3.3–§3.5: every number agrees with §2.1, §3.1 and the simulation's rows, in
every out_type, while a task is sending and after it has finished."""

from __future__ import annotations

import csv
import io
import json

import pytest
from werkzeug.test import Client

from sandbox.app import create_app
from sandbox.tests.conftest import parse_xml
from sandbox.tests.test_tasks import DEMO, OTHER, ManualClock, add, new_id, task

API = "/mm-ms/apinew/"
DAY = "2026-03-02"


@pytest.fixture
def tc(tmp_path):
    clock = ManualClock()
    app = create_app(tmp_path / "state.sqlite3", seed_data=True, clock=clock)
    client = Client(app)
    client.clock = clock
    client.app = app
    yield client
    app.store.close()


def fill(tc, count=300, list_id=502):
    lines = [f"u{i}@load{i % 7}.example.com;姓名{i}" for i in range(count)]
    lines += ["bounce1@x.cn;a", "full1@x.cn;b", "reject1@x.cn;c", "spam1@x.cn;d", "z@q.invalid;e"]
    reply = tc.post(
        API + "mloperate.php",
        query_string={"do": "ml-addr-add", "list_id": list_id},
        data={"ml_addr": "\n".join(lines)},
        auth=DEMO,
    )
    assert parse_xml(reply).findtext("status") == "success"


def get(tc, script, auth=DEMO, **params):
    return tc.get(API + script, query_string=params, auth=auth)


def xml(tc, script, auth=DEMO, **params):
    return parse_xml(get(tc, script, auth=auth, **params))


def flat(element):
    return [(child.tag, (child.text or "").strip()) for child in element]


def ints(element, *names):
    return {n: int(element.findtext(n)) for n in names}


STASK = (
    "totalsum",
    "total",
    "invalid",
    "failed",
    "success",
    "email_not_exist",
    "actual",
    "over_quota",
    "user_reject",
    "rubbish",
)


@pytest.fixture
def sent(tc):
    """A tracked task on list 502 (12 + 305 addresses), run to the end and a day beyond."""
    fill(tc)
    tc.post("/_sandbox/delivery/settings", json={"speed": 100000})
    task_id = new_id(add(tc, tpl_id="501", maillist_id="502", track_status=2))
    tc.clock.advance(3)
    row = task(tc, task_id)
    assert row.findtext("send_status") == "3"
    return task_id


def test_stask_agrees_with_the_overview_the_task_list_and_the_rows(tc, sent):
    over = xml(tc, "track.php", do="overview", id=sent)
    stat_id = int(over.findtext("task_id"))
    assert stat_id != sent
    by_id = xml(tc, "stask.php", id=sent).findall("task")
    by_ident = xml(tc, "stask.php", ident=over.findtext("task_sn")).findall("task")
    by_date = xml(tc, "stask.php", date=DAY).findall("task")
    assert len(by_id) == 1
    row = by_id[0]
    assert flat(row) == flat(by_ident[0])
    assert [t.findtext("task_id") for t in by_date] == [str(stat_id)]
    assert row.findtext("task_ident") == over.findtext("task_sn")
    assert row.findtext("task_date") == DAY
    n = ints(row, *STASK)
    finals = tc.get(f"/_sandbox/tasks/{sent}").json["outcomes_final"]
    f = {int(k): v for k, v in finals.items()}
    assert n["totalsum"] == 317
    assert n["success"] == int(over.findtext("real_send_count"))
    assert (
        n["total"] == int(over.findtext("send_count")) == int(task(tc, sent).findtext("send_count"))
    )
    assert n["email_not_exist"] == f.get(1, 0) >= 1
    assert (n["over_quota"], n["user_reject"], n["rubbish"]) == (
        f.get(2, 0),
        f.get(3, 0),
        f.get(5, 0),
    )
    assert n["invalid"] == f.get(8, 0) + f.get(9, 0) >= 1
    assert n["failed"] == f.get(1, 0) + f.get(2, 0) + f.get(3, 0) + f.get(5, 0)
    assert n["totalsum"] == n["success"] + n["failed"] + n["invalid"]
    assert n["actual"] == n["total"]


def test_statistic_and_deduction_sum_the_days_tasks(tc, sent):
    second = new_id(add(tc, tpl_id="502", maillist_id="501", track_status=1))
    tc.clock.advance(3)
    rows = xml(tc, "stask.php", date=DAY).findall("task")
    assert len(rows) == 2
    totals = {k: sum(int(r.findtext(k)) for r in rows) for k in STASK}
    s = xml(tc, "statistic.php", date=DAY)
    assert s.tag == "statistic" and s.findtext("date") == DAY
    v = ints(
        s,
        "ws_qty",
        "ws_error",
        "ws_count",
        "invalid_addr",
        "format_error",
        "send_count",
        "deduc_count",
        "actual_send",
        "send_error",
        "actual_deduc",
    )
    assert v["ws_qty"] == 2
    assert v["send_count"] == v["deduc_count"] == totals["totalsum"] == 317 + 25
    assert v["actual_send"] == totals["success"]
    assert v["send_error"] == totals["failed"]
    assert v["invalid_addr"] + v["format_error"] == totals["invalid"]
    assert v["ws_count"] == v["actual_send"] + v["send_error"] + totals["invalid"]
    assert v["actual_deduc"] == totals["actual"]
    both = [task(tc, sent), task(tc, second)]
    assert v["ws_error"] == sum(int(t.findtext("error_count")) for t in both)
    d = xml(tc, "deduction.php", date=DAY)
    items = d.findall("list")
    assert [i.findtext("deduction") for i in items] == ["群发扣点"]
    assert items[0].findtext("company") == "深圳示例科技有限公司"
    assert int(items[0].findtext("total")) == v["actual_deduc"]
    # Another day: nothing; the statistics of another account are its own.
    assert xml(tc, "stask.php", date="2026-02-20").findall("task") == []
    assert xml(tc, "statistic.php", date=DAY, auth=OTHER).findtext("ws_qty") == "0"


def test_a_sending_task_shows_reserved_credits_then_settles(tc):
    fill(tc, 3000)
    tc.post("/_sandbox/delivery/settings", json={"speed": 10})
    task_id = new_id(add(tc, tpl_id="501", maillist_id="502"))
    tc.clock.advance(60)  # started after 30 s, some hundreds sent
    d = {i.findtext("deduction"): i for i in xml(tc, "deduction.php", date=DAY).findall("list")}
    used, reserved = int(d["群发扣点"].findtext("total")), int(d["群发预扣"].findtext("total"))
    assert 0 < used < 3017 and used + reserved == 3017  # all pre-charged at the start
    s = xml(tc, "statistic.php", date=DAY)
    assert int(s.findtext("ws_count")) < 3017 and s.findtext("deduc_count") == "3017"
    tc.clock.advance(3600)
    assert task(tc, task_id).findtext("send_status") == "3"
    d = {i.findtext("deduction"): i for i in xml(tc, "deduction.php", date=DAY).findall("list")}
    assert set(d) == {"群发扣点"}
    row = xml(tc, "stask.php", id=task_id).find("task")
    assert d["群发扣点"].findtext("total") == row.findtext("actual")


def failures(tc, sent, script, out_type=None, **params):
    stat_id = xml(tc, "track.php", do="overview", id=sent).findtext("task_id")
    query = {"type": "all", **params}
    if script == "failexport.php":
        query.setdefault("date", DAY)
    query.setdefault("task_id", stat_id)
    if out_type:
        query["out_type"] = out_type
    return get(tc, script, **query), stat_id


def test_failexport_lists_what_stask_counts_in_every_format(tc, sent):
    finals = tc.app.store.conn.execute(
        "SELECT email, outcome FROM delivery_recipients WHERE task_id = ? AND outcome <> 0 "
        "ORDER BY seq",
        (sent,),
    ).fetchall()
    expected = [r[0] for r in finals]
    assert "bounce1@x.cn" in expected and "z@q.invalid" in expected
    text, stat_id = failures(tc, sent, "failexport.php")
    assert text.headers["Content-Type"].startswith("text/plain")
    assert text.get_data(as_text=True).splitlines() == expected
    as_json, _ = failures(tc, sent, "failexport.php", "json")
    assert json.loads(as_json.get_data()) == expected
    as_xml, _ = failures(tc, sent, "failexport.php", "xml")
    root = parse_xml(as_xml)
    assert root.tag == "fail_recipient_list"
    assert [r.findtext("email") for r in root.findall("recipient")] == expected
    as_csv, _ = failures(tc, sent, "failexport.php", "file")
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    assert rows[0] == ["email"] and [r[0] for r in rows[1:]] == expected
    # One type only: the stask count of that type.
    nx, _ = failures(tc, sent, "failexport.php", type="not_exist")
    one, _ = failures(tc, sent, "failexport.php", type="1")
    count = int(xml(tc, "stask.php", id=sent).find("task").findtext("email_not_exist"))
    assert len(nx.get_data(as_text=True).split()) == count
    assert nx.get_data() == one.get_data()
    full, _ = failures(tc, sent, "failexportall.php", "json")
    items = json.loads(full.get_data())
    assert [i["email"] for i in items] == expected
    assert {i["task_id"] for i in items} == {stat_id}
    assert [int(i["type"]) for i in items] == [r[1] for r in finals]
    full_xml, _ = failures(tc, sent, "failexportall.php", "xml")
    recips = parse_xml(full_xml).findall("recipient")
    assert [(r.findtext("email"), r.findtext("type")) for r in recips] == [
        (e, str(o)) for e, o in finals
    ]
    full_csv, _ = failures(tc, sent, "failexportall.php", "file")
    rows = list(csv.reader(io.StringIO(full_csv.get_data(as_text=True))))
    assert rows[0] == ["email", "type", "task_id"] and len(rows) == len(finals) + 1
    by_date = get(tc, "failexportall.php", date=DAY, type="-1")
    assert by_date.get_data(as_text=True).splitlines() == expected


@pytest.mark.parametrize(
    ("script", "params", "message"),
    [
        ("failexport.php", {"type": "all"}, "缺少参数：date"),
        ("failexport.php", {"date": "2026-3-2", "type": "all"}, "YYYY-MM-DD"),
        ("failexport.php", {"date": DAY}, "缺少参数：type"),
        ("failexport.php", {"date": DAY, "type": "not_exist"}, "task_id 或 task_ident"),
        ("failexport.php", {"date": DAY, "type": "7"}, "参数错误：type=7"),
        ("failexport.php", {"date": DAY, "type": "all", "out_type": "pdf"}, "out_type"),
        ("failexportall.php", {"type": "all"}, "必须传一个"),
        ("failexportall.php", {"task_id": "1", "type": "all"}, "任务不存在"),
        # L456-458: types 1/2/3 of §2.3.2 need a task id, a date alone is refused (strict).
        ("failexportall.php", {"date": DAY, "type": "1"}, "task_id 或 task_ident"),
        ("failexportall.php", {"date": DAY, "type": "user_reject"}, "task_id 或 task_ident"),
        ("statistic.php", {}, "缺少参数：date"),
        ("stask.php", {}, "必须传一个"),
        ("stask.php", {"id": "424242"}, "任务不存在"),
        ("deduction.php", {"date": "yesterday"}, "参数错误"),
    ],
)
def test_bad_parameters_get_the_error_shape(tc, script, params, message):
    root = xml(tc, script, **params)
    assert root.tag == "result" and root.findtext("status") == "error"
    assert message in root.findtext("data")


def test_link_stat_and_click_detail_agree_with_the_overview(tc, sent):
    over = xml(tc, "track.php", do="overview", id=sent)
    links = over.findall("link_statistic/link")
    assert links
    stat = xml(tc, "track.php", do="link-stat", id=sent)
    assert stat.tag == "data"
    assert [flat(x) for x in stat.findall("link")] == [flat(x) for x in links]
    clicks = xml(tc, "track.php", do="click-detail", id=sent).findall("click")
    assert len(clicks) == sum(int(x.findtext("click_unique")) for x in links)
    assert sum(int(c.findtext("click_total")) for c in clicks) == int(over.findtext("click_total"))
    assert len({c.findtext("email") for c in clicks}) == int(over.findtext("click_unique"))
    assert len({c.findtext("click_id") for c in clicks}) == len(clicks)
    one = links[0]
    only = xml(tc, "track.php", do="click-detail", id=sent, link_id=one.findtext("link_id"))
    assert {c.findtext("link") for c in only.findall("click")} <= {one.findtext("link")}
    assert len(only.findall("click")) == int(one.findtext("click_unique"))
    single = xml(tc, "track.php", do="link-stat", id=sent, link_id=one.findtext("link_id"))
    assert [flat(x) for x in single.findall("link")] == [flat(one)]
    wrong = xml(tc, "track.php", do="link-stat", id=sent, link_id="999999")
    assert wrong.tag == "result" and "链接不存在" in wrong.findtext("data")
    foreign = xml(tc, "track.php", do="click-detail", id=sent, auth=OTHER)
    assert foreign.tag == "result" and "任务不存在" in foreign.findtext("data")


def test_trackexport_lists_openers_or_clickers(tc, sent):
    over = xml(tc, "track.php", do="overview", id=sent)
    track_id = over.findtext("track_id")
    reply = get(tc, "trackexport.php", track_id=track_id)
    assert reply.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.get_data(as_text=True))))
    openers = xml(tc, "track.php", do="open-detail", id=sent).findall("user")
    assert [r["email"] for r in rows] == [u.findtext("email") for u in openers]
    assert len(rows) == int(over.findtext("open_unique"))
    clickers = list(
        csv.DictReader(io.StringIO(get(tc, "trackexport.php", track_id=track_id, is_click=1).text))
    )
    assert len(clickers) == int(over.findtext("click_unique"))
    assert all(int(r["click_total"]) > 0 for r in clickers)
    first = openers[0]
    one = list(
        csv.DictReader(
            io.StringIO(
                get(
                    tc, "trackexport.php", track_id=track_id, email_id=first.findtext("email_id")
                ).text
            )
        )
    )
    assert [r["email"] for r in one] == [first.findtext("email")]
    missing = xml(tc, "trackexport.php", track_id="1")
    assert missing.tag == "result" and "任务不存在" in missing.findtext("data")


def test_generate_history_makes_finished_tasks_for_every_endpoint(tc):
    reply = tc.post("/_sandbox/stats/generate", json={"tasks": 40, "days": 20})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    body = reply.json
    assert body["created"] == 40 and body["finished"] == 40
    listed = xml(tc, "task.php", do="task-list").findall("task")
    assert len(listed) >= 40
    first = body["first_id"]
    over = xml(tc, "track.php", do="overview", id=first)
    row = xml(tc, "stask.php", id=first).find("task")
    assert row.findtext("success") == over.findtext("real_send_count")
    assert tc.post("/_sandbox/stats/generate", json={"tasks": 0}).status_code == 400
