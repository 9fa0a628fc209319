"""Local state for Analytics: mirrors of §2.2–§2.5 and §3, their time series, the open and click
detail, and list-hygiene runs.

Pages read only these tables; Celery keeps them in sync (services.py). A campaign's report is
followed while something can still change and becomes `final` afterwards, so a sync only asks
the platform about what can have changed.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import AccountOwned, account_key
from apps.core.fields import user_key
from apps.core.jobs import BackgroundJob

#: §2.3 failure types (codes as §2.3.2 prints them).
FAIL_TYPE_LABELS = {
    1: _("Mailbox does not exist"),
    2: _("Mailbox full"),
    3: _("Rejected by the recipient"),
    5: _("Refused as spam"),
    8: _("Invalid address"),
    9: _("Format error"),
}


def tracking_numbers(overview) -> dict:
    """§3.1's counts and times from a TrackOverview, by the field names of TrackingNumbers."""
    return {
        "real_send_count": overview.real_send_count,
        "error_send_count": overview.error_send_count,
        "open_unique": overview.open_unique,
        "open_total": overview.open_total,
        "click_unique": overview.click_unique,
        "click_total": overview.click_total,
        "open_first": overview.first_open_at,
        "open_last": overview.last_open_at,
        "click_first": overview.first_click_at,
        "click_last": overview.last_click_at,
    }


class TrackingNumbers(models.Model):
    """§3.1's counts and times, as the report keeps them (with one mapping, tracking_numbers)."""

    real_send_count = models.BigIntegerField(_("actually sent"), default=0)
    error_send_count = models.BigIntegerField(_("failed"), default=0)
    open_unique = models.BigIntegerField(_("unique opens"), default=0)
    open_total = models.BigIntegerField(_("opens"), default=0)
    click_unique = models.BigIntegerField(_("unique clicks"), default=0)
    click_total = models.BigIntegerField(_("clicks"), default=0)
    open_first = models.DateTimeField(_("first open"), null=True, blank=True)
    open_last = models.DateTimeField(_("last open"), null=True, blank=True)
    click_first = models.DateTimeField(_("first click"), null=True, blank=True)
    click_last = models.DateTimeField(_("last click"), null=True, blank=True)

    class Meta:
        abstract = True

    def unique_rate(self, metric: str) -> float | None:
        """Unique opens ("opens") or clicks ("clicks") per delivered message, as a fraction
        (None before anything was delivered). The A/B winner is chosen by it."""
        if not self.real_send_count:
            return None
        part = self.open_unique if metric == "opens" else self.click_unique
        return part / self.real_send_count


