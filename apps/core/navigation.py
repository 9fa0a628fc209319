"""The sidebar, the breadcrumb trail and the first-steps guide of the layout (base.html).

One sidebar entry per section whose URL exists, so each app appears once it ships pages.
"""

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
    ("audit", _("Activity"), "accounts:audit"),
]
# Below the sections: the user's own settings and the help.
SECONDARY = [
    ("preferences", _("Preferences"), "accounts:preferences"),
    ("help", _("Help"), "accounts:help"),
]


def _items(request, entries) -> list[dict]:
    items = []
    for key, label, name in entries:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = request.path == url if key == "overview" else request.path.startswith(url)
        items.append(
            {
                "key": key,
                "label": label,
                "url": url,
                "active": active,
                "current": request.path == url,
            }
        )
    return items


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    items = _items(request, SECTIONS)
    secondary = _items(request, SECONDARY)
    section = next((i for i in items + secondary if i["active"] and i["key"] != "overview"), None)
    context = {"nav_items": items, "nav_secondary": secondary, "breadcrumb_section": section}
    match = getattr(request, "resolver_match", None)
    prefs = getattr(request, "preferences", None)
    on_overview = match is not None and match.view_name == "accounts:overview"
    if on_overview and prefs is not None and not prefs.guide_dismissed:
        from .help import guide_steps

        context.update(show_guide=True, guide_steps=guide_steps())
    return context
