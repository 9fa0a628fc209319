"""The visual builder's server side, the plain-letter mode, the gallery and the inbox preview,
against the sandbox (the platform's content check included)."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from apps.mailtemplates import gallery
from apps.mailtemplates.builder import clean_project, compose_email
from apps.mailtemplates.models import MailTemplate
from apps.mailtemplates.sanitise import sanitise_email_html
from apps.mailtemplates.tests.factories import attachment, mail_template

pytestmark = pytest.mark.django_db

EVIL = (
    '<div onclick="steal()"><script>alert(1)</script><a href="javascript:alert(1)">x</a>'
    '<img src="x" onerror="fetch(1)"><iframe src="https://evil.example/"></iframe>'
    '<form action="https://evil.example/"><input name="p"></form><p style="color:red">ok</p></div>'
)


def test_sanitising_removes_what_runs_and_keeps_mail_html():
    clean = sanitise_email_html(EVIL)
    for bad in ("<script", "onclick", "onerror", "javascript:", "<iframe", "<form", "<input"):
        assert bad not in clean
    assert '<p style="color:red">ok</p>' in clean
    document = sanitise_email_html(
        "<html><head><style>@media (max-width:480px){.col{display:block}}</style></head>"
        '<body style="margin:0"><table width="600"><tr><td class="col">{$fullname}</td></tr>'
        '</table><a href="{$unsubscribe_url}">退订</a></body></html>'
    )
    assert document.startswith("<!DOCTYPE html>")
    assert "<style>@media (max-width:480px){.col{display:block}}</style>" in document
    assert '<body style="margin:0">' in document
    assert '<td class="col">{$fullname}</td>' in document
    assert 'href="{$unsubscribe_url}"' in document


def test_a_project_is_sanitised_like_html():
    project = {
        "pages": [
            {
                "frames": [
                    {
                        "component": {
                            "type": "wrapper",
                            "components": [
                                {"tagName": "script", "content": "alert(1)"},
                                {
                                    "tagName": "a",
                                    "attributes": {"href": "javascript:x()", "onclick": "y()"},
                                    "components": [{"type": "textnode", "content": "hi"}],
                                },
                                {"type": "text", "content": "<img src=x onerror=alert(1)>"},
                            ],
                        }
                    }
                ]
            }
        ],
        "styles": [],
    }
    clean = clean_project(json.dumps(project))
    text = json.dumps(clean)
    assert "script" not in text and "javascript:" not in text
    assert "onclick" not in text and "onerror" not in text
    assert '"content": "hi"' in text


def test_compose_inlines_css_keeps_media_queries_and_adds_the_preheader():
    html = compose_email(
        body_html='<body><div class="pad">你好 {$fullname}</div></body>',
        css=".pad{padding:16px}@media (max-width:480px){.pad{padding:8px !important}}",
        preheader="本月资讯",
    )
    assert 'class="pad" style="padding: 16px;"' in html
    assert "@media (max-width:480px)" in html
    assert re.search(r"<body[^>]*>\s*<div data-preheader[^>]*>本月资讯</div>", html)


def _builder_post(client, url, *, design, project=None, **fields):
    data = {
        "name": "春季资讯",
        "subjects": ["春季资讯"],
        "preheader": "本月我们发布了新版会员中心",
        "html": f"<body>{design.html}</body>",
        "css": design.css,
        "project": json.dumps(project or {"pages": [{"frames": [{"component": {}}]}]}),
    }
    data.update(fields)
    return client.post(url, data)


def test_save_from_the_builder_uploads_inlined_sanitised_html_and_keeps_the_project(
    demo_client, demo_account, fresh_sandbox
):
    design = gallery.design("newsletter-zh")
    project = {
        "pages": [{"frames": [{"component": {"type": "wrapper", "components": []}}]}],
        "styles": [{"selectors": ["pad"], "style": {"padding": "16px"}}],
    }
    response = _builder_post(
        demo_client,
        reverse("mailtemplates:builder-new"),
        design=design,
        project=project,
        html=f"<body>{design.html}{EVIL}</body>",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    template = MailTemplate.objects.get(account=demo_account)
    assert response["Location"] == reverse("mailtemplates:builder", args=[template.pk])
    assert template.editor_mode == "builder"
    assert template.builder_project_data == project
    assert template.preheader == "本月我们发布了新版会员中心"
    row = fresh_sandbox.control("GET", f"templates/{template.platform_id}")
    assert row["content"] == template.html == template.builder_html
    assert "<script" not in row["content"] and "onclick" not in row["content"]
    assert 'style="' in row["content"] and "{$fullname}" in row["content"]
    # Reopening hands the builder exactly the project that was saved.
    page = demo_client.get(reverse("mailtemplates:builder", args=[template.pk])).content.decode()
    data = json.loads(re.search(r'id="builder-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert data["project"] == project
    assert 'data-testid="builder-stale"' not in page
    assert "<script>" not in page.split('id="builder-data"')[0].split("</nav>", 1)[1]


def test_a_change_in_the_code_editor_is_never_lost_in_the_builder(demo_client, demo_account):
    template = mail_template(
        demo_account,
        html="<p>改过的 HTML</p>",
        builder_project='{"pages": []}',
        builder_html="<p>旧的</p>",
        editor_mode="builder",
    )
    page = demo_client.get(reverse("mailtemplates:builder", args=[template.pk])).content.decode()
    assert 'data-testid="builder-stale"' in page
    data = json.loads(re.search(r'id="builder-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert data["project"] is None and "改过的 HTML" in data["html"]
    page = demo_client.get(
        reverse("mailtemplates:builder", args=[template.pk]), {"source": "project"}
    ).content.decode()
    data = json.loads(re.search(r'id="builder-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert data["project"] == {"pages": []}


def test_html_entering_the_builder_is_sanitised(demo_client, demo_account):
    template = mail_template(demo_account, html=EVIL)
    page = demo_client.get(reverse("mailtemplates:builder", args=[template.pk])).content.decode()
    data = json.loads(re.search(r'id="builder-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert "<script" not in data["html"] and "onerror" not in data["html"]
    assert "ok</p>" in data["html"]


def test_bad_builder_posts_change_nothing(demo_client, demo_account, fresh_sandbox):
    design = gallery.design("promotion-en")
    url = reverse("mailtemplates:builder-new")
    response = _builder_post(demo_client, url, design=design, project="{not json")
    assert response.status_code == 400
    assert "damaged" in response.content.decode()
    response = _builder_post(demo_client, url, design=design, subjects=[""])
    assert response.status_code == 400
    assert not MailTemplate.objects.exists()


@pytest.mark.parametrize("slug", [d.slug for d in gallery.designs()])
def test_every_gallery_design_passes_the_content_check(slug):
    from sandbox.ops.templates import check_content

    design = gallery.design(slug)
    html = compose_email(body_html=design.html, css=design.css, preheader=design.preheader)
    verdict = check_content(
        subjects=[design.subject], content=html, text_content="", attachment_bytes=0
    )
    assert verdict["colour"] == "green", verdict
    assert "{$unsubscribe_url}" in html and "@media (max-width:480px)" in html


def test_the_gallery_has_six_kinds_in_two_languages(demo_client):
    kinds = {d.kind for d in gallery.designs()}
    assert kinds == {"newsletter", "promotion", "launch", "event", "receipt", "letter"}
    assert {d.language for d in gallery.designs()} == {"zh", "en"}
    page = demo_client.get(reverse("mailtemplates:gallery")).content.decode()
    assert page.count("Use this design") == 12
    frame = demo_client.get(reverse("mailtemplates:gallery-frame", args=["receipt-zh"]))
    assert "sandbox" in frame["Content-Security-Policy"]
    assert demo_client.get(reverse("mailtemplates:gallery-frame", args=["nope"])).status_code == 404
    page = demo_client.get(reverse("mailtemplates:builder-new"), {"design": "event-en"})
    assert "Customer Day 2026" in page.content.decode()


def test_plain_letter_round_trip(demo_client, demo_account, fresh_sandbox):
    body = "<p>尊敬的 {$fullname}：</p><p><strong>服务时间</strong>调整。</p><script>x()</script>"
    response = demo_client.post(
        reverse("mailtemplates:richtext-new"),
        {"name": "通知", "subjects": ["服务通知"], "preheader": "", "body": body},
    )
    assert response.status_code == 302
    template = MailTemplate.objects.get(account=demo_account)
    assert template.editor_mode == "richtext" and "<script" not in template.html
    page = demo_client.get(reverse("mailtemplates:richtext", args=[template.pk])).content.decode()
    assert "&lt;strong&gt;服务时间&lt;/strong&gt;调整。" in page
    assert "was not written as a plain letter" not in page


def test_inbox_preview_and_preheader(demo_client, demo_account, fresh_sandbox):
    from apps.mailtemplates import services

    template = services.template_create(
        account=demo_account,
        user=None,
        name="资讯",
        subjects=["{$fullname} 的资讯"],
        html="<html><body><p>正文第一行</p></body></html>",
        text="正文第一行",
    )
    attachment(template, name="价目表.pdf")
    url = reverse("mailtemplates:inbox", args=[template.pk])
    page = demo_client.get(url).content.decode()
    assert "张三 的资讯" in page and "正文第一行" in page and "价目表.pdf" in page
    response = demo_client.post(url, {"preheader": "三月新品抢先看"})
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.preheader == "三月新品抢先看"
    row = fresh_sandbox.control("GET", f"templates/{template.platform_id}")
    assert "三月新品抢先看</div>" in row["content"]
    page = demo_client.get(url).content.decode()
    assert 'data-testid="inbox-preheader">三月新品抢先看<' in page


def test_other_accounts_templates_are_404(demo_client):
    from apps.accounts.tests.factories import platform_account

    other = mail_template(platform_account(username="other-co"))
    for name in ("builder", "richtext", "inbox"):
        assert demo_client.get(reverse(f"mailtemplates:{name}", args=[other.pk])).status_code == 404


def test_saved_blocks_are_offered_and_update_the_templates_that_use_them(
    demo_client, demo_account, fresh_sandbox
):
    from apps.mailtemplates import services
    from apps.mailtemplates.models import SavedBlock

    response = demo_client.post(
        reverse("mailtemplates:blocks"),
        {
            "kind": "footer",
            "name": "页脚",
            "html": '<p onclick="x()">深圳示例科技</p>',
            "sender_address": "深圳市南山区科技园 1 号",
            "brand_colour": "",
            "accent_colour": "",
            "logo_url": "",
        },
    )
    assert response.status_code == 302
    block = SavedBlock.objects.get(account=demo_account)
    assert "onclick" not in block.html
    page = demo_client.get(reverse("mailtemplates:builder-new")).content.decode()
    data = json.loads(re.search(r'id="builder-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    [offered] = data["savedBlocks"]
    assert offered["html"].startswith(f'<div data-saved-block="{block.pk}">')
    assert "{$unsubscribe_url}" in offered["html"] and "科技园 1 号" in offered["html"]
    template = services.template_create(
        account=demo_account,
        user=None,
        name="用页脚",
        subjects=["主题"],
        html=f"<p>正文</p>{offered['html']}<p>结尾</p>",
    )
    demo_client.post(
        reverse("mailtemplates:block", args=[block.pk]),
        {
            "kind": "footer",
            "name": "页脚",
            "html": "<p>新地址的公司</p>",
            "sender_address": "北京市朝阳区 8 号",
            "brand_colour": "",
            "accent_colour": "",
            "logo_url": "",
        },
    )
    page = demo_client.get(reverse("mailtemplates:block", args=[block.pk])).content.decode()
    assert "用页脚" in page and "Update the chosen templates" in page
    response = demo_client.post(
        reverse("mailtemplates:block-apply", args=[block.pk]), {"template": [template.pk]}
    )
    assert response.status_code == 302
    row = fresh_sandbox.control("GET", f"templates/{template.platform_id}")
    assert "新地址的公司" in row["content"] and "北京市朝阳区 8 号" in row["content"]
    assert "深圳示例科技" not in row["content"]
    assert row["content"].startswith("<p>正文</p>") and row["content"].endswith("<p>结尾</p>")


def test_the_code_editor_keeps_clean_html_byte_for_byte_and_cleans_the_rest():
    from apps.mailtemplates.sanitise import sanitise_if_needed

    clean = (
        '<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>春</title>'
        "<style>p{color:red}</style></head><body bgcolor='#eee'><table><tr><td>a ]]> b"
        "</td></tr></table><!--[if mso]>x<![endif]--></body></html>"
    )
    assert sanitise_if_needed(clean) == clean
    dirty = clean.replace("<td>a", '<td onclick="x()">a<script>y()</script>')
    cleaned = sanitise_if_needed(dirty)
    assert "onclick" not in cleaned and "<script" not in cleaned
    assert 'bgcolor="#eee"' in cleaned and '<html lang="zh">' in cleaned
