from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import ClickRecord, HygieneItem, HygieneRun, LinkStat, OpenRecord

DATETIME = "Y-m-d H:i:s"
TABLE = "table table-sm table-hover align-middle"


class OpenRecordTable(tables.Table):
    open_first = tables.DateTimeColumn(format=DATETIME)
    open_last = tables.DateTimeColumn(format=DATETIME)
    click_first = tables.DateTimeColumn(format=DATETIME, default="—")

    class Meta:
        model = OpenRecord
        fields = (
            "email",
            "open_total",
            "click_total",
            "open_first",
            "open_last",
            "click_first",
            "browser",
            "os",
            "addr_first",
            "ip_first",
        )
        attrs = {"class": TABLE, "data-testid": "opens-table"}
        empty_text = _("No opens in this download.")


class ClickRecordTable(tables.Table):
    click_first = tables.DateTimeColumn(format=DATETIME)
    click_last = tables.DateTimeColumn(format=DATETIME)

    class Meta:
        model = ClickRecord
        fields = ("email", "link", "click_total", "click_first", "click_last")
        attrs = {"class": TABLE, "data-testid": "clicks-table"}
        empty_text = _("No clicks in this download.")

    def render_link(self, value):
        return format_html('<span class="text-break">{}</span>', value)


class LinkTable(tables.Table):
    url = tables.Column(verbose_name=_("Link"))
    share = tables.Column(verbose_name=_("Share of clickers"), empty_values=(), orderable=False)
    # Named here: the table gets a list, so django-tables2 cannot read the model's field names.
    click_unique = tables.Column(verbose_name=_("Unique clicks"))
    click_total = tables.Column(verbose_name=_("Clicks"))
    click_first = tables.DateTimeColumn(verbose_name=_("First click"), format=DATETIME, default="—")
    click_last = tables.DateTimeColumn(verbose_name=_("Last click"), format=DATETIME, default="—")

    class Meta:
        model = LinkStat
        fields = ("url", "click_unique", "click_total", "click_first", "click_last")
        sequence = ("url", "click_unique", "share", "click_total", "click_first", "click_last")
        attrs = {"class": TABLE, "data-testid": "links-table"}
        empty_text = _("No tracked links (or nobody clicked yet).")
        orderable = False

    def __init__(self, *args, clickers: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.clickers = clickers

    def render_url(self, value):
        return format_html('<span class="text-break">{}</span>', value)

    def render_share(self, record):
        if not self.clickers:
            return "—"
        return f"{100 * record.click_unique / self.clickers:.1f} %"


class HygieneRunTable(tables.Table):
    campaign = tables.Column(
        verbose_name=_("Campaign"), accessor="report__campaign", orderable=False
    )
    list_name = tables.Column(verbose_name=_("List"), default="—")
    state = tables.Column(verbose_name=_("State"))
    created_at = tables.DateTimeColumn(verbose_name=_("Started"), format="Y-m-d H:i")
    review = tables.Column(verbose_name="", empty_values=(), orderable=False)

    class Meta:
        model = HygieneRun
        fields = (
            "campaign",
            "list_name",
            "state",
            "hard_failures",
            "unsubscribes",
            "suppressed_new",
            "removed",
            "not_in_list",
            "remove_failed",
            "created_at",
        )
        sequence = (*fields, "review")
        attrs = {"class": TABLE, "data-testid": "hygiene-runs"}
        empty_text = _("No campaign has finished since list hygiene was switched on.")
        order_by = ("-created_at",)

    def render_campaign(self, value):
        return format_html(
            '<a href="{}">{}</a>', reverse("analytics:report", args=[value.pk]), value.display_name
        )

    def render_review(self, record):
        return format_html(
            '<a href="{}">{}</a>', reverse("analytics:hygiene-run", args=[record.pk]), _("Review")
        )


class HygieneItemTable(tables.Table):
    fail_type = tables.Column(verbose_name=_("Failure type"), default="—")

    class Meta:
        model = HygieneItem
        fields = ("email", "reason", "fail_type", "action", "detail")
        attrs = {"class": TABLE, "data-testid": "hygiene-items"}
        empty_text = _("Nothing to do: no hard failures and no unsubscribes.")
        order_by = ("email",)

    def render_fail_type(self, record):
        return record.fail_type_label or "—"
