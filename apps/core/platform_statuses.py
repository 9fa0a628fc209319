"""The platform's status codes in plain sentences, in the reader's language.

The platform answers a refused write with `<result><status>add_maillist_error</status>
<data>…</data></result>`: a code and, sometimes, a Chinese description. Marketers should read a
sentence, not `add_maillist_error`; `apps.core.messages.platform_error_message()` uses these
tables. Every status the documentation (V19) names is here; a few the documentation leaves open
(the sandbox's choices for §4 addresses and §7) are marked as such. An unknown status still gets a
sentence that names it.

The platform's descriptions are Chinese. Chinese readers see them as they are; English readers
get a translation of the ones known here and the original, quoted, otherwise.
"""

from __future__ import annotations

import contextlib
import re

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

#: Result statuses of refused writes (`<status>` of `<result>`), by section of the documentation.
ERROR_STATUSES = {
    # §4.3 add a contact list
    "add_maillist_error": _("The platform could not create the contact list."),
    "add_describe_error": _("The platform could not save the contact list's description."),
    # §4.4 edit a contact list
    "update_maillist_error": _("The platform could not change the contact list."),
    "update_describe_error": _("The platform could not change the contact list's description."),
    # §4.5 delete a contact list
    "delete_address_error": _("The platform could not delete the addresses of the contact list."),
    "delete_describe_error": _("The platform could not delete the contact list's description."),
    "delete_maillist_error": _("The platform could not delete the contact list."),
    # §4.9.4 result of a file import
    "not_exist": _("The platform does not know this import (no such id)."),
    "no_complete": _("The platform is still importing the file."),
    # Any operation: the documentation's catch-all ("参数错误", wrong parameters).
    "error": _("The platform refused the request."),
    # Not in the documentation; statuses seen for §4 addresses and §7 domains and mailboxes.
    "address_error": _("The platform did not accept this e-mail address."),
    "address_exists": _("This address is already in the contact list."),
    "add_domain_error": _("The platform could not add the domain."),
    "del_domain_error": _("The platform could not delete the domain."),
    "add_mailbox_error": _("The platform could not create the mailbox."),
    "edit_mailbox_error": _("The platform could not change the mailbox."),
    "del_mailbox_error": _("The platform could not delete the mailbox."),
    # Rate limit (§5.1 / §6.2: at most 100 new campaigns an hour).
    "over_limit": _("The platform's limit of calls per hour was reached."),
}

#: Statuses that mean success (§7.2 adds "and the DNS check passed").
SUCCESS_STATUSES = {
    "success": _("Done."),
    "success_and_check_ok": _("Added, and its DNS records are already correct."),
}

#: §2.3 why an address was not delivered (the `type` of failed-address exports), by name and code.
FAILURE_TYPES = {
    "format_error": _("Malformed address"),
    "invalid_addr": _("Invalid address"),
    "not_exist": _("Mailbox does not exist"),
    "over_quota": _("Mailbox full"),
    "user_reject": _("Rejected by the recipient"),
    "spam": _("Refused as spam by the platform"),
    "all": _("All failed, invalid and rejected addresses"),
}
FAILURE_TYPE_CODES = {
    9: "format_error",
    8: "invalid_addr",
    1: "not_exist",
    2: "over_quota",
    3: "user_reject",
    5: "spam",
    -1: "all",
}

#: §2.1 / §6.1 send status of a campaign; the documented range is -5..4.
SEND_STATUSES = {
    -3: pgettext_lazy("send status", "Cancelled"),
    -2: pgettext_lazy("send status", "Paused"),
    -1: pgettext_lazy("send status", "On hold"),
    1: pgettext_lazy("send status", "Waiting"),
    2: pgettext_lazy("send status", "Sending"),
    3: pgettext_lazy("send status", "Finished"),
}

#: §4.15 result of a file import in the import log.
IMPORT_LOG_STATUSES = {
    1: _("Imported"),
    -1: _("Failed: the file could not be read"),
    -2: _("Failed: the file is empty"),
    -3: _("Failed: the list no longer exists"),
}

#: §7.3 domain check.
DOMAIN_CHECK_STATUSES = {
    3: _("Added and verified"),
    2: _("Added, not verified yet"),
    1: _("Not added; its DNS records are correct"),
    0: _("Not added; its DNS records are not correct"),
}

# Descriptions (`<data>`) the platform sends with a refusal, for English readers: (pattern, the
# sentence, the sentence naming what follows a colon, as in "域名不存在：example.com").
_X = r"(?:[:：]\s*(?P<x>.+))?"
_DETAILS = [
    (r"添加联系人分类时发生错误", _("An error occurred while adding the contact list."), None),
    (rf"联系人分类不存在{_X}", _("The contact list does not exist."), None),
    (rf"模板不存在{_X}", _("The template does not exist."), None),
    (rf"地址不存在{_X}", _("The address does not exist."), None),
    (
        rf"域名不存在{_X}",
        _("The domain does not exist."),
        _("The domain %(x)s does not exist."),
    ),
    (
        rf"域名已存在{_X}",
        _("The domain already exists."),
        _("The domain %(x)s already exists."),
    ),
    (
        rf"域名格式不正确{_X}",
        _("This is not a valid domain name."),
        _("%(x)s is not a valid domain name."),
    ),
    (
        rf"账号不存在{_X}",
        _("The mailbox does not exist."),
        _("The mailbox %(x)s does not exist."),
    ),
    (
        rf"账号格式不正确{_X}",
        _("This is not a valid mailbox name."),
        _("%(x)s is not a valid mailbox name."),
    ),
    (
        rf"系统域名下的账号由平台管理{_X}",
        _("Mailboxes of a system domain are managed by the platform."),
        _("Mailboxes of the system domain %(x)s are managed by the platform."),
    ),
    (
        r"密码必须为.*",
        _("The password must be 8 to 32 letters, digits or symbols, without spaces."),
        None,
    ),
    (r"参数错误", _("A parameter was missing or wrong."), None),
    (r"正在解析", _("The file is still being imported."), None),
    (r"解析完成", _("The file has been imported."), None),
    (r"操作过于频繁.*", _("Too many requests: at most 100 an hour."), None),
]
_DETAIL_PATTERNS = [
    (re.compile(rf"^\s*{pattern}\s*$", re.DOTALL), plain, named)
    for pattern, plain, named in _DETAILS
]


def status_sentence(status: str) -> str | None:
    """The sentence for a result status, or None for a status the portal does not know."""
    sentence = ERROR_STATUSES.get(status) or SUCCESS_STATUSES.get(status)
    return str(sentence) if sentence is not None else None


def detail_sentence(detail: str) -> str | None:
    """A known platform description in the reader's language (None when unknown)."""
    for pattern, plain, named in _DETAIL_PATTERNS:
        match = pattern.match(detail or "")
        if match:
            subject = (match.groupdict().get("x") or "").strip()
            if subject and named is not None:
                return str(named) % {"x": subject}
            return str(plain)
    return None


def failure_type_label(value) -> str:
    """§2.3 failure type (name or code) in words; unknown ones are shown as they are."""
    key = value
    with contextlib.suppress(TypeError, ValueError):
        key = FAILURE_TYPE_CODES.get(int(value), value)
    label = FAILURE_TYPES.get(str(key))
    return str(label) if label is not None else str(value)


def send_status_label(code) -> str:
    try:
        label = SEND_STATUSES.get(int(code))
    except (TypeError, ValueError):
        label = None
    if label is None:
        return str(_("Status %(code)s") % {"code": code})
    return str(label)
