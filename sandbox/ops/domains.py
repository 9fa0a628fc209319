"""§7 Sender domains and the mailboxes under them — ``bs.php``.

What the documentation leaves open, and the choices made here (see the README's §7 section):

* **Who may address whom.** §7.1 and §7.7–§7.10 take ``customer_id`` and ``user_type``
  (``customer``, the default, or ``manager``). In ``customer`` mode a ``customer_id`` other than
  the caller's own is refused. In ``manager`` mode the credentials must be those of a
  *manager* of the customer: the platform administrator manages every customer; under the
  permissive profile an agent also manages its own sub-accounts (``parent_id``); anyone else
  gets the permission error (strict: L3123-3125, the administrator's credentials only).
  §7.4 and §7.5 ("管理员账号才可调用") follow the same rule.
* **What §7.1 lists without a ``customer_id``.** The caller's own domains and the system
  domains (``customer_id`` 0); for an agent also its sub-accounts' domains, for the administrator
  every customer's. This is how an agent's sub-accounts can be discovered over the API.
* **DNS.** Nothing resolves real DNS. A domain's records count as correct once they were
  "published" (``POST /_sandbox/domains/<domain>/publish``, possible before the domain is
  added) or, when a verification delay is set, once that many seconds passed since it was
  added. The delay is ``SANDBOX_DNS_VERIFY_DELAY`` (seconds, default 60; ``none`` turns it
  off) and can be changed at run time (``POST /_sandbox/domains/settings``). A verified domain
  stays verified.
* **Errors.** Permission problems answer ``error``; failures of one operation answer an
  operation-specific status (``add_domain_error``, ``del_domain_error``, ``add_mailbox_error``,
  ``del_mailbox_error``, ``edit_mailbox_error``), always in the ``<result>`` shape.
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from sandbox.control import control, json_error, json_response
from sandbox.ops import OpContext, OpError, operation
from sandbox.seed import AGENT_ID, DEMO_ID, OTHER_ID, SHOP_A_ID, SHOP_B_ID, register_seeder
from sandbox.store import Store, register_schema
from sandbox.xml import Node, leaf, node, result, text

if TYPE_CHECKING:
    from sandbox.app import SandboxApp
    from sandbox.clock import Clock

SCRIPT = "bs.php"

register_schema("""
CREATE TABLE IF NOT EXISTS domains (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL,            -- the customer; 0: a system domain for everyone
    domain        TEXT    NOT NULL UNIQUE,     -- lower case, ASCII (IDNA)
    verified      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL,
    created_epoch REAL    NOT NULL,
    verified_at   TEXT
);
CREATE INDEX IF NOT EXISTS domains_account ON domains(account_id);

-- Also the SMTP logins of §10 (sandbox/ops/smtp.py reads mailbox, password, account_id).
CREATE TABLE IF NOT EXISTS mailboxes (
    id         INTEGER PRIMARY KEY,
    domain_id  INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL,
    name       TEXT    NOT NULL,               -- the local part, lower case
    mailbox    TEXT    NOT NULL UNIQUE COLLATE NOCASE,  -- name@domain
    password   TEXT    NOT NULL,               -- plain: the sandbox's SMTP checks it
    created_at TEXT    NOT NULL,
    UNIQUE (domain_id, name)
);
CREATE INDEX IF NOT EXISTS mailboxes_account ON mailboxes(account_id);

