"""Constants and helpers the service modules share."""

from __future__ import annotations

import logging

from apps.core.exceptions import ApplicationError

from ..models import Campaign

logger = logging.getLogger(__name__)

S = Campaign.LocalState
St = Campaign.Status
# Reconciling a lost reply: first look after the read timeout plus this, then at these gaps;
# after the last one without a match the campaign is LOST (and may be sent again).
RECONCILE_FIRST_EXTRA = 5.0
RECONCILE_GAPS = (30.0, 60.0, 120.0)
FULL_SYNC_PAGE = 100
# Live pages ask for a §6.1 refresh of an active campaign at most this often.
LIVE_SYNC_SECONDS = 4.0


class CampaignRefused(ApplicationError):
    """The campaign cannot be sent as it is; `reasons` say why (nothing was called)."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class ActionNotAllowed(ApplicationError):
    """The action is not offered in the campaign's current state."""
