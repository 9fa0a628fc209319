"""The sidebar: one entry per section whose URL exists, so each app appears once it ships pages."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

SECTIONS = [
    ("overview", _("Overview"), "accounts:overview"),
    ("contacts", _("Contacts"), "contacts:index"),
    ("templates", _("Templates"), "mailtemplates:index"),
    ("campaigns", _("Campaigns"), "campaigns:index"),
    ("analytics", _("Analytics"), "analytics:index"),
    ("domains", _("Domains"), "domains:index"),
    ("smtp", _("SMTP"), "smtp:index"),
    ("audit", _("Activity"), "core:audit"),
]


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    items = []
    for key, label, name in SECTIONS:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = request.path == url if key == "overview" else request.path.startswith(url)
        items.append({"key": key, "label": label, "url": url, "active": active})
    return {"nav_items": items}
