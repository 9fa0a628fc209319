"""§3 Tracking: opens, clicks, links and tracked-address exports."""

from __future__ import annotations

from .resource import Resource


class TrackingAPI(Resource):
    script = "track.php"
