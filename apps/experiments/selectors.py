"""Reads for the A/B and resend pages: local data only."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import ABTest, ResendJob


def ab_tests_for(*, account) -> QuerySet[ABTest]:
    return ABTest.objects.filter(account=account)


def open_ab_tests(*, account) -> QuerySet[ABTest]:
    """A/B tests still running or waiting for a decision (the campaigns page lists them)."""
    return ab_tests_for(account=account).exclude(
        state__in=[ABTest.State.DONE, ABTest.State.CANCELLED]
    )


def resend_jobs_for(*, account) -> QuerySet[ResendJob]:
    return ResendJob.objects.filter(account=account)
