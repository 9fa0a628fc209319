"""The platform's statuses and errors in plain sentences, in English and in Chinese."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from apps.core.messages import platform_error_message, stored_error_message
from apps.core.platform_statuses import (
    DOMAIN_CHECK_STATUSES,
    ERROR_STATUSES,
    FAILURE_TYPES,
    IMPORT_LOG_STATUSES,
    SEND_STATUSES,
    SUCCESS_STATUSES,
    detail_sentence,
    failure_type_label,
    send_status_label,
)
from apps.core.templatetags.portal import platform_error
from apps.umail.errors import (
    AuthenticationFailed,
    MalformedReply,
    PlatformRejected,
    PlatformTimeout,
    PlatformUnavailable,
    RateLimited,
)

# Pure logic: part of `make check`.
pytestmark = pytest.mark.unit

CJK = re.compile(r"[\u4e00-\u9fff]")
# Every result status the documentation (V19) names for a refused write.
DOCUMENTED = [
    "add_maillist_error",
    "add_describe_error",
    "update_maillist_error",
    "update_describe_error",
    "delete_address_error",
    "delete_describe_error",
    "delete_maillist_error",
    "not_exist",
    "no_complete",
    "error",
]


@pytest.mark.parametrize("status", DOCUMENTED)
def test_every_documented_status_is_a_sentence_in_both_languages(status):
    assert status in ERROR_STATUSES
    with translation.override("en"):
        english = platform_error_message(PlatformRejected(status, ""))
    with translation.override("zh-hans"):
        chinese = platform_error_message(PlatformRejected(status, ""))
    assert status not in english and english.endswith(".")
    assert CJK.search(chinese) and status not in chinese


def test_every_table_entry_is_translated():
    tables = [
        ERROR_STATUSES,
        SUCCESS_STATUSES,
        FAILURE_TYPES,
        SEND_STATUSES,
        IMPORT_LOG_STATUSES,
        DOMAIN_CHECK_STATUSES,
    ]
    with translation.override("zh-hans"):
        for table in tables:
            for key, sentence in table.items():
                assert CJK.search(str(sentence)), (key, str(sentence))


def test_add_maillist_error_with_the_platforms_reason():
    exc = PlatformRejected("add_maillist_error", "联系人分类不存在")
    with translation.override("en"):
        english = platform_error_message(exc)
    with translation.override("zh-hans"):
        chinese = platform_error_message(exc)
    assert english == (
        "The platform could not create the contact list. Reason given by the platform: "
        "The contact list does not exist. (“联系人分类不存在”)"
    )
    assert chinese == "平台无法创建该联系人分类。平台给出的原因：“联系人分类不存在”"


def test_an_unknown_status_is_named_and_its_reason_quoted():
    exc = PlatformRejected("strange_new_error", "出现了新情况")
    with translation.override("en"):
        assert platform_error_message(exc) == (
            "The platform refused the request (status “strange_new_error”). "
            "Reason given by the platform: “出现了新情况”"
        )
    with translation.override("zh-hans"):
        assert "strange_new_error" in platform_error_message(exc)
        assert "平台拒绝了该请求" in platform_error_message(exc)


@pytest.mark.parametrize(
    ("exc", "english", "chinese"),
    [
        (PlatformTimeout("x"), "did not answer in time", "没有及时响应"),
        (AuthenticationFailed("x"), "Sign out and sign in again", "重新登录"),
        (RateLimited("x"), "rate limit", "频率上限"),
        (MalformedReply("x"), "could not read", "无法读取"),
        (
            PlatformUnavailable("", status_code=502),
            "could not be reached just now (HTTP 502)",
            "HTTP 502",
        ),
        (
            PlatformUnavailable("The platform could not be reached (ConnectionError)."),
            "(ConnectionError)",
            "暂时无法连接",
        ),
        (PlatformUnavailable(""), "could not be reached just now. Please", "暂时无法连接"),
    ],
)
def test_failures_of_the_platform_in_both_languages(exc, english, chinese):
    with translation.override("en"):
        assert english in platform_error_message(exc)
    with translation.override("zh-hans"):
        message = platform_error_message(exc)
        assert chinese in message and CJK.search(message)
        # No English sentence of the transport leaks into the Chinese text.
        assert "platform" not in message


@pytest.mark.parametrize(
    ("detail", "english"),
    [
        ("联系人分类不存在：5", "The contact list does not exist."),
        ("域名已存在：shop.example.com", "The domain shop.example.com already exists."),
        ("域名不存在", "The domain does not exist."),
        ("密码必须为 8–32 位字母、数字或符号，不能包含空格", "The password must be 8 to 32"),
        ("模板不存在：67", "The template does not exist."),
    ],
)
def test_known_platform_descriptions_are_translated_for_english_readers(detail, english):
    with translation.override("en"):
        assert detail_sentence(detail).startswith(english)
    assert detail_sentence("平台升级中") is None


def test_errors_stored_by_workers_are_shown_in_the_readers_language():
    # What str(exc) and an English worker store, read by a Chinese marketer.
    with translation.override("en"):
        stored_sentence = platform_error_message(PlatformRejected("error", "模板不存在：67"))
    stored = [
        ("The platform did not answer in time.", "没有及时响应"),
        ("The platform could not be reached (ConnectTimeout).", "ConnectTimeout"),
        ("The platform answered HTTP 503.", "HTTP 503"),
        ("The platform rejected the username or password.", "重新登录"),
        ("add_maillist_error: 名称重复", "平台无法创建该联系人分类"),
        (stored_sentence, "“模板不存在：67”"),
        ("The file is empty.", "文件为空。"),
        ("accounts.service: The platform did not answer in time.", "accounts.service: U-Mail"),
    ]
    with translation.override("zh-hans"):
        for text, chinese in stored:
            shown = platform_error(text)
            assert chinese in shown, (text, shown)
        # Unknown text is shown as it was stored.
        assert stored_error_message("SMTP 550 mailbox unavailable") == (
            "SMTP 550 mailbox unavailable"
        )
        assert stored_error_message("") == ""


def test_send_statuses_and_failure_types_in_words():
    with translation.override("zh-hans"):
        assert send_status_label(2) == "发送中"
        assert send_status_label("-3") == "已取消"
        assert send_status_label(4) == "状态 4"  # undocumented codes still show
        assert failure_type_label(1) == "邮箱不存在"
        assert failure_type_label("user_reject") == "用户拒收"
        assert failure_type_label(5) == "被平台判定为垃圾邮件拒发"
        assert failure_type_label("odd") == "odd"
