"""The DNS records a marketer creates at their DNS provider before a sender domain verifies.

The documentation's record table did not survive its conversion to text, so this is the usual set
as the platform (and the sandbox that plays it) expects them: SPF authorising the platform's
servers, the platform's DKIM key under its selector, an MX so bounces and replies reach the
platform, and a CNAME for open and click tracking links. The platform's names and key come from
settings (UMAIL_MAIL_HOST, UMAIL_DKIM_SELECTOR, UMAIL_DKIM_PUBLIC_KEY).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.conf import settings
from django.utils.translation import gettext_lazy as _

TRACKING_LABEL = "edm"


@dataclass(frozen=True)
class DnsRecord:
    key: str
    type: str
    host: str  # fully qualified
    value: str
    purpose: str
    priority: int | None = None
    domain: str = ""

    @property
    def relative_host(self) -> str:
        """The name as most DNS providers ask for it, relative to the zone the marketer edits
        (the registered domain): "@" for the zone itself, "mail" for mail.shop.cn."""
        zone = registered_domain(self.domain or self.host)
        if self.host == zone:
            return "@"
        return self.host.removesuffix("." + zone)


# Second-level labels under which names are registered (shop.com.cn, shop.co.uk).
_SECOND_LEVEL = {"com", "net", "org", "gov", "edu", "ac", "co"}


def registered_domain(name: str) -> str:
    """The zone a DNS provider shows for a name: its last two labels, or three under a
    country's second level (com.cn, co.uk)."""
    labels = name.lower().rstrip(".").split(".")
    take = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-take:])


def required_records(domain: str) -> list[DnsRecord]:
    host = settings.UMAIL_MAIL_HOST
    records = [
        DnsRecord(
            key="spf",
            type="TXT",
            host=domain,
            value=f"v=spf1 include:spf.{host} ~all",
            purpose=_(
                "SPF: allows the platform's servers to send for this domain. If the domain "
                "already has an SPF record, add “include:spf.%(host)s” to it instead of "
                "creating a second one."
            )
            % {"host": host},
        ),
        DnsRecord(
            key="dkim",
            type="TXT",
            host=f"{settings.UMAIL_DKIM_SELECTOR}._domainkey.{domain}",
            value=f"v=DKIM1; k=rsa; p={settings.UMAIL_DKIM_PUBLIC_KEY}",
            purpose=_("DKIM: the platform's signing key, so receivers can check your mail."),
        ),
        DnsRecord(
            key="mx",
            type="MX",
            host=domain,
            value=f"mx.{host}",
            priority=10,
            purpose=_(
                "MX: bounces and replies reach the platform. Use a domain (or sub-domain) "
                "dedicated to bulk mail: this sends all of its incoming mail to the platform."
            ),
        ),
        DnsRecord(
            key="tracking",
            type="CNAME",
            host=f"{TRACKING_LABEL}.{domain}",
            value=f"track.{host}",
            purpose=_("CNAME: open and click tracking links use this name."),
        ),
    ]
    return [replace(r, domain=domain) for r in records]
