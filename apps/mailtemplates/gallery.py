"""The starter gallery: responsive designs (600 px tables that stack below 480 px) in Chinese
and English, each opened in the visual builder with one click.

Every design avoids the words the platform's content check counts as spam (e.g. 免费, 发票,
"click here") and carries the unsubscribe block (the platform's subs_link) and merge tags.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .content import merge_tag

#: Shared by the gallery and the builder's blocks: columns stack on phones.
BASE_CSS = (
    "body{margin:0;padding:0;background-color:#f3f4f6;}"
    ".wrap{width:100%;background-color:#f3f4f6;padding:24px 0;}"
    ".card{width:100%;max-width:600px;margin:0 auto;background-color:#ffffff;"
    "font-family:Arial,'PingFang SC','Microsoft YaHei',sans-serif;color:#1f2937;}"
    ".pad{padding:16px 24px;font-size:15px;line-height:1.7;}"
    ".btn{display:inline-block;padding:12px 28px;border-radius:4px;color:#ffffff;"
    "text-decoration:none;font-weight:bold;}"
    ".muted{font-size:12px;color:#6b7280;line-height:1.6;}"
    "@media (max-width:480px){.col{display:block !important;width:100% !important;}"
    ".pad{padding:12px 16px !important;}}"
)

UNSUBSCRIBE_TAG = "{$unsubscribe_url}"


@dataclass(frozen=True)
class Design:
    slug: str
    kind: str
    language: str  # "zh" or "en"
    title: str
    html: str
    css: str = BASE_CSS
    subject: str = ""
    preheader: str = ""


def _header(colour: str, title: str) -> str:
    return (
        f'<div class="pad" style="background-color:{colour};color:#ffffff;'
        f'font-size:22px;font-weight:bold;text-align:center">{title}</div>'
    )


def _button(colour: str, label: str, href: str = "https://example.com/") -> str:
    return (
        f'<div class="pad" style="text-align:center"><a class="btn" href="{href}" '
        f'style="background-color:{colour}">{label}</a></div>'
    )


def _footer(words: dict) -> str:
    return (
        '<div class="pad muted" style="text-align:center" data-unsubscribe>'
        f"{words['address']}<br>{words['why']} "
        f'<a href="{UNSUBSCRIBE_TAG}" style="color:#6b7280">{words["unsubscribe"]}</a></div>'
    )


def _columns(left: str, right: str) -> str:
    return (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr>'
        f'<td class="col" width="50%" valign="top" style="padding:8px 24px">{left}</td>'
        f'<td class="col" width="50%" valign="top" style="padding:8px 24px">{right}</td>'
        "</tr></table>"
    )


def _image(alt: str, colour: str) -> str:
    # A neutral placeholder the marketer replaces (an inline SVG, so no outside host).
    svg = (
        "data:image/svg+xml;charset=utf-8,%3Csvg xmlns='http://www.w3.org/2000/svg' "
        f"width='600' height='240'%3E%3Crect width='600' height='240' fill='%23{colour[1:]}'/%3E"
        "%3C/svg%3E"
    )
    return f'<img src="{svg}" alt="{alt}" width="600" style="display:block;width:100%;height:auto">'


def _page(inner: str) -> str:
    return f'<div class="wrap"><div class="card">{inner}</div></div>'


WORDS = {
    "zh": {
        "hello": f"尊敬的 {merge_tag('fullname')}，您好：",
        "address": "深圳示例科技有限公司 · 深圳市南山区科技园 1 号",
        "why": "您收到这封邮件，是因为您订阅了我们的资讯。",
        "unsubscribe": "退订",
        "newsletter": (
            "本月资讯",
            "三月新闻速递",
            "本月我们发布了新版会员中心，并整理了三篇实用文章。",
            "阅读全文",
        ),
        "promotion": (
            "会员专享",
            "春季会员日：全场八折",
            f"您的会员等级：{merge_tag('var1')}。活动截至 3 月 31 日。",
            "立即选购",
        ),
        "launch": (
            "新品上市",
            "全新 X1 智能音箱",
            "更清晰的声音，更聪明的助手。今天起正式发售。",
            "了解详情",
        ),
        "event": (
            "活动邀请",
            "2026 客户交流会",
            "时间：4 月 18 日 14:00<br>地点：深圳会展中心 5 号馆",
            "报名参加",
        ),
        "receipt": (
            "订单确认",
            "感谢您的订购",
            f"订单号：{merge_tag('var2')}<br>金额：¥ 299.00<br>付款方式：微信支付",
            "查看订单",
        ),
        "letter": ("", "", "", ""),
        "letter_body": (
            "感谢您一直以来的支持。我们想告诉您，服务时间自下月起调整为每天 9:00–21:00。"
            "<br><br>如有任何问题，直接回复这封邮件即可。<br><br>此致<br>客户服务部"
        ),
        "col_left": "<strong>会员中心</strong><br>查看积分和权益。",
        "col_right": "<strong>客服热线</strong><br>400-000-0000，每天 9:00–21:00。",
    },
    "en": {
        "hello": f"Dear {merge_tag('fullname')},",
        "address": "Example Tech Ltd · 1 Science Park, Nanshan, Shenzhen",
        "why": "You receive this mail because you subscribed to our news.",
        "unsubscribe": "Unsubscribe",
        "newsletter": (
            "Monthly news",
            "March newsletter",
            "This month we launched the new member centre and picked three useful articles "
            "for you.",
            "Read more",
        ),
        "promotion": (
            "Members only",
            "Spring member days: 20% off",
            f"Your membership level: {merge_tag('var1')}. Offer ends 31 March.",
            "Shop now",
        ),
        "launch": (
            "New arrival",
            "Meet the X1 smart speaker",
            "Clearer sound, a smarter assistant. On sale from today.",
            "Learn more",
        ),
        "event": (
            "Invitation",
            "Customer Day 2026",
            "When: 18 April, 14:00<br>Where: Shenzhen Convention Centre, Hall 5",
            "Register",
        ),
        "receipt": (
            "Order confirmed",
            "Thank you for your order",
            f"Order number: {merge_tag('var2')}<br>Amount: ¥ 299.00<br>Paid with: WeChat Pay",
            "View your order",
        ),
        "letter": ("", "", "", ""),
        "letter_body": (
            "Thank you for your support. From next month our service hours change to "
            "9:00–21:00 every day.<br><br>If you have any question, simply reply to this mail."
            "<br><br>Kind regards,<br>Customer Service"
        ),
        "col_left": "<strong>Member centre</strong><br>See your points and benefits.",
        "col_right": "<strong>Service line</strong><br>400-000-0000, daily 9:00–21:00.",
    },
}

KINDS = [
    ("newsletter", _("Newsletter"), "#2563eb"),
    ("promotion", _("Promotion"), "#dc2626"),
    ("launch", _("Product launch"), "#7c3aed"),
    ("event", _("Event invitation"), "#059669"),
    ("receipt", _("Receipt"), "#374151"),
    ("letter", _("Plain letter"), "#ffffff"),
]


def _design(kind: str, colour: str, language: str) -> Design:
    w = WORDS[language]
    if kind == "letter":
        inner = f'<div class="pad"><p>{w["hello"]}</p><p>{w["letter_body"]}</p></div>' + _footer(w)
        subject = "服务时间调整通知" if language == "zh" else "Our service hours are changing"
        return Design(f"{kind}-{language}", kind, language, subject, _page(inner), subject=subject)
    label, headline, body, action = w[kind]
    inner = _header(colour, label) + _image(headline, colour)
    inner += f'<div class="pad"><h1 style="font-size:22px;margin:0 0 8px">{headline}</h1>'
    inner += f"<p>{w['hello']}</p><p>{body}</p></div>"
    inner += _button(colour, action)
    if kind in ("newsletter", "launch", "event"):
        inner += _columns(w["col_left"], w["col_right"])
    inner += '<hr style="border:none;border-top:1px solid #e5e7eb;margin:8px 24px">'
    inner += _footer(w)
    return Design(
        f"{kind}-{language}",
        kind,
        language,
        headline,
        _page(inner),
        subject=headline,
        preheader=body.split("<br>")[0][:120],
    )


def designs() -> list[Design]:
    return [
        _design(kind, colour, language)
        for kind, _label, colour in KINDS
        for language in ("zh", "en")
    ]


def design(slug: str) -> Design | None:
    return next((d for d in designs() if d.slug == slug), None)


def kind_labels() -> dict[str, str]:
    return {kind: str(label) for kind, label, _colour in KINDS}
