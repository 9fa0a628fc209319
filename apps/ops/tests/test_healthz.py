"""/healthz: database, broker and platform reachability; degraded vs failed."""

import socket
import threading

import pytest
from django.core.cache import cache
from django.utils import timezone

from apps.ops.models import Heartbeat

TOKEN = "probe-token-123"


@pytest.fixture(autouse=True)
def _health_token(settings):
    settings.OPS_HEALTH_TOKEN = TOKEN


@pytest.fixture(autouse=True)
def _no_cached_platform_answer():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_all_up_is_ok(client, sandbox, settings):
    Heartbeat.objects.create(name="beat", seen_at=timezone.now(), worker="w1@host")
    response = client.get("/healthz", HTTP_X_HEALTH_TOKEN=TOKEN)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok", body
    assert set(body["checks"]) == {"database", "broker", "platform", "scheduler"}
    assert body["checks"]["platform"]["detail"].startswith(sandbox.url)
    assert body["request_id"] == response["X-Request-ID"]
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_platform_down_is_degraded_not_failed(client, settings):
    # The autouse fixture points the platform at a closed port.
    Heartbeat.objects.create(name="beat", seen_at=timezone.now())
    response = client.get("/healthz", HTTP_X_HEALTH_TOKEN=TOKEN)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["platform"]["status"] == "degraded"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["broker"]["status"] == "ok"


@pytest.mark.django_db
def test_a_platform_that_never_answers_costs_only_the_short_timeout(client, settings):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)  # accepts connections, never answers
    settings.UMAIL_PLATFORM_URL = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    settings.OPS_HEALTH_PLATFORM_TIMEOUT = 0.5
    try:
        response = client.get("/healthz", HTTP_X_HEALTH_TOKEN=TOKEN)
    finally:
        listener.close()
    platform = response.json()["checks"]["platform"]
    assert response.status_code == 200
    assert platform["status"] == "degraded"
    assert platform["ms"] < 3000


@pytest.mark.django_db
def test_the_platform_answer_is_cached_between_probes(client, sandbox, settings):
    hits = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            hits.append(1)
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    settings.UMAIL_PLATFORM_URL = f"http://127.0.0.1:{server.getsockname()[1]}/"
    try:
        for _ in range(3):
            assert (
                client.get("/healthz", HTTP_X_HEALTH_TOKEN=TOKEN).json()["checks"]["platform"][
                    "status"
                ]
                == "ok"
            )
    finally:
        server.close()
    assert len(hits) == 1


@pytest.mark.django_db
def test_broker_down_fails_with_503(client, broker_down):
    response = client.get("/healthz", HTTP_X_HEALTH_TOKEN=TOKEN)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["broker"]["status"] == "fail"
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.django_db
def test_a_stale_scheduler_heartbeat_is_degraded(client, settings, sandbox):
    settings.OPS_HEARTBEAT_SECONDS = 60
    Heartbeat.objects.create(
        name="beat", seen_at=timezone.now() - timezone.timedelta(minutes=10), worker="w@h"
    )
    body = client.get("/healthz", HTTP_X_HEALTH_TOKEN=TOKEN).json()
    assert body["status"] == "degraded"
    assert body["checks"]["scheduler"]["status"] == "degraded"
    assert "600 s ago" in body["checks"]["scheduler"]["detail"]


@pytest.mark.django_db
def test_healthz_answers_any_host_and_plain_http_in_production(client, settings, sandbox):
    # Probes come from inside the container or the load balancer: internal Host, no TLS.
    settings.ALLOWED_HOSTS = ["edm.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz", HTTP_HOST="10.0.3.7:8000").status_code == 200
    # Every other page still enforces both.
    assert client.get("/login/", HTTP_HOST="10.0.3.7:8000").status_code == 400
    assert client.get("/login/", HTTP_HOST="edm.example.com").status_code == 301


@pytest.mark.django_db
def test_strangers_get_the_status_only(client, settings, broker_down):
    """Regression: /healthz told anyone the broker, the platform URL, the worker's host name and
    exception details."""
    settings.UMAIL_PLATFORM_URL = "http://platform.internal.example:8025/"
    Heartbeat.objects.create(name="beat", seen_at=timezone.now(), worker="w1@secret-host")
    for headers in ({}, {"HTTP_X_HEALTH_TOKEN": "wrong"}, {"HTTP_AUTHORIZATION": "Bearer no"}):
        response = client.get("/healthz", **headers)
        assert response.status_code == 503
        assert response.json() == {"status": "fail"}
        text = response.content.decode()
        for secret in ("platform.internal", "secret-host", "redis", "Error", "broker"):
            assert secret not in text


@pytest.mark.django_db
def test_staff_and_the_token_see_the_details(client, sandbox, settings):
    from django.contrib.auth import get_user_model

    assert "checks" in client.get("/healthz", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").json()
    settings.OPS_HEALTH_TOKEN = ""
    assert "checks" not in client.get("/healthz", HTTP_X_HEALTH_TOKEN="").json()
    marketer = get_user_model().objects.create_user("marketer", password="x-123456789")
    client.force_login(marketer)
    assert "checks" not in client.get("/healthz").json()
    staff = get_user_model().objects.create_user("ops", password="x-123456789", is_staff=True)
    client.force_login(staff)
    assert set(client.get("/healthz").json()["checks"]) >= {"database", "broker"}
