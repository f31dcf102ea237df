#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (Playwright with the system browser; nothing downloads
# one). Installs it when it is missing and this runs as root; otherwise says what to do and goes on
# (the browser tests then skip, or fail under CI=true).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get install -y -q chromium >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
else
    echo "Testing/install_browser.sh: chromium is missing; install it (apt-get install chromium) for the browser tests" >&2
fi
