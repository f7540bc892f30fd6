#!/usr/bin/env bash
# The last step of `make test`: fails when something the suites started outlived them —
# a `postgres` or `zaby-server` process, or a `zaby-pg-*` folder of a test cluster.
#
# What belongs to this run is told apart from other runs on the same machine by
# ZABY_TEST_RUN (the Makefile exports a fresh value): every process the suites start
# inherits it, and tests/support/postgres.sh writes it into its cluster's folder.
# Watchdogs stop clusters up to a second after their owner exits, so leaks are only
# reported when they are still there after a grace period.
#
#   ZABY_TEST_RUN=… tests/support/check-leaks.sh [GRACE_SECONDS]   (default: 30)
set -euo pipefail

run=${ZABY_TEST_RUN:?set ZABY_TEST_RUN to the value the suites ran with}
grace=${1:-30}

leaks() {
  local p comm
  for p in /proc/[0-9]*; do
    comm=$(cat "$p/comm" 2>/dev/null) || continue
    [[ $comm == postgres || $comm == zaby-server ]] || continue
    # Only the first process of a cluster: its backends are postgres children.
    [[ $comm == postgres && $(cat "/proc/$(awk '{print $4}' "$p/stat" 2>/dev/null)/comm" 2>/dev/null) == postgres ]] && continue
    if { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qxF "ZABY_TEST_RUN=$run"; then
      echo "process ${p#/proc/}: $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
    fi
  done
  for p in "${TMPDIR:-/tmp}"/zaby-pg-*; do
    [[ -f $p/zaby-test-run && $(cat "$p/zaby-test-run" 2>/dev/null) == "$run" ]] && echo "folder $p"
  done
  return 0
}

deadline=$((SECONDS + grace))
while found=$(leaks) && [[ -n $found ]]; do
  if ((SECONDS >= deadline)); then
    echo "check-leaks: still running or left behind ${grace}s after the suites ended (ZABY_TEST_RUN=$run):" >&2
    echo "$found" >&2
    exit 1
  fi
  sleep 1
done
echo "check-leaks: no PostgreSQL cluster, zaby-server or zaby-pg-* folder of this run is left"
