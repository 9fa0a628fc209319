"""§5.1/§6 task.php and §2.1 list-task against the WSGI app: every operation, the refusals in
the platform's error shape, the 100-an-hour limit, isolation between accounts."""

from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.test import Client

from sandbox.app import create_app
from sandbox.clock import Clock
from sandbox.tests.conftest import legacy_query, parse_xml

DEMO = ("demo", "demo-pass")
OTHER = ("other", "other-pass")
API = "/mm-ms/apinew/task.php"


class ManualClock(Clock):
    """Moved by hand, so a task's whole life needs no sleeping."""

    def __init__(self):
        self.at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=self.tz)

    def now(self) -> dt.datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def tc(tmp_path, clock, request):
    marker = request.node.get_closest_marker("sandbox_profile")
    app = create_app(
        tmp_path / "state.sqlite3",
        seed_data=True,
        clock=clock,
        profile_name=marker.args[0] if marker else "strict",
    )
    client = Client(app)
    client.clock = clock
    client.app = app
    yield client
    app.store.close()


def add(client, auth=DEMO, **fields):
    data = {
        "tpl_id": "501",
        "maillist_id": "501",
        "send_account": "notice@demo-shop.cn",
        "send_fullname": "深圳示例科技",
        "time": "2026-3-2 9:00:00",
        "status": "2",
    } | fields
    # None removes a parameter.
    data = {k: str(v) for k, v in data.items() if v is not None}
    return client.post(f"{API}?do=add-task", data=data, auth=auth)


def new_id(response) -> int:
    root = parse_xml(response)
    assert root.findtext("status") == "success", response.get_data(as_text=True)
    assert root.findtext("data") == "添加群发任务成功！"
    return int(root.findtext("id"))


def error_of(response) -> tuple[str, str]:
    root = parse_xml(response)
    assert root.tag == "result"
    return root.findtext("status"), root.findtext("data")


def tasks(client, auth=DEMO, **params):
    root = parse_xml(client.get(API, query_string={"do": "task-list", **params}, auth=auth))
    assert root.tag == "task_list"
    return root.findall("task")


def task(client, task_id, auth=DEMO):
    found = tasks(client, auth=auth, id=task_id)
    assert len(found) == 1
    return found[0]


def edit(client, task_id, auth=DEMO, **fields):
    return client.post(
        f"{API}?do=edit-task&id={task_id}", data={k: str(v) for k, v in fields.items()}, auth=auth
    )


def test_add_task_and_task_list_show_every_documented_field(tc):
    fields = dict(send_qty_start=3, send_qty=12, track_status=2, status=1, time="2026-3-3 10:30")
    fields.update(send_replyto="reply@demo-shop.cn", track_domain="edm.demo-shop.cn")
    task_id = new_id(add(tc, tpl_id="501,502", **fields))
    row = task(tc, task_id)
    assert row.findtext("id") == str(task_id)
    assert row.findtext("sn").endswith(f"-1001-{task_id}")
    assert (row.findtext("acct_type"), row.findtext("acct_address")) == (
        "address",
        "notice@demo-shop.cn",
    )
    assert row.findtext("acct_domain") == "demo-shop.cn"
    assert row.findtext("sender") == "notice@demo-shop.cn"
    assert row.findtext("replyto") == "reply@demo-shop.cn"
    assert row.findtext("sender_name") == "深圳示例科技"
    assert [t.findtext("tpl_id") for t in row.findall("templates/template")] == ["501", "502"]
    assert [t.findtext("tpl_name") for t in row.findall("templates/template")] == [
        "会员欢迎邮件",
        "春季促销",
    ]
    assert row.findtext("listes/item/list_id") == "501"
    assert row.findtext("listes/item/list_name") == "VIP 客户"
    assert (row.findtext("send_qty"), row.findtext("send_qty_remak")) == ("12", "10")
    assert row.findtext("send_time") == "2026-03-03 10:30:00"
    assert row.findtext("time_start") == "0000-00-00 00:00:00"
    assert (row.findtext("send_status"), row.findtext("track_status")) == ("1", "2")
    assert (row.findtext("send_count"), row.findtext("error_count")) == ("0", "0")


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"tpl_id": "999"}, "模板不存在：999"),
        ({"tpl_id": "601"}, "模板不存在：601"),  # another account's
        ({"tpl_id": None, "maillist_id": "501"}, "缺少参数：tpl_id"),
        ({"maillist_id": "9999"}, "联系人分类不存在：9999"),
        ({"maillist_id": "601"}, "联系人分类不存在：601"),
        ({"maillist_id": "503"}, "联系人分类已停用"),
        ({"send_account": "nobody@demo-shop.cn"}, "发件人不存在：nobody@demo-shop.cn"),
        ({"send_account": "service@other-trade.cn"}, "发件人不存在"),
        ({"send_account": "all", "send_domain": "mail.demo-shop.cn"}, "未通过验证"),
        ({"send_account": "all", "send_domain": "other-trade.cn"}, "发件人域名不存在"),
        ({"time": "tomorrow"}, "时间格式错误"),
        ({"time": None}, "缺少参数：time"),
        ({"send_qty_start": 0}, "不能传 0"),
        ({"send_qty_start": 10, "send_qty": 5}, "发送地址范围错误"),
        ({"send_qty_start": 26}, "发送地址数量为 0"),
        ({"status": 3}, "参数错误：status=3"),
        ({"track_status": 5}, "参数错误：track_status=5"),
    ],
)
def test_add_task_refuses_with_the_platforms_error_shape(tc, fields, expected):
    status, data = error_of(add(tc, **fields))
    assert status == "error"
    assert expected in data
    assert len(tasks(tc)) == 2  # the seeded history only: nothing was created


