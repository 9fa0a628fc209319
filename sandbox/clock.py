"""The sandbox's notion of "now".

Every date the sandbox computes (seeded service periods, timestamps of calls and
sessions) goes through one :class:`Clock`, so that an accelerated or shifted clock
can later be introduced in one place without touching the operations.
"""

from __future__ import annotations

import datetime as dt


class Clock:
    """Wall-clock time in the platform's zone (China Standard Time, UTC+8, no DST)."""

    tz = dt.timezone(dt.timedelta(hours=8), "CST")

    def now(self) -> dt.datetime:
        return dt.datetime.now(self.tz)

    def today(self) -> dt.date:
        return self.now().date()

    def timestamp(self) -> str:
        """``YYYY-MM-DD HH:MM:SS``, the format the platform prints times in."""
        return self.now().strftime("%Y-%m-%d %H:%M:%S")
