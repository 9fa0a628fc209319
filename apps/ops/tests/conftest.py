import pytest
from kombu import pools

from edmportal.celery import app


def _reset_pools():
    # The app caches connection and producer pools bound to the URL of their first use.
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    # kombu's global registries may hold the pools just closed; drop them so that later tests
    # (and the shared celery_worker fixture) get fresh ones instead of "Acquire on closed pool".
    pools.reset()


@pytest.fixture
def broker_down():
    """The broker URL pointed at a closed port for one test (a real failed connection)."""
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"
    _reset_pools()
    yield
    app.conf.broker_url = original
    _reset_pools()
