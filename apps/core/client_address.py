"""The client's address: the one rule every throttle and log uses.

`X-Forwarded-For` is believed only when the request comes from a proxy the operator listed in
`DJANGO_TRUSTED_PROXIES` (addresses or networks, comma-separated). Then the header is read from
the right, skipping the trusted proxies, and the first address that is not one of them is the
client. Anything else (no trusted proxy, a header a client made up, garbage) falls back to
`REMOTE_ADDR`: a client that is not behind our proxy cannot choose its own address.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress._BaseNetwork, ...]:
    networks = []
    for item in proxies:
        item = item.strip()
        if item:
            networks.append(ipaddress.ip_network(item, strict=False))
    return tuple(networks)


def _parse(value: str) -> ipaddress._BaseAddress | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address: ipaddress._BaseAddress, networks) -> bool:
    return any(address in network for network in networks)


def client_address(request) -> str | None:
    """The address of the client that sent this request (a string), or None if unknown."""
    remote = _parse(request.META.get("REMOTE_ADDR") or "")
    if remote is None:
        return None
    networks = _networks(tuple(settings.TRUSTED_PROXIES or ()))
    if not networks or not _trusted(remote, networks):
        return str(remote)
    client = remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed(forwarded.split(",")):
        address = _parse(hop)
        if address is None:
            break  # a malformed hop: trust nothing further left
        client = address
        if not _trusted(address, networks):
            break
    return str(client)
