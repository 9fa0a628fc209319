"""Production: identical code paths, every secret from the environment.

`manage.py check --deploy` is clean with the values .env.example documents; a missing secret,
key or host list stops the process at start with a message naming the variable.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CREDENTIALS_KEYS, DATABASES, LOGGING, MIDDLEWARE, SECRET_KEY, env

DEBUG = False
if env.bool("DJANGO_DEBUG", default=False):
    raise ImproperlyConfigured("DJANGO_DEBUG must not be on with the production settings.")
if not SECRET_KEY:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY: production refuses to start without it.")
if not CREDENTIALS_KEYS:
    raise ImproperlyConfigured(
        "Set EDMPORTAL_CREDENTIALS_KEYS: platform passwords cannot be stored without a key."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "Set DJANGO_ALLOWED_HOSTS to the host name(s) the portal is served under, "
        "e.g. DJANGO_ALLOWED_HOSTS=edm.example.com"
    )
# Forms posted through an HTTPS proxy must come from a trusted origin; by default the allowed
# hosts over https ("*.example.com" for ".example.com").
CSRF_TRUSTED_ORIGINS = env.list(
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    default=[
        f"https://*{host}" if host.startswith(".") else f"https://{host}"
        for host in ALLOWED_HOSTS
        if host != "*"
    ],
)

# ------------------------------------------------------------------------------
# HTTPS (TLS ends at the proxy in front, which sets X-Forwarded-Proto)
# ------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# HSTS is on by default (a year): once a browser has seen it, it refuses plain HTTP to this host.
# Opt out with DJANGO_SECURE_HSTS_SECONDS=0 while HTTPS is not yet working for the host (e.g. a
# first deployment behind a proxy without a certificate); see docs/OPERATIONS.md.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
# Each of these is a deliberate, documented choice of the operator; the checks that would ask
# for it anyway are silenced only while it is off.
SILENCED_SYSTEM_CHECKS = []
if not SECURE_HSTS_SECONDS:
    SILENCED_SYSTEM_CHECKS.append("security.W004")
if not SECURE_HSTS_INCLUDE_SUBDOMAINS:  # subdomains may serve plain HTTP
    SILENCED_SYSTEM_CHECKS.append("security.W005")
if not SECURE_HSTS_PRELOAD:  # preloading is hard to undo: the domain owner decides
    SILENCED_SYSTEM_CHECKS.append("security.W021")

# ------------------------------------------------------------------------------
# Database: persistent connections, checked before reuse (the database may have restarted).
# ------------------------------------------------------------------------------
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# ------------------------------------------------------------------------------
# Static files: collected at image build time, served by whitenoise with hashed names.
# ------------------------------------------------------------------------------
MIDDLEWARE = list(MIDDLEWARE)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# ------------------------------------------------------------------------------
# Logs: one JSON object per line with the request id, for the log collector.
# ------------------------------------------------------------------------------
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT
