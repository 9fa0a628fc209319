"""Every URL pattern of the portal, discovered from the resolver (nothing listed by hand)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLResolver, get_resolver, reverse

# Patterns outside the tenant walk, each for a reason:
EXEMPT = {
    "healthz": "public probe for load balancers; no data",
    "set_language": "Django's language switch; keeps nothing per tenant",
    "accounts:login": "anonymous sign-in page",
    "accounts:team-login": "anonymous sign-in page",
    "accounts:logout": "ends the session; nothing to name",
    "favicon": "a redirect to the brand's static icon; no data",
}
ADMIN = "admin"  # staff only (tested apart: a signed-in non-staff user never gets in)

# Pages without an id in their URL: they must show only the signed-in account's data (checked
# by looking for another tenant's marker). A new id-less page has to be added here on purpose.
ID_LESS = {
    # accounts and core
    "accounts:overview",
    "accounts:overview-refresh",
    "accounts:scope-switch",
    "accounts:subaccounts",
    "accounts:subaccounts-discover",
    "accounts:subaccount-add",
    "accounts:audit",
    "accounts:preferences",
    "accounts:help",
    "accounts:guide-dismiss",
    "accounts:guide-reopen",
    "accounts:notifications",
    "ops:resync",
    "ops:resync-start",
    "ops:resync-jobs",
    # sections
    "contacts:index",
    "contacts:lists-refresh",
    "contacts:list-create",
    "contacts:addresses",
    "contacts:imports",
    "mailtemplates:index",
    "mailtemplates:sync",
    "mailtemplates:create",
    "mailtemplates:text-from-html",
    "mailtemplates:lint",
    "mailtemplates:merge-tags",
    "mailtemplates:preview-draft",
    "mailtemplates:builder-new",
    "mailtemplates:richtext-new",
    "mailtemplates:gallery",
    "mailtemplates:gallery-frame",  # a starter design, the same for every account
    "mailtemplates:blocks",
    "campaigns:index",
    "campaigns:refresh",
    "campaigns:calendar",
    "campaigns:calendar-month",  # a month, not an object
    "campaigns:new",
    "campaigns:count",
    "analytics:index",
    "analytics:refresh",
    "analytics:day-failures",
    "analytics:hygiene",
    "analytics:live-variants",  # campaign ids in the query string, filtered by account
    "domains:index",
    "domains:refresh",
    "domains:add",
    "domains:verify",
    "smtp:index",
    "smtp:settings",
    "smtp:connection-test",
    "smtp:send-test",
}
# Keywords that name a period, a format or a starter design, not an object.
NOT_IDS = {"year", "month", "kind", "fmt", "step", "action", "slug"}


@dataclass(frozen=True)
class Route:
    name: str | None  # "namespace:name"
    route: str  # the pattern as written, for messages
    kwargs: tuple[str, ...]
    namespace: str = ""

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(k for k in self.kwargs if k not in NOT_IDS)

    def url(self, kwargs: dict) -> str:
        return reverse(self.name, kwargs=kwargs)


_GROUP = re.compile(r"\(\?P<(\w+)>")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def _kwargs(pattern) -> list[str]:
    text = str(pattern)
    return _GROUP.findall(text) + _CONVERTER.findall(text)


def routes() -> list[Route]:
    out: list[Route] = []

    def walk(resolver, prefix, namespace, kwargs):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, prefix + str(entry.pattern), ns, kwargs + _kwargs(entry.pattern))
            else:
                name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
                out.append(
                    Route(
                        name=name,
                        route=prefix + str(entry.pattern),
                        kwargs=tuple(kwargs + _kwargs(entry.pattern)),
                        namespace=(namespace or "").split(":")[0],
                    )
                )

    walk(get_resolver(), "", None, [])
    return out


def tenant_routes() -> list[Route]:
    """Every route a signed-in member uses (not the exempt ones, not admin)."""
    return [
        r
        for r in routes()
        if r.namespace != ADMIN and (r.name or r.route) not in EXEMPT and r.name not in EXEMPT
    ]
