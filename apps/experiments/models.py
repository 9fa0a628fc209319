"""A/B tests and resends to non-openers: campaigns made from other campaigns and judged by their
statistics (apps.analytics). Their tables keep the names they had in the campaigns app."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import AccountOwned, account_key
from apps.campaigns.models import ABKind, ABMetric, ABMode, Campaign
from apps.core.fields import user_key
from apps.core.jobs import BackgroundJob


class ABTest(models.Model):
    """Variants to a test slice of a list; after a wait the winner goes to the rest."""

    # The choices of the plan a draft carries from the campaign wizard (apps.campaigns).
    Metric = ABMetric
    Mode = ABMode
    Kind = ABKind

    class State(models.TextChoices):
        TESTING = "testing", _("Testing the variants")
        READY = "ready", _("Waiting for your choice")
        SENDING_WINNER = "sending", _("Winner sent to the rest")
        DONE = "done", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    account = account_key("ab_tests")
    name = models.CharField(_("name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEMPLATES)
    list_id = models.BigIntegerField(_("list id"))
    list_name = models.CharField(_("list name"), max_length=255, blank=True)
    range_start = models.PositiveIntegerField(_("range start"), default=1)
    range_end = models.PositiveIntegerField(_("range end"), default=0)  # 0: the end of the list
    audience = models.BigIntegerField(_("audience"), default=0)
    test_percent = models.PositiveSmallIntegerField(_("test slice (%)"), default=10)
    test_end = models.PositiveIntegerField(
        _("end of the test slice"), default=0
    )  # last address of the test slice
    metric = models.CharField(
        _("metric"), max_length=10, choices=Metric.choices, default=Metric.OPENS
    )
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.AUTO)
    wait_hours = models.DecimalField(_("wait (hours)"), max_digits=6, decimal_places=2, default=4)
    decide_at = models.DateTimeField(_("decide at"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.TESTING
    )
    winner = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("winner"),
    )
    rest_campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("campaign to the rest"),
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_by = user_key(_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        db_table = "campaigns_abtest"  # moved from campaigns with its data
        verbose_name = _("A/B test")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "decide_at"])]

    def __str__(self) -> str:
        return self.name or f"A/B {self.pk}"

    @property
    def variants(self):
        return self.campaigns.filter(ab_role=Campaign.Role.VARIANT).order_by("ab_label", "id")


class ResendJob(AccountOwned, BackgroundJob):
    """Resend to non-openers: the campaign's recipients minus its §3.2 openers go into a new
    list, then a draft campaign to it is prepared."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to start")
        RUNNING = "running", _("Building the list")
        DONE = "done", _("List ready")
        FAILED = "failed", _("Failed")

    source = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="resends",
        verbose_name=_("source campaign"),
    )
    user = user_key(_("started by"))
    list_name = models.CharField(_("new list name"), max_length=255)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    new_list_id = models.BigIntegerField(_("new list id"), null=True, blank=True)
    openers = models.BigIntegerField(_("openers"), default=0)
    recipients = models.BigIntegerField(_("recipients"), default=0)
    added = models.BigIntegerField(_("added"), default=0)
    refused = models.BigIntegerField(_("left out"), default=0)
    draft = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("draft campaign"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        db_table = "campaigns_resendjob"  # moved from campaigns with its data
        ordering = ["-created_at", "-id"]
        verbose_name = _("resend to non-openers")
        verbose_name_plural = _("resends to non-openers")

    def __str__(self) -> str:
        return f"#{self.source_id} → {self.list_name}"
