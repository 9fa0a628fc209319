"""The XML rendering helpers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sandbox.xml import XML_DECLARATION, cdata, leaf, node, render, result, text


def test_render_mixes_plain_and_cdata():
    doc = render(node("customer", leaf("id", 7), text("company", "A&B <公司>"), leaf("x", None)))
    assert doc.startswith(XML_DECLARATION + "\n<customer>\n <id>7</id>\n")
    assert "<company><![CDATA[A&B <公司>]]></company>" in doc
    assert "<x></x>" in doc
    root = ET.fromstring(doc.encode())
    assert root.findtext("company") == "A&B <公司>"


def test_plain_values_are_escaped():
    doc = render(node("r", leaf("v", "a<b&c")))
    assert "<v>a&lt;b&amp;c</v>" in doc


def test_cdata_terminator_is_split():
    assert cdata("x]]>y") == "<![CDATA[x]]]]><![CDATA[>y]]>"
    root = ET.fromstring(render(node("r", text("t", "x]]>y"))).encode())
    assert root.findtext("t") == "x]]>y"


def test_result_shape():
    doc = render(result("success", "添加成功", id=42))
    root = ET.fromstring(doc.encode())
    assert [c.tag for c in root] == ["status", "id", "data"]
    assert "<data><![CDATA[添加成功]]></data>" in doc
    plain = render(result("auth_error", "用户名或密码错误", data_cdata=False))
    assert "<data>用户名或密码错误</data>" in plain


def test_nested_iterables():
    doc = render(node("list", (node("item", leaf("id", i)) for i in range(2))))
    root = ET.fromstring(doc.encode())
    assert [i.findtext("id") for i in root] == ["0", "1"]
