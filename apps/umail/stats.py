"""§2.2–§2.5 Sending statistics, failure exports and deductions (several scripts)."""

from __future__ import annotations

from .resource import Resource


class StatsAPI(Resource):
    script = ""
