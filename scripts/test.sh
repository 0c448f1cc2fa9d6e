#!/usr/bin/env bash
# Sets up, makes sure PostgreSQL and Redis run (tests use them for real), and runs the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/services.sh
bash scripts/browser.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
