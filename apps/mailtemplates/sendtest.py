"""Test sends: a template, filled with one contact's merge values, to up to five addresses
through the account's SMTP settings (§10).

Sending goes through :func:`apps.smtp.services.smtp_send_test` (and so the smtp app's client,
backend and host allow-list); this module only prepares the message. Merge tags are filled the
way the portal expects the platform to fill them (apps.mailtemplates.content). Attachments: only
files the portal holds (uploaded through it); §5.4 gives no way to download the others, which are
listed as not included.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from apps.accounts.clients import client_for_account
from apps.smtp.errors import SmtpError
from apps.smtp.models import OutboundMail
from apps.smtp.services import Attachment, smtp_send_test

from .content import SAMPLE_CONTACT, VAR_FIELDS, fill_merge_tags
from .models import MailTemplate, TemplateAttachment

logger = logging.getLogger(__name__)

MAX_TEST_ADDRESSES = 5


class ContactNotFound(Exception):
    """No contact with that address (in that list) on the platform."""


@dataclass(frozen=True)
class AddressOutcome:
    address: str
    ok: bool
    message: str


@dataclass
class TestSendResult:
    outcomes: list[AddressOutcome]
    included: list[str] = field(default_factory=list)
    not_included: list[str] = field(default_factory=list)
    mail: OutboundMail | None = None
    error: str = ""
    source: str = ""  # "contact" (read from the platform) or "sample"
    values: dict[str, str] = field(default_factory=dict)

    @property
    def all_ok(self) -> bool:
        return bool(self.outcomes) and all(o.ok for o in self.outcomes)


def contact_values(*, account, email: str, list_id: int | None = None) -> dict[str, str]:
    """The merge values of one contact, read from the platform (§4.8, keyword = address)."""
    with client_for_account(account) as client:
        page = client.contacts.addr_list(list_id=list_id, keyword=email, limit=50)
    wanted = email.strip().lower()
    for address in page.addresses:
        if address.address.strip().lower() == wanted:
            values = {
                "email": address.address,
                "fullname": address.fullname,
                "sex": address.sex,
                "birthday": address.birthday,
                "phone": address.phone,
                "area": address.area,
            }
            values.update({name: getattr(address, name) for name in VAR_FIELDS})
            return values
    raise ContactNotFound(email)


def sample_values(overrides: dict[str, str] | None = None) -> dict[str, str]:
    return {**SAMPLE_CONTACT, **{k: v for k, v in (overrides or {}).items() if v}}


def held_attachments(template: MailTemplate) -> tuple[list[TemplateAttachment], list[str]]:
    """(attachments whose file the portal holds, names of the others)."""
    held, missing = [], []
    for row in template.attachments.all():
        if row.content is not None:
            held.append(row)
        else:
            missing.append(row.name)
    return held, missing


def attachments_keep_files(template: MailTemplate, files) -> None:
    """Keep the bytes of files just uploaded through the portal on their attachment rows (matched
    by name, oldest row without a file first), so that test sends can include them."""
    pending: dict[str, list] = {}
    for f in files:
        pending.setdefault(f.name, []).append(f)
    if not pending:
        return
    for row in template.attachments.filter(content__isnull=True, name__in=list(pending)):
        queue = pending.get(row.name)
        if not queue:
            continue
        f = queue.pop(0)
        row.content = f.data
        row.content_type = f.content_type
        row.size_bytes = row.size_bytes or len(f.data)
        row.save(update_fields=["content", "content_type", "size_bytes"])


def template_test_send(
    *, account, user, template: MailTemplate, to: list[str], values: dict[str, str]
) -> TestSendResult:
    """Send the saved template to `to` (1–5 addresses) with `values` filled in; never raises for
    an SMTP failure: each address's outcome is in the result."""
    if not 1 <= len(to) <= MAX_TEST_ADDRESSES:
        raise ValueError(f"between 1 and {MAX_TEST_ADDRESSES} addresses")
    subjects = [s for s in template.subjects if s.strip()] or [template.name]
    subject = fill_merge_tags(subjects[0], values, escape=False)
    html = fill_merge_tags(template.html, values, escape=True)
    text = fill_merge_tags(template.text, values, escape=False) if template.text else None
    held, missing = held_attachments(template)
    files = [
        Attachment(
            name=row.name,
            content=bytes(row.content),
            content_type=row.content_type or "application/octet-stream",
        )
        for row in held
    ]
    result = TestSendResult(
        outcomes=[], included=[row.name for row in held], not_included=missing, values=values
    )
    try:
        mail = smtp_send_test(
            account=account,
            user=user,
            to=to,
            subject=subject,
            body=html,
            is_html=True,
            attachments=files,
            text=text,
            audit_action="templates.test_send",
        )
    except SmtpError as exc:  # not configured (or refused before any conversation)
        result.error = str(exc)
        result.outcomes = [AddressOutcome(a, False, str(exc)) for a in to]
        return result
    result.mail = mail
    by_address = {r["address"].lower(): r for r in mail.results or []}
    for address in to:
        row = by_address.get(address.lower())
        if row is not None:
            ok = bool(row.get("accepted")) and mail.status in (
                OutboundMail.Status.SENT,
                OutboundMail.Status.PARTIAL,
            )
            reply = f"{row.get('code')} {row.get('reply', '')}".strip()
            message = (
                _("Accepted by the SMTP server: %(reply)s") % {"reply": reply}
                if ok
                else _("Refused: %(reply)s") % {"reply": mail.error or reply}
            )
            result.outcomes.append(AddressOutcome(address, ok, message))
        else:
            result.outcomes.append(AddressOutcome(address, False, mail.error or _("Not sent.")))
    if mail.error and not result.error and not any(o.ok for o in result.outcomes):
        result.error = mail.error
    return result


def lookup_values(
    *, account, email: str, list_id: int | None, overrides: dict[str, str] | None = None
) -> tuple[dict[str, str], str]:
    """(merge values, where they came from) for a test send: the platform's contact when an
    address is given, else the sample contact with the marketer's own values."""
    if email:
        return contact_values(account=account, email=email, list_id=list_id), "contact"
    return sample_values(overrides), "sample"
