# Sourced by scripts/test.sh and scripts/bench.sh. start_postgres starts a throwaway PostgreSQL on a free loopback
# port (as the postgres user when run as root: it refuses to run as root), stops and deletes it when the shell exits,
# and exports PORTAL_TEST_POSTGRES. It does nothing when PORTAL_TEST_POSTGRES is already set.
start_postgres() {
  if [ -n "${PORTAL_TEST_POSTGRES:-}" ]; then return; fi
  # Globals, not locals: the EXIT trap that stops the server runs after this function has returned.
  pgbin=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | sort | tail -1)")
  pgdir=$(mktemp -d /tmp/portal-ci-pg.XXXXXX)
  local port; port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  pgrun=()
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$pgdir"; pgrun=(runuser -u postgres --); fi
  log "Starting PostgreSQL on 127.0.0.1:$port"
  (cd /tmp && "${pgrun[@]}" "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null)
  (cd /tmp && "${pgrun[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $pgdir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" start >/dev/null)
  stop_postgres() { (cd /tmp && "${pgrun[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1) || true; rm -rf "$pgdir"; }
  trap stop_postgres EXIT
  export PORTAL_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Include Error Detail=true"
}

