"""Settings shared by every environment.

Values come from the environment (django-environ); `.env` at the project root is read when present.
dev/test/prod only change defaults; prod differs from the others by environment values alone.
"""

from pathlib import Path

import environ

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
    "apps.core",
    "apps.umail",
    "apps.accounts",
    "apps.contacts",
    "apps.mailtemplates",
    "apps.campaigns",
    "apps.analytics",
    "apps.domains",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.accounts.middleware.CurrentAccountMiddleware",
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
            ],
        },
    },
]

# ------------------------------------------------------------------------------
# Authentication: marketers sign in through the platform; staff through Django's own backend.
# ------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
]
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

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

# ------------------------------------------------------------------------------
# Security
# ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

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

# ------------------------------------------------------------------------------
# Celery: a broker that needs no server (kombu's filesystem transport) unless REDIS_URL is set.
# ------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_FILESYSTEM_DIR = env.path("CELERY_FILESYSTEM_DIR", default=str(VAR_DIR / "celery"))
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = Path(CELERY_FILESYSTEM_DIR) / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)  # kombu expects the folder to exist
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(Path(CELERY_FILESYSTEM_DIR) / "processed"),
        "store_processed": False,
    }
else:
    # Sized for the longest job so a slow task is not redelivered while still running.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_RESULT_BACKEND = None  # tasks record their outcome in the database models
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # tasks are idempotent, so redelivery after a crash is safe
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")

# ------------------------------------------------------------------------------
# Logging: passwords and Authorization headers are never logged (the client redacts them).
# ------------------------------------------------------------------------------
LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"urllib3": {"level": "WARNING"}},
}
