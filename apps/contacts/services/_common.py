"""Constants and helpers the service modules share."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

BATCH_LIMIT = 500  # §4.9.2: "数目不建议超过 500"; above it §4.9.3 file import
SUBSCRIBE_CHUNK = 500
# Platform parse polling: first after 2 s, then x1.5 up to a minute; give up after 6 hours.
POLL_FIRST_SECONDS = 2.0
POLL_FACTOR = 1.5
POLL_MAX_SECONDS = 60.0
POLL_GIVE_UP_SECONDS = 6 * 3600
