"""Request ids for every request, an access log line per request, and /healthz ahead of the rest."""

from __future__ import annotations

import logging
import time

from .context import clean_request_id, request_id_var

access_logger = logging.getLogger("edmportal.access")

HEALTHZ_PATH = "/healthz"


class RequestIdMiddleware:
    """Sets `request.id` from X-Request-ID (a proxy's id) or a new uuid, puts it in every log
    record of the request, returns it as X-Request-ID and logs one access line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = clean_request_id(request.headers.get("X-Request-ID"))
        token = request_id_var.set(request.id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.id
            if request.path != HEALTHZ_PATH:  # probes every few seconds would drown the log
                access_logger.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    },
                )
            return response
        finally:
            request_id_var.reset(token)


class HealthzMiddleware:
    """Answers /healthz before host validation and the HTTPS redirect: container and load-balancer
    probes come over plain HTTP with an internal Host header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == HEALTHZ_PATH and request.method in ("GET", "HEAD"):
            from .views import healthz

            return healthz(request)
        return self.get_response(request)
