"""Writes for A/B tests and resends to non-openers, one module per feature."""

from .abtests import (
    abtest_decide,
    abtest_refresh,
    abtest_scores,
    abtest_submit,
    abtests_due,
)
from .resend import resend_run, resend_start

__all__ = [
    "abtest_decide",
    "abtest_refresh",
    "abtest_scores",
    "abtest_submit",
    "abtests_due",
    "resend_run",
    "resend_start",
]
