"""The operation registry and the request context every operation receives."""

from __future__ import annotations

import io

import pytest
from werkzeug.wrappers import Response

from sandbox.ops import REGISTRY, OpContext, OpError, find_operation, operation
from sandbox.tests.conftest import legacy_query, parse_xml
from sandbox.xml import leaf, node, text


@pytest.fixture
def probe_ops():
    """Temporary operations on a made-up script, removed afterwards."""
    before = dict(REGISTRY)

    @operation("probe.php", "echo")
    def echo(ctx: OpContext):
        items = [text(f"p_{k}", "|".join(ctx.params.getlist(k))) for k in sorted(ctx.params)]
        files = [text(f"f_{k}", f.filename) for k, f in ctx.files.items(multi=True)]
        return node(
            "echo",
            leaf("mode", ctx.mode),
            leaf("user", ctx.account["id"]),
            leaf("do", ctx.do),
            *items,
            *files,
        )

    @operation("probe.php", "fail")
    def fail(ctx: OpContext):
        ctx.require("list_id")
        raise OpError("update_maillist_error", "更新失败")

    @operation("probe.php", "text")
    def as_text(ctx: OpContext):
        return Response("a@example.com\tA\n", content_type="text/plain; charset=utf-8")

    @operation("bare.php")
    def bare(ctx: OpContext):
        return node("bare", leaf("do", ctx.do))

    yield
    REGISTRY.clear()
    REGISTRY.update(before)


AUTH = ("demo", "demo-pass")


def test_account_operations_registered():
    assert find_operation("account.php", "customer-info") is not None
    assert find_operation("account.php", "service-info") is not None


def test_duplicate_registration_is_refused(probe_ops):
    with pytest.raises(RuntimeError):

        @operation("probe.php", "echo")
        def again(ctx):
            return None


@pytest.mark.sandbox_profile("permissive")
def test_params_merge_get_and_post_post_wins(probe_ops, sandbox_client):
    r = sandbox_client.post(
        "/mm-ms/apinew/probe.php?do=echo&list_id=1&page=2&username=x&password=y",
        auth=AUTH,
        data={"list_id": "9", "subject": "新品推荐", "do": "fail"},
    )
    root = parse_xml(r)
    assert root.findtext("do") == "echo"
    assert root.findtext("mode") == "apinew"
    assert root.findtext("user") == "1001"
    assert root.findtext("p_list_id") == "9"
    assert root.findtext("p_page") == "2"
    assert root.findtext("p_subject") == "新品推荐"
    tags = {c.tag for c in root}
    assert not tags & {"p_do", "p_username", "p_password"}


def test_params_utf8_on_both_bases(probe_ops, sandbox_client):
    r = sandbox_client.get(
        "/mm-ms/api/probe.php",
        query_string={"do": "echo", "keyword": "张伟", **legacy_query("demo", "demo-pass")},
    )
    root = parse_xml(r)
    assert root.findtext("mode") == "api"
    assert root.findtext("p_keyword") == "张伟"


@pytest.mark.sandbox_profile("permissive")
def test_uploaded_files_reach_the_operation(probe_ops, sandbox_client):
    r = sandbox_client.post(
        "/mm-ms/apinew/probe.php?do=echo",
        auth=AUTH,
        data={"file": (io.BytesIO(b"a@example.com;A\n"), "地址.txt"), "list_id": "3"},
    )
    root = parse_xml(r)
    assert root.findtext("f_file") == "地址.txt"
    assert root.findtext("p_list_id") == "3"


def test_op_error_shape(probe_ops, sandbox_client):
    r = sandbox_client.get("/mm-ms/apinew/probe.php?do=fail", auth=AUTH)
    root = parse_xml(r)
    assert root.findtext("status") == "error" and "list_id" in root.findtext("data")
    r = sandbox_client.get("/mm-ms/apinew/probe.php?do=fail&list_id=4", auth=AUTH)
    root = parse_xml(r)
    assert root.findtext("status") == "update_maillist_error"
    assert "<data><![CDATA[更新失败]]></data>" in r.get_data(as_text=True)


def test_operation_may_return_a_response(probe_ops, sandbox_client):
    r = sandbox_client.get("/mm-ms/apinew/probe.php?do=text", auth=AUTH)
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert r.get_data(as_text=True) == "a@example.com\tA\n"


def test_script_without_do(probe_ops, sandbox_client):
    r = sandbox_client.get("/mm-ms/apinew/bare.php?date=2024-01-01", auth=AUTH)
    assert parse_xml(r).tag == "bare"
    r = sandbox_client.get("/mm-ms/apinew/bare.php?do=whatever", auth=AUTH)
    assert parse_xml(r).findtext("do") == "whatever"


def test_crashing_operation_is_500_and_logged(probe_ops, sandbox_client):
    @operation("probe.php", "crash")
    def crash(ctx):
        raise ZeroDivisionError

    r = sandbox_client.get("/mm-ms/apinew/probe.php?do=crash", auth=AUTH)
    assert r.status_code == 500
    assert sandbox_client.get("/_sandbox/calls").get_json()["calls"][-1]["status"] == 500
