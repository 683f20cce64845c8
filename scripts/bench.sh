#!/usr/bin/env bash
# Runs the performance benchmarks of issue 10 on a fresh machine: installs what they need (as scripts/test.sh does),
# starts a throwaway PostgreSQL, builds bench/Portal.Bench in Release and runs it. Prints one table, writes
# bench/results/results.json and (for a full run) the results section of docs/performance.md.
#
#   scripts/bench.sh                    # P1–P5 at the full dataset
#   scripts/bench.sh --only P1 --scale 0.1
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '\n== %s\n' "$*"; }
source "$root/scripts/postgres.sh"

if ! command -v chromium >/dev/null 2>&1 || ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then echo "Install chromium and postgresql first." >&2; exit 1; fi
  log "Installing Debian packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium postgresql >/dev/null
fi

log "Building the benchmarks (Release)"
dotnet build bench/Portal.Bench -c Release --verbosity quiet
start_postgres
export PORTAL_BENCH_POSTGRES="$PORTAL_TEST_POSTGRES"

log "Running"
dotnet bench/Portal.Bench/bin/Release/net10.0/Portal.Bench.dll "$@"
