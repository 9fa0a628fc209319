"""The HTML helpers: plain-text generation, lint, merge tags, .html/.zip import. No platform."""

import io
import zipfile

import pytest

from apps.mailtemplates.content import (
    INFO,
    WARNING,
    ImportRefused,
    fill_merge_tags,
    html_to_text,
    import_file,
    lint_template,
    merge_tags_used,
    normalise_newlines,
)

GOOD = """<html><head><style>p{color:red}</style><title>x</title></head><body>
<h1>春季新品</h1><p>您好 {$fullname}，欢迎选购。</p>
<p><img src="https://example.com/a.png" alt="新品图"></p>
<ul><li>第一件</li><li>第二件</li></ul>
<p><a href="https://example.com/shop">立即选购</a> · <a href="https://example.com/unsubscribe">退订</a></p>
<script>alert(1)</script></body></html>"""


def codes(issues, level=None):
    return [i.code for i in issues if level is None or i.level == level]


# -- plain text --------------------------------------------------------------------------------


def test_html_to_text_keeps_structure_links_and_alt():
    text = html_to_text(GOOD)
    assert "春季新品" in text
    assert "您好 {$fullname}，欢迎选购。" in text
    assert "[新品图]" in text
    assert "- 第一件\n- 第二件" in text
    assert "立即选购 (https://example.com/shop)" in text
    assert "alert" not in text and "color:red" not in text and "x\n" not in text
    assert "\n\n\n" not in text
    assert text.endswith("\n")


def test_html_to_text_of_nothing_is_empty():
    assert html_to_text("") == ""
    assert html_to_text("<script>x</script>") == ""


def test_html_to_text_mailto_and_same_text_links():
    text = html_to_text(
        '<p><a href="mailto:a@b.cn">写信</a> <a href="https://x.cn">https://x.cn</a></p>'
    )
    assert "写信 (a@b.cn)" in text
    assert text.count("https://x.cn") == 1


# -- lint --------------------------------------------------------------------------------------


def test_clean_template_has_no_warnings():
    html = GOOD.replace("<script>alert(1)</script>", "")
    assert codes(lint_template(html_source=html, text="你好", subjects=["主题"]), WARNING) == []


def test_each_common_problem_is_reported():
    html = """<html><head><link rel="stylesheet" href="https://x.cn/a.css"></head><body>
    <img src="a.png"><img src="data:image/png;base64,AAAA" alt="">
    <script src="https://evil.example/x.js"></script>
    <form action="https://x.cn"><input name=q></form><iframe src="https://x.cn"></iframe>
    <a href="javascript:alert(1)">x</a><a href="https://x.cn/buy">buy</a> {$nosuchfield}
    </body></html>"""
    issues = lint_template(html_source=html, text="", subjects=["hi {$fullname}"])
    assert set(codes(issues, WARNING)) >= {
        "no_text_part",
        "img_no_alt",
        "script",
        "javascript_url",
        "form",
        "embedded_content",
        "external_stylesheet",
        "unknown_merge_tag",
        "image_only",
    }
    assert "data_images" in codes(issues, INFO)
    script = next(i for i in issues if i.code == "script")
    assert "another site" in script.message
    unknown = next(i for i in issues if i.code == "unknown_merge_tag")
    assert "{$nosuchfield}" in unknown.message and "fullname" not in unknown.message


def test_size_warnings():
    big = "<p>" + "字" * 40000 + "</p>"  # 120 KB of UTF-8
    assert "clipped" in codes(lint_template(html_source=big, text="x"))
    assert "very_large" in codes(
        lint_template(html_source="<p>hi</p>", text="x", attachment_bytes=2 * 1024 * 1024)
    )