def test_a_rejected_template_cannot_be_sent(tc):
    spam = {"name": "spam", "subject": "免费 中奖", "content": "<p>博彩 casino lottery</p>"}
    reply = tc.post("/mm-ms/apinew/template.php?do=add-tpl", data=spam, auth=DEMO)
    tpl_id = parse_xml(reply).findtext("data")
    tc.clock.advance(10)  # the content check is over: red
    status, data = error_of(add(tc, tpl_id=tpl_id))
    assert (status, data) == ("error", f"模板未通过审核，不能发送：{tpl_id}")


def test_quota_and_service_are_checked(tc):
    tc.app.store.update_account("demo", {"qty_available": 10})
    status, data = error_of(add(tc))
    assert status == "error" and "可用点数不足：需要 25，剩余 10" in data
    assert new_id(add(tc, send_qty=10))
    tc.app.store.update_account("demo", {"service_status": "disabled", "qty_available": 100})
    assert "群发服务已停用" in error_of(add(tc))[1]


def test_sender_forms_all_domain_and_mailbox(tc):
    everyone = task(tc, new_id(add(tc, send_account="all", send_domain="all")))
    assert (everyone.findtext("acct_type"), everyone.findtext("sender")) == ("all", "all")
    domain = task(tc, new_id(add(tc, send_account="all", send_domain="demo-shop.cn")))
    assert (domain.findtext("acct_type"), domain.findtext("acct_domain")) == (
        "domain",
        "demo-shop.cn",
    )
    system = task(tc, new_id(add(tc, send_account="all", send_domain="edm.bestedm.org")))
    assert system.findtext("acct_domain") == "edm.bestedm.org"
    # §5.1 备注 4: one mailbox needs no send_domain.
    box = task(tc, new_id(add(tc, send_account="NEWS@demo-shop.cn", send_domain="")))
    assert box.findtext("acct_address") == "news@demo-shop.cn"


def test_the_101st_add_task_in_an_hour_is_refused_and_creates_nothing(tc):
    for i in range(100):
        # Refused calls count too: the platform counts calls, not tasks.
        response = add(tc, send_qty=1) if i % 10 else add(tc, tpl_id="999")
        assert parse_xml(response).findtext("status") in ("success", "error")
    before = len(tasks(tc))
    root = parse_xml(add(tc, send_qty=1))
    assert (root.findtext("status"), root.findtext("data")) == (
        "over_limit",
        "操作过于频繁：每小时最多调用 100 次",
    )
    assert len(tasks(tc)) == before
    assert parse_xml(add(tc, auth=OTHER, tpl_id="601", maillist_id="601",
                         send_account="service@other-trade.cn", send_qty=1)).findtext("status") == (
        "success"
    )  # fmt: skip
    tc.clock.advance(3601)
    assert parse_xml(add(tc, send_qty=1)).findtext("status") == "success"
    state = tc.get("/_sandbox/delivery/rate-limit", query_string={"username": "demo"}).json
    assert state == {"used": 1, "limit": 100}


def test_legacy_api_and_get_parameters_work_too(tc):
    query = {"do": "add-task", **legacy_query("demo", "demo-pass")}
    query.update(tpl_id="502", maillist_id="502", send_account="all", time="2026-3-2", status="-1")
    reply = tc.get("/mm-ms/api/task.php", query_string=query)
    task_id = new_id(reply)
    assert task(tc, task_id).findtext("send_status") == "-1"


