#!/usr/bin/env bash
# README command (1): set up, build the embedded demo database on first run, serve the dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/labelqa demo --if-missing
exec .venv/bin/streamlit run app.py --browser.gatherUsageStats false "$@"
