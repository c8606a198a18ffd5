#!/usr/bin/env bash
# Bring up a single-node Slurm cluster (node "localhost", partition "debug")
# on this Debian machine, for tests/slurm/run-slurm-test.sh and CI.
#
# - installs slurmctld, slurmd, slurm-client, munge (and parallel) if missing
# - creates the munge key if missing, starts munged
# - writes /etc/slurm/slurm.conf (single node, CPUs/memory from `slurmd -C`)
# - starts slurmctld and `slurmd -N localhost` directly (no systemd needed)
# - waits until sinfo shows the node idle
#
# Idempotent: running it again reuses daemons that are already up. If the
# generated slurm.conf differs from the one in place, the Slurm daemons that
# this script started (found by their pid files) are restarted.
# Must run as root.
#
# Environment knobs:
#   SLURM_SETUP_TIMEOUT  seconds to wait for the node to become idle (default 60)
#   SLURM_SETUP_NO_APT=1 never call apt-get (fail if packages are missing)
set -euo pipefail

TIMEOUT="${SLURM_SETUP_TIMEOUT:-60}"
CONF=/etc/slurm/slurm.conf
LOGDIR=/var/log/slurm
CTLD_PID=/run/slurm/slurmctld.pid
SLURMD_PID=/run/slurm/slurmd.pid
MUNGE_SOCKET_DIR=/run/munge
MUNGE_PID=$MUNGE_SOCKET_DIR/munged.pid