def test_task_list_pages_filters_and_isolation(tc):
    ids = [new_id(add(tc, send_qty=2, status=-1, time=f"2026-3-{d} 8:00")) for d in (5, 5, 6)]
    assert [int(t.findtext("id")) for t in tasks(tc, date="2026-03-05")] == ids[1::-1]
    page1 = tasks(tc, page=1, limit=2)
    page2 = tasks(tc, page=2, limit=2)
    all_ids = [int(t.findtext("id")) for t in tasks(tc)]
    assert [int(t.findtext("id")) for t in page1 + page2] == all_ids[:4]
    assert all_ids == sorted(all_ids, reverse=True)
    held = tasks(tc, send_status=-1)
    assert {int(t.findtext("id")) for t in held} == set(ids)
    assert tasks(tc, auth=OTHER) == []
    assert tasks(tc, auth=OTHER, id=ids[0]) == []
    assert error_of(tc.get(API, query_string={"do": "task-list", "date": "5 March"}, auth=DEMO))[
        1
    ].startswith("参数错误：date")


def test_waiting_sending_finished_on_the_clock(tc):
    tc.post("/_sandbox/delivery/settings", json={"speed": 10})
    task_id = new_id(add(tc, send_qty=20, track_status=1))
    assert task(tc, task_id).findtext("send_status") == "1"  # in the queue for 300/10 s
    tc.clock.advance(31)
    row = task(tc, task_id)
    assert row.findtext("send_status") == "2"
    assert row.findtext("time_start") == "2026-03-02 09:00:30"
    tc.clock.advance(30)  # 300 of 600 simulated seconds: about half is out
    half = task(tc, task_id)
    assert 8 <= int(half.findtext("send_count")) + int(half.findtext("error_count")) <= 12
    tc.clock.advance(31)
    done = task(tc, task_id)
    assert done.findtext("send_status") == "3"
    assert int(done.findtext("send_count")) + int(done.findtext("error_count")) == 20
    assert done.findtext("time_end") == "2026-03-02 09:01:30"


def test_scheduled_tasks_wait_for_their_time_and_hold_waits_for_ever(tc):
    later = new_id(add(tc, status=1, time="2026-3-2 12:00", send_qty=3))
    held = new_id(add(tc, status=-1, send_qty=3))
    tc.clock.advance(2 * 3600)
    assert task(tc, later).findtext("send_status") == "1"
    tc.clock.advance(3600 + 300)
    assert task(tc, later).findtext("send_status") in ("2", "3")
    assert task(tc, held).findtext("send_status") == "-1"


def test_edit_task_changes_fields_before_sending_only(tc):
    task_id = new_id(add(tc, status=1, time="2026-3-9 10:00", send_qty=5))
    changes = dict(tpl_id="502", maillist_id="502", send_fullname="新名字", send_qty_start=2)
    changes.update(send_qty=0, send_time="2026-3-10 11:15", track_status=2)
    ok = edit(tc, task_id, **changes)
    assert error_of(ok) == ("success", "修改群发任务成功！")
    row = task(tc, task_id)
    assert row.findtext("templates/template/tpl_id") == "502"
    assert row.findtext("listes/item/list_name") == "Newsletter subscribers"
    assert (row.findtext("send_qty"), row.findtext("send_qty_remak")) == ("0", "11")
    assert row.findtext("send_time") == "2026-03-10 11:15:00"
    assert row.findtext("sender_name") == "新名字"
    assert "模板不存在" in error_of(edit(tc, task_id, tpl_id="999"))[1]
    assert "任务不存在" in error_of(edit(tc, task_id, auth=OTHER, send_fullname="x"))[1]


