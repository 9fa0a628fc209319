#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (Playwright's own browser download cannot work here).
# Installs it when missing and we are root; otherwise the browser tests skip with a reason.
set -u
# Chinese fonts too: without them every Chinese text in the screenshots is boxes.
if [ -x /usr/bin/chromium ] && [ -n "$(fc-list :lang=zh family 2>/dev/null)" ]; then exit 0; fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium or its Chinese fonts are missing and cannot be installed here (need root and" \
       "apt-get): without chromium the browser tests skip (fail in CI)" >&2
  exit 0
fi
echo "installing Debian's chromium for the browser tests..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null \
  || echo "chromium install failed: browser tests will be skipped" >&2
exit 0