def test_missing_unsubscribe_depends_on_the_campaign():
    html = '<p>Hello there, a long enough text for the check.</p><a href="https://x.cn">x</a>'
    unknown = lint_template(html_source=html, text="x")
    assert [(i.code, i.level) for i in unknown] == [("no_unsubscribe", INFO)]
    off = lint_template(html_source=html, text="x", adds_unsubscribe=False)
    assert [(i.code, i.level) for i in off] == [("no_unsubscribe", WARNING)]
    assert lint_template(html_source=html, text="x", adds_unsubscribe=True) == []
    with_link = html + '<a href="https://x.cn/u">取消订阅</a>'
    assert lint_template(html_source=with_link, text="x", adds_unsubscribe=False) == []


# -- merge tags --------------------------------------------------------------------------------


def test_merge_tags_are_filled_and_escaped_for_html():
    values = {"fullname": "<张三>", "var1": "VIP"}
    html = "<p>{$fullname} {$name} {$var1} {$unknown}</p>"
    assert fill_merge_tags(html, values, escape=True) == (
        "<p>&lt;张三&gt; &lt;张三&gt; VIP {$unknown}</p>"
    )
    assert fill_merge_tags("{$fullname}", values, escape=False) == "<张三>"
    assert merge_tags_used("{$a}{$b}", "{$a}") == ["a", "b"]


def test_newlines_are_normalised():
    assert normalise_newlines("a\r\nb\rc\n") == "a\nb\nc\n"


# -- import ------------------------------------------------------------------------------------


def make_zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_import_html_in_utf8_and_gbk():
    page = '<html><head><meta charset="gbk"></head><body>你好\r\n世界</body></html>'
    assert import_file("a.html", page.encode("utf-8")).html.count("你好\n世界") == 1
    assert "你好\n世界" in import_file("a.htm", page.encode("gbk")).html
    assert "你好" in import_file("b.html", b"\xef\xbb\xbf" + "你好".encode()).html


def test_import_zip_embeds_images_relative_to_the_page():
    data = make_zip(
        {
            "mail/index.html": (
                b'<img src="images/a.png" alt="a"><img src="https://x.cn/b.png">'
                b'<td background="images/c.gif"></td><div style="background:url(\'images/a.png\')">'
                b'<img src="images/missing.jpg">'
            ),
            "mail/images/a.png": b"\x89PNG",
            "mail/images/c.gif": b"GIF89a",
            "mail/other.html": b"<p>not me</p>",
            "__MACOSX/mail/._index.html": b"junk",
        }
    )
    result = import_file("mail.zip", data)
    assert result.source == "mail.zip: mail/index.html"
    assert 'src="data:image/png;base64,iVBORw=="' in result.html
    assert 'background="data:image/gif;base64,R0lGODlh"' in result.html
    assert "url(data:image/png;base64,iVBORw==)" in result.html
    assert 'src="https://x.cn/b.png"' in result.html
    assert result.missing == ["images/missing.jpg"]
    assert sorted(result.embedded) == ["mail/images/a.png", "mail/images/c.gif"]


@pytest.mark.parametrize(
    ("name", "data", "match"),
    [
        ("a.txt", b"x", "Choose an .html"),
        ("a.zip", b"not a zip", "damaged"),
        ("a.zip", make_zip({"a.png": b"x"}), "no .html"),
    ],
)
def test_import_refuses_clearly(name, data, match):
    with pytest.raises(ImportRefused, match=match):
        import_file(name, data)


def test_import_refuses_zip_bombs(monkeypatch):
    monkeypatch.setattr("apps.mailtemplates.content.ZIP_MAX_UNCOMPRESSED", 1000)
    data = make_zip({"index.html": b"<p>" + b"a" * 5000 + b"</p>"})
    with pytest.raises(ImportRefused, match="unpacks to more than"):
        import_file("bomb.zip", data)
    monkeypatch.setattr("apps.mailtemplates.content.ZIP_MAX_ENTRIES", 2)
    with pytest.raises(ImportRefused, match="more than 2 files"):
        import_file("many.zip", make_zip({f"{i}.png": b"x" for i in range(3)}))