@pytest.mark.sandbox_profile("permissive")
def test_status_moves_hold_resume_pause_resume_cancel(tc):
    tc.post("/_sandbox/delivery/settings", json={"speed": 1})
    task_id = new_id(add(tc, status=1, send_qty=20))
    assert error_of(edit(tc, task_id, send_status=-1))[0] == "success"
    assert task(tc, task_id).findtext("send_status") == "-1"
    assert "不能改为暂停发送" in error_of(edit(tc, task_id, send_status=-2))[1]
    assert error_of(edit(tc, task_id, send_status=2))[0] == "success"  # send now
    tc.clock.advance(301)
    assert task(tc, task_id).findtext("send_status") == "2"
    # While sending only the status may change.
    assert "只能修改发送状态" in error_of(edit(tc, task_id, send_fullname="x"))[1]
    tc.clock.advance(150)
    assert error_of(edit(tc, task_id, send_status=-2))[0] == "success"
    paused = task(tc, task_id)
    assert paused.findtext("send_status") == "-2"
    sent = int(paused.findtext("send_count")) + int(paused.findtext("error_count"))
    tc.clock.advance(3600)  # nothing moves while paused
    again = task(tc, task_id)
    assert int(again.findtext("send_count")) + int(again.findtext("error_count")) == sent
    assert "不能删除" in error_of(tc.post(f"{API}?do=del-task&id={task_id}", auth=DEMO))[1]
    assert error_of(edit(tc, task_id, send_status=2))[0] == "success"  # resume
    tc.clock.advance(100)
    assert task(tc, task_id).findtext("send_status") == "2"
    assert error_of(edit(tc, task_id, send_status=-3))[0] == "success"
    cancelled = task(tc, task_id)
    assert cancelled.findtext("send_status") == "-3"
    total = int(cancelled.findtext("send_count")) + int(cancelled.findtext("error_count"))
    assert sent < total < 20
    tc.clock.advance(3600)
    final = task(tc, task_id)
    assert int(final.findtext("send_count")) + int(final.findtext("error_count")) == total
    assert "不能修改" in error_of(edit(tc, task_id, send_status=1))[1]


@pytest.mark.sandbox_profile("permissive")
def test_quota_is_charged_at_the_start_and_the_unsent_refunded(tc):
    store = tc.app.store
    tc.post("/_sandbox/delivery/settings", json={"speed": 1000})
    before = store.account_by_username("demo")["qty_available"]
    task_id = new_id(add(tc, send_qty=20))
    assert store.account_by_username("demo")["qty_available"] == before  # not started yet
    tc.clock.advance(0.5)
    task(tc, task_id)
    assert store.account_by_username("demo")["qty_available"] == before - 20
    tc.clock.advance(5)
    row = task(tc, task_id)
    not_sent = int(row.findtext("error_count"))
    assert store.account_by_username("demo")["qty_available"] == before - 20 + not_sent
    # A cancel refunds what was never sent.
    tc.post("/_sandbox/delivery/settings", json={"speed": 1})
    second = new_id(add(tc, send_qty=20))
    tc.clock.advance(301 + 60)
    task(tc, second)
    edit(tc, second, send_status=-3)
    row = task(tc, second)
    charged = int(row.findtext("send_count"))
    assert store.account_by_username("demo")["qty_available"] == before - 20 + not_sent - charged


def test_del_task_hides_it_and_list_task_shows_section_2_1(tc):
    tc.post("/_sandbox/delivery/settings", json={"speed": 100000})
    task_id = new_id(add(tc, tpl_id="501,502", send_qty=8, track_status=2))
    tc.clock.advance(1)
    root = parse_xml(tc.get(API, query_string={"do": "list-task", "id": task_id}, auth=DEMO))
    row = root.find("task")
    assert row.findtext("tpl_id") == "501,502"
    assert row.findtext("tpl_name") == "会员欢迎邮件,春季促销"
    assert row.findtext("send_satus") == "3"  # sic
    assert row.findtext("list_id") == "501"
    ident = row.findtext("sn")
    by_ident = parse_xml(tc.get(API, query_string={"do": "list-task", "ident": ident}, auth=DEMO))
    assert [t.findtext("id") for t in by_ident.findall("task")] == [str(task_id)]
    by_date = parse_xml(
        tc.get(API, query_string={"do": "list-task", "date": "2026-03-02", "state": 3}, auth=DEMO)
    )
    assert str(task_id) in [t.findtext("id") for t in by_date.findall("task")]
    assert error_of(tc.get(API, query_string={"do": "list-task"}, auth=DEMO))[0] == "error"
    assert error_of(tc.post(f"{API}?do=del-task&id={task_id}", auth=DEMO)) == (
        "success",
        "删除群发任务成功！",
    )
    assert tasks(tc, id=task_id) == []
    assert "任务不存在" in error_of(tc.post(f"{API}?do=del-task&id={task_id}", auth=DEMO))[1]


def test_seeded_history_is_finished_and_costs_no_quota(tc):
    rows = tasks(tc)
    assert [r.findtext("send_status") for r in rows] == ["3", "3"]
    assert tc.app.store.account_by_username("demo")["qty_available"] == 63250
    assert rows[1].findtext("send_qty_remak") == "25"
