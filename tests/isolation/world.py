"""Two tenants (and an agent with two sub-accounts), each with one object of every kind a URL
of the portal can name, built with plain ORM calls (no platform needed: every lookup that
decides a 404 is local).

`OBJECTS` says which object fills which URL keyword; the walker (walker.py) fails for a URL
keyword it finds no entry for, so a new URL cannot slip past the isolation tests unnoticed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.accounts.models import Membership, PlatformAccount, SubAccount
from apps.accounts.scope import SESSION_KEY as SCOPE_KEY
from apps.accounts.tests.factories import platform_account
from apps.analytics.models import CampaignReport, HygieneRun
from apps.campaigns.models import Campaign
from apps.contacts.models import ImportJob, MailList
from apps.core.models import AuditEntry
from apps.domains.models import DomainNotification, Mailbox, SenderDomain
from apps.experiments.models import ABTest, ResendJob
from apps.mailtemplates.models import MailTemplate, SavedBlock, TemplateAttachment
from apps.smtp.models import OutboundMail

_ids = itertools.count(880_001)


@dataclass
class Tenant:
    account: PlatformAccount
    user: object
    marker: str  # a string only this tenant's data contains
    objects: dict = field(default_factory=dict)


def make_objects(account: PlatformAccount, marker: str, customer_id: str = "") -> dict:
    """One of everything, named with `marker`. Sub-account scoped kinds get `customer_id`."""
    n = next(_ids)
    maillist = MailList.objects.create(
        account=account, platform_id=n, subject=f"{marker} list", status="enabled", count=3
    )
    job = ImportJob.objects.create(
        account=account,
        list_platform_id=n,
        list_subject=f"{marker} list",
        original_name=f"{marker}.csv",
        state=ImportJob.State.DONE,
    )
    template = MailTemplate.objects.create(
        account=account, platform_id=n, name=f"{marker} template", html=f"<p>{marker}</p>"
    )
    attachment = TemplateAttachment.objects.create(
        template=template, platform_id=n, name=f"{marker}.pdf", size_bytes=10
    )
    block = SavedBlock.objects.create(
        account=account, kind=SavedBlock.Kind.FOOTER, name=f"{marker} block", html="<p>x</p>"
    )
    campaign = Campaign.objects.create(
        account=account,
        name=f"{marker} campaign",
        template_ids=[n],
        template_names=[f"{marker} template"],
        list_id=n,
        list_name=f"{marker} list",
        platform_id=n,
        local_state=Campaign.LocalState.ACTIVE,
        status=1,
        send_time=timezone.now() + timezone.timedelta(days=1),
    )
    ab = ABTest.objects.create(account=account, name=f"{marker} ab", list_id=n)
    resend = ResendJob.objects.create(
        account=account, source=campaign, list_name=f"{marker} resend"
    )
    report = CampaignReport.objects.create(account=account, campaign=campaign)
    run = HygieneRun.objects.create(account=account, report=report, list_name=f"{marker} list")
    domain = SenderDomain.objects.create(
        account=account,
        customer_id=customer_id,
        domain=f"{marker.lower()}-{n}.cn",
        verified=False,
        check_status=2,
    )
    mailbox = Mailbox.objects.create(
        account=account,
        customer_id=customer_id,
        domain=domain,
        name="box",
        address=f"box@{domain.domain}",
    )
    notification = DomainNotification.objects.create(
        account=account,
        customer_id=customer_id,
        domain=domain,
        domain_name=domain.domain,
        kind=DomainNotification.Kind.VERIFIED,
    )
    mail = OutboundMail.objects.create(
        account=account,
        kind=OutboundMail.Kind.TEST,
        sender=f"box@{domain.domain}",
        recipients=[f"{marker.lower()}@example.com"],
        subject=f"{marker} mail",
        body=marker,
        status=OutboundMail.Status.SENT,
    )
    # An account's own SubAccount row (not one per scope: the switcher lists them all).
    subaccount = (
        SubAccount.objects.create(
            account=account, customer_id=str(9000 + n), label=f"sub-account {n}"
        )
        if not customer_id
        else None
    )
    AuditEntry.objects.create(
        account=account,
        customer_id=customer_id,
        action="contacts.list.create",
        target=f"{marker} audit",
        outcome=AuditEntry.Outcome.OK,
    )
    return {
        "list": maillist,
        "import": job,
        "template": template,
        "attachment": attachment,
        "block": block,
        "campaign": campaign,
        "ab": ab,
        "resend": resend,
        "report": report,
        "hygiene": run,
        "domain": domain,
        "mailbox": mailbox,
        "notification": notification,
        "mail": mail,
        "subaccount": subaccount,
    }


# Which object a URL keyword names: by URL name first, then by namespace. Values are (object
# key, how to read the id from it). Kinds scoped to a sub-account (customer_id) are in SCOPED.
OBJECTS: dict[str, dict[str, tuple[str, str]]] = {
    "accounts:subaccount-credentials": {"pk": ("subaccount", "pk")},
    "contacts": {"list_id": ("list", "platform_id"), "job_id": ("import", "pk")},
    "mailtemplates": {"pk": ("template", "pk"), "attachment_pk": ("attachment", "pk")},
    "mailtemplates:block": {"pk": ("block", "pk")},
    "mailtemplates:block-apply": {"pk": ("block", "pk")},
    "campaigns": {"pk": ("campaign", "pk")},
    "experiments": {"pk": ("campaign", "pk")},
    "experiments:ab": {"pk": ("ab", "pk")},
    "experiments:resend-job": {"pk": ("resend", "pk")},
    "analytics": {"pk": ("campaign", "pk"), "run_pk": ("hygiene", "pk")},
    "domains": {"pk": ("domain", "pk")},
    "domains:mailbox-password": {"pk": ("mailbox", "pk")},
    "domains:mailbox-delete": {"pk": ("mailbox", "pk")},
    "domains:notification-dismiss": {"pk": ("notification", "pk")},
    "smtp": {"pk": ("mail", "pk")},
}
SCOPED = {"domain", "mailbox", "notification"}

# Keywords that are not ids: one valid value each (by URL name first, then namespace).
VALUES: dict[str, dict[str, object]] = {
    "contacts": {"kind": "addresses", "fmt": "csv"},
    "mailtemplates:gallery-frame": {"slug": "newsletter-zh"},
    # Addresses live on the platform only; the list in the same URL decides first.
    "contacts:address-edit": {"address_id": 1},
    "contacts:address-delete": {"address_id": 1},
    "campaigns": {"step": "audience", "action": "pause", "year": 2026, "month": 11},
    "analytics": {"kind": "opens", "fmt": "csv"},
}


def lookup(table: dict, name: str, kwarg: str):
    namespace = name.split(":")[0]
    for key in (name, namespace):
        if kwarg in table.get(key, {}):
            return table[key][kwarg]
    raise KeyError(kwarg)


def kwargs_for(name: str, kwargs: list[str], objects: dict) -> dict:
    """Values for a URL's keywords, ids taken from `objects` (raises KeyError for a keyword
    neither OBJECTS nor VALUES knows)."""
    out = {}
    for kwarg in kwargs:
        try:
            key, attr = lookup(OBJECTS, name, kwarg)
        except KeyError:
            out[kwarg] = lookup(VALUES, name, kwarg)
        else:
            out[kwarg] = getattr(objects[key], attr)
    return out


def tenant(username: str, marker: str, *, role=Membership.Role.OWNER, **account_fields) -> Tenant:
    account = platform_account(username=username, **account_fields)
    user = get_user_model().objects.create(username=f"{username}-user")
    user.set_unusable_password()
    user.save()
    Membership.objects.create(user=user, account=account, role=role)
    return Tenant(account=account, user=user, marker=marker, objects=make_objects(account, marker))


def member_of(account: PlatformAccount, role: str):
    user = get_user_model().objects.create(username=f"{account.username}-{role}")
    user.set_unusable_password()
    user.save()
    Membership.objects.create(user=user, account=account, role=role)
    return user


def choose_scope(client, account: PlatformAccount, customer_id: str) -> None:
    session = client.session
    session[SCOPE_KEY] = {"account": account.pk, "customer_id": customer_id}
    session.save()


def agent_with_sub_accounts() -> tuple[Tenant, dict[str, dict]]:
    """An agent account with confirmed sub-accounts 1002 and 1003, and scoped objects of each
    scope ("" is the agent's own)."""
    agent = tenant("agent-iso", "AGENT-OWN", user_type=PlatformAccount.UserType.AGENT)
    for customer_id in ("1002", "1003"):
        SubAccount.objects.create(
            account=agent.account,
            customer_id=customer_id,
            label=f"shop-{customer_id}",
            confirmed_at=timezone.now(),
        )
    scoped = {
        cid: make_objects(agent.account, f"SCOPE-{cid or 'OWN'}", customer_id=cid)
        for cid in ("", "1002", "1003")
    }
    return agent, scoped
