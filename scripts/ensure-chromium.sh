#!/usr/bin/env bash
# The end-to-end tests drive Debian's chromium through Playwright (a browser download fails here).
set -u
if [ -x "${EPLAN_CHROMIUM:-/usr/bin/chromium}" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the end-to-end tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-tlwg-laksaman >/dev/null
fi
if [ ! -x "${EPLAN_CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "ERROR: chromium is not installed (apt-get install chromium, or set EPLAN_CHROMIUM)" >&2
  exit 1
fi
