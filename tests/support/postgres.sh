#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the end-to-end suites and the benchmarks.
#
#   tests/support/postgres.sh start DIR [OWNER]   initdb in DIR, start the server on a free
#                                                 port, print its URL
#                                                 (postgres://postgres@127.0.0.1:PORT/postgres)
#   tests/support/postgres.sh stop DIR            stop it and remove DIR
#   tests/support/postgres.sh bin                 print the folder of PostgreSQL's server
#                                                 binaries (for a cluster started another way)
#
# A watchdog, detached from the caller's session so a Ctrl-C cannot kill it first, runs
# `stop DIR` as soon as the process OWNER exits (default: the process that ran this
# script; a shell calling from `$(…)` must pass its `$$`, the subshell exits at once): a caller that is killed, or
# that never calls `stop` (the server's test binary), leaks no cluster. `pg_ctl stop`
# signals the postmaster itself (a signal sent to `runuser` is not passed on).
# `ZABY_TEST_RUN` (set by `make test`) is written to DIR/zaby-test-run and is in the
# server's environment, so tests/support/check-leaks.sh can find what survived.
#
# Needs PostgreSQL's server binaries (`make postgres` installs them). As root, the
# cluster runs as the `postgres` user, which PostgreSQL requires.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[[ -n "$cmd" && ( -n "$dir" || "$cmd" == bin ) ]] || { echo "usage: $0 start DIR [OWNER] | stop DIR | bin" >&2; exit 2; }

as_postgres() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

bin=$(dirname "$(readlink -f "$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)")")

case "$cmd" in
bin)
  [[ -x "$bin/postgres" ]] || { echo "no PostgreSQL server binaries found (run: make postgres)" >&2; exit 1; }
  echo "$bin"
  ;;
start)
  [[ -x "$bin/postgres" ]] || { echo "no PostgreSQL server binaries found (run: make postgres)" >&2; exit 1; }
  owner=${3:-$PPID}
  mkdir -p "$dir"
  dir=$(readlink -f "$dir")
  echo "${ZABY_TEST_RUN:-}" >"$dir/zaby-test-run"
  setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 0.5; done; exec "$2" stop "$3"' watchdog \
    "$owner" "$(readlink -f "$0")" "$dir" </dev/null >/dev/null 2>&1 &
  if [[ $(id -u) == 0 ]]; then
    chmod o+x "$(dirname "$dir")"  # let the postgres user reach DIR (mktemp -d makes 0700 dirs)
    chown postgres:postgres "$dir"
  fi
  as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000 -c shared_buffers=128MB" \
    >/dev/null || { cat "$dir/postgres.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  echo "postgres://postgres@127.0.0.1:$port/postgres"
  ;;
stop)
  if [[ -d "$dir/data" ]]; then
    as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start DIR [OWNER] | stop DIR | bin" >&2; exit 2 ;;
esac
