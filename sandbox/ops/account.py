"""§1 Account information — ``account.php``."""

from __future__ import annotations

from sandbox.ops import OpContext, operation
from sandbox.xml import Node, leaf, node, text


@operation("account.php", "customer-info")
def customer_info(ctx: OpContext) -> Node:
    """§1.1 查询用户信息: the authenticated user's own contact details."""
    a = ctx.account
    return node(
        "customer",
        leaf("id", a["id"]),
        text("username", a["username"]),
        text("company", a["company"]),
        text("contact", a["contact"]),
        text("phone", a["phone"]),
        text("mobile", a["mobile"]),
        text("email", a["email"]),
        text("im", a["im"]),
        text("address", a["address"]),
    )


@operation("account.php", "service-info")
def service_info(ctx: OpContext) -> Node:
    """§1.2 查询群发服务信息: status, type, period and quota of the bulk-mail service."""
    a = ctx.account
    return node(
        "service",
        leaf("id", a["id"]),
        leaf("service_status", a["service_status"]),  # enabled / disabled
        leaf("service_type", a["service_type"]),  # all (total quota) / day (daily quota)
        leaf("send_type", a["send_type"]),  # remote / local
        leaf("beginning_date", a["beginning_date"]),  # YYYY-MM-DD
        leaf("expiration_date", a["expiration_date"]),
        leaf("qty_available", a["qty_available"]),
        leaf("qty_buytotal", a["qty_buytotal"]),
    )
