#!/usr/bin/env bash
# Quick start: set up, train the example assistant (skipped when nothing changed) and chat with it.
# The local parcel/order service (the stand-in for the carrier's API) runs beside it for the session.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/bot train
if ! .venv/bin/python - <<'PY' 2>/dev/null
import urllib.request; urllib.request.urlopen("http://127.0.0.1:5056/health", timeout=1)
PY
then
  mkdir -p .bot
  .venv/bin/python -m services.parcel_service --port 5056 > .bot/parcel_service.log 2>&1 &
  service_pid=$!
  trap 'kill $service_pid 2>/dev/null || true' EXIT
fi
.venv/bin/bot shell "$@"