-- DNS as the world sees it: records published for a domain name, added to the platform or not.
CREATE TABLE IF NOT EXISTS dns_published (
    domain       TEXT PRIMARY KEY,
    published_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS domain_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
""")

# -- the DNS records the platform expects (shown to customers by the portal) -------------------

MAIL_HOST = "bestedm.org"
DKIM_SELECTOR = "umail"
# The platform signs every customer domain with one key under the selector above.
DKIM_PUBLIC_KEY = (
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC/iLS7iV3xSXTa/y2QWkesKJjY4Xqr6pWE1NvWr3H36xDMXqQP1hnJ"
    "jHkPE4HaWYUdx+L11LTcSlTpcv4nxifrF1iTCvL+ZkVUMQK9Z7jdttP4J7x9g7mRZz1MggVtUFVI2IaxLN7vn7fkJNBIPEG"
    "UG/iwUm7c0h8ufqoDzAh2JwIDAQAB"
)


def expected_records(domain: str) -> list[dict[str, Any]]:
    """The records a customer publishes for ``domain`` (the sandbox's model of the platform)."""
    return [
        {"type": "TXT", "host": domain, "value": f"v=spf1 include:spf.{MAIL_HOST} ~all"},
        {
            "type": "TXT",
            "host": f"{DKIM_SELECTOR}._domainkey.{domain}",
            "value": f"v=DKIM1; k=rsa; p={DKIM_PUBLIC_KEY}",
        },
        {"type": "MX", "host": domain, "value": f"mx.{MAIL_HOST}", "priority": 10},
        {"type": "CNAME", "host": f"edm.{domain}", "value": f"track.{MAIL_HOST}"},
    ]


# -- settings: the verification delay -----------------------------------------------------------

DEFAULT_DELAY_ENV = "SANDBOX_DNS_VERIFY_DELAY"


def _default_delay() -> float | None:
    raw = os.environ.get(DEFAULT_DELAY_ENV, "60").strip().lower()
    if raw in ("", "none", "off", "null"):
        return None
    return float(raw)


def verify_delay(store: Store) -> float | None:
    row = store.conn.execute(
        "SELECT value FROM domain_settings WHERE key = 'verify_delay'"
    ).fetchone()
    if row is None:
        return _default_delay()
    value = json.loads(row["value"])
    return None if value is None else float(value)


def set_verify_delay(store: Store, value: float | None) -> None:
    store.conn.execute(
        "INSERT INTO domain_settings (key, value) VALUES ('verify_delay', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (json.dumps(value),),
    )


# -- helpers ------------------------------------------------------------------------------------

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_LOCAL = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$")


def normalise_domain(raw: str) -> str | None:
    """Lower-case ASCII form of a domain name, or None when it is not one."""
    value = (raw or "").strip().rstrip(".").lower()
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2:
        return None
    if not all(_LABEL.match(label) for label in labels) or not _TLD.match(labels[-1]):
        return None
    return value


def _domain_row(store: Store, domain: str) -> dict[str, Any] | None:
    row = store.conn.execute("SELECT * FROM domains WHERE domain = ?", (domain,)).fetchone()
    return dict(row) if row else None


def _published(store: Store, domain: str) -> bool:
    row = store.conn.execute("SELECT 1 FROM dns_published WHERE domain = ?", (domain,)).fetchone()
    return row is not None


def _dns_ok(store: Store, row: dict[str, Any]) -> bool:
    if row["account_id"] == 0 or row["verified"] or _published(store, row["domain"]):
        return True
    delay = verify_delay(store)
    return delay is not None and time.time() - row["created_epoch"] >= delay


def refresh_verification(store: Store, clock: Clock, row: dict[str, Any]) -> bool:
    """Whether the domain verifies now; a newly verified domain is recorded as such."""
    if row["verified"]:
        return True
    if not _dns_ok(store, row):
        return False
    store.conn.execute(
        "UPDATE domains SET verified = 1, verified_at = ? WHERE id = ?",
        (clock.timestamp(), row["id"]),
    )
    row["verified"] = 1
    return True


def _managed_ids(store: Store, caller: dict[str, Any]) -> set[int] | None:
    """Customers the caller manages: None = every customer (the administrator)."""
    if caller["user_type"] == "manager":
        return None
    if caller["user_type"] == "agents":
        return {s["id"] for s in store.sub_accounts(caller["id"])}
    return set()


def _manages(store: Store, caller: dict[str, Any], customer_id: int) -> bool:
    managed = _managed_ids(store, caller)
    return managed is None or customer_id in managed


def _int_param(ctx: OpContext, name: str, value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise OpError("error", f"参数错误：{name}") from None


def _managed_customer(ctx: OpContext, customer_id: int) -> dict[str, Any]:
    """The customer a manager-mode call is for; refused unless the caller manages it."""
    caller = ctx.account
    # §7 L3123-3125: with user_type=manager the credentials "must be the administrator's";
    # §7.4/§7.5 are "管理员账号才可调用". Agents only under the permissive profile.
    allowed = ("manager",) if ctx.strict else ("manager", "agents")
    if caller["user_type"] not in allowed:
        raise OpError("error", "无权限：只有管理员账号才可调用此接口")
    customer = ctx.store.account_by_id(customer_id)
    if customer is None or customer["user_type"] != "" or customer_id == caller["id"]:
        raise OpError("error", f"客户不存在：{customer_id}")
    if not _manages(ctx.store, caller, customer_id):
        raise OpError("error", f"无权操作该客户：{customer_id}")
    return customer


def target_customer(ctx: OpContext) -> dict[str, Any]:
    """The customer a §7.1/§7.7–§7.10 call acts for, from ``customer_id`` and ``user_type``."""
    user_type = (ctx.param("user_type") or "customer").strip()
    raw_id = (ctx.param("customer_id") or "").strip()
    if user_type == "manager":
        if not raw_id:
            raise OpError("error", "缺少参数：customer_id")
        return _managed_customer(ctx, _int_param(ctx, "customer_id", raw_id))
    if user_type != "customer":
        raise OpError("error", "参数错误：user_type 只能是 manager 或 customer")
    if raw_id and _int_param(ctx, "customer_id", raw_id) != ctx.account["id"]:
        raise OpError("error", f"无权操作该客户：{raw_id}")
    return ctx.account


def _insert_domain(ctx: OpContext, customer_id: int, raw: str, status: str) -> Node:
    domain = normalise_domain(raw)
    if domain is None:
        raise OpError(status, f"域名格式不正确：{raw.strip()}")
    with ctx.store.transaction() as conn:
        if _domain_row(ctx.store, domain) is not None:
            raise OpError(status, f"域名已存在：{domain}")
        cur = conn.execute(
            "INSERT INTO domains (account_id, domain, created_at, created_epoch) "
            "VALUES (?, ?, ?, ?)",
            (customer_id, domain, ctx.clock.timestamp(), time.time()),
        )
        row = _domain_row(ctx.store, domain)
        verified = refresh_verification(ctx.store, ctx.clock, row)
    return result(
        "success_and_check_ok" if verified else "success", cur.lastrowid, data_cdata=False
    )


def _owned_domain(ctx: OpContext, customer_id: int, raw: str, status: str) -> dict[str, Any]:
    domain = normalise_domain(raw) or raw.strip().lower()
    row = _domain_row(ctx.store, domain)
    if row is None or row["account_id"] != customer_id:
        raise OpError(status, f"域名不存在：{domain}")
    return row


def _delete_domain(ctx: OpContext, row: dict[str, Any]) -> None:
    with ctx.store.transaction() as conn:
        conn.execute("DELETE FROM domains WHERE id = ?", (row["id"],))


# -- §7.1–§7.6 domains --------------------------------------------------------------------------


@operation(SCRIPT, "domain-list")
def domain_list(ctx: OpContext) -> Node:
    """§7.1 域名列表."""
    explicit = (ctx.param("customer_id") or "").strip() or ctx.param("user_type") == "manager"
    customer = target_customer(ctx)
    if explicit or customer["user_type"] == "":
        ids: set[int] | None = {customer["id"]}
    else:
        managed = _managed_ids(ctx.store, customer)
        ids = None if managed is None else {customer["id"], *managed}
    rows = ctx.store.conn.execute("SELECT account_id, domain FROM domains ORDER BY id")
    return node(
        "domain_list",
        (
            node("data", leaf("customer_id", r["account_id"]), text("domain", r["domain"]))
            for r in rows
            if r["account_id"] == 0 or ids is None or r["account_id"] in ids
        ),
    )


@operation(SCRIPT, "customer-domain-add")
def customer_domain_add(ctx: OpContext) -> Node:
    """§7.2 添加域名 (for the caller itself)."""
    return _insert_domain(ctx, ctx.account["id"], ctx.require("domain"), "add_domain_error")


@operation(SCRIPT, "domain-check")
def domain_check(ctx: OpContext) -> Node:
    """§7.3 验证域名: status 3/2 known (verified or not), 1/0 unknown (DNS right or not)."""
    names = [n for n in re.split(r"[,，\s]+", ctx.require("domains")) if n]
    caller = ctx.account
    items = []
    for raw in names:
        domain = normalise_domain(raw) or raw.strip().lower()
        row = _domain_row(ctx.store, domain)
        visible = row is not None and (
            row["account_id"] in (0, caller["id"]) or _manages(ctx.store, caller, row["account_id"])
        )
        if visible:
            ok = refresh_verification(ctx.store, ctx.clock, row)
            status, info = (3, "添加成功并验证通过") if ok else (2, "添加成功但验证不通过")
            owner, domain_id = row["account_id"], row["id"]
        else:
            # Another customer's domain is reported like an unknown one: no one learns its owner.
            ok = _published(ctx.store, domain)
            status, info = (1, "系统不存在但验证通过") if ok else (0, "系统中不存在并验证不通过")
            owner, domain_id = caller["id"], 0
        items.append(
            node(
                "domain",
                leaf("customer_id", owner),
                leaf("domain_id", domain_id),
                leaf("val", domain),
                leaf("status", status),
                text("info", info),
            )
        )
    return node("domain_list", items)


@operation(SCRIPT, "domain-add")
def domain_add(ctx: OpContext) -> Node:
    """§7.4 为指定子账号用户添加域名 (managers only)."""
    customer_id = _int_param(ctx, "customer_id", ctx.require("customer_id"))
    domain = ctx.require("domain")
    customer = _managed_customer(ctx, customer_id)
    return _insert_domain(ctx, customer["id"], domain, "add_domain_error")


@operation(SCRIPT, "domain-del")
def domain_del(ctx: OpContext) -> Node:
    """§7.5 删除指定子帐号的域名 (managers only; verified domains too)."""
    customer_id = _int_param(ctx, "customer_id", ctx.require("customer_id"))
    raw = ctx.require("domain")
    customer = _managed_customer(ctx, customer_id)
    row = _owned_domain(ctx, customer["id"], raw, "del_domain_error")
    _delete_domain(ctx, row)
    return result("success", "删除成功")


@operation(SCRIPT, "customer-domain-del")
def customer_domain_del(ctx: OpContext) -> Node:
    """§7.6 删除域名: 已经验证通过的域名不能删除."""
    row = _owned_domain(ctx, ctx.account["id"], ctx.require("domain"), "del_domain_error")
    if refresh_verification(ctx.store, ctx.clock, row):
        raise OpError("del_domain_error", "已经验证通过的域名不能删除")
    _delete_domain(ctx, row)
    return result("success", "删除成功")


# -- §7.7–§7.10 mailboxes -----------------------------------------------------------------------


def _mailbox_domain(ctx: OpContext, customer: dict[str, Any], status: str) -> tuple[str, dict]:
    """(local part, domain row) of the ``mailbox`` parameter, which must be the customer's."""
    raw = ctx.require("mailbox").strip().lower()
    local, at, domain_part = raw.rpartition("@")
    domain = normalise_domain(domain_part) if at else None
    if not local or domain is None or not _LOCAL.match(local):
        raise OpError(status, f"账号格式不正确：{raw}")
    row = _domain_row(ctx.store, domain)
    if row is not None and row["account_id"] == 0:
        raise OpError(status, f"系统域名下的账号由平台管理：{domain}")
    if row is None or row["account_id"] != customer["id"]:
        raise OpError(status, f"域名不存在：{domain}")
    return local, row


def _check_password(pwd: str, status: str) -> None:
    if not 8 <= len(pwd) <= 32 or not all(33 <= ord(c) <= 126 for c in pwd):
        raise OpError(status, "密码必须为 8–32 位字母、数字或符号，不能包含空格")


@operation(SCRIPT, "mailbox-list")
def mailbox_list(ctx: OpContext) -> Node:
    """§7.7 指定域名下的账号列表: all, or one page when ``page`` is given (limit default 30)."""
    customer = target_customer(ctx)
    raw = ctx.require("domain")
    domain = normalise_domain(raw) or raw.strip().lower()
    row = _domain_row(ctx.store, domain)
    if row is None or row["account_id"] not in (0, customer["id"]):
        raise OpError("error", f"域名不存在：{domain}")
    sql = (
        "SELECT account_id, name FROM mailboxes WHERE domain_id = ? AND account_id = ? ORDER BY id"
    )
    args: tuple = (row["id"], customer["id"])
    page_raw = (ctx.param("page") or "").strip()
    if page_raw:
        page = _int_param(ctx, "page", page_raw)
        limit = _int_param(ctx, "limit", (ctx.param("limit") or "30"))
        if page < 1 or limit < 1:
            raise OpError("error", "参数错误：page 和 limit 必须大于 0")
        sql += " LIMIT ? OFFSET ?"
        args += (limit, (page - 1) * limit)
    rows = ctx.store.conn.execute(sql, args)
    return node(
        "mailbox_list",
        (
            node(
                "data",
                leaf("customer_id", r["account_id"]),
                leaf("domain", domain),
                text("name", r["name"]),
                text("mailbox", f"{r['name']}@{domain}"),
            )
            for r in rows
        ),
    )


@operation(SCRIPT, "mailbox-add")
def mailbox_add(ctx: OpContext) -> Node:
    """§7.8 添加账号到指定域名."""
    customer = target_customer(ctx)
    local, row = _mailbox_domain(ctx, customer, "add_mailbox_error")
    pwd = ctx.require("pwd")
    _check_password(pwd, "add_mailbox_error")
    with ctx.store.transaction() as conn:
        exists = conn.execute(
            "SELECT 1 FROM mailboxes WHERE domain_id = ? AND name = ?", (row["id"], local)
        ).fetchone()
        if exists:
            raise OpError("add_mailbox_error", f"账号已存在：{local}@{row['domain']}")
        cur = conn.execute(
            "INSERT INTO mailboxes (domain_id, account_id, name, mailbox, password, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                row["id"],
                customer["id"],
                local,
                f"{local}@{row['domain']}",
                pwd,
                ctx.clock.timestamp(),
            ),
        )
    return result("success", cur.lastrowid, data_cdata=False)


def _existing_mailbox(ctx: OpContext, customer: dict[str, Any], status: str) -> dict[str, Any]:
    local, row = _mailbox_domain(ctx, customer, status)
    found = ctx.store.conn.execute(
        "SELECT * FROM mailboxes WHERE domain_id = ? AND name = ?", (row["id"], local)
    ).fetchone()
    if found is None:
        raise OpError(status, f"账号不存在：{local}@{row['domain']}")
    return dict(found)


@operation(SCRIPT, "mailbox-del")
def mailbox_del(ctx: OpContext) -> Node:
    """§7.9 删除指定域名下的账号."""
    customer = target_customer(ctx)
    box = _existing_mailbox(ctx, customer, "del_mailbox_error")
    ctx.store.conn.execute("DELETE FROM mailboxes WHERE id = ?", (box["id"],))
    return result("success", "删除成功")


@operation(SCRIPT, "mailbox-edit")
def mailbox_edit(ctx: OpContext) -> Node:
    """§7.10 修改指定域名的账号 (its password)."""
    customer = target_customer(ctx)
    box = _existing_mailbox(ctx, customer, "edit_mailbox_error")
    pwd = ctx.require("pwd")
    _check_password(pwd, "edit_mailbox_error")
    ctx.store.conn.execute("UPDATE mailboxes SET password = ? WHERE id = ?", (pwd, box["id"]))
    return result("success", "修改成功")


# -- demo data ----------------------------------------------------------------------------------

SYSTEM_DOMAIN = "edm.bestedm.org"
# (customer id, domain, verified, [(mailbox local part, password)]). The demo and other
# mailboxes match the SMTP section's seeded logins (sandbox/ops/smtp.py).
SEED_DOMAINS = [
    (0, SYSTEM_DOMAIN, True, []),
    (DEMO_ID, "demo-shop.cn", True, [("notice", "Notice-pass-2026"), ("news", "News-pass-2026")]),
    (DEMO_ID, "mail.demo-shop.cn", False, []),
    (AGENT_ID, "agent-sh.cn", True, [("notice", "Agent-notice-2026")]),
    (SHOP_A_ID, "shop-a.cn", True, [("sale", "Sale-pass-2026")]),
    (SHOP_B_ID, "shop-b.cn", False, []),
    (OTHER_ID, "other-trade.cn", True, [("service", "Service-pass-2026")]),
]


@register_seeder
def seed_domains(store: Store, clock: Clock) -> None:
    now = clock.timestamp()
    with store.transaction() as conn:
        for account_id, domain, verified, boxes in SEED_DOMAINS:
            # Seeded unverified domains never verify by delay: they are "old" but unpublished.
            conn.execute(
                "INSERT OR IGNORE INTO domains "
                "(account_id, domain, verified, created_at, created_epoch, verified_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (account_id, domain, int(verified), now, _SEED_EPOCH, now if verified else None),
            )
            domain_id = conn.execute(
                "SELECT id FROM domains WHERE domain = ?", (domain,)
            ).fetchone()["id"]
            for name, password in boxes:
                conn.execute(
                    "INSERT OR IGNORE INTO mailboxes "
                    "(domain_id, account_id, name, mailbox, password, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (domain_id, account_id, name, f"{name}@{domain}", password, now),
                )


# Far in the future for the delay rule: seeded unverified domains wait for "publish".
_SEED_EPOCH = 32503680000.0  # 3000-01-01


# -- control endpoints --------------------------------------------------------------------------


def _body(request: Request) -> dict[str, Any] | Response:
    try:
        body = json.loads(request.get_data(as_text=True) or "{}")
    except ValueError as exc:
        return json_error(f"body is not JSON: {exc}", 400)
    if not isinstance(body, dict):
        return json_error("body must be a JSON object", 400)
    return body


def _domain_state(app: SandboxApp, domain: str) -> dict[str, Any]:
    row = _domain_row(app.store, domain)
    boxes = []
    if row is not None:
        boxes = [
            f"{r['name']}@{domain}"
            for r in app.store.conn.execute(
                "SELECT name FROM mailboxes WHERE domain_id = ? ORDER BY id", (row["id"],)
            )
        ]
    return {
        "domain": domain,
        "known": row is not None,
        "id": row["id"] if row else None,
        "customer_id": row["account_id"] if row else None,
        "verified": bool(row and row["verified"]),
        "published": _published(app.store, domain),
        "mailboxes": boxes,
        "records": expected_records(domain),
    }


@control("/domains/settings")
def domain_settings(app: SandboxApp, request: Request) -> Response:
    return json_response({"verify_delay": verify_delay(app.store)})


@control("/domains/settings", methods=("POST",))
def change_domain_settings(app: SandboxApp, request: Request) -> Response:
    """Body ``{"verify_delay": seconds or null}``: null means only "publish" verifies."""
    body = _body(request)
    if isinstance(body, Response):
        return body
    if set(body) != {"verify_delay"}:
        return json_error("the only setting is verify_delay", 400)
    value = body["verify_delay"]
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        return json_error("verify_delay must be a number of seconds or null", 400)
    if value is not None and value < 0:
        return json_error("verify_delay must not be negative", 400)
    set_verify_delay(app.store, value)
    return json_response({"verify_delay": verify_delay(app.store)})


@control("/domains/<domain>")
def domain_state(app: SandboxApp, request: Request, domain: str) -> Response:
    """A domain as the platform sees it, with the DNS records it expects."""
    name = normalise_domain(domain)
    if name is None:
        return json_error(f"not a domain name: {domain}", 400)
    return json_response(_domain_state(app, name))


@control("/domains/<domain>/publish", methods=("POST",))
def publish_domain(app: SandboxApp, request: Request, domain: str) -> Response:
    """The customer created the DNS records: the next check verifies the domain."""
    name = normalise_domain(domain)
    if name is None:
        return json_error(f"not a domain name: {domain}", 400)
    app.store.conn.execute(
        "INSERT OR IGNORE INTO dns_published (domain, published_at) VALUES (?, ?)",
        (name, app.clock.timestamp()),
    )
    return json_response(_domain_state(app, name))


@control("/domains/<domain>/unpublish", methods=("POST",))
def unpublish_domain(app: SandboxApp, request: Request, domain: str) -> Response:
    """The records were removed again (a verified domain stays verified)."""
    name = normalise_domain(domain)
    if name is None:
        return json_error(f"not a domain name: {domain}", 400)
    app.store.conn.execute("DELETE FROM dns_published WHERE domain = ?", (name,))
    return json_response(_domain_state(app, name))
