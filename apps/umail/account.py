"""§1 Account: who the account is (§1.1) and its bulk-mail service and quota (§1.2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .resource import Resource
from .xml import expect_root, to_dataclass


@dataclass(frozen=True)
class CustomerInfo:
    id: int | None = None
    username: str = ""
    company: str = ""
    contact: str = ""
    phone: str = ""
    mobile: str = ""
    email: str = ""
    im: str = ""
    address: str = ""


@dataclass(frozen=True)
class ServiceInfo:
    id: int | None = None
    service_status: str = ""  # enabled / disabled
    service_type: str = ""  # all: a total quota; day: a daily quota
    send_type: str = ""  # remote: the customer's own servers; local: the platform's
    beginning_date: dt.date | None = None
    expiration_date: dt.date | None = None
    qty_available: int | None = None
    qty_buytotal: int | None = None

    @property
    def enabled(self) -> bool:
        return self.service_status == "enabled"


class AccountAPI(Resource):
    script = "account.php"

    def customer_info(self) -> CustomerInfo:
        """§1.1"""
        root = self._call("customer-info")
        return to_dataclass(CustomerInfo, expect_root(root, "customer"))

    def service_info(self) -> ServiceInfo:
        """§1.2"""
        root = self._call("service-info")
        return to_dataclass(ServiceInfo, expect_root(root, "service"))
