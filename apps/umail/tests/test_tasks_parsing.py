"""§5.1/§6, §2.1 and §3.1/§3.2 against canned replies shaped like the documentation's samples."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from apps.umail.errors import MalformedReply, PlatformRejected, RateLimited
from apps.umail.send_tasks import TaskParams
from apps.umail.times import BEIJING, parse_platform_time, to_platform_time

from .fakes import canned, make_response
from .test_parsing import client_with

# Pure logic: part of `make check`.
pytestmark = pytest.mark.unit

UTC = dt.UTC


def test_platform_time_goes_out_in_beijing_time_unpadded():
    # 01:05:09 UTC is 09:05:09 in Beijing, the format §6.2 shows: 2017-7-4 16:08:56.
    assert to_platform_time(dt.datetime(2026, 3, 4, 1, 5, 9, tzinfo=UTC)) == "2026-3-4 9:05:09"
    berlin = dt.datetime(2026, 12, 31, 20, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert to_platform_time(berlin) == "2027-1-1 3:00:00"
    with pytest.raises(ValueError):
        to_platform_time(dt.datetime(2026, 1, 1, 8, 0))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2017-7-4 16:08:56", dt.datetime(2017, 7, 4, 8, 8, 56, tzinfo=UTC)),
        ("2017-07-04 16:08", dt.datetime(2017, 7, 4, 8, 8, tzinfo=UTC)),
        ("2017-07-04", dt.datetime(2017, 7, 3, 16, 0, tzinfo=UTC)),
        ("2017/7/4 0:00:01", dt.datetime(2017, 7, 3, 16, 0, 1, tzinfo=UTC)),
        ("0000-00-00 00:00:00", None),
        ("", None),
    ],
)
def test_platform_time_comes_back_as_an_aware_datetime(text, expected):
    assert parse_platform_time(text) == expected


def test_round_trip_through_the_users_zone():
    with timezone.override("America/New_York"):
        local = timezone.make_aware(dt.datetime(2026, 7, 1, 21, 30))  # 09:30 next day, Beijing
        sent = to_platform_time(local)
        assert sent == "2026-7-2 9:30:00"
        assert parse_platform_time(sent) == local
        assert timezone.localtime(parse_platform_time(sent)).hour == 21


def test_bad_times_are_malformed_replies():
    with pytest.raises(MalformedReply):
        parse_platform_time("next tuesday")
    with pytest.raises(MalformedReply):
        parse_platform_time("2017-13-40 10:00")


def test_task_list_reads_templates_lists_and_misspellings():
    client, session = client_with(make_response(canned("task-list.xml")))
    first, second = client.tasks.task_list(page=1, limit=30, send_status="all")
    assert session.sent[0]["params"] == {
        "do": "task-list",
        "page": 1,
        "limit": 30,
        "send_status": "all",
    }
    assert (first.id, first.sn, first.acct_type) == (19124, "20170704160856-362-19124", "address")
    assert first.template_ids == [16, 78]
    assert [t.tpl_name for t in first.templates] == ["七月新品", "July news & offers"]
    assert (first.list_id, first.lists[0].list_name) == (5, "VIP 客户")
    assert (first.send_qty, first.send_qty_remak) == (100, 91)
    assert first.send_at == dt.datetime(2017, 7, 4, 16, 8, 56, tzinfo=BEIJING)
    assert first.started_at == dt.datetime(2017, 7, 4, 16, 9, 30, tzinfo=BEIJING)
    assert first.ended_at is None
    assert (first.send_count, first.error_count, first.send_status) == (45, 2, 2)
    assert first.track_status == 2  # the sample wraps the value in whitespace
    assert first.sender_name == "林碧欢" and first.replyto == "service@comingchina.com"
    assert second.send_status == 4  # unknown codes are kept, not refused
    assert second.send_at == dt.datetime(2017, 7, 1, tzinfo=BEIJING)
    assert second.started_at is None


def test_add_task_posts_every_field_and_returns_the_id():
    client, session = client_with(make_response(canned("add-task.xml")))
    params = TaskParams(
        tpl_ids=(16, 78),
        maillist_id=5,
        time=dt.datetime(2026, 3, 1, 2, 0, tzinfo=UTC),
        send_domain="comingchina.com",
        send_account="linbihuan@comingchina.com",
        send_fullname="林碧欢",
        send_qty_start=10,
        send_qty=100,
        status=2,
        subs_link=False,
        track_status=2,
    )
    assert client.tasks.add_task(params) == 19125
    sent = session.sent[0]
    assert sent["method"] == "POST"
    assert sent["params"] == {"do": "add-task"}
    assert sent["data"] == {
        "tpl_id": "16,78",
        "maillist_id": "5",
        "send_domain": "comingchina.com",
        "send_account": "linbihuan@comingchina.com",
        "send_fullname": "林碧欢",
        "send_replyto": "",
        "send_qty_start": "10",
        "send_qty": "100",
        "subs_link": "0",
        "track_status": "2",
        "track_domain": "",
        "status": "2",
        "time": "2026-3-1 10:00:00",
    }


def test_add_task_is_never_retried_and_errors_map():
    client, session = client_with(make_response(canned("add-task-error.xml")))
    params = TaskParams(tpl_ids=(1,), maillist_id=5, time=dt.datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(PlatformRejected) as info:
        client.tasks.add_task(params)
    assert (info.value.status, info.value.detail) == ("error", "联系人分类不存在：5")
    client, session = client_with(make_response(canned("add-task-over-limit.xml")))
    with pytest.raises(RateLimited):
        client.tasks.add_task(params)
    assert len(session.sent) == 1  # a write: one request only


def test_edit_task_sends_send_status_and_send_time():
    client, session = client_with(make_response(canned("tpl-result-success.xml")))
    params = TaskParams(tpl_ids=(1,), maillist_id=5, time=dt.datetime(2026, 1, 1, tzinfo=UTC))
    client.tasks.edit_task(42, params, send_status=-3)
    data = session.sent[0]["data"]
    assert session.sent[0]["params"] == {"do": "edit-task", "id": 42}
    assert data["send_status"] == "-3" and data["send_time"] == "2026-1-1 8:00:00"
    # the sample URL's `time=` (L2992) too, the same value
    assert data["time"] == data["send_time"] and "status" not in data
    client, session = client_with(make_response(canned("tpl-result-success.xml")))
    client.tasks.edit_task(42, send_status=-2)
    assert session.sent[0]["data"] == {"send_status": "-2"}


def test_a_refused_pause_or_cancel_is_told_apart():
    from apps.umail.send_tasks import UndocumentedStatusRefused

    refusal = '<?xml version="1.0"?><result><status>error</status><data>参数错误</data></result>'
    client, _ = client_with(make_response(refusal), make_response(refusal))
    with pytest.raises(UndocumentedStatusRefused) as info:
        client.tasks.edit_task(42, send_status=-2)
    assert info.value.send_status == -2 and info.value.detail == "参数错误"
    with pytest.raises(PlatformRejected) as info:  # a documented status refused: as it is
        client.tasks.edit_task(42, send_status=-1)
    assert not isinstance(info.value, UndocumentedStatusRefused)


def test_get_task_of_a_deleted_task_is_none_and_del_task_maps_errors():
    client, _ = client_with(make_response('<?xml version="1.0"?><task_list></task_list>'))
    assert client.tasks.get_task(7) is None
    client, _ = client_with(make_response(canned("task-error.xml")))
    with pytest.raises(PlatformRejected):
        client.tasks.del_task(42)


def test_list_task_of_section_2_1():
    client, session = client_with(make_response(canned("list-task.xml")))
    (row,) = client.tasks.list_task(ident="20170704160856-362-19124")
    assert session.sent[0]["params"] == {"do": "list-task", "ident": "20170704160856-362-19124"}
    assert row.send_status == 3  # read from <send_satus>
    assert row.template_ids == [16, 78]
    assert (row.list_id, row.send_qty_remak) == (5, 91)
    with pytest.raises(ValueError):
        client.tasks.list_task()


def test_track_overview_ids_ratios_and_links():
    client, session = client_with(make_response(canned("track-overview.xml")))
    overview = client.tracking.overview(send_id=19124)
    assert session.sent[0]["params"] == {"do": "overview", "id": 19124}
    assert (overview.send_id, overview.task_id, overview.track_id) == (19124, 1025694, 52031)
    assert overview.open_percent == Decimal("23.53")
    assert overview.click_percent == Decimal("7.06")
    assert overview.first_open_at == dt.datetime(2017, 7, 4, 16, 12, 3, tzinfo=BEIJING)
    assert overview.last_click_at is None
    (link,) = overview.links
    assert (link.link_id, link.link, link.click_total) == (
        901,
        "https://example.com/sale?a=1&b=2",
        9,
    )


def test_the_documentations_unbalanced_sample_is_recovered():
    # L699 `<send_id>19124</task_sn>`: read as the send id it is.
    client, _ = client_with(make_response(canned("track-overview-unbalanced.xml")))
    overview = client.tracking.overview(ident="x")
    assert (overview.task_id, overview.send_id) == (1025694, 19124)
    # Malformed replies are worth a retry (reads are retried): every attempt gets the same.
    broken = canned("track-overview-unbalanced.xml").replace(b"<task_id>", b"<task_id")
    client, _ = client_with(*(make_response(broken),) * 3)
    with pytest.raises(MalformedReply):
        client.tracking.overview(ident="x")


def _streamed(body: bytes):
    response = make_response(body)
    response.raw = io.BytesIO(body)
    return response


def test_open_detail_is_parsed_as_it_streams():
    client, session = client_with(_streamed(canned("open-detail.xml")))
    users = list(client.tracking.iter_open_detail(ident="20170704160856-362-19124"))
    assert session.sent[0]["stream"] is True
    assert [u.email for u in users] == ["violatte@coolreall.com", "1595936793@qq.com"]
    assert users[0].open_total == 3 and users[0].addr_first == "广东省深圳市"
    assert users[1].browser == "WeChat" and users[1].ip_last == "101.227.3.4"


def test_open_detail_errors_and_broken_streams():
    client, _ = client_with(_streamed(canned("task-error.xml")))
    with pytest.raises(PlatformRejected):
        list(client.tracking.iter_open_detail(send_id=42))
    cut = canned("open-detail.xml")[:700]
    client, _ = client_with(_streamed(cut))
    with pytest.raises(MalformedReply):
        list(client.tracking.iter_open_detail(send_id=42))
    client, _ = client_with(_streamed(canned("xml-bomb.xml")))
    with pytest.raises(MalformedReply):
        list(client.tracking.iter_open_detail(send_id=42))


def test_open_detail_memory_stays_flat():
    """A reply of 100,000 users is read one element at a time (the tree never grows)."""
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<data>\n'
    row = (
        b"<user><email_id>%d</email_id><email>u%d@example.com</email><open_total>1</open_total>"
        b"</user>\n"
    )

    class Body(io.RawIOBase):
        def __init__(self):
            self.parts = iter([head, *(row % (i, i) for i in range(100_000)), b"</data>\n"])
            self.buffer = b""

        def readable(self):
            return True

        def readinto(self, target):
            while len(self.buffer) < len(target):
                part = next(self.parts, None)
                if part is None:
                    break
                self.buffer += part
            n = min(len(target), len(self.buffer))
            target[:n] = self.buffer[:n]
            self.buffer = self.buffer[n:]
            return n

    response = make_response(b"")
    response.raw = io.BufferedReader(Body())
    client, _ = client_with(response)
    import tracemalloc

    tracemalloc.start()
    count = 0
    for opener in client.tracking.iter_open_detail(send_id=1):
        count += 1
        assert opener.email
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 100_000
    assert peak < 20 * 1024 * 1024
