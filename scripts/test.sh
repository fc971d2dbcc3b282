#!/usr/bin/env bash
# README command (2) and .ci/run: set up everything the whole test suite needs, then run it.
# System packages (PostgreSQL server, Chromium) are installed with apt when missing and we may do so.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium chromium-driver)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "==> apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
  elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "warning: ${need[*]} missing and cannot be installed here; those tests will skip (fail under CI=true)" >&2
  fi
fi
bash scripts/setup.sh test
set +e
.venv/bin/python -m pytest "$@" 2>&1 | tee .pytest-output.txt
rc=${PIPESTATUS[0]}
set -e
# duckdb can print 'nanobind: leaked ...' after pytest's summary; repeat the summary so it is the last line.
summary=$(grep -E "^=+ .*(passed|failed|error|skipped|no tests ran).* =+$" .pytest-output.txt | tail -n 1 || true)
rm -f .pytest-output.txt
[ -n "$summary" ] && echo "$summary"
exit "$rc"
