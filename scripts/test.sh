#!/usr/bin/env bash
# Sets up, makes sure PostgreSQL, Redis and RabbitMQ run (tests use them for real), lints, type-checks
# the engine's seams (mypy, see pyproject.toml) and runs the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/services.sh
bash scripts/browser.sh
.venv/bin/ruff check .
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
