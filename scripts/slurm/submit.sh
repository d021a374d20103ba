#!/usr/bin/env bash
# Runs a hessian-study config as a Slurm array job of N shards, then merges the shards.
#
#   scripts/slurm/submit.sh [--wait] CONFIG N [OUT] [-- SBATCH_OPTION...]
#
# On a real cluster, from the package folder on a login node (the folder, and so the binary, the
# config and OUT, must be on a file system the compute nodes share):
#
#   swift build -c release --product hessian-study
#   scripts/slurm/submit.sh studies/sqrt-law.json 32 results -- --partition=short --time=01:00:00
#
# This checks the config (`hessian-study check`; exit 2 if it is invalid), removes old
# OUT/.parts/NAME.part-*-of-N.json, and submits
#   - an array job of N one-CPU tasks (scripts/slurm/array.sbatch, indices 0..N-1): task i runs
#     `hessian-study run CONFIG --shard i+1/N --out OUT/.parts --quiet`;
#   - right after it, a merge job (scripts/slurm/merge.sbatch) with
#     --dependency=afterok:<array job> --kill-on-invalid-dep=yes: it writes OUT/NAME.csv, NAME.md
#     and NAME.json, the CSV byte for byte the one an unsharded `hessian-study run` writes. If a
#     shard fails, the merge is cancelled instead of waiting forever.
# It prints the two job ids (`squeue --me` to follow them, `scancel ID` to stop them). Logs go to
# OUT/.parts/logs/. To re-run one failed shard K alone (array index K-1), then merge:
#   sbatch --array=$((K-1)) --export=ALL,CONFIG=...,SHARDS=N,PARTS=OUT/.parts scripts/slurm/array.sbatch
#   sbatch --dependency=afterok:<that job> --export=ALL,NAME=...,SHARDS=N,PARTS=OUT/.parts,OUT=OUT \
#     scripts/slurm/merge.sbatch
#
# --wait    wait for both jobs (sbatch --wait) and exit 0 only if every shard and the merge
#           succeeded, else 1 (naming the missing shards and the logs to read).
# OUT       the folder for the results (default: results).
# After --, options for both sbatch calls (partition, account, time, memory, --cpus-per-task=C to
# give each shard C threads, ...); sbatch's SBATCH_* environment variables work too.
# Environment: HESSIAN_STUDY, the binary (default: .build/release/hessian-study of this package);
# PARTS, the folder for the part files (default: OUT/.parts).
set -euo pipefail

usage() {
  echo "usage: $0 [--wait] CONFIG N [OUT] [-- SBATCH_OPTION...]" >&2
  exit 2
}
die() { echo "submit.sh: $1" >&2; exit "${2:-1}"; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

wait_jobs=false
args=()
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --wait) wait_jobs=true ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) args+=("$1") ;;
  esac
  shift
