"""§2.2–§2.5 and §3.3–§3.5 against the documentation's samples, with Session.request faked."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from apps.umail import xml
from apps.umail.errors import MalformedReply, PlatformRejected
from apps.umail.stats import FailedAddress

from .fakes import canned, make_response
from .test_parsing import client_with

# Pure logic: part of `make check`.
pytestmark = pytest.mark.unit


def streamed(body: bytes, content_type: str = "text/xml; charset=utf-8"):
    response = make_response(body, headers={"Content-Type": content_type})
    response.raw = io.BytesIO(body)
    return response


def test_day_statistic_reads_every_field():
    client, session = client_with(make_response(canned("statistic.xml")))
    day = client.stats.day_statistic(dt.date(2012, 3, 2))
    assert session.sent[0]["url"].endswith("/mm-ms/apinew/statistic.php")
    assert session.sent[0]["params"] == {"date": "2012-03-02"}
    assert day.date == dt.date(2012, 3, 2)
    assert (day.ws_qty, day.ws_error, day.ws_count) == (3, 12, 1200)
    assert (day.invalid_addr, day.format_error) == (7, 2)
    assert (day.send_count, day.deduc_count) == (1250, 1250)
    assert (day.actual_send, day.send_error, day.actual_deduc) == (1130, 61, 1188)


def test_task_stats_by_day_or_task():
    client, session = client_with(
        make_response(canned("stask.xml")), make_response(canned("stask-empty.xml"))
    )
    rows = client.stats.task_stats(day=dt.date(2012, 3, 2))
    assert session.sent[0]["params"] == {"date": "2012-03-02"}
    first = rows[0]
    assert first.task_id == 1025694 and first.task_ident == "20120302-362-F9B1E5"
    assert first.task_date == dt.date(2012, 3, 2)
    assert (first.totalsum, first.total, first.success, first.failed, first.invalid) == (
        1000,
        950,
        925,
        45,
        30,
    )
    assert (first.email_not_exist, first.over_quota, first.user_reject, first.rubbish) == (
        20,
        10,
        10,
        5,
    )
    assert first.actual == 950
    assert rows[1].task_ident == "20120302-362-F9B1E6"  # CDATA or not
    assert client.stats.task_stats(send_id=19124) == []
    assert session.sent[1]["params"] == {"id": 19124}
    with pytest.raises(ValueError):
        client.stats.task_stats()


def test_deductions():
    client, session = client_with(make_response(canned("deduction.xml")))
    rows = client.stats.deductions(dt.date(2012, 3, 2))
    assert session.sent[0]["url"].endswith("/deduction.php")
    assert [(r.deduction, r.send_num, r.total) for r in rows] == [
        ("群发扣点", 1188, 1188),
        ("群发预扣", 62, 62),
    ]
    assert rows[0].company == "深圳示例科技有限公司"


def test_statistics_errors_are_mapped():
    client, _ = client_with(make_response(canned("task-error.xml")))
    with pytest.raises(PlatformRejected):
        client.stats.day_statistic(dt.date(2012, 3, 2))
    client, _ = client_with(*(make_response(canned("track-overview.xml")),) * 3)
    with pytest.raises(MalformedReply):  # some other document
        client.stats.deductions(dt.date(2012, 3, 2))


@pytest.mark.parametrize(
    ("reply", "out_type", "with_types", "expected"),
    [
        (
            "failexport.txt",
            "text",
            False,
            [FailedAddress("violatte@coolreall.com", 3), FailedAddress("1595936793@qq.com", 3)],
        ),
        (
            "failexport.json",
            "json",
            False,
            [FailedAddress("1595936793@qq.com", 3), FailedAddress("violatte@coolreall.com", 3)],
        ),
        (
            "failexport.xml",
            "xml",
            False,
            [FailedAddress("violatte@coolreall.com", 3), FailedAddress("1595936793@qq.com", 3)],
        ),
        (
            "failexportall.csv",
            "file",
            True,
            [
                FailedAddress("violatte@coolreall.com", 3, 1025694),
                FailedAddress("1595936793@qq.com", 1, 1036770),
            ],
        ),
        (
            "failexportall.json",
            "json",
            True,
            [
                FailedAddress("1595936793@qq.com", 3, 1036770),
                FailedAddress("violatte@coolreall.com", 9, 1036885),
            ],
        ),
        (
            "failexportall.xml",
            "xml",
            True,
            [
                FailedAddress("violatte@coolreall.com", 3, 1025694),
                FailedAddress("1595936793@qq.com", 1, 1025694),
            ],
        ),
    ],
)
def test_failure_exports_in_every_out_type(reply, out_type, with_types, expected):
    client, session = client_with(streamed(canned(reply)))
    fail_type = -1 if with_types else 3
    found = list(
        client.stats.iter_failures(
            day=dt.date(2012, 3, 2),
            fail_type=fail_type,
            task_id=1025694,
            out_type=out_type,
            with_types=with_types,
        )
    )
    assert found == expected
    sent = session.sent[0]
    assert sent["stream"] is True
    assert sent["url"].endswith("failexportall.php" if with_types else "failexport.php")
    params = sent["params"]
    assert params["type"] == ("all" if with_types else "3")
    assert params["date"] == "2012-03-02" and params["task_id"] == 1025694
    assert params.get("out_type") == (None if out_type == "text" else out_type)


def test_failure_export_errors():
    for body in (canned("task-error.xml"), canned("result-error.xml")):
        for out_type in ("text", "json", "xml", "file"):
            client, _ = client_with(streamed(body))
            with pytest.raises(PlatformRejected):
                list(client.stats.iter_failures(task_id=1, out_type=out_type))
    client, _ = client_with(streamed(b'{"email": "x"}'))
    with pytest.raises(MalformedReply):
        list(client.stats.iter_failures(task_id=1, out_type="json"))
    client, _ = client_with(streamed(canned("failexportall.xml")[:200]))
    with pytest.raises(MalformedReply):
        list(client.stats.iter_failures(task_id=1, out_type="xml"))
    with pytest.raises(ValueError):
        next(client.stats.iter_failures(out_type="xml"))  # neither day nor task
    with pytest.raises(ValueError):
        next(client.stats.iter_failures(task_id=1, out_type="pdf"))


def test_iter_records_is_defused_and_reports_broken_streams():
    fields = ("email", "open_total")
    body = canned("open-detail.xml")
    chunks = [body[i : i + 7] for i in range(0, len(body), 7)]  # values split across chunks
    rows = [row for batch in xml.iter_records(chunks, "user", fields) for row in batch]
    assert rows == [["violatte@coolreall.com", "3"], ["1595936793@qq.com", "1"]]
    for bad in (canned("xml-bomb.xml"), canned("external-entity.xml"), body[:300], b"", b"  "):
        with pytest.raises(MalformedReply):
            list(xml.iter_records([bad], "user", fields))
    with pytest.raises(xml.ResultRoot) as caught:
        list(xml.iter_records([canned("task-error.xml")], "user", fields))
    assert caught.value.element.findtext("status") == "error"
    with pytest.raises(MalformedReply):
        list(xml.iter_records([canned("track-overview.xml")], "user", fields))
    gbk = '<?xml version="1.0" encoding="GBK"?><data><user><email>张@例子.cn</email></user></data>'
    assert list(xml.iter_records([gbk.encode("gbk")], "user", fields)) == [[["张@例子.cn", ""]]]
    with pytest.raises(ValueError):
        list(xml.iter_records([body], "user", ("user",)))


def test_link_stats():
    client, session = client_with(make_response(canned("link-stat.xml")))
    links = client.tracking.link_stats(send_id=19124)
    assert session.sent[0]["params"] == {"do": "link-stat", "id": 19124}
    assert [(x.link_id, x.link, x.click_unique, x.click_total) for x in links] == [
        (7001, "https://shop.example.com/sale?utm_source=edm&a=1", 12, 19),
        (7002, "https://shop.example.com/", 0, 0),
    ]
    assert links[0].click_first == "2017-07-04 16:15:00" and links[1].click_first == ""


def test_click_detail_streams_and_reports_the_samples_unclosed_data():
    client, session = client_with(streamed(canned("click-detail-ok.xml")))
    clicks = list(client.tracking.iter_click_detail(ident="20170704160856-362-19124", link_id=7001))
    params = session.sent[0]["params"]
    assert params["do"] == "click-detail" and params["link_id"] == 7001
    assert params["ident"] == "20170704160856-362-19124" and session.sent[0]["stream"] is True
    assert [(c.click_id, c.email, c.click_total) for c in clicks] == [
        (1001, "violatte@coolreall.com", 2),
        (2001, "1595936793@qq.com", 1),
    ]
    assert clicks[0].link == "https://shop.example.com/sale?utm_source=edm&a=1"
    # The documentation's own sample ends with <data> instead of </data>: recovered.
    client, _ = client_with(streamed(canned("click-detail.xml")))
    assert [c.email for c in client.tracking.iter_click_detail(send_id=1)]
    cut = canned("click-detail.xml").rsplit(b"</click>", 1)[0]
    client, _ = client_with(streamed(cut))
    with pytest.raises(MalformedReply):  # a reply cut off is still an error
        list(client.tracking.iter_click_detail(send_id=1))
    client, _ = client_with(streamed(canned("task-error.xml")))
    with pytest.raises(PlatformRejected):
        list(client.tracking.click_detail_records(send_id=1))


def test_open_detail_records_keep_the_documented_order():
    from apps.umail.tracking import OPENER_FIELDS

    client, _ = client_with(streamed(canned("open-detail.xml")))
    rows = [row for batch in client.tracking.open_detail_records(send_id=1) for row in batch]
    first = dict(zip(OPENER_FIELDS, rows[0], strict=True))
    assert first["email"] == "violatte@coolreall.com" and first["addr_first"] == "广东省深圳市"
    assert first["open_total"] == "3" and first["click_last"] == "2017-07-04 16:15:00"
    assert len(rows) == 2


@pytest.mark.parametrize("reply", ["trackexport.csv", "trackexport-noheader.tsv"])
def test_track_export_with_or_without_a_header(reply):
    client, session = client_with(streamed(canned(reply), "text/csv; charset=utf-8"))
    export = client.tracking.track_export(track_id=52031, clickers_only=True, link_id=7001)
    rows = list(export)
    export.close()
    params = session.sent[0]["params"]
    assert session.sent[0]["url"].endswith("/trackexport.php")
    assert (params["track_id"], params["is_click"], params["link_id"]) == (52031, 1, 7001)
    assert rows[0][0] == "violatte@coolreall.com"
    if reply.endswith(".csv"):
        assert export.header[:3] == ["email", "open_total", "click_total"]
        assert rows[1][0] == "=cmd|x@y.cn"  # read as sent; exports neutralise it
    else:
        assert export.header[0] == "email" and rows[1] == ["1595936793@qq.com", "1", "0"]


def test_track_export_error_reply():
    client, _ = client_with(streamed(canned("task-error.xml")))
    with pytest.raises(PlatformRejected):
        client.tracking.track_export(track_id=1)


def test_csv_stream_parses_in_a_helper_process():
    from apps.umail import records

    body = canned("open-detail.xml")
    chunks = [body[i : i + 50] for i in range(0, len(body), 50)]
    out = b"".join(
        records.csv_stream(
            chunks,
            "user",
            ("email", "open_total", "click_last"),
            times=("click_last",),
            defaults={"open_total": "0"},
            prefix=(42,),
        )
    ).decode()
    assert sorted(out.splitlines()) == [  # in any order: helpers may share the rows out
        "42,1595936793@qq.com,1,",
        "42,violatte@coolreall.com,3,2017-07-04 16:15:00",
    ]
    for bad in (body[:300], canned("xml-bomb.xml"), canned("external-entity.xml"), b""):
        with pytest.raises(MalformedReply):
            b"".join(records.csv_stream([bad], "user", ("email",)))
    with pytest.raises(xml.ResultRoot) as caught:
        b"".join(records.csv_stream([canned("task-error.xml")], "user", ("email",)))
    assert caught.value.element.findtext("status") == "error"


def test_csv_stream_blanks_the_platforms_zero_times():
    from apps.umail import records

    out = b"".join(
        records.csv_stream(
            [canned("click-detail-ok.xml")], "click", ("email", "click_last"), times=("click_last",)
        )
    ).decode()
    assert out.splitlines() == ["violatte@coolreall.com,2017-07-04 18:00:00", "1595936793@qq.com,"]


def _openers(n: int, *, extra: str = "") -> bytes:
    rows = "".join(
        f"\n <user><email><![CDATA[r{i}@例子.cn]]></email><open_total>{i}</open_total>"
        f"{extra}</user>"
        for i in range(n)
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<data>{rows}\n</data>\n'.encode()


@pytest.mark.parametrize("size", [7, 100, 4096, 1 << 16])
def test_csv_stream_shares_a_reply_among_helpers_and_loses_no_row(size, monkeypatch):
    from apps.umail import records

    body = _openers(3000, extra="<!-- a comment --><ip>1.2.3.4</ip>")
    monkeypatch.setattr(records, "SHARE_FROM", 10_000)  # shared from the first 10 kB
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    fields = ("email", "open_total")
    one = b"".join(records.csv_stream(iter(chunks), "user", fields, parsers=1)).decode()
    three = b"".join(records.csv_stream(iter(chunks), "user", fields, parsers=3)).decode()
    assert len(one.splitlines()) == 3000
    assert sorted(three.splitlines()) == sorted(one.splitlines())  # order is not kept
    assert "r2999@例子.cn,2999" in three.splitlines()


def test_csv_stream_shared_fails_like_one_helper(monkeypatch):
    from apps.umail import records

    monkeypatch.setattr(records, "SHARE_FROM", 4_000)
    body = _openers(2000)
    broken = [
        body[: len(body) // 2] + b"</user></data>",  # tags that do not balance
        body[:-30],  # cut off
        body.replace(b"<data>", b'<!DOCTYPE data [<!ENTITY e "x">]><data>'),
        body.replace(b"<open_total>1500<", b"<open_total>&undefined;<"),
        body.replace(b"r1000@", b"\xff\xfe"),  # not UTF-8 (nor GB18030)
    ]
    for bad in broken:
        chunks = [bad[i : i + 999] for i in range(0, len(bad), 999)]
        for parsers in (1, 2):
            with pytest.raises(MalformedReply):
                b"".join(records.csv_stream(iter(chunks), "user", ("email",), parsers=parsers))
    with pytest.raises(xml.ResultRoot):
        b"".join(records.csv_stream([canned("task-error.xml")], "user", ("email",), parsers=2))
    gbk = _openers(50).decode().replace("UTF-8", "GBK").encode("gbk")
    out = b"".join(records.csv_stream([gbk[:333], gbk[333:]], "user", ("email",), parsers=2))
    assert sorted(out.decode().splitlines()) == sorted(f"r{i}@例子.cn" for i in range(50))
