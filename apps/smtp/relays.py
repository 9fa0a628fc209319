"""The SMTP relays the portal may connect to: the operator's allow-list, checked in one place.

Tenants choose among these host:port pairs only; the settings form refuses anything else, and
`SmtpClient.connect` checks again before any socket is opened, so test sends, notifications,
confirmation mails and whatever comes later cannot reach another host or port (no port scans
or SSRF through the SMTP page).

`EDMPORTAL_SMTP_ALLOWED_RELAYS` (comma-separated `host:port`) sets the list. Empty (the default)
means the platform's relay, `UMAIL_SMTP_HOST:UMAIL_SMTP_PORT` (smtp.bestedm.org:25; the demo and
the tests point those at their sandbox). Django's own mail set up with EMAIL_HOST/EMAIL_PORT by
the operator is allowed as well.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import SmtpRelayNotAllowed


def _normal_host(host: str) -> str:
    return (host or "").strip().lower().rstrip(".").strip("[]")


def _pair(item: str) -> tuple[str, int] | None:
    item = item.strip()
    host, sep, port = item.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return _normal_host(host), int(port)


def allowed_relays() -> list[tuple[str, int]]:
    """The (host, port) pairs the operator allows, in the order configured."""
    configured = [p for p in map(_pair, settings.SMTP_ALLOWED_RELAYS) if p]
    pairs = configured or [(_normal_host(settings.UMAIL_SMTP_HOST), int(settings.UMAIL_SMTP_PORT))]
    if settings.EMAIL_HOST_USER and settings.EMAIL_HOST:
        pairs.append((_normal_host(settings.EMAIL_HOST), int(settings.EMAIL_PORT)))
    return list(dict.fromkeys(pairs))


def relay_is_allowed(host: str, port: int | str) -> bool:
    try:
        wanted = (_normal_host(host), int(port))
    except (TypeError, ValueError):
        return False
    return wanted in allowed_relays()


def allowed_relays_text() -> str:
    return ", ".join(f"{host}:{port}" for host, port in allowed_relays())


def relay_check(host: str, port: int | str) -> None:
    """Raise SmtpRelayNotAllowed unless host:port is an allowed relay. Call before connecting."""
    if not relay_is_allowed(host, port):
        raise SmtpRelayNotAllowed(
            _("The portal does not connect to %(where)s: its operator allows only %(allowed)s.")
            % {"where": f"{host}:{port}", "allowed": allowed_relays_text()}
        )
