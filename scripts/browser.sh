#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (Playwright drives it; its own browser download
# does not work here) when it is missing and we may install packages.
set -uo pipefail

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: /usr/bin/chromium is missing; the browser tests will fail (apt-get install -y chromium)" >&2
  fi
fi
