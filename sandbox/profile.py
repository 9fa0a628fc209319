"""Profiles and quirks: how strictly the sandbox reads the manual, and how its replies look.

* **strict** (the default): refuses what the manual forbids — §2.3.2 types 1/2/3 without
  ``task_id``/``task_ident``, ``user_type=manager`` from anyone but the administrator, §7.4/§7.5
  from non-administrators, §6.3 ``send_status`` values other than 1, -1 and 2, and parameters sent
  by a method the manual does not document for them (:func:`misplaced_parameter`).
* **permissive** (``--profile permissive``): the older latitude — GET and POST merged everywhere,
  agents may act as ``manager`` for their own sub-accounts, §6.3 also takes -2/-3, §2.3.2 answers
  types 1/2/3 for a whole day.

**Quirks** (``--quirks``) are independent of the profile: replies are served the way the manual
prints them and a PHP server sends them (:func:`apply_quirks`).
"""

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict

PROFILES = ("strict", "permissive")
ANY = "*"

# Where the manual puts each operation's parameters. For every (script, do): the parameters
# that may come in the POST body ("either" way, or ANY) and those that may come *only* there.
# Everything else is a GET parameter ("GET 参数"). Line numbers: /work/shared/umail-api-v19.txt.
_POST_EITHER: dict[tuple[str, str | None], frozenset[str] | str] = {
    # §4.9.1 L1429 "除 username，password，do 三个参数外，其他的参数还可以通过 post 发送";
    # §4.9.2 (same do) posts ml_addr.
    ("mloperate.php", "ml-addr-add"): ANY,
    ("mloperate.php", "ml-addr-add-file"): frozenset({"list_id"}),  # L1500
    ("mloperate.php", "ml-addr-edit"): ANY,  # §4.10 L1833
    ("mloperate.php", "ml-sub"): frozenset({"maillist"}),  # §4.13 L1902
    ("mloperate.php", "ml-unsub"): frozenset({"address"}),  # §4.14 L1958
    ("task.php", "add-task"): ANY,  # §5.1 L2112, §6.2 L2970
    ("task.php", "edit-task"): ANY,  # §6.3 L3053
    # §5.6 L2601-2620 "四个参数均可以通过 post 或者 get 方式上传"; text_content/encoding are
    # listed with them.
    ("template.php", "edit-tpl"): frozenset(
        {"tpl_id", "name", "subject", "content", "text_content", "encoding"}
    ),
    ("template.php", "tpl-attachment-add"): frozenset({"tpl_id"}),  # §5.7 L2646
    ("template.php", "tpl-attachment-del"): frozenset({"tpl_id"}),  # §5.8 L2755
}
_POST_ONLY: dict[tuple[str, str | None], frozenset[str]] = {
    ("mloperate.php", "maillist-add"): frozenset({"subject", "status", "description"}),  # L1075
    ("mloperate.php", "maillist-edit"): frozenset({"subject", "status", "description"}),  # L1138
    ("mloperate.php", "ml-addr-add"): frozenset({"ml_addr"}),  # §4.9.2 L1454
    ("template.php", "add-tpl"): frozenset(  # §5.2 L2195
        {"name", "subject", "content", "text_content", "encoding"}
    ),
    ("bs.php", "domain-check"): frozenset({"domains"}),  # §7.3 L3208
}
# Misspelt aliases the sandbox reads too (the description's ``descrīption``).
_ALIASES = {"descrīption": "description"}


def misplaced_parameter(
    script: str, do: str | None, query: MultiDict, form: MultiDict, reserved: frozenset[str]
) -> str | None:
    """The platform's refusal text for the first parameter sent the way the manual does not
    document it, or None."""
    key = (script, do)
    either = _POST_EITHER.get(key, frozenset())
    post_only = _POST_ONLY.get(key, frozenset())
    for name in form:
        if name in reserved:
            continue
        canonical = _ALIASES.get(name, name)
        if either == ANY or canonical in either or canonical in post_only:
            continue
        return f"参数 {name} 须通过 GET 方式传递"
    for name in query:
        if _ALIASES.get(name, name) in post_only:
            return f"参数 {name} 须通过 POST 方式传递"
    return None


# -- quirks ------------------------------------------------------------------------------------

_PADDED_DATETIME = re.compile(
    rb"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?:([ T])(\d{2}):(\d{2})(:\d{2})?)?(?![\d-])"
)


def _unpad(match: re.Match[bytes]) -> bytes:
    year, month, day, sep, hour, minute, seconds = match.groups()
    if month == b"00" or day == b"00":  # §4.8's "0000-00-00" for "none" stays as printed
        return match.group(0)
    out = b"%s-%d-%d" % (year, int(month), int(day))
    if sep is not None:
        out += b" %d:%s%s" % (int(hour), minute, seconds or b"")
    return out


# The manual's malformed closings (L699, L1049, L824/L877): applied to the reply of the
# operation whose sample shows them.
_MALFORMED: dict[tuple[str, str | None], list[tuple[re.Pattern[bytes], bytes]]] = {
    ("track.php", "overview"): [(re.compile(rb"(<send_id>[^<]*)</send_id>"), rb"\1</task_sn>")],
    ("mloperate.php", "maillist-detail"): [(re.compile(rb"</maillist>(\s*)$"), rb"</aillist>\1")],
    ("track.php", "open-detail"): [(re.compile(rb"</data>(\s*)$"), rb"<data>\1")],
    ("track.php", "click-detail"): [(re.compile(rb"</data>(\s*)$"), rb"<data>\1")],
}
_XML_TYPES = ("text/xml", "application/xml")


def apply_quirks(script: str, do: str | None, body: bytes, content_type: str) -> tuple[bytes, str]:
    """A reply as the manual prints it and PHP serves it: ``text/html``, a leading newline,
    unpadded dates (``2019-8-5``, ``2017-1-5 9:03:00``), ``descrīption`` and, for the operations
    whose samples show them, the manual's malformed closing tags. Non-XML replies only change
    their Content-Type."""
    if not content_type.startswith(_XML_TYPES):
        if content_type.startswith("text/plain"):
            return body, "text/html; charset=utf-8"
        return body, content_type
    body = b"\n" + _PADDED_DATETIME.sub(_unpad, body)
    body = body.replace(b"<description>", "<descrīption>".encode()).replace(
        b"</description>", "</descrīption>".encode()
    )
    for pattern, replacement in _MALFORMED.get((script, do), ()):
        body = pattern.sub(replacement, body, count=1)
    return body, "text/html; charset=utf-8"
