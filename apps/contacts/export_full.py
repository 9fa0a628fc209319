"""A list's every field, exported through §4.8 pages as the download streams.

§4.8 gives the address, name, birthday, phone, area, when it was added and var1–var10 (no sex,
no subscription state); the portal adds what it knows itself: the names the marketer gave the
var fields (as column headers) and whether the address is on its suppression list. The header
row says which column comes from where. The first page is fetched before the download starts,
so an unreachable platform is a message on the page, never a broken file."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from apps.accounts.clients import client_for_account
from apps.umail.contacts import VAR_FIELDS

from .models import MailList, Suppression

PAGE_SIZE = 500
PLATFORM_FIELDS = ("address", "fullname", "birthday", "phone", "area", "time", *VAR_FIELDS)


def full_export_header(maillist: MailList) -> list[str]:
    platform = _("%(column)s (platform)")
    portal = _("%(column)s (portal)")
    names = [
        _("E-mail address"),
        pgettext("person", "Name"),
        _("Birthday"),
        _("Phone"),
        _("Area"),
        _("Added at"),
    ]
    labels = maillist.var_labels or {}
    names += [labels.get(var) or var for var in VAR_FIELDS]
    return [platform % {"column": n} for n in names] + [
        portal % {"column": _("Suppressed")},
        portal % {"column": _("Suppression reason")},
    ]


def _suppressions(account, emails: list[str]) -> dict[str, str]:
    reasons = dict(Suppression.Reason.choices)
    found: dict[str, list[str]] = {}
    for email, reason in Suppression.objects.filter(
        account=account, email__in=[e.lower() for e in emails]
    ).values_list("email", "reason"):
        found.setdefault(email, []).append(str(reasons.get(reason, reason)))
    return {email: ", ".join(sorted(r)) for email, r in found.items()}


def export_full(*, account, maillist: MailList):
    """(client, rows): the caller streams rows and closes the client when the download ends."""
    client = client_for_account(account)
    try:
        first = client.contacts.addr_list(list_id=maillist.platform_id, page=1, limit=PAGE_SIZE)
    except BaseException:
        client.close()
        raise
    yes, no = _("Yes"), _("No")

    def rows() -> Iterator[list[str]]:
        page, result = 1, first
        while True:
            suppressed = _suppressions(account, [a.address for a in result.addresses])
            for a in result.addresses:
                reason = suppressed.get(a.address.lower(), "")
                yield [getattr(a, name) for name in PLATFORM_FIELDS] + [
                    yes if reason else no,
                    reason,
                ]
            if not result.addresses or page * PAGE_SIZE >= result.total:
                return
            page += 1
            result = client.contacts.addr_list(
                list_id=maillist.platform_id, page=page, limit=PAGE_SIZE
            )

    return client, rows()
