#!/usr/bin/env bash
# Runs every test of the portal on a fresh machine: installs what the tests need (Debian packages, npm packages,
# .NET tools), starts a throwaway PostgreSQL for the whole run, runs `dotnet test` on the solution, and prints
# one closing line: "N passed, N failed, N skipped". Exits non-zero when a test failed or none ran.
#
#   scripts/test.sh                 # everything
#   scripts/test.sh --filter X      # extra arguments go to `dotnet test`
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '\n== %s\n' "$*"; }

install_packages() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  [ -x /usr/bin/aws ] || missing+=(awscli)
  command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then echo "Missing packages (${missing[*]}) and not root: install them first." >&2; exit 1; fi
    log "Installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

install_npm() {
  # Each folder with a package-lock.json under tests/ holds a real OpenID Connect provider or a JWT issuer.
  while IFS= read -r lock; do
    local dir; dir=$(dirname "$lock")
    if [ ! -d "$dir/node_modules" ] || [ "$lock" -nt "$dir/node_modules" ]; then
      log "npm ci in ${dir#$root/}"
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
  done < <(find tests -name package-lock.json -not -path '*/node_modules/*')
}

# start_postgres: a throwaway server for the run (shared with scripts/bench.sh).
source "$root/scripts/postgres.sh"

install_packages
install_npm
log "Restoring .NET tools and packages"
dotnet tool restore >/dev/null
dotnet restore Unicron.Portal.sln --verbosity quiet
log "Building"
dotnet build Unicron.Portal.sln --no-restore --verbosity quiet -p:TreatWarningsAsErrors=true
start_postgres

log "Running tests"
out=$(mktemp)
set +e
dotnet test Unicron.Portal.sln --no-build --verbosity minimal "$@" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e

# dotnet test prints one summary line per test project and no total: add them up.
read -r passed failed skipped < <(grep -E '(Passed|Failed)!  - Failed:' "$out" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\2 \1 \3/' \
  | awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
rm -f "$out"
echo
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then echo "No test ran." >&2; exit 1; fi
if [ "$failed" -gt 0 ] || [ "$status" -ne 0 ]; then exit 1; fi
