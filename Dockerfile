# edmportal production image: gunicorn (web), celery worker, celery beat and, for demos, the
# platform sandbox all run from this one image with different commands (docker-compose.yml).
#
# Stage 1 installs the pinned requirements into a virtualenv and collects the static files;
# the final image gets only the virtualenv, the code and the collected files: no compilers, no
# pip caches, no build context leftovers. It runs as an unprivileged user.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
# Every pinned requirement ships manylinux wheels, so nothing is compiled here; --only-binary
# makes a missing wheel fail the build instead of silently needing a compiler.
RUN pip install --only-binary=:all: -r /tmp/requirements.txt
WORKDIR /src
COPY . .
# collectstatic needs settings but no database, broker or real secret.
RUN DJANGO_SETTINGS_MODULE=edmportal.settings.prod \
    DJANGO_SECRET_KEY=collectstatic-only-not-a-secret \
    EDMPORTAL_CREDENTIALS_KEYS=collectstatic-only \
    DJANGO_ALLOWED_HOSTS=localhost \
    DJANGO_STATIC_ROOT=/src/staticfiles \
    python manage.py collectstatic --noinput -v 0

FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=edmportal.settings.prod \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    DJANGO_MEDIA_ROOT=/app/var/media
RUN groupadd --system --gid 10001 edmportal \
 && useradd --system --uid 10001 --gid edmportal --home-dir /app --shell /usr/sbin/nologin edmportal
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=root:root . .
COPY --from=build --chown=root:root /src/staticfiles /app/staticfiles
# Only var/ (uploads, beat schedule, demo sandbox state) is writable by the portal's user; the
# code and static files are not.
RUN mkdir -p /app/var/media /app/var/celery /app/var/sandbox \
 && chown -R edmportal:edmportal /app/var
USER edmportal
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=8)"]
# Workers, time limits and recycling: gunicorn.conf.py (read from the working directory).
CMD ["gunicorn", "edmportal.wsgi:application"]