done
if [ ${#args[@]} -lt 2 ] || [ ${#args[@]} -gt 3 ]; then usage; fi
config=${args[0]}
shards=${args[1]}
out=${args[2]:-results}
[[ $shards =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer, got '$shards'" 2
[ -f "$config" ] || die "$config: no such file" 2
command -v sbatch >/dev/null 2>&1 || die "sbatch is not on PATH: run this on a Slurm login node"

abspath() { (cd "$(dirname "$1")" && printf '%s/%s\n' "$PWD" "$(basename "$1")"); }

bin=${HESSIAN_STUDY:-$root/.build/release/hessian-study}
[ -x "$bin" ] || die "$bin: not found; build it with: swift build -c release --product hessian-study"
bin=$(abspath "$bin")
config=$(abspath "$config")
mkdir -p "$out"
out=$(cd "$out" && pwd)
parts=${PARTS:-$out/.parts}
mkdir -p "$parts/logs"
parts=$(cd "$parts" && pwd)
logs=$parts/logs

# The stem of the result files, as the package reads it (exit 2 if the config is invalid).
name=$("$bin" check --name "$config") || exit 2
rm -f "$parts/$name".part-*-of-"$shards".json

export CONFIG=$config SHARDS=$shards PARTS=$parts OUT=$out NAME=$name HESSIAN_STUDY=$bin
array_opts=(--parsable --export=ALL --array="0-$((shards - 1))" --job-name="hessian-$name"
            --output="$logs/$name-shard-%A_%a.out" "${extra[@]}")
merge_opts=(--parsable --export=ALL --job-name="hessian-merge-$name" --kill-on-invalid-dep=yes
            --output="$logs/$name-merge-%j.out" "${extra[@]}")

if ! $wait_jobs; then
  array_id=$(sbatch "${array_opts[@]}" "$here/array.sbatch") || die "sbatch of the array job failed"
  array_id=${array_id%%;*}
  merge_id=$(sbatch "${merge_opts[@]}" --dependency="afterok:$array_id" "$here/merge.sbatch") \
    || die "sbatch of the merge job failed (array job $array_id is submitted: scancel $array_id)"
  merge_id=${merge_id%%;*}
  echo "array job $array_id: $shards shards of $name -> $parts"
  echo "merge job $merge_id: after array job $array_id succeeds -> $out/$name.{csv,md,json}"
  echo "logs: $logs"
  exit 0
fi

# --wait: both sbatch --wait in the background. `sbatch --parsable --wait` prints the id as soon
# as the job is submitted, so the merge can be submitted right away (with MinJobAge small, a
# finished job's record soon disappears, and a dependency on a vanished id counts as satisfied).
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hessian-submit.XXXXXX")
pids=()
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "submit.sh: stopped waiting; the jobs keep running (scancel to stop them)" >&2; exit 130' INT
trap 'exit 143' TERM

# submit_waiting FILE SBATCH_ARGS...: starts `sbatch --wait` in the background and waits (up to
# 60 s) for it to print the job id; sets job_id and job_pid.
submit_waiting() {
  local file=$1 i
  shift
  sbatch --wait "$@" >"$file.id" 2>"$file.err" &
  job_pid=$!
  pids+=("$job_pid")
  for ((i = 0; i < 600; i++)); do
    if [ -s "$file.id" ]; then
      job_id=$(head -n 1 "$file.id" | cut -d ';' -f 1)
      [[ $job_id =~ ^[0-9]+$ ]] && return 0
    fi
    kill -0 "$job_pid" 2>/dev/null || { sleep 0.1; [ -s "$file.id" ] && continue; break; }
    sleep 0.1
  done
  cat "$file.err" >&2
  return 1
}

status_file=$parts/.$name-merge.status
rm -f "$status_file"
export MERGE_STATUS=$status_file
submit_waiting "$tmp/array" "${array_opts[@]}" "$here/array.sbatch" \
  || die "sbatch of the array job failed"
array_id=$job_id array_pid=$job_pid
submit_waiting "$tmp/merge" "${merge_opts[@]}" --dependency="afterok:$array_id" "$here/merge.sbatch" \
  || die "sbatch of the merge job failed (array job $array_id is submitted: scancel $array_id)"
merge_id=$job_id merge_pid=$job_pid
echo "array job $array_id: $shards shards of $name -> $parts"
echo "merge job $merge_id: after array job $array_id succeeds -> $out/$name.{csv,md,json}"
echo "logs: $logs"

array_rc=0; wait "$array_pid" || array_rc=$?
merge_rc=0; wait "$merge_pid" || merge_rc=$?
pids=()

missing=()
for ((k = 1; k <= shards; k++)); do
  [ -f "$parts/$name.part-$k-of-$shards.json" ] || missing+=("$k")
done
merged=$(cat "$status_file" 2>/dev/null || echo "never ran")
rm -f "$status_file"
if [ "$array_rc" -eq 0 ] && [ "$merge_rc" -eq 0 ] && [ ${#missing[@]} -eq 0 ] && [ "$merged" = 0 ]; then
  echo "done: $out/$name.csv"
  exit 0
fi
{
  echo "FAILED: $name in $shards shards"
  if [ ${#missing[@]} -ne 0 ]; then
    echo "  shards that wrote no part: ${missing[*]}; their logs:"
    for k in "${missing[@]}"; do echo "    $logs/$name-shard-${array_id}_$((k - 1)).out"; done
  fi
  [ "$array_rc" -eq 0 ] || echo "  array job $array_id: highest exit status $array_rc"
  case $merged in
    0) ;;
    "never ran") echo "  merge job $merge_id: cancelled, never ran" ;;
    *) echo "  merge job $merge_id: exit status $merged (log: $logs/$name-merge-$merge_id.out)" ;;
  esac
  grep -hv '^Job [0-9]* no longer found' "$tmp/array.err" "$tmp/merge.err" 2>/dev/null | sed 's/^/  sbatch: /' || true
} >&2
exit 1
