"""The checks behind /healthz and `manage.py healthcheck`.

status "ok": everything answers. "degraded": the portal works but something it depends on for
fresh data does not (the platform, the beat scheduler); pages show local data. "fail": the
database or the broker is down, so requests or background work cannot be served.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils import timezone

OK, DEGRADED, FAIL = "ok", "degraded", "fail"


@dataclass
class Check:
    status: str
    detail: str = ""
    ms: float | None = None


def _timed(func) -> Check:
    started = time.monotonic()
    try:
        check = func()
    except Exception as exc:  # a health check reports, it never raises
        check = Check(FAIL, f"{type(exc).__name__}: {exc}"[:300])
    check.ms = round((time.monotonic() - started) * 1000, 1)
    return check


def check_database() -> Check:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return Check(OK)


def check_broker() -> Check:
    from edmportal.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        client = getattr(conn.default_channel, "client", None)
        if client is not None and hasattr(client, "ping"):
            client.ping()  # Redis: a real round trip, not just an open socket
        return Check(OK, conn.as_uri())


def check_platform() -> Check:
    """Cached: many web processes probed every few seconds must not hammer the platform."""
    from apps.umail.health import ping

    key = f"ops:health:platform:{settings.UMAIL_PLATFORM_URL}"
    cached = cache.get(key)
    if cached is not None:
        return Check(**cached)
    result = ping(settings.UMAIL_PLATFORM_URL, timeout=settings.OPS_HEALTH_PLATFORM_TIMEOUT)
    check = Check(
        OK if result.reachable else DEGRADED,
        f"{settings.UMAIL_PLATFORM_URL}: {result.detail}",
        round(result.elapsed_ms, 1),
    )
    cache.set(key, asdict(check), settings.OPS_HEALTH_PLATFORM_CACHE_SECONDS)
    return check


def check_scheduler() -> Check:
    from .models import Heartbeat

    beat = Heartbeat.objects.filter(name="beat").first()
    if beat is None:
        return Check(DEGRADED, "no heartbeat from beat and the workers yet")
    age = (timezone.now() - beat.seen_at).total_seconds()
    limit = 3 * settings.OPS_HEARTBEAT_SECONDS
    status = OK if age <= limit else DEGRADED
    return Check(status, f"last heartbeat {age:.0f} s ago (by {beat.worker or '?'})")


CHECKS = {
    "database": check_database,
    "broker": check_broker,
    "platform": check_platform,
    "scheduler": check_scheduler,
}


def run_checks(only: list[str] | None = None) -> dict:
    names = only or list(CHECKS)
    checks = {}
    for name in names:
        if name == "scheduler" and "database" in checks and checks["database"].status != OK:
            continue  # the heartbeat lives in the database
        checks[name] = _timed(CHECKS[name])
    # Only the platform and the scheduler may degrade; the database and broker fail outright.
    for name in ("platform", "scheduler"):
        if name in checks and checks[name].status == FAIL:
            checks[name].status = DEGRADED
    statuses = {c.status for c in checks.values()}
    overall = FAIL if FAIL in statuses else DEGRADED if DEGRADED in statuses else OK
    return {"status": overall, "checks": {name: asdict(c) for name, c in checks.items()}}
