#!/usr/bin/env bash
# Runs a hessian-study config as N shards on one machine, without Slurm, then merges them: the
# one-machine counterpart of scripts/slurm/submit.sh.
#
#   scripts/parallel.sh CONFIG N [OUT]
#
# Checks the config (exit 2 if it is invalid), removes old OUT/.parts/NAME.part-*-of-N.json, runs
#   hessian-study run CONFIG --shard K/N --out OUT/.parts --threads 1 --quiet      (K = 1..N)
# as separate processes with `xargs -P` (at most JOBS at a time), then
#   hessian-study merge OUT/.parts/NAME.part-*-of-N.json --out OUT
# which writes OUT/NAME.csv, NAME.md and NAME.json, the CSV byte for byte the one an unsharded
# `hessian-study run CONFIG --out OUT` writes. Exit 0 on success, 2 for an invalid config or
# usage, 1 if a shard or the merge failed (naming the shards that wrote no part).
#
# OUT: the folder for the results (default: results).
# Environment: JOBS, shards run at once (default: the number of cores, at most N);
# HESSIAN_STUDY, the binary (default: .build/release/hessian-study of this package);
# PARTS, the folder for the part files (default: OUT/.parts).
#
# `hessian-study run CONFIG --threads T` already uses every core of one machine; shards as separate
# processes are for when one process does not scale (memory, NUMA) or to rehearse a Slurm split.
set -euo pipefail

usage() { echo "usage: $0 CONFIG N [OUT]" >&2; exit 2; }
die() { echo "parallel.sh: $1" >&2; exit "${2:-1}"; }

case ${1:-} in -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;; esac
if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi
config=$1
shards=$2
out=${3:-results}
[[ $shards =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer, got '$shards'" 2
[ -f "$config" ] || die "$config: no such file" 2

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${HESSIAN_STUDY:-$root/.build/release/hessian-study}
[ -x "$bin" ] || die "$bin: not found; build it with: swift build -c release --product hessian-study"
parts=${PARTS:-$out/.parts}

cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
jobs=${JOBS:-$cores}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "JOBS must be a positive integer, got '$jobs'" 2
[ "$jobs" -le "$shards" ] || jobs=$shards

# The stem of the result files, as the package reads it (exit 2 if the config is invalid).
name=$("$bin" check --name "$config") || exit 2
mkdir -p "$parts" "$out"
rm -f "$parts/$name".part-*-of-"$shards".json

shards_rc=0
seq 1 "$shards" | xargs -P "$jobs" -I '{}' \
  "$bin" run "$config" --shard "{}/$shards" --out "$parts" --threads 1 --quiet || shards_rc=$?

missing=()
for ((k = 1; k <= shards; k++)); do
  [ -f "$parts/$name.part-$k-of-$shards.json" ] || missing+=("$k")
done
if [ "$shards_rc" -ne 0 ] || [ ${#missing[@]} -ne 0 ]; then
  die "$name: shards that wrote no part: ${missing[*]:-none} (xargs exit status $shards_rc)"
fi

"$bin" merge "$parts/$name".part-*-of-"$shards".json --out "$out" \
  || die "$name: merge of $shards parts in $parts failed"
