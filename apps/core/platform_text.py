"""The platform's own sentences (Chinese, free text in its replies) in the reader's language.

The manual prints some `info` / `result` texts; the portal knows those and their numbers, and
shows them translated with the original kept in a tooltip. A text it does not know is shown as
it came, labelled as the platform's words (`platform_text` filter in `portal`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

_N = r"\s*(\d+)\s*"

#: (pattern of the platform's text, msgid with %(a)s… for the numbers in order)
KNOWN = [
    (
        re.compile(rf"^成功添加{_N}个地址[，,]\s*无效地址{_N}个[，,]\s*重复地址{_N}个[。.]?$"),
        gettext_noop("%(a)s addresses added, %(b)s not valid, %(c)s duplicates."),
    ),
    (
        re.compile(rf"^订阅成功{_N}个[，,]\s*已存在{_N}个[，,]\s*无效地址{_N}个[。.]?$"),
        gettext_noop("%(a)s subscribed, %(b)s already on the list, %(c)s not valid."),
    ),
    (re.compile(r"^添加成功并验证通过[。.]?$"), gettext_noop("Added and verified.")),
    (re.compile(r"^添加成功但验证不通过[。.]?$"), gettext_noop("Added, but not verified.")),
    (re.compile(r"^添加成功[。.]?$"), gettext_noop("Added.")),
    (re.compile(r"^删除成功[。.]?$"), gettext_noop("Deleted.")),
    (re.compile(r"^修改成功[。.]?$"), gettext_noop("Changed.")),
    (re.compile(r"^操作成功[。.]?$"), gettext_noop("Done.")),
    (re.compile(r"^退订成功[。.]?$"), gettext_noop("Unsubscribed.")),
    (re.compile(rf"^退订成功{_N}个.*$"), gettext_noop("%(a)s unsubscribed.")),
]


@dataclass(frozen=True)
class PlatformText:
    original: str
    translated: str | None  # None: the portal does not know this sentence


def translate_platform_text(text) -> PlatformText:
    original = "" if text is None else str(text).strip()
    for pattern, msgid in KNOWN:
        match = pattern.match(original)
        if match:
            params = dict(zip("abcdef", match.groups(), strict=False))
            return PlatformText(original, _(msgid) % params if params else _(msgid))
    return PlatformText(original, None)


def platform_text_html(text) -> str:
    """Known: the translation, the original in a tooltip. Unknown: the original, labelled."""
    found = translate_platform_text(text)
    if not found.original:
        return ""
    if found.translated is not None:
        return format_html(
            '<span class="platform-text" title="{}" data-original="{}">{}</span>',
            _("The platform's words: %(text)s") % {"text": found.original},
            found.original,
            found.translated,
        )
    return format_html(
        '<span class="platform-text platform-text-unknown">{} <q lang="zh-Hans">{}</q></span>',
        _("The platform's words:"),
        found.original,
    )
