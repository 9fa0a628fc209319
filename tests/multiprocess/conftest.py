"""The `topology` fixture: gunicorn, two Celery worker nodes and beat as real processes."""

from __future__ import annotations

import pytest

from .topology import Topology

# Fast failover for the tests: a crashed worker's job comes back after 6 s (production: the
# time limit plus half an hour), workers look for such jobs every second, and a resync pauses
# long enough between its steps for the test to kill the worker in the middle.
FAST_FAILOVER = {
    "CELERY_VISIBILITY_TIMEOUT": 6,
    "CELERY_UNACKED_RESTORE_INTERVAL": 1,
    "CELERY_UNACKED_RESTORE_THROTTLE": 1,
    "OPS_RESYNC_PAUSE_SECONDS": 3,
    "OPS_JOB_LEASE_SECONDS": 4,
    "OPS_HEARTBEAT_SECONDS": 2,
    "DJANGO_LOG_LEVEL": "INFO",
    # /healthz shows its checks' details only to staff or with this token.
    "OPS_HEALTH_TOKEN": "topology-health-token",
}


@pytest.fixture(scope="module")
def topology(django_db_setup, django_db_blocker, sandbox, tmp_path_factory):
    from django.conf import settings
    from django.db import connection

    from conftest import _database_url

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine or not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip(
            "the multi-process topology runs on PostgreSQL and Redis: set DATABASE_URL and "
            "REDIS_URL (as .ci/run does)"
        )
    topo = Topology(
        database_url=_database_url(connection.settings_dict),
        redis_url=settings.CELERY_BROKER_URL,
        platform_url=sandbox.url,
        credentials_keys=",".join(settings.CREDENTIALS_KEYS),
        tmp=tmp_path_factory.mktemp("topology"),
        extra_env=FAST_FAILOVER,
    )
    try:
        yield topo.start()
    finally:
        topo.stop()
