"""Liberal in what the client accepts: the manual's own samples (defects included, canned in
replies/), PHP's Content-Type, noise before the declaration, every date form, both spellings,
CDATA or not. Nothing here resolves an entity or a DTD."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from apps.umail import xml
from apps.umail.errors import MalformedReply

from .fakes import canned, make_response
from .test_parsing import client_with

PHP = {"Content-Type": "text/html; charset=utf-8"}


def php(body: bytes, stream: bool = False):
    response = make_response(body, headers=PHP)
    if stream:
        response.raw = io.BytesIO(body)
    return response


@pytest.mark.parametrize("noise", [b"\n", b"\r\n  \n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n"])
def test_whitespace_or_a_bom_before_the_declaration(noise):
    client, _ = client_with(php(noise + canned("service-info.xml")))
    assert client.account.service_info().qty_available == 63250


def test_unpadded_dates_as_the_manual_writes_them():
    body = canned("service-info.xml").replace(b"2025-11-27", b"2019-8-5")
    body = body.replace(b"2027-06-15", b"2027/6/1")
    client, _ = client_with(php(body))
    info = client.account.service_info()
    assert (info.beginning_date, info.expiration_date) == (dt.date(2019, 8, 5), dt.date(2027, 6, 1))
    status = canned("tpl-status.xml").replace(b"2017-11-11 11:11:11", b"2017-1-5 9:03:00")
    client, _ = client_with(php(status))
    assert client.templates.status(53).update_date == dt.datetime(2017, 1, 5, 9, 3)
    for text, expected in [
        ("2017-7-4 16:08", dt.datetime(2017, 7, 4, 16, 8)),
        ("2017-7-4", dt.datetime(2017, 7, 4)),
        ("2019-08-05 00:00:00", dt.datetime(2019, 8, 5)),
    ]:
        assert xml._parse_datetime(text) == expected
    assert xml._parse_date("0000-00-00") is None


def test_both_spellings_of_description_and_cdata_or_not():
    client, _ = client_with(php(canned("maillist-list.xml")))
    first, second = client.contacts.maillist_list()
    assert first.description == "消费满一万元的会员"  # <descrīption>, plain
    assert (second.subject, second.description) == ("Newsletter & news", "")  # CDATA


def test_the_manuals_malformed_closings_are_recovered():
    client, _ = client_with(php(b"\n" + canned("malformed-maillist-detail.xml")))
    assert client.contacts.maillist_detail(12).count == 3  # </aillist>, L1049
    client, _ = client_with(php(canned("track-overview-unbalanced.xml")))
    assert client.tracking.overview(ident="x").send_id == 19124  # <send_id>…</task_sn>, L699
    client, _ = client_with(php(canned("domain-check-unbalanced.xml")))
    assert client.domains.domain_check(["test.com"])[0].status == 3
    # L877: §3.3 ends with <data> instead of </data> (streamed)
    client, _ = client_with(php(b"\n" + canned("click-detail.xml"), stream=True))
    assert [c.email for c in client.tracking.iter_click_detail(send_id=1)]


def test_repair_invents_nothing_else():
    assert xml.repair_tags("<a><b>1</b>") is None  # cut off: stays an error
    assert xml.repair_tags("<a><b>1</b></a>") is None  # nothing to repair
    with pytest.raises(MalformedReply):
        xml.parse(b"<a><b>1</a")
    for name in ("xml-bomb.xml", "external-entity.xml"):  # never resolved, repaired or not
        with pytest.raises(MalformedReply):
            xml.parse(canned(name).replace(b"</service>", b"</servce>"))


def test_a_text_export_served_as_text_html_after_a_blank_line():
    body = "\nlinbihuan@comingchina.com\t林\nb@example.com\tB\n".encode()
    client, _ = client_with(php(body, stream=True))
    assert list(client.contacts.export_subscriptions(5)) == [
        ("linbihuan@comingchina.com", "林"),
        ("b@example.com", "B"),
    ]


def test_sign_in_decision_rests_on_errurl_not_the_redirect_target():
    errurl = "http://portal.test/login/?failed=1"
    page = make_response(b"<html>welcome</html>", headers=PHP)
    elsewhere = make_response(b"", status=302, headers={"Location": "/sendstat/index"})
    refused = make_response(b"", status=302, headers={"Location": errurl})
    for reply, expected in ((page, True), (elsewhere, True), (refused, False)):
        client, _ = client_with(reply)
        # True means "not refused": the caller still confirms with §1.1 (accounts.services)
        assert client.console_login(user_type="", errurl=errurl) is expected
