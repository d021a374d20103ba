#!/usr/bin/env bash
# A real one-node Slurm cluster on loopback, for testing the scale-out scripts (scripts/slurm/test.sh)
# on one machine. Not for production: on a real cluster, use the site's Slurm.
#
#   scripts/slurm/cluster.sh up       start it (idempotent): prints nothing when all is well
#   scripts/slurm/cluster.sh down     stop it and remove its state (idempotent)
#   scripts/slurm/cluster.sh status   print the node state (exit 1 if the cluster is not up)
#
# Must run as root on Debian/Ubuntu without systemd. `up`:
#   - installs slurmctld, slurmd, slurm-client and munge with apt-get if missing;
#   - creates the munge key if missing and /run/munge, and starts munged as user munge unless a
#     munged already answers;
#   - makes the host name resolve (adds "127.0.0.1 HOST" to /etc/hosts if it does not);
#   - writes /etc/slurm/slurm.conf (refusing to overwrite one it did not write) with the node line
#     of `slurmd -C`, RealMemory lowered, state, spool, logs and pid files under $HESSIAN_SLURM_STATE
#     (default /tmp/hessian-slurm);
#   - starts slurmctld and slurmd and waits up to 30 s for the node to be idle in sinfo.
# `down` cancels any job left, stops slurmd and slurmctld (and munged if `up` started it) by their
# pid files, waiting up to 15 s each before SIGKILL, and removes the state folder and slurm.conf.
# On failure it exits 1 with one line on stderr naming the log to read.
set -euo pipefail

STATE=${HESSIAN_SLURM_STATE:-/tmp/hessian-slurm}
CONF=/etc/slurm/slurm.conf
MARK="# Written by hessian-study scripts/slurm/cluster.sh; removed by 'cluster.sh down'."
MUNGED_PID=/run/munge/munged.pid
HOST=$(hostname -s)

die() { echo "cluster.sh: $*" >&2; exit 1; }

# alive PIDFILE NAME: the process in PIDFILE is running and is NAME (not a reused pid).
alive() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]
}

# stop PIDFILE NAME: SIGTERM, wait up to 15 s, then SIGKILL.
stop() {
  alive "$1" "$2" || return 0
  local pid i
  pid=$(cat "$1")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.2
}

ours() { [ -f "$CONF" ] && head -n 1 "$CONF" | grep -qxF "$MARK"; }

node_state() { timeout 5 sinfo -h -N -n "$HOST" -o %T 2>/dev/null | head -n 1; }

install_packages() {
  local missing=() cmd
  for cmd in slurmctld slurmd sbatch munged; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and there is no apt-get: install Slurm and munge"
  local log=$STATE/apt.log
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends \
           -o DPkg::Lock::Timeout=60 slurmctld slurmd slurm-client munge; } >"$log" 2>&1; then
    tail -n 5 "$log" >&2
    die "apt-get install of slurmctld slurmd slurm-client munge failed (log: $log)"
  fi
}

start_munge() {
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    mungekey --create --keyfile=/etc/munge/munge.key >/dev/null 2>&1 \
      || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  chmod 755 /run/munge
  munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0
  if ! alive "$MUNGED_PID" munged; then
    rm -f /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock
    runuser -u munge -- /usr/sbin/munged >"$STATE/munged.out" 2>&1 \
      || die "munged did not start (see $STATE/munged.out and /var/log/munge/munged.log)"
    touch "$STATE/munged.started"
  fi
  local i
  for ((i = 0; i < 100; i++)); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "munge does not answer after 10 s (see /var/log/munge/munged.log)"
}

write_conf() {
  if [ -f "$CONF" ] && ! ours; then
    die "$CONF exists and was not written by this script: not touching it (this script is for a throwaway test cluster)"
  fi
  getent hosts "$HOST" >/dev/null 2>&1 || echo "127.0.0.1 $HOST" >>/etc/hosts
  local node mem
  node=$(slurmd -C 2>/dev/null | grep -m 1 '^NodeName=') || die "slurmd -C printed no node line"
  mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node")
  [[ $mem =~ ^[0-9]+$ ]] || die "no RealMemory in: $node"
  # Leave room for the daemons: 90 % of what slurmd sees, at least 1 MB.
  mem=$((mem * 9 / 10)); [ "$mem" -ge 1 ] || mem=1
  node=$(sed "s/RealMemory=[0-9]*/RealMemory=$mem/; s/^NodeName=[^ ]*/NodeName=$HOST/" <<<"$node")
  mkdir -p "$(dirname "$CONF")" "$STATE/ctld" "$STATE/spool"
  cat >"$CONF.tmp" <<EOF
$MARK
ClusterName=hessian
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MailProg=/bin/true
ReturnToService=2
MinJobAge=4
DependencyParameters=kill_invalid_depend
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=main Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$CONF.tmp" "$CONF"
}

up() {
  [ "$(id -u)" -eq 0 ] || die "must run as root"
  mkdir -p "$STATE"
  install_packages
  if ours && alive "$STATE/slurmctld.pid" slurmctld && alive "$STATE/slurmd.pid" slurmd \
     && [ "$(node_state)" = idle ]; then
    return 0
  fi
  start_munge
  write_conf
  if ! alive "$STATE/slurmctld.pid" slurmctld; then
    slurmctld >"$STATE/slurmctld.out" 2>&1 || die "slurmctld did not start (see $STATE/slurmctld.log)"
  fi
  if ! alive "$STATE/slurmd.pid" slurmd; then
    slurmd >"$STATE/slurmd.out" 2>&1 || die "slurmd did not start (see $STATE/slurmd.log)"
  fi
  local i state=
  for ((i = 0; i < 60; i++)); do
    state=$(node_state) || true
    case $state in
      idle) return 0 ;;
      down*|drain*|fail*)
        timeout 5 scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
  done
  die "node $HOST is '${state:-unknown}', not idle, after 30 s (see $STATE/slurmctld.log and $STATE/slurmd.log)"
}

down() {
  [ "$(id -u)" -eq 0 ] || die "must run as root"
  if ours && alive "$STATE/slurmctld.pid" slurmctld; then
    local jobs
    jobs=$(timeout 5 squeue -h -o %A 2>/dev/null) || true
    # shellcheck disable=SC2086  # one argument per job id
    [ -z "$jobs" ] || timeout 5 scancel --quiet --full $jobs >/dev/null 2>&1 || true
  fi
  stop "$STATE/slurmd.pid" slurmd
  stop "$STATE/slurmctld.pid" slurmctld
  if [ -f "$STATE/munged.started" ]; then
    stop "$MUNGED_PID" munged
  fi
  if ours; then rm -f "$CONF"; fi
  rm -rf "$STATE"
}

status() {
  local state
  state=$(node_state) || true
  [ -n "$state" ] || { echo "down"; return 1; }
  echo "$HOST: $state"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
