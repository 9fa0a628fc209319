#!/usr/bin/env bash
# GNU gettext (msgfmt, xgettext) for `manage.py compilemessages` / `makemessages`.
# The compiled catalogues (locale/*/LC_MESSAGES/django.mo) are committed, so the portal and the
# tests work without gettext; the build recompiles them when it can. Installs gettext when missing
# and we are root with apt-get; otherwise says so and leaves the committed .mo files in place.
set -u
if command -v msgfmt >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "gettext is not installed and cannot be installed here (need root and apt-get):" \
       "using the committed compiled catalogues" >&2
  exit 1
fi
echo "installing GNU gettext for the translation catalogues..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends gettext >/dev/null \
  || { echo "gettext install failed: using the committed compiled catalogues" >&2; exit 1; }
exit 0
