"""Settings shared by every environment.

Values come from the environment (django-environ); `.env` at the project root is read when present.
dev/test/prod only change defaults; prod differs from the others by environment values alone.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
env.read_env(str(BASE_DIR / ".env"), overwrite=False)

# ------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
ROOT_URLCONF = "edmportal.urls"
WSGI_APPLICATION = "edmportal.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ------------------------------------------------------------------------------
# Internationalisation: the platform speaks Beijing time; we store UTC and show the user's zone.
# ------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# Numbers grouped by thousands in Chinese too (Django's zh_Hans default has no separator).
FORMAT_MODULE_PATH = ["edmportal.formats"]

# ------------------------------------------------------------------------------
# Database: SQLite by default so `make run` needs no server; DATABASE_URL selects PostgreSQL.
# ------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("OPTIONS", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Worker, beat and web share the file: wait for locks instead of failing at once.
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")

# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "axes",
    "csp",
    "apps.core",
    "apps.umail",
    "apps.accounts",
    "apps.contacts",
    "apps.mailtemplates",
    "apps.campaigns",
    "apps.analytics",
    "apps.experiments",
    "apps.domains",
    "apps.smtp",
    "apps.ops",
]

MIDDLEWARE = [
    # First, so every log line of a request carries its id; /healthz answers before host checks
    # and the HTTPS redirect, so probes from inside the container or the load balancer work.
    "apps.ops.middleware.RequestIdMiddleware",
    "apps.ops.middleware.HealthzMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in user's own language and time zone (after Locale- and AuthenticationMiddleware).
    "apps.accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Messages of htmx requests travel as toasts in the HX-Trigger header.
    "apps.core.middleware.HtmxMessagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.accounts.middleware.CurrentAccountMiddleware",
    # Ends sessions whose platform password changed; renews (slides) the others.
    "apps.accounts.sessions.SessionCredentialsMiddleware",
    # Refuses requests over their view's size limit before anything (CSRF included) reads them.
    "apps.core.uploads.UploadLimitMiddleware",
    # Last: turns a sign-in that django-axes locked out into the "too many failed sign-ins" page.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.accounts.context_processors.current_account",
                "apps.core.navigation.navigation",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# ------------------------------------------------------------------------------
# Authentication: marketers sign in through the platform; staff through Django's own backend.
# ------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username/client address before any password is checked.
    "apps.accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The client address behind a proxy: X-Forwarded-For is believed only from these addresses or
# networks (comma-separated, e.g. "10.0.0.2,172.18.0.0/16"); otherwise REMOTE_ADDR is the client.
TRUSTED_PROXIES = env.list("DJANGO_TRUSTED_PROXIES", default=[])
# Sign-in lockout (django-axes, apps.accounts.lockout) on every sign-in: the platform's, the team
# members' and /admin/. A username is locked for one client address after this many failures from
# it; a client address after SIGNIN_MAX_FAILURES_PER_IP failures across usernames. The lock ends
# SIGNIN_THROTTLE_WINDOW_SECONDS after the last failure.
SIGNIN_THROTTLE_WINDOW_SECONDS = env.int("SIGNIN_THROTTLE_WINDOW_SECONDS", default=15 * 60)
SIGNIN_MAX_FAILURES_PER_USERNAME = env.int("SIGNIN_MAX_FAILURES_PER_USERNAME", default=5)
SIGNIN_MAX_FAILURES_PER_IP = env.int("SIGNIN_MAX_FAILURES_PER_IP", default=20)
AXES_ENABLED = True
AXES_HANDLER = "apps.accounts.lockout.SignInLockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = SIGNIN_MAX_FAILURES_PER_USERNAME
AXES_COOLOFF_TIME = timedelta(seconds=SIGNIN_THROTTLE_WINDOW_SECONDS)
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "apps.core.client_address.client_address"
AXES_USERNAME_CALLABLE = "apps.accounts.lockout.lockout_username"
AXES_LOCKOUT_CALLABLE = "apps.accounts.lockout.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["username", "password"]
AXES_DISABLE_ACCESS_LOG = True  # axes keeps only the failures that count towards a lock
# Its admin pages are untranslated: operators list and lift locks with axes' commands
# (axes_list_attempts, axes_reset_username, axes_reset_ip; docs/OPERATIONS.md).
AXES_ENABLE_ADMIN = False
# Sessions: SESSION_LIFETIME_SECONDS of inactivity end a session (sliding: requests renew it, at
# most once every SESSION_RENEW_SECONDS so that pages do not write the session each time). A
# session also ends when the platform password it was opened with changes
# (apps.accounts.sessions).
SESSION_COOKIE_AGE = env.int("SESSION_LIFETIME_SECONDS", default=12 * 60 * 60)
SESSION_RENEW_SECONDS = env.int("SESSION_RENEW_SECONDS", default=5 * 60)
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:overview"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# ------------------------------------------------------------------------------
# Static files (all vendored: the portal works with no CDN reachable)
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "media/"

# Request size limits (apps/core/uploads.py, docs/OPERATIONS.md): a POST may carry at most
# UPLOAD_MAX_REQUEST_BYTES unless its view allows more (the contact import: its file limit plus
# 1 MB); form fields without files at most DATA_UPLOAD_MAX_MEMORY_SIZE; files over
# FILE_UPLOAD_MAX_MEMORY_SIZE stream to a temporary file instead of memory.
UPLOAD_MAX_REQUEST_BYTES = env.int("UPLOAD_MAX_REQUEST_BYTES", default=25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
CONTACTS_IMPORT_MAX_BYTES = env.int("CONTACTS_IMPORT_MAX_BYTES", default=300 * 1024 * 1024)

DJANGO_TABLES2_TEMPLATE = "django_tables2/edmportal.html"  # bootstrap5-responsive, leaner rows

# ------------------------------------------------------------------------------
# Security
# ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp) on every page: scripts only from the portal's own static
# files or with this request's nonce, never inline handlers or eval; nothing from other
# origins. The template preview frame sends its own stricter policy (mailtemplates.views).
# Styles allow inline style attributes (Bootstrap markup, htmx's indicator styles): they run no
# code. docs/SECURITY.md, "Content-Security-Policy".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "script-src-attr": [NONE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# Platform passwords are encrypted at rest with this Fernet key (32 url-safe base64 bytes).
# Several keys, comma-separated, allow rotation: the first encrypts, all decrypt.
CREDENTIALS_KEYS = env.list("EDMPORTAL_CREDENTIALS_KEYS", default=[])

# ------------------------------------------------------------------------------
# The U-Mail platform
# ------------------------------------------------------------------------------
# Root of the platform; the API lives under mm-ms/apinew/ (or mm-ms/api/ in legacy mode) and the
# console login under sendstat/. Point it at the sandbox for demos and tests.
UMAIL_PLATFORM_URL = env("UMAIL_PLATFORM_URL", default="http://www.bestedm.org/")
UMAIL_API_MODE = env("UMAIL_API_MODE", default="apinew")
UMAIL_CONNECT_TIMEOUT = env.float("UMAIL_CONNECT_TIMEOUT", default=5.0)
UMAIL_READ_TIMEOUT = env.float("UMAIL_READ_TIMEOUT", default=20.0)
# Reads (never writes) are retried this many times with exponential backoff and jitter.
UMAIL_READ_RETRIES = env.int("UMAIL_READ_RETRIES", default=2)
UMAIL_RETRY_BACKOFF = env.float("UMAIL_RETRY_BACKOFF", default=0.5)
# Local mirrors older than this are shown with the time they were fetched.
UMAIL_FRESHNESS_SECONDS = env.int("UMAIL_FRESHNESS_SECONDS", default=300)
# §7 DNS records a sender domain needs (apps.domains.dns); the defaults match the sandbox.
UMAIL_MAIL_HOST = env("UMAIL_MAIL_HOST", default="bestedm.org")
UMAIL_DKIM_SELECTOR = env("UMAIL_DKIM_SELECTOR", default="umail")
UMAIL_DKIM_PUBLIC_KEY = env(
    "UMAIL_DKIM_PUBLIC_KEY",
    default="MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC/iLS7iV3xSXTa/y2QWkesKJjY4Xqr6pWE1NvWr3H36x"
    "DMXqQP1hnJjHkPE4HaWYUdx+L11LTcSlTpcv4nxifrF1iTCvL+ZkVUMQK9Z7jdttP4J7x9g7mRZz1MggVtUFVI2IaxLN"
    "7vn7fkJNBIPEGUG/iwUm7c0h8ufqoDzAh2JwIDAQAB",
)

# §10 SMTP relay for transactional mail (apps.smtp): defaults of the per-account settings form.
UMAIL_SMTP_HOST = env("UMAIL_SMTP_HOST", default="smtp.bestedm.org")
UMAIL_SMTP_PORT = env.int("UMAIL_SMTP_PORT", default=25)
# The only SMTP relays the portal connects to (comma-separated host:port; apps/smtp/relays.py).
# Empty: the platform's relay, UMAIL_SMTP_HOST:UMAIL_SMTP_PORT. Add e.g. smtp.bestedm.org:465,
# smtp.bestedm.org:587 to offer TLS ports.
SMTP_ALLOWED_RELAYS = env.list("EDMPORTAL_SMTP_ALLOWED_RELAYS", default=[])
UMAIL_SMTP_TIMEOUT = env.float("UMAIL_SMTP_TIMEOUT", default=20.0)
UMAIL_SMTP_VERIFY_CERTIFICATE = env.bool("UMAIL_SMTP_VERIFY_CERTIFICATE", default=True)
# Django's own mail goes through the platform: as this platform account's SMTP settings, or with
# EMAIL_HOST / EMAIL_PORT / EMAIL_HOST_USER / EMAIL_HOST_PASSWORD (README, "Sending mail").
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="apps.smtp.backend.PlatformSMTPBackend")
UMAIL_SMTP_ACCOUNT = env("UMAIL_SMTP_ACCOUNT", default="")
# The portal's "quota low" notification: available credits below this percentage of those bought.
QUOTA_LOW_PERCENT = env.int("EDMPORTAL_QUOTA_LOW_PERCENT", default=10)

# Limits and cadences of the sections (read by the apps as settings.X, never with defaults there).
# §6.2: add-task calls the platform allows per account and hour.
UMAIL_ADD_TASK_LIMIT = env.int("UMAIL_ADD_TASK_LIMIT", default=100)
# Templates: §5.3 content-check polling (first gap, longest gap, give up after) in seconds, and
# attachment limits per upload.
MAILTEMPLATES_POLL_BASE_SECONDS = env.float("MAILTEMPLATES_POLL_BASE_SECONDS", default=1.0)
MAILTEMPLATES_POLL_MAX_SECONDS = env.float("MAILTEMPLATES_POLL_MAX_SECONDS", default=30.0)
MAILTEMPLATES_CHECK_TIME_LIMIT = env.float("MAILTEMPLATES_CHECK_TIME_LIMIT", default=600.0)
MAILTEMPLATES_MAX_FILES_PER_UPLOAD = env.int("MAILTEMPLATES_MAX_FILES_PER_UPLOAD", default=10)
MAILTEMPLATES_MAX_ATTACHMENT_BYTES = env.int("MAILTEMPLATES_MAX_ATTACHMENT_BYTES", default=5 << 20)
MAILTEMPLATES_MAX_TOTAL_ATTACHMENT_BYTES = env.int(
    "MAILTEMPLATES_MAX_TOTAL_ATTACHMENT_BYTES", default=10 << 20
)
# Analytics: days a campaign's statistics are followed after it ended; report-sync concurrency
# (threads) and batch size.
ANALYTICS_FOLLOW_DAYS = env.int("ANALYTICS_FOLLOW_DAYS", default=14)
ANALYTICS_SYNC_CONCURRENCY = env.int("ANALYTICS_SYNC_CONCURRENCY", default=4)
ANALYTICS_SYNC_BATCH = env.int("ANALYTICS_SYNC_BATCH", default=500)
# Live numbers: the report-sync step while numbers move; how old open/click detail may get.
ANALYTICS_LIVE_STEP_SECONDS = env.int("ANALYTICS_LIVE_STEP_SECONDS", default=50)
ANALYTICS_DETAIL_REFRESH_SECONDS = env.int("ANALYTICS_DETAIL_REFRESH_SECONDS", default=300)

# ------------------------------------------------------------------------------
# Celery: a broker that needs no server (kombu's filesystem transport) unless REDIS_URL is set.
# ------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_FILESYSTEM_DIR = env.path("CELERY_FILESYSTEM_DIR", default=str(VAR_DIR / "celery"))
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = Path(CELERY_FILESYSTEM_DIR) / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)  # kombu expects the folders to exist
    (Path(CELERY_FILESYSTEM_DIR) / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(Path(CELERY_FILESYSTEM_DIR) / "processed"),
        # Exchange tables (remote control, broadcasts) live here too, not in the working directory.
        "control_folder": str(Path(CELERY_FILESYSTEM_DIR) / "control"),
        "store_processed": False,
    }
else:
    # Sized for the longest job so a slow task is not redelivered while still running: an
    # unacknowledged message (acks_late) returns to the queue only after this many seconds, so it
    # must exceed the hard time limit plus the longest retry countdown.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int(
            "CELERY_VISIBILITY_TIMEOUT",
            default=env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60) + 30 * 60,
        ),
        # How often a worker looks for messages of crashed workers whose visibility ran out.
        "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
        # A broker that vanishes without closing the socket must not hang a web request.
        "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=10.0),
        "socket_connect_timeout": env.float("CELERY_BROKER_CONNECT_TIMEOUT", default=5.0),
        "socket_keepalive": True,
        "health_check_interval": 25,
        "retry_on_timeout": True,
        # Lets several deployments (or test runs) share one Redis database without mixing jobs.
        "global_keyprefix": env("CELERY_REDIS_KEY_PREFIX", default=""),
    }
CELERY_RESULT_BACKEND = None  # tasks record their outcome in the database models
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # tasks are idempotent, so redelivery after a crash is safe
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers reconnect with backoff (2 s, 4 s, … capped at 30 s) for as long as the broker is down
# (None: no limit), instead of exiting after 100 tries and leaving a restart loop to the host.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = env.int("CELERY_BROKER_CONNECTION_MAX_RETRIES", default=None)
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECT_TIMEOUT", default=5.0)
# Publishing from a web request retries briefly with backoff, then fails (the view catches it).
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 3,
    "interval_start": 0.2,
    "interval_step": 0.5,
    "interval_max": 2,
}
# A task cut off by a lost broker connection is redelivered (acks_late), so stop it here.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")

# ------------------------------------------------------------------------------
# Logging: passwords and Authorization headers are never logged (the client redacts them).
# ------------------------------------------------------------------------------
LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="INFO")
# "plain" for people at a terminal, "json" (one object per line, with the request id) for a log
# collector; production defaults to json.
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "apps.ops.logging.RequestIdFilter"},
        # Credentials (password=…, Basic …) out of messages and tracebacks, chains included.
        "redact": {"()": "apps.ops.logging.RedactFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "apps.ops.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact", "request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # axes reports every sign-in at INFO; its warnings (failures, lockouts) stay.
    "loggers": {"urllib3": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# ------------------------------------------------------------------------------
# Operations (apps.ops): health checks, heartbeats, resync jobs, retention
# ------------------------------------------------------------------------------
# Beat sends a heartbeat task this often; /healthz calls the scheduler stale after 3 missed beats.
OPS_HEARTBEAT_SECONDS = env.int("OPS_HEARTBEAT_SECONDS", default=60)
# /healthz asks the platform root with this timeout and reuses the answer for this long, so
# load-balancer probes from many web processes do not hammer the platform.
OPS_HEALTH_PLATFORM_TIMEOUT = env.float("OPS_HEALTH_PLATFORM_TIMEOUT", default=2.0)
# /healthz shows strangers its status only; staff, or a caller sending this token
# (X-Health-Token or Authorization: Bearer), also see each check's details. Empty: staff only.
OPS_HEALTH_TOKEN = env("OPS_HEALTH_TOKEN", default="")
OPS_HEALTH_PLATFORM_CACHE_SECONDS = env.int("OPS_HEALTH_PLATFORM_CACHE_SECONDS", default=30)
# A resync pauses between platform calls to stay under the platform's rate limit.
OPS_RESYNC_PAUSE_SECONDS = env.float("OPS_RESYNC_PAUSE_SECONDS", default=0.5)
# A running resync renews its lease after each step; a redelivered copy waits for it to expire.
OPS_JOB_LEASE_SECONDS = env.int("OPS_JOB_LEASE_SECONDS", default=120)
# Snapshots, finished jobs and resolved failures older than this are pruned (per kind overrides).
OPS_RETENTION_DAYS = env.int("OPS_RETENTION_DAYS", default=400)
