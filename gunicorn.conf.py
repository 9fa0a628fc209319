"""gunicorn's settings wherever the portal is served: the Docker image, docker-compose, the
multi-process test and the load benchmark all start `gunicorn edmportal.wsgi:application` from
this directory, which reads this file. Flags on the command line (or GUNICORN_CMD_ARGS) win."""

import os

# -- sockets and processes -------------------------------------------------------------------
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# Threaded workers: a connection that is open but idle (a browser's keep-alive or preconnect)
# waits in the worker's poller. A sync worker would sit on it, blocking every other request to
# that process until the browser spoke, unless a buffering proxy stood in front.
worker_class = "sync"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = 5

# -- time limits and recycling ---------------------------------------------------------------
# Pages read local data; the few that call the platform give up after UMAIL_READ_TIMEOUT.
timeout = 60
graceful_timeout = 30
max_requests = 1000  # a slow leak in any library cannot grow a worker without bound
max_requests_jitter = 100
# Heartbeat files in memory: a slow disk cannot make the arbiter kill healthy workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# -- request limits --------------------------------------------------------------------------
# The request line and headers (gunicorn's defaults, stated): a longer URL or a bigger header is
# refused with 400 before Django sees it. gunicorn has no body limit: the proxy's
# client_max_body_size and the portal's own per-view limits (UPLOAD_MAX_REQUEST_BYTES,
# apps/core/uploads.py) cap bodies; see docs/OPERATIONS.md, "Request size limits".
limit_request_line = int(os.environ.get("GUNICORN_LIMIT_REQUEST_LINE", "8190"))
limit_request_fields = int(os.environ.get("GUNICORN_LIMIT_REQUEST_FIELDS", "100"))
limit_request_field_size = int(os.environ.get("GUNICORN_LIMIT_REQUEST_FIELD_SIZE", "8190"))
