#!/usr/bin/env bash
# Integration test of the scale-out scripts against a real one-node Slurm cluster on loopback.
#
#   scripts/slurm/test.sh        (as root; `make test-slurm`)
#
# 1. builds the release binary (unless HESSIAN_STUDY names one) and starts the cluster
#    (scripts/slurm/cluster.sh up: installs Slurm and munge with apt-get if missing), twice: the
#    second `up` must be quiet;
# 2. runs studies/quick/sqrt-law.json as a 4-task array plus merge (submit.sh --wait) and checks
#    the CSV is byte for byte the unsharded `hessian-study run`'s;
# 3. the same with scripts/parallel.sh and 4 shards;
# 4. studies/quick/dynamics.json as 3 shards with submit.sh without --wait, polling for the result;
# 5. a failing shard (a wrapper binary that fails shard 3 of 4): submit.sh --wait and parallel.sh
#    must exit 1, without hanging and without writing a CSV;
# then stops the cluster (cluster.sh down, always, also on failure or interrupt) and prints PASS or
# FAIL. Every wait is bounded; about 35 s in all (50 s when it installs Slurm first). On failure the
# scratch folder with every log is kept and named.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
SECONDS=0

if [ "$(id -u)" -ne 0 ]; then
  echo "FAIL: scripts/slurm/test.sh must run as root (it installs Slurm and starts slurmctld, slurmd, munged)" >&2
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hessian-slurm-test.XXXXXX")
exec 3>&1 4>&2  # the trap may run inside a redirected command: it writes here
cluster_started=false
child=
# shellcheck disable=SC2317  # called by the trap
finish() {
  local rc=$?
  exec 1>&3 2>&4
  if [ -n "$child" ]; then
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  if $cluster_started && ! timeout 60 "$here/cluster.sh" down; then
    echo "cluster.sh down failed" >&2
    rc=1
  fi
  if [ "$rc" -eq 0 ]; then
    rm -rf "$tmp"
    echo "PASS: scripts/slurm/test.sh in ${SECONDS} s"
  else
    echo "FAIL: scripts/slurm/test.sh after ${SECONDS} s (logs in $tmp)"
  fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# bounded SECONDS COMMAND...: COMMAND with a time limit, in the background so that a signal to
# this script is handled at once (the trap stops it: timeout passes the signal on).
bounded() {
  local secs=$1 rc=0
  shift
  timeout "$secs" "$@" 3>&- 4>&- &
  child=$!
  wait "$child" || rc=$?
  child=
  return "$rc"
}
step() { printf '%4d s  %s\n' "$SECONDS" "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# show LOG: the log, indented, on stderr.
show() { sed 's/^/    | /' "$1" >&2; }
# same A B: the two files have the same bytes.
same() {
  cmp "$1" "$2" >/dev/null 2>&1 || fail "$1 and $2 differ"
  step "  same bytes: $1"
}

if [ -z "${HESSIAN_STUDY:-}" ]; then
  step "swift build -c release --product hessian-study"
  if ! bounded 900 swift build -c release --product hessian-study >"$tmp/build.log" 2>&1; then
    tail -n 30 "$tmp/build.log" >&2
    fail "swift build failed"
  fi
  HESSIAN_STUDY=$root/.build/release/hessian-study
fi
[ -x "$HESSIAN_STUDY" ] || fail "$HESSIAN_STUDY: not an executable"
export HESSIAN_STUDY

step "cluster.sh up"
cluster_started=true
bounded 240 "$here/cluster.sh" up || fail "cluster.sh up failed"
step "  $("$here/cluster.sh" status)"
bounded 60 "$here/cluster.sh" up >"$tmp/up-again.log" 2>&1 || { show "$tmp/up-again.log"; fail "cluster.sh up, again, failed"; }
[ ! -s "$tmp/up-again.log" ] || { show "$tmp/up-again.log"; fail "cluster.sh up, again, was not quiet"; }
step "  cluster.sh up again: quiet, still $("$here/cluster.sh" status | sed 's/.*: //')"

sqrt=studies/quick/sqrt-law.json
dyn=studies/quick/dynamics.json
step "unsharded runs of $sqrt and $dyn"
bounded 120 "$HESSIAN_STUDY" run "$sqrt" "$dyn" --out "$tmp/serial" --quiet || fail "unsharded run failed"

step "submit.sh --wait $sqrt 4"
if ! bounded 120 "$here/submit.sh" --wait "$sqrt" 4 "$tmp/slurm" >"$tmp/submit.log" 2>&1; then
  show "$tmp/submit.log"
  fail "submit.sh --wait $sqrt 4 failed"
fi
if ! grep -Eq '^array job [0-9]+: 4 shards' "$tmp/submit.log" || ! grep -Eq '^merge job [0-9]+:' "$tmp/submit.log"; then
  show "$tmp/submit.log"
  fail "submit.sh did not print the two job ids"
fi
same "$tmp/slurm/sqrt-law.csv" "$tmp/serial/sqrt-law.csv"

step "parallel.sh $sqrt 4"
if ! bounded 120 "$root/scripts/parallel.sh" "$sqrt" 4 "$tmp/parallel" >"$tmp/parallel.log" 2>&1; then
  show "$tmp/parallel.log"
  fail "parallel.sh $sqrt 4 failed"
fi
same "$tmp/parallel/sqrt-law.csv" "$tmp/serial/sqrt-law.csv"

step "submit.sh $dyn 3 (no --wait), polling for the result"
bounded 60 "$here/submit.sh" "$dyn" 3 "$tmp/nowait" >"$tmp/nowait.log" 2>&1 || { show "$tmp/nowait.log"; fail "submit.sh $dyn 3 failed"; }
array_id=$(sed -n 's/^array job \([0-9]*\):.*/\1/p' "$tmp/nowait.log")
merge_id=$(sed -n 's/^merge job \([0-9]*\):.*/\1/p' "$tmp/nowait.log")
if [ -z "$array_id" ] || [ -z "$merge_id" ]; then show "$tmp/nowait.log"; fail "submit.sh did not print the two job ids"; fi
for ((i = 0; i < 600; i++)); do
  [ -f "$tmp/nowait/dynamics.csv" ] && ! timeout 5 squeue -h -j "$array_id,$merge_id" 2>/dev/null | grep -q . && break
  sleep 0.1
done
[ -f "$tmp/nowait/dynamics.csv" ] || fail "no $tmp/nowait/dynamics.csv 60 s after submitting (logs in $tmp/nowait/.parts/logs)"
same "$tmp/nowait/dynamics.csv" "$tmp/serial/dynamics.csv"

step "a failing shard: submit.sh --wait and parallel.sh must fail"
cat >"$tmp/failing-shard" <<EOF
#!/bin/sh
# hessian-study, except that shard 3 of 4 fails.
for a in "\$@"; do
  if [ "\$a" = 3/4 ]; then echo "failing-shard: shard 3/4 fails on purpose" >&2; exit 1; fi
done
exec "$HESSIAN_STUDY" "\$@"
EOF
chmod +x "$tmp/failing-shard"
rc=0
HESSIAN_STUDY=$tmp/failing-shard bounded 120 "$here/submit.sh" --wait "$sqrt" 4 "$tmp/fail-slurm" >"$tmp/fail-slurm.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { show "$tmp/fail-slurm.log"; fail "submit.sh --wait with a failing shard exited $rc, not 1"; }
grep -q 'shards that wrote no part: 3;' "$tmp/fail-slurm.log" || { show "$tmp/fail-slurm.log"; fail "submit.sh did not name shard 3"; }
[ ! -e "$tmp/fail-slurm/sqrt-law.csv" ] || fail "a CSV was written although a shard failed"
step "  submit.sh exit 1, no CSV"
rc=0
HESSIAN_STUDY=$tmp/failing-shard bounded 120 "$root/scripts/parallel.sh" "$sqrt" 4 "$tmp/fail-parallel" >"$tmp/fail-parallel.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { show "$tmp/fail-parallel.log"; fail "parallel.sh with a failing shard exited $rc, not 1"; }
[ ! -e "$tmp/fail-parallel/sqrt-law.csv" ] || fail "a CSV was written although a shard failed"
step "  parallel.sh exit 1, no CSV"

step "cluster.sh down"
