"""§1 account.php: customer-info and service-info on both bases."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox.tests.conftest import legacy_query, parse_xml

CUSTOMER_ELEMENTS = [
    "id",
    "username",
    "company",
    "contact",
    "phone",
    "mobile",
    "email",
    "im",
    "address",
]
SERVICE_ELEMENTS = [
    "id",
    "service_status",
    "service_type",
    "send_type",
    "beginning_date",
    "expiration_date",
    "qty_available",
    "qty_buytotal",
]


def test_customer_info_basic_auth(sandbox_client):
    r = sandbox_client.get("/mm-ms/apinew/account.php?do=customer-info", auth=("demo", "demo-pass"))
    assert r.status_code == 200
    root = parse_xml(r)
    assert root.tag == "customer"
    assert [child.tag for child in root] == CUSTOMER_ELEMENTS
    assert root.findtext("id") == "1001"
    assert root.findtext("username") == "demo"
    assert root.findtext("company") == "深圳示例科技有限公司"
    assert root.findtext("contact") == "张伟"
    assert root.findtext("address").startswith("深圳市")
    # Free text in CDATA, numbers plain: clients must cope with both.
    raw = r.get_data(as_text=True)
    assert "<company><![CDATA[深圳示例科技有限公司]]></company>" in raw
    assert "<id>1001</id>" in raw


def test_service_info_basic_auth(sandbox_app, sandbox_client):
    r = sandbox_client.get("/mm-ms/apinew/account.php?do=service-info", auth=("demo", "demo-pass"))
    root = parse_xml(r)
    assert root.tag == "service"
    assert [child.tag for child in root] == SERVICE_ELEMENTS
    values = {child.tag: child.text for child in root}
    today = sandbox_app.clock.today()
    assert values == {
        "id": "1001",
        "service_status": "enabled",
        "service_type": "all",
        "send_type": "local",
        "beginning_date": (today - dt.timedelta(days=365)).isoformat(),
        "expiration_date": (today + dt.timedelta(days=200)).isoformat(),
        "qty_available": "63250",
        "qty_buytotal": "100000",
    }
    assert "CDATA" not in r.get_data(as_text=True)


def test_legacy_md5_mode(sandbox_client):
    r = sandbox_client.get(
        "/mm-ms/api/account.php",
        query_string={"do": "service-info", **legacy_query("demo", "demo-pass")},
    )
    assert r.status_code == 200
    root = parse_xml(r)
    assert root.tag == "service"
    assert root.findtext("qty_available") == "63250"


def test_legacy_md5_is_case_insensitive(sandbox_client):
    query = legacy_query("demo", "demo-pass")
    query["password"] = query["password"].upper()
    r = sandbox_client.get("/mm-ms/api/account.php", query_string={"do": "customer-info", **query})
    assert parse_xml(r).tag == "customer"


@pytest.mark.sandbox_profile("permissive")
def test_post_works_like_get(sandbox_client):
    r = sandbox_client.post(
        "/mm-ms/apinew/account.php?do=customer-info", auth=("demo", "demo-pass"), data={"x": "1"}
    )
    assert parse_xml(r).findtext("username") == "demo"


def test_each_account_sees_only_itself(sandbox_client):
    r = sandbox_client.get(
        "/mm-ms/apinew/account.php?do=service-info", auth=("other", "other-pass")
    )
    root = parse_xml(r)
    assert root.findtext("id") == "1004"
    assert root.findtext("qty_available") == "1200"
    r = sandbox_client.get(
        "/mm-ms/apinew/account.php?do=customer-info", auth=("shop-a", "shop-a-pass")
    )
    assert parse_xml(r).findtext("company") == "杭州甲店电子商务有限公司"


def test_disabled_account_still_authenticates(sandbox_client):
    r = sandbox_client.post("/_sandbox/accounts/demo", json={"service_status": "disabled"})
    assert r.status_code == 200
    r = sandbox_client.get("/mm-ms/apinew/account.php?do=service-info", auth=("demo", "demo-pass"))
    assert r.status_code == 200
    assert parse_xml(r).findtext("service_status") == "disabled"


def test_chinese_values_round_trip(sandbox_client):
    patch = {
        "company": "广州新公司（测试）",
        "contact": "欧阳娜娜",
        "address": "广州市天河区 <路> & ]]> 号",
        "username": "测试用户",
        "password": "密码-pass",
    }
    assert sandbox_client.post("/_sandbox/accounts/other", json=patch).status_code == 200
    # Basic credentials are UTF-8 before base64 (§9: everything is UTF-8).
    r = sandbox_client.get(
        "/mm-ms/apinew/account.php?do=customer-info", auth=("测试用户", "密码-pass")
    )
    root = parse_xml(r)
    assert root.findtext("username") == "测试用户"
    assert root.findtext("company") == "广州新公司（测试）"
    assert root.findtext("contact") == "欧阳娜娜"
    assert root.findtext("address") == "广州市天河区 <路> & ]]> 号"
    # Legacy: UTF-8 percent-encoded GET username, md5 of the UTF-8 password.
    r = sandbox_client.get(
        "/mm-ms/api/account.php",
        query_string={"do": "customer-info", **legacy_query("测试用户", "密码-pass")},
    )
    assert parse_xml(r).findtext("contact") == "欧阳娜娜"