class CampaignReport(TrackingNumbers):
    """One campaign's statistics as last synced: §2.4 (delivery) and §3.1 (tracking)."""

    account = account_key("campaign_reports")
    campaign = models.OneToOneField(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="report",
        verbose_name=_("campaign"),
    )
    stat_task_id = models.BigIntegerField(_("statistics task id"), null=True, blank=True)
    track_id = models.BigIntegerField(_("tracking id"), null=True, blank=True)
    task_ident = models.CharField(_("batch number"), max_length=64, blank=True)

    # §2.4
    planned = models.BigIntegerField(_("planned"), default=0)  # totalsum
    sent = models.BigIntegerField(_("sent"), default=0)  # total
    delivered = models.BigIntegerField(_("delivered"), default=0)  # success
    failed = models.BigIntegerField(_("failed"), default=0)
    invalid = models.BigIntegerField(_("invalid or malformed"), default=0)
    not_exist = models.BigIntegerField(_("mailbox does not exist"), default=0)
    over_quota = models.BigIntegerField(_("mailbox full"), default=0)
    user_reject = models.BigIntegerField(_("rejected"), default=0)
    spam = models.BigIntegerField(_("refused as spam"), default=0)  # rubbish
    credits = models.BigIntegerField(_("credits used"), default=0)  # actual
    stats_synced_at = models.DateTimeField(_("statistics synced at"), null=True, blank=True)

    # §3.1
    open_rate = models.DecimalField(
        _("open rate"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    click_rate = models.DecimalField(
        _("click rate"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    tracking_synced_at = models.DateTimeField(_("tracking synced at"), null=True, blank=True)
    links_synced_at = models.DateTimeField(_("links synced at"), null=True, blank=True)

    # Following: what the campaign mirror said at the last sync (a change makes it due now),
    # when to look again, failures and their backoff, and whether anything can still change.
    seen_status = models.SmallIntegerField(_("send status seen"), null=True, blank=True)
    seen_send_count = models.BigIntegerField(_("sent count seen"), default=0)
    seen_error_count = models.BigIntegerField(_("failed count seen"), default=0)
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)
    next_sync_at = models.DateTimeField(_("next sync at"), default=timezone.now)
    final = models.BooleanField(_("final"), default=False)
    failures = models.PositiveIntegerField(_("failed syncs"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign report")
        indexes = [
            models.Index(fields=["final", "next_sync_at"]),
            models.Index(fields=["account", "open_rate"]),
            models.Index(fields=["account", "click_rate"]),
        ]

    def __str__(self) -> str:
        return _("Report of campaign %(id)s") % {"id": self.campaign_id}

    @property
    def tracked(self) -> bool:
        return bool(self.campaign.track_status)

    def failure_counts(self) -> list[tuple[int, str, int]]:
        """(§2.3 type, label, count) for every failure type §2.4 counts separately."""
        by_type = {1: self.not_exist, 2: self.over_quota, 3: self.user_reject, 5: self.spam}
        out = [(code, FAIL_TYPE_LABELS[code], count) for code, count in by_type.items()]
        # §2.4 counts invalid and malformed addresses together.
        out.append((8, _("Invalid or malformed address"), self.invalid))
        return out


class TrackingPoint(models.Model):
    """A snapshot of a campaign's opens and clicks, kept when they changed: the charts of how
    opens and clicks grew."""

    report = models.ForeignKey(
        CampaignReport, on_delete=models.CASCADE, related_name="points", verbose_name=_("report")
    )
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)
    delivered = models.BigIntegerField(_("delivered"), default=0)
    open_unique = models.BigIntegerField(_("unique opens"), default=0)
    open_total = models.BigIntegerField(_("opens"), default=0)
    click_unique = models.BigIntegerField(_("unique clicks"), default=0)
    click_total = models.BigIntegerField(_("clicks"), default=0)

    class Meta:
        verbose_name = _("tracking point")
        verbose_name_plural = _("tracking points")
        ordering = ["taken_at", "id"]
        indexes = [models.Index(fields=["report", "taken_at"])]

    def __str__(self) -> str:
        return f"{self.report_id} @ {self.taken_at}"

    def same_numbers(self, other) -> bool:
        names = ("delivered", "open_unique", "open_total", "click_unique", "click_total")
        return all(getattr(self, n) == getattr(other, n) for n in names)


class LinkStat(models.Model):
    """§3.5 (and §3.1 `link_statistic`): one tracked link of a campaign."""

    report = models.ForeignKey(
        CampaignReport, on_delete=models.CASCADE, related_name="links", verbose_name=_("report")
    )
    link_id = models.BigIntegerField(_("link id"))
    url = models.TextField(_("link"))
    click_unique = models.BigIntegerField(_("unique clicks"), default=0)
    click_total = models.BigIntegerField(_("clicks"), default=0)
    click_first = models.DateTimeField(_("first click"), null=True, blank=True)
    click_last = models.DateTimeField(_("last click"), null=True, blank=True)

    class Meta:
        verbose_name = _("link statistic")
        verbose_name_plural = _("link statistics")
        ordering = ["-click_unique", "link_id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "link_id"], name="unique_link_per_report")
        ]

    def __str__(self) -> str:
        return self.url


class DailyStats(models.Model):
    """§2.2 one day of the account (the platform's Beijing date)."""

    account = account_key("daily_stats")
    date = models.DateField(_("date"))
    ws_qty = models.BigIntegerField(_("batches"), default=0)
    ws_error = models.BigIntegerField(_("not sent"), default=0)
    ws_count = models.BigIntegerField(_("processed"), default=0)
    invalid_addr = models.BigIntegerField(_("invalid addresses"), default=0)
    format_error = models.BigIntegerField(_("format errors"), default=0)
    send_count = models.BigIntegerField(_("planned"), default=0)
    deduc_count = models.BigIntegerField(_("credits reserved"), default=0)
    actual_send = models.BigIntegerField(_("delivered"), default=0)
    send_error = models.BigIntegerField(_("delivery failures"), default=0)
    actual_deduc = models.BigIntegerField(_("credits used"), default=0)
    deductions_total = models.BigIntegerField(_("credits (§2.5)"), default=0)
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)
    next_sync_at = models.DateTimeField(_("next sync at"), default=timezone.now)
    final = models.BooleanField(_("final"), default=False)
    failures = models.PositiveIntegerField(_("failed syncs"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("daily statistics")
        verbose_name_plural = _("daily statistics")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["account", "date"], name="unique_day_per_account")
        ]
        indexes = [models.Index(fields=["final", "next_sync_at"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.date}"


class DailyDeduction(AccountOwned):
    """§2.5 one kind of credits used on a day."""

    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=100)
    company = models.CharField(_("company"), max_length=255, blank=True)
    send_num = models.BigIntegerField(_("messages"), default=0)
    total = models.BigIntegerField(_("credits"), default=0)

    class Meta:
        verbose_name = _("daily deduction")
        verbose_name_plural = _("daily deductions")
        ordering = ["date", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "date", "kind"], name="unique_deduction_kind_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.kind}: {self.total}"


class QuotaPoint(AccountOwned):
    """The quota left at the end of a day as last seen (§1.2, refreshed by the accounts app)."""

    date = models.DateField(_("date"))
    qty_available = models.BigIntegerField(_("quota available"), null=True, blank=True)
    qty_buytotal = models.BigIntegerField(_("quota bought"), null=True, blank=True)
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)

    class Meta:
        verbose_name = _("quota point")
        verbose_name_plural = _("quota points")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["account", "date"], name="unique_quota_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.qty_available}"


class DetailFetch(AccountOwned, BackgroundJob):
    """One download of a campaign's §3.2 open detail or §3.3 click detail. Its rows replace the
    previous fetch's only when it completes: a broken or partial reply leaves the last good
    detail in place."""

    class Kind(models.TextChoices):
        OPENS = "opens", _("Open detail")
        CLICKS = "clicks", _("Click detail")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Downloading")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    report = models.ForeignKey(
        CampaignReport, on_delete=models.CASCADE, related_name="fetches", verbose_name=_("report")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    rows = models.BigIntegerField(_("rows"), default=0)
    # Openers by browser, OS and area (top ten each), computed once the rows are in.
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    requested_by = user_key(_("requested by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)

    class Meta:
        verbose_name = _("detail download")
        verbose_name_plural = _("detail downloads")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["report", "kind", "state"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.report_id} ({self.get_state_display()})"

    @property
    def busy(self) -> bool:
        return self.state in (self.State.PENDING, self.State.RUNNING)


# The detail tables take a million rows in one COPY, written only with their fetch row in the
# same transaction: the (fetch, email) index serves lookups by fetch, and a database-level
# foreign key would check every row again at commit (seconds for a million). Deletes cascade in
# Django, and drop_older deletes the rows before their fetch.
DETAIL_FETCH = dict(on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False)


class OpenRecord(models.Model):
    """§3.2 one opener, as of its fetch."""

    fetch = models.ForeignKey(DetailFetch, verbose_name=_("download"), **DETAIL_FETCH)
    email_id = models.BigIntegerField(_("e-mail id"), null=True)
    email = models.CharField(_("e-mail"), max_length=320)
    browser = models.CharField(_("browser"), max_length=200, blank=True)
    os = models.CharField(_("operating system"), max_length=200, blank=True)
    addr_first = models.CharField(_("area (first open)"), max_length=200, blank=True)
    ip_first = models.CharField(_("IP (first open)"), max_length=64, blank=True)
    ip_last = models.CharField(_("IP (last open)"), max_length=64, blank=True)
    addr_last = models.CharField(_("area (last open)"), max_length=200, blank=True)
    open_total = models.IntegerField(_("opens"), default=0)
    click_total = models.IntegerField(_("clicks"), default=0)
    open_first = models.DateTimeField(_("first open"), null=True)
    open_last = models.DateTimeField(_("last open"), null=True)
    click_first = models.DateTimeField(_("first click"), null=True)
    click_last = models.DateTimeField(_("last click"), null=True)

    class Meta:
        verbose_name = _("opener")
        verbose_name_plural = _("openers")
        indexes = [models.Index(fields=["fetch", "email"])]

    def __str__(self) -> str:
        return self.email


class ClickRecord(models.Model):
    """§3.3 one recipient's clicks on one link, as of its fetch."""

    fetch = models.ForeignKey(DetailFetch, verbose_name=_("download"), **DETAIL_FETCH)
    click_id = models.BigIntegerField(_("click id"), null=True)
    email = models.CharField(_("e-mail"), max_length=320)
    link = models.TextField(_("link"), blank=True)
    click_unique = models.IntegerField(_("unique clicks"), default=0)
    click_total = models.IntegerField(_("clicks"), default=0)
    click_first = models.DateTimeField(_("first click"), null=True)
    click_last = models.DateTimeField(_("last click"), null=True)

    class Meta:
        verbose_name = _("click")
        verbose_name_plural = _("clicks")
        indexes = [models.Index(fields=["fetch", "email"])]

    def __str__(self) -> str:
        return f"{self.email} → {self.link}"


class HygieneSettings(models.Model):
    """The account's list-hygiene choices."""

    account = account_key("hygiene_settings", one=True)
    enabled = models.BooleanField(
        _("Add hard failures and unsubscribes to the suppression list after each campaign"),
        default=True,
    )
    remove_from_lists = models.BooleanField(
        _("Also remove hard failures from the list they were sent to"), default=False
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("list hygiene settings")
        verbose_name_plural = _("list hygiene settings")

    def __str__(self) -> str:
        return _("List hygiene of account %(id)s") % {"id": self.account_id}


class HygieneRun(BackgroundJob):
    """List hygiene after one finished campaign: what was found, suppressed and removed."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        COLLECTING = "collecting", _("Collecting failures and unsubscribes")
        REMOVING = "removing", _("Removing from the list")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    account = account_key("hygiene_runs")
    report = models.OneToOneField(
        CampaignReport,
        on_delete=models.CASCADE,
        related_name="hygiene_run",
        verbose_name=_("report"),
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.PENDING
    )
    list_id = models.BigIntegerField(_("list"), null=True, blank=True)
    list_name = models.CharField(_("list name"), max_length=255, blank=True)
    remove_enabled = models.BooleanField(_("removal switched on"), default=False)
    hard_failures = models.PositiveIntegerField(_("hard failures"), default=0)
    unsubscribes = models.PositiveIntegerField(_("unsubscribes"), default=0)
    suppressed_new = models.PositiveIntegerField(_("newly suppressed"), default=0)
    removed = models.PositiveIntegerField(_("removed from the list"), default=0)
    not_in_list = models.PositiveIntegerField(_("no longer in the list"), default=0)
    remove_failed = models.PositiveIntegerField(_("could not be removed"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)

    class Meta:
        verbose_name = _("list hygiene run")
        verbose_name_plural = _("list hygiene runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return _("List hygiene of report %(id)s (%(state)s)") % {
            "id": self.report_id,
            "state": self.get_state_display(),
        }

    @property
    def busy(self) -> bool:
        return self.state in (self.State.PENDING, self.State.COLLECTING, self.State.REMOVING)


class HygieneItem(models.Model):
    """One address a hygiene run dealt with, and what was done."""

    class Reason(models.TextChoices):
        HARD_FAILURE = "hard_failure", _("Hard failure")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")

    class Action(models.TextChoices):
        SUPPRESSED = "suppressed", _("Suppressed (kept in the list)")
        TO_REMOVE = "to_remove", _("Suppressed, waiting for removal")
        REMOVED = "removed", _("Suppressed and removed from the list")
        NOT_IN_LIST = "not_in_list", _("Suppressed (already gone from the list)")
        REMOVE_FAILED = "remove_failed", _("Suppressed; removal failed")

    run = models.ForeignKey(
        HygieneRun, on_delete=models.CASCADE, related_name="items", verbose_name=_("run")
    )
    email = models.CharField(_("e-mail"), max_length=320)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    fail_type = models.SmallIntegerField(_("failure type"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("list hygiene item")
        verbose_name_plural = _("list hygiene items")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "email", "reason"], name="unique_hygiene_item_per_run"
            )
        ]
        indexes = [models.Index(fields=["run", "action"])]

    def __str__(self) -> str:
        return f"{self.email}: {self.get_action_display()}"

    @property
    def fail_type_label(self) -> str:
        return str(FAIL_TYPE_LABELS.get(self.fail_type, "")) if self.fail_type else ""