log() { printf 'slurm-setup: %s\n' "$*" >&2; }
die() { printf 'slurm-setup: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root"

# ---------------------------------------------------------------- packages
need_pkgs=()
for p in slurmctld slurmd slurm-client munge parallel; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        need_pkgs+=("$p")
    fi
done
if [ "${#need_pkgs[@]}" -gt 0 ]; then
    [ "${SLURM_SETUP_NO_APT:-0}" = 1 ] && die "missing packages: ${need_pkgs[*]}"
    log "installing: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_log=$(mktemp /tmp/slurm-setup-apt.XXXXXX.log)
    for try in 1 2 3; do
        apt-get update -qq >>"$apt_log" 2>&1 && break
        [ "$try" = 3 ] && { tail -n 20 "$apt_log" >&2; die "apt-get update failed 3 times"; }
        sleep 5
    done
    # Keep the packages' init scripts from starting daemons (they would start
    # slurmd without -N localhost, before slurm.conf exists); we start the
    # daemons ourselves below. Docker-style images already have this file.
    own_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        own_policy=1
    fi
    rc=0
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >>"$apt_log" 2>&1 || rc=$?
    [ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
    if [ "$rc" != 0 ]; then
        tail -n 20 "$apt_log" >&2
        die "apt-get install ${need_pkgs[*]} failed (exit $rc), log: $apt_log"
    fi
    rm -f "$apt_log"
fi
for b in munged slurmctld slurmd sbatch sinfo scontrol; do
    command -v "$b" >/dev/null || die "$b not found after install"
done

# pid_alive PIDFILE NAME: true if PIDFILE names a live process called NAME
pid_alive() {
    local f=$1 name=$2 pid comm
    [ -s "$f" ] || return 1
    pid=$(tr -dc '0-9' <"$f")
    [ -n "$pid" ] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
    [[ "$comm" == "$name"* ]]
}

# stop_pidfile PIDFILE NAME: stop the daemon named in PIDFILE (ours), wait for it
stop_pidfile() {
    local f=$1 name=$2 pid i
    pid_alive "$f" "$name" || { rm -f "$f"; return 0; }
    pid=$(tr -dc '0-9' <"$f")
    log "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    rm -f "$f"
}

# ------------------------------------------------------------------- munge
if [ ! -s /etc/munge/munge.key ]; then
    log "creating /etc/munge/munge.key"
    install -d -o munge -g munge -m 0700 /etc/munge
    if command -v mungekey >/dev/null; then
        mungekey --create --keyfile=/etc/munge/munge.key
    else
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    fi
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 0755 "$MUNGE_SOCKET_DIR"

munge_ok() { munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; }
if munge_ok; then
    log "munged already running"
else
    if pid_alive "$MUNGE_PID" munged; then
        stop_pidfile "$MUNGE_PID" munged   # alive but not answering
    fi
    rm -f "$MUNGE_PID"
    log "starting munged"
    # --force: tolerate a stale socket left behind by a killed munged
    runuser -u munge -- /usr/sbin/munged --force
    ok=0
    for ((i = 0; i < 50; i++)); do
        if munge_ok; then ok=1; break; fi
        sleep 0.2
    done
    [ "$ok" = 1 ] || die "munged did not come up (see /var/log/munge/munged.log)"
fi

# -------------------------------------------------------------- slurm.conf
install -d -m 0755 /etc/slurm /run/slurm "$LOGDIR" /var/spool/slurmctld /var/spool/slurmd

# Hardware line as slurmd sees it, renamed to our node name. Dropping
# Boards/UpTime keeps the line stable across runs.
hw=$(slurmd -C | head -n 1)
cpus=$(sed -n 's/.*\bCPUs=\([0-9]*\).*/\1/p' <<<"$hw")
sockets=$(sed -n 's/.*\bSocketsPerBoard=\([0-9]*\).*/\1/p' <<<"$hw")
cores=$(sed -n 's/.*\bCoresPerSocket=\([0-9]*\).*/\1/p' <<<"$hw")
threads=$(sed -n 's/.*\bThreadsPerCore=\([0-9]*\).*/\1/p' <<<"$hw")
mem=$(sed -n 's/.*\bRealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
if [ -z "$cpus" ] || [ -z "$mem" ]; then
    die "could not parse 'slurmd -C' output: $hw"
fi
# Leave a little slack so small fluctuations never make the node drain
# for "Low RealMemory".
mem=$((mem * 95 / 100))
node_line="NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus"
[ -n "$sockets" ] && node_line+=" Sockets=$sockets"
[ -n "$cores" ] && node_line+=" CoresPerSocket=$cores"
[ -n "$threads" ] && node_line+=" ThreadsPerCore=$threads"
node_line+=" RealMemory=$mem State=UNKNOWN"

new_conf=$(cat <<CONF
# Written by .ci/slurm-setup.sh: single-node test cluster.
ClusterName=forcegen-ci
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOGDIR/slurmctld.log
SlurmdLogFile=$LOGDIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups: plain process tracking, no task binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# A job whose afterok dependency can never be met is cancelled instead of
# pending forever (so a failed shard fails the merge job visibly).
DependencyParameters=kill_invalid_depend
# Keep finished jobs visible to 'scontrol show job' for 30 minutes.
MinJobAge=1800
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=10
Waittime=0
$node_line
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
)

conf_changed=0
if [ ! -f "$CONF" ] || [ "$(cat "$CONF")" != "$new_conf" ]; then
    log "writing $CONF"
    printf '%s\n' "$new_conf" >"$CONF.tmp"
    chmod 0644 "$CONF.tmp"
    mv "$CONF.tmp" "$CONF"
    conf_changed=1
fi

if [ "$conf_changed" = 1 ]; then
    # Config changed: restart the daemons this script started earlier.
    stop_pidfile "$SLURMD_PID" slurmd
    stop_pidfile "$CTLD_PID" slurmctld
fi

# ------------------------------------------------------------------ daemons
if scontrol ping 2>/dev/null | grep -q 'is UP'; then
    log "slurmctld already running"
else
    pid_alive "$CTLD_PID" slurmctld && stop_pidfile "$CTLD_PID" slurmctld
    log "starting slurmctld"
    # -i: ignore unreadable/incompatible saved state instead of refusing to start
    slurmctld -i
    ok=0
    for ((i = 0; i < TIMEOUT * 2; i++)); do
        if scontrol ping 2>/dev/null | grep -q 'is UP'; then ok=1; break; fi
        sleep 0.5
    done
    if [ "$ok" != 1 ]; then
        tail -n 30 "$LOGDIR/slurmctld.log" >&2 || true
        die "slurmctld did not answer 'scontrol ping' within ${TIMEOUT}s"
    fi
fi

if pid_alive "$SLURMD_PID" slurmd; then
    log "slurmd already running"
else
    log "starting slurmd -N localhost"
    slurmd -N localhost
fi

# --------------------------------------------------------------- wait idle
state=""
for ((i = 0; i < TIMEOUT * 2; i++)); do
    state=$(sinfo -h -N -n localhost -o '%T' 2>/dev/null | head -n 1 || true)
    case "$state" in
        idle | mixed | allocated | completing) break ;;
        down* | drain* | fail*)
            # e.g. left down by an earlier run: bring it back
            scontrol update NodeName=localhost State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
done
case "$state" in
    idle | mixed | allocated | completing) ;;
    *)
        sinfo -N -l >&2 || true
        scontrol show node localhost >&2 || true
        tail -n 30 "$LOGDIR/slurmd.log" >&2 || true
        tail -n 30 "$LOGDIR/slurmctld.log" >&2 || true
        die "node localhost not idle after ${TIMEOUT}s (state: '${state:-none}')"
        ;;
esac
log "ready: node localhost is $state"
sinfo
