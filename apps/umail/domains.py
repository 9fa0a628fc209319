"""§7 Sender domains and their mailboxes (``bs.php``).

§7.1 and §7.7–§7.10 act for a sub-account when given ``customer_id`` and ``user_type``; §7.4 and
§7.5 always name the sub-account. Callers pass both through `ScopeParams` (see
`apps.accounts.scope`), so this module never decides who acts for whom. Passwords of mailboxes
(`pwd`) travel in the POST body, never in the URL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import MalformedReply
from .resource import Resource
from .xml import child_text, expect_root, to_dataclass

# §7.3 status codes
CHECK_UNKNOWN_FAILS = 0
CHECK_UNKNOWN_PASSES = 1
CHECK_ADDED_NOT_VERIFIED = 2
CHECK_ADDED_VERIFIED = 3

MAILBOX_PAGE_LIMIT_DEFAULT = 30


@dataclass(frozen=True)
class DomainItem:
    """§7.1 one domain of the list; customer_id 0 marks a system domain."""

    customer_id: int | None = None
    domain: str = ""

    @property
    def is_system(self) -> bool:
        return self.customer_id == 0


@dataclass(frozen=True)
class DomainCheck:
    """§7.3 the verification state of one domain."""

    customer_id: int | None = None
    domain_id: int | None = None
    val: str = ""  # the domain
    status: int | None = None
    info: str = ""

    @property
    def known(self) -> bool:
        """The platform has this domain (domain_id > 0)."""
        return bool(self.domain_id and self.domain_id > 0)

    @property
    def verified(self) -> bool:
        """Its DNS records are right (3: added and verified; 1: not added but would verify)."""
        return self.status in (CHECK_ADDED_VERIFIED, CHECK_UNKNOWN_PASSES)


@dataclass(frozen=True)
class DomainAdded:
    """§7.2 / §7.4: the new domain's id and whether its DNS was already right."""

    domain_id: int | None
    verified: bool


@dataclass(frozen=True)
class MailboxItem:
    """§7.7 one mailbox (sender account) under a domain."""

    customer_id: int | None = None
    domain: str = ""
    name: str = ""  # the local part
    mailbox: str = ""  # the whole address


def _as_int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def _scope(customer_id: str | int | None, user_type: str | None) -> dict:
    """customer_id and user_type when acting for a sub-account; nothing for oneself."""
    if customer_id in (None, ""):
        return {}
    return {"customer_id": str(customer_id), "user_type": user_type or "manager"}


class DomainsAPI(Resource):
    script = "bs.php"

    # -- domains --------------------------------------------------------------------------------

    def domain_list(
        self, *, customer_id: str | int | None = None, user_type: str | None = None
    ) -> list[DomainItem]:
        """§7.1 the domains of the account (or of a sub-account), system domains included."""
        root = expect_root(
            self._call("domain-list", params=_scope(customer_id, user_type)), "domain_list"
        )
        return [to_dataclass(DomainItem, item) for item in root.findall("data")]

    def domain_add(self, domain: str) -> DomainAdded:
        """§7.2 add a domain to the signed-in account."""
        return self._added(self._write("customer-domain-add", params={"domain": domain}))

    def domain_check(self, domains: Iterable[str]) -> list[DomainCheck]:
        """§7.3 check the DNS of one or more domains (POST, comma-separated). A read: retried."""
        names = [d.strip() for d in domains if d and d.strip()]
        if not names:
            return []
        root = expect_root(
            self._call("domain-check", data={"domains": ",".join(names)}), "domain_list"
        )
        return [to_dataclass(DomainCheck, item) for item in root.findall("domain")]

    def domain_add_for(self, *, customer_id: str | int, domain: str) -> DomainAdded:
        """§7.4 add a domain to a sub-account (the administrator only, "管理员账号才可调用")."""
        return self._added(
            self._write(
                "domain-add",
                params={"customer_id": str(customer_id), "domain": domain},
            )
        )

    def domain_delete(self, domain: str) -> None:
        """§7.6 delete a domain of the signed-in account (the platform refuses verified ones)."""
        self._write("customer-domain-del", params={"domain": domain})

    def domain_delete_for(self, *, customer_id: str | int, domain: str) -> None:
        """§7.5 delete a domain of a sub-account."""
        self._write(
            "domain-del",
            params={"customer_id": str(customer_id), "domain": domain},
        )

    @staticmethod
    def _added(root) -> DomainAdded:
        expect_root(root, "result")
        status = (child_text(root, "status") or "").strip()
        if not status.startswith("success"):  # pragma: no cover - the transport raised already
            raise MalformedReply(f"Unexpected status {status!r} after adding a domain.")
        return DomainAdded(
            domain_id=_as_int(child_text(root, "data")),
            verified=status == "success_and_check_ok",
        )

    # -- mailboxes ------------------------------------------------------------------------------

    def mailbox_list(
        self,
        *,
        domain: str,
        customer_id: str | int | None = None,
        user_type: str | None = None,
        page: int | None = None,
        limit: int | None = None,
    ) -> list[MailboxItem]:
        """§7.7 the mailboxes under a domain: all of them, or one page (limit default 30)."""
        params = {"domain": domain, **_scope(customer_id, user_type)}
        if page is not None:
            params["page"] = str(page)
            params["limit"] = str(limit or MAILBOX_PAGE_LIMIT_DEFAULT)
        root = expect_root(self._call("mailbox-list", params=params), "mailbox_list")
        return [to_dataclass(MailboxItem, item) for item in root.findall("data")]

    def mailbox_list_all(
        self,
        *,
        domain: str,
        customer_id: str | int | None = None,
        user_type: str | None = None,
        page_size: int = 200,
        max_pages: int = 500,
    ) -> list[MailboxItem]:
        """Every mailbox of a domain, fetched page by page so no reply grows without bound."""
        out: list[MailboxItem] = []
        for page in range(1, max_pages + 1):
            rows = self.mailbox_list(
                domain=domain,
                customer_id=customer_id,
                user_type=user_type,
                page=page,
                limit=page_size,
            )
            out.extend(rows)
            if len(rows) < page_size:
                break
        return out

    def mailbox_add(
        self,
        *,
        mailbox: str,
        password: str,
        customer_id: str | int | None = None,
        user_type: str | None = None,
    ) -> None:
        """§7.8 add a mailbox (sender account, also an SMTP login) with its password.

        The manual documents `pwd` as a GET parameter, so it travels in the query string: the
        transport redacts it from every log and never chains the request's exception."""
        self._write(
            "mailbox-add",
            params={"mailbox": mailbox, "pwd": password, **_scope(customer_id, user_type)},
        )

    def mailbox_delete(
        self, *, mailbox: str, customer_id: str | int | None = None, user_type: str | None = None
    ) -> None:
        """§7.9 delete a mailbox."""
        self._write("mailbox-del", params={"mailbox": mailbox, **_scope(customer_id, user_type)})

    def mailbox_set_password(
        self,
        *,
        mailbox: str,
        password: str,
        customer_id: str | int | None = None,
        user_type: str | None = None,
    ) -> None:
        """§7.10 change a mailbox's password."""
        self._write(
            "mailbox-edit",
            params={"mailbox": mailbox, "pwd": password, **_scope(customer_id, user_type)},
        )
