"""The pages, partials and admin screens the i18n page test visits (one Visit each)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from .i18n_support import PENDING


@dataclass
class Visit:
    name: str
    url: str
    who: str = "demo"
    method: str = "get"
    data: dict | None = None
    status: int = 200
    htmx: bool = False
    # Pages whose body is the marketer's own content (the template preview frame).
    check_text: bool = True


def visits(ids: dict, language: str) -> list[Visit]:
    lst, tpl, dom = ids["list"], ids["template"], ids["domain"]
    return [
        # Signed out
        Visit("sign-in", "/login/", who="anonymous"),
        Visit(
            "sign-in refused",
            "/login/",
            who="anonymous",
            method="post",
            data={"username": "demo", "password": "wrong", "user_type": ""},
            status=401,
        ),
        Visit("team sign-in", reverse("accounts:team-login"), who="anonymous"),
        Visit(
            "sign-in locked out",
            reverse("accounts:team-login"),
            who="anonymous",
            method="post",
            data={"username": "locked-colleague", "password": "wrong"},
            status=429,
        ),
        Visit(
            "upload too large",
            reverse("mailtemplates:create"),
            method="post",
            data={"action": "import", "html": "x" * (3 << 20)},
            status=413,
        ),
        # Accounts and the layout
        Visit("overview", reverse("accounts:overview")),
        Visit("no account", reverse("accounts:overview"), who="lonely", status=403),
        Visit("forbidden", reverse("contacts:list-create"), who="viewer", status=403),
        Visit("sub-accounts", reverse("accounts:subaccounts"), who="agent"),
        Visit(
            "sub-account refused",
            reverse("accounts:scope-switch"),
            who="demo",
            method="post",
            data={"customer_id": "999999"},
            status=403,
        ),
        Visit(
            "unknown sub-account",
            reverse("accounts:scope-switch"),
            who="agent",
            method="post",
            data={"customer_id": "999999"},
            status=302,
        ),
        Visit("agent overview", reverse("accounts:overview"), who="agent"),
        Visit(
            "sub-account credentials",
            reverse("accounts:subaccount-credentials", args=[ids["subaccount"]]),
            who="agent",
        ),
        Visit(
            "sub-account credentials refused",
            reverse("accounts:subaccount-credentials", args=[ids["subaccount"]]),
            who="agent",
            method="post",
            data={"username": "shop-a", "password": "wrong"},
            status=400,
        ),
        # Core
        Visit("activity", reverse("accounts:audit")),
        Visit("preferences", reverse("accounts:preferences")),
        Visit(
            "preferences refused",
            reverse("accounts:preferences"),
            method="post",
            data={"language": "zh-hans", "time_zone": "Mars/Olympus"},
        ),
        Visit("help", reverse("accounts:help")),
        Visit("toasts", reverse("accounts:notifications"), htmx=True),
        # Contacts
        Visit("lists", reverse("contacts:index")),
        Visit("empty filter", reverse("contacts:index") + "?q=nothing-matches-this"),
        Visit("new list", reverse("contacts:list-create")),
        Visit(
            "new list refused",
            reverse("contacts:list-create"),
            method="post",
            data={"subject": "", "status": "enabled"},
        ),
        Visit("list", reverse("contacts:list-detail", args=[lst])),
        Visit("list edit", reverse("contacts:list-edit", args=[lst])),
        Visit("list delete", reverse("contacts:list-delete", args=[lst])),
        Visit("list empty", reverse("contacts:list-empty", args=[lst])),
        Visit("list variables", reverse("contacts:list-variables", args=[lst])),
        Visit("subscriptions", reverse("contacts:subscriptions", args=[lst])),
        Visit(
            "subscriptions result",
            reverse("contacts:subscriptions", args=[lst]),
            method="post",
            data={"action": "subscribe", "addresses": "not-an-address"},
        ),
        Visit("import upload", reverse("contacts:import-upload", args=[lst])),
        Visit("address new", reverse("contacts:address-create", args=[lst])),
        Visit("address edit", reverse("contacts:address-edit", args=[lst, ids["address"]])),
        Visit("address delete", reverse("contacts:address-delete", args=[lst, ids["address"]])),
        Visit("all addresses", reverse("contacts:addresses") + "?q=member"),
        Visit("imports", reverse("contacts:imports")),
        Visit("import waiting", reverse("contacts:import-detail", args=[ids["waiting"]])),
        Visit("import done", reverse("contacts:import-detail", args=[ids["done"]])),
        Visit("import failed", reverse("contacts:import-detail", args=[ids["failed"]])),
        Visit(
            "import progress",
            reverse("contacts:import-progress", args=[ids["waiting"]]),
            htmx=True,
        ),
        # Templates
        Visit("templates", reverse("mailtemplates:index")),
        Visit("template new", reverse("mailtemplates:create")),
        Visit(
            "template refused",
            reverse("mailtemplates:create"),
            method="post",
            data={"name": "", "subjects": "", "html": ""},
        ),
        Visit("template edit", reverse("mailtemplates:edit", args=[tpl])),
        Visit("template status", reverse("mailtemplates:status", args=[tpl]), htmx=True),
        Visit("template delete", reverse("mailtemplates:delete", args=[tpl])),
        Visit("template preview", reverse("mailtemplates:preview", args=[tpl])),
        Visit(
            "template frame",
            reverse("mailtemplates:preview-frame", args=[tpl]),
            check_text=False,
        ),
        Visit(
            "template lint",
            reverse("mailtemplates:lint"),
            method="post",
            data={"html": "<p>Hi<img src='x.png'><script>x()</script></p>", "text": ""},
            htmx=True,
        ),
        Visit(
            "template text",
            reverse("mailtemplates:text-from-html"),
            method="post",
            data={"html": "<p>你好</p>"},
            htmx=True,
        ),
        Visit("merge tags", reverse("mailtemplates:merge-tags") + f"?list={lst}", htmx=True),
        Visit("template gallery", reverse("mailtemplates:gallery")),
        Visit("saved blocks", reverse("mailtemplates:blocks")),
        Visit(
            "saved block refused",
            reverse("mailtemplates:blocks"),
            method="post",
            data={"kind": "footer", "name": "", "brand_colour": "red"},
            status=400,
        ),
        Visit(
            "gallery frame",
            reverse("mailtemplates:gallery-frame", args=["newsletter-zh"]),
            check_text=False,
        ),
        Visit("builder new", reverse("mailtemplates:builder-new") + "?design=event-zh"),
        Visit("builder", reverse("mailtemplates:builder", args=[tpl])),
        Visit(
            "builder refused",
            reverse("mailtemplates:builder-new"),
            method="post",
            data={"name": "", "subjects": "", "html": "", "project": "{"},
            status=400,
        ),
        Visit("plain letter new", reverse("mailtemplates:richtext-new")),
        Visit("plain letter", reverse("mailtemplates:richtext", args=[tpl])),
        Visit("inbox preview", reverse("mailtemplates:inbox", args=[tpl])),
        Visit("test send", reverse("mailtemplates:test-send", args=[tpl])),
        Visit(
            "test send refused",
            reverse("mailtemplates:test-send", args=[tpl]),
            method="post",
            data={"to": "not-an-address"},
            status=400,
        ),
        # Campaigns
        Visit("campaigns", reverse("campaigns:index")),
        Visit("campaigns filtered", reverse("campaigns:index") + "?status=-2"),
        Visit("calendar", reverse("campaigns:calendar")),
        Visit("calendar month", reverse("campaigns:calendar-month", args=[2026, 12])),
        Visit("new campaign", reverse("campaigns:new")),
        *[
            Visit(f"wizard {step}", reverse("campaigns:step", args=[ids["draft"], step]))
            for step in ("content", "audience", "sender", "schedule")
        ],
        Visit(
            "wizard refused",
            reverse("campaigns:step", args=[ids["draft"], "schedule"]),
            method="post",
            data={"when": "later", "send_at": "2001-01-01T09:00"},
        ),
        Visit("review", reverse("campaigns:review", args=[ids["draft"]])),
        Visit(
            "recipients",
            reverse("campaigns:count") + "?maillist=501&scope=all",
            htmx=True,
        ),
        Visit("campaign", reverse("campaigns:detail", args=[ids["sent"]])),
        Visit("campaign draft", reverse("campaigns:detail", args=[ids["draft"]])),
        Visit("campaign delete", reverse("campaigns:delete", args=[ids["sent"]])),
        Visit("resend", reverse("experiments:resend", args=[ids["sent"]])),
        Visit("a/b test", reverse("experiments:ab", args=[ids["ab"]])),
        Visit("resend job", reverse("experiments:resend-job", args=[ids["resend"]])),
        Visit(
            "resend progress",
            reverse("experiments:resend-job", args=[ids["resend"]]),
            htmx=True,
        ),
        # Analytics
        Visit("statistics", reverse("analytics:index")),
        Visit("report", reverse("analytics:report", args=[ids["reported"]])),
        Visit("openers", reverse("analytics:detail", args=[ids["reported"], "opens"])),
        Visit("clickers", reverse("analytics:detail", args=[ids["reported"], "clicks"])),
        Visit(
            "detail status",
            reverse("analytics:detail-status", args=[ids["reported"], "opens"]),
            htmx=True,
        ),
        Visit(
            "live numbers",
            reverse("analytics:live-numbers", args=[ids["reported"]]),
            htmx=True,
        ),
        Visit(
            "live variants",
            reverse("analytics:live-variants") + f"?c={ids['reported']}&c={ids['sent']}",
            htmx=True,
        ),
        Visit("hygiene", reverse("analytics:hygiene")),
        Visit("hygiene run", reverse("analytics:hygiene-run", args=[ids["hygiene"]])),
        # Domains
        Visit("domains", reverse("domains:index")),
        Visit("domain", reverse("domains:detail", args=[dom])),
        Visit("domain status", reverse("domains:status", args=[dom]), htmx=True),
        Visit("domain delete", reverse("domains:delete", args=[dom])),
        Visit("mailbox password", reverse("domains:mailbox-password", args=[ids["mailbox"]])),
        Visit("mailbox delete", reverse("domains:mailbox-delete", args=[ids["mailbox"]])),
        Visit(
            "mailbox created",
            reverse("domains:mailbox-add", args=[dom]),
            method="post",
            data={"name": f"i18n-{language}"},
        ),
        # SMTP
        Visit("smtp", reverse("smtp:index")),
        Visit("smtp settings", reverse("smtp:settings")),
        Visit("smtp test mail", reverse("smtp:send-test")),
        Visit("smtp mail", reverse("smtp:mail-detail", args=[ids["mail"]])),
        Visit(
            "smtp connection test",
            reverse("smtp:connection-test"),
            method="post",
            status=302,
        ),
        Visit("smtp after the test", reverse("smtp:index")),
        # Operations
        Visit("resync", reverse("ops:resync")),
        Visit("resync jobs", reverse("ops:resync-jobs"), htmx=True),
        Visit("admin", "/admin/", who="staff"),
        Visit("admin sign-in", "/admin/login/", who="anonymous"),
        Visit(
            "admin platform probe",
            reverse("admin:accounts_platformaccount_changelist"),
            who="staff",
            method="post",
            data={"action": "probe_platform", "_selected_action": [ids["account"]]},
        ),
        *admin_visits(),
    ]


class _StaffRequest:
    class user:  # noqa: N801 - a stand-in for request.user
        is_active = is_staff = is_superuser = True

        @staticmethod
        def has_perm(perm, obj=None):
            return True


def admin_visits() -> list[Visit]:
    """The change list and the add form of every model in the admin (their columns, filters and
    field labels are the models' verbose names)."""
    from django.contrib import admin

    found = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.app_label
        if f"{label}/" in PENDING or label in ("auth",):
            continue
        info = (label, model._meta.model_name)
        found.append(
            Visit(f"admin {info}", reverse("admin:{}_{}_changelist".format(*info)), who="staff")
        )
        if model_admin.has_add_permission(_StaffRequest()):
            found.append(
                Visit(f"admin add {info}", reverse("admin:{}_{}_add".format(*info)), who="staff")
            )
    return found
