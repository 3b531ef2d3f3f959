#!/usr/bin/env bash
# Run a suite as a SLURM job array of shards on a single-node cluster started here, merge the
# shards with `vi-bench report`, and check that the merged results equal a single-machine run.
#
#   scripts/slurm_suite.sh [SUITE.toml|default] [SHARDS] [OUT]      (defaults: default 3 slurm-out)
#
# Needs root (it installs Debian's slurm-wlm and munge if missing, writes /etc/munge/munge.key
# if absent and starts munged, slurmctld and slurmd on localhost). On a real cluster only the
# `sbatch` line below is needed: submit scripts/slurm_array_task.sh as an array of N tasks and
# run `vi-bench report OUT/shard-*` when it has finished.
set -euo pipefail
cd "$(dirname "$0")/.."
suite="${1:-default}" shards="${2:-3}" out="${3:-slurm-out}"
root="$PWD"
case "$out" in /*) ;; *) out="$root/$out" ;; esac
case "$suite" in default | /*) ;; *) suite="$root/$suite" ;; esac

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    echo "== installing slurm-wlm and munge"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
echo "== building vi-bench"
cargo build --release -p vi-bench -q
vi_bench="$root/target/release/vi-bench"

# A one-node cluster: this host, its cores and memory, no cgroups, no accounting.
state="$(mktemp -d /tmp/slurm-state.XXXXXX)"
host="$(hostname -s)"
cpus="$(nproc)"
mem_mb=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512))
export SLURM_CONF="$state/slurm.conf"
cat >"$SLURM_CONF" <<CONF
ClusterName=vi-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
NodeName=$host CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
mkdir -p "$state/ctld" "$state/d"

echo "== starting munged, slurmctld, slurmd (state in $state)"
if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
    chmod 400 /etc/munge/munge.key
fi
mkdir -p /run/munge /var/log/munge /var/lib/munge
pgrep -x munged >/dev/null || munged --force
slurmctld
slurmd
cleanup() {
    scancel --quiet --user=root 2>/dev/null || true
    scontrol shutdown 2>/dev/null || true
    sleep 1
    [ -s "$state/slurmd.pid" ] && kill "$(cat "$state/slurmd.pid")" 2>/dev/null || true
    [ -s "$state/slurmctld.pid" ] && kill "$(cat "$state/slurmctld.pid")" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 60); do
    sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && break
    sleep 1
done
sinfo

echo "== submitting $suite as an array of $shards shards"
rm -rf "$out"
mkdir -p "$out/logs"
t0=$(date +%s)
sbatch --wait --array="1-$shards" --job-name=vi-suite --output="$out/logs/shard-%a.out" \
    scripts/slurm_array_task.sh "$vi_bench" "$suite" "$out"
echo "array finished in $(($(date +%s) - t0)) s"
sacct >/dev/null 2>&1 || true
tail -n 2 "$out"/logs/shard-*.out

echo "== merging the shards"
"$vi_bench" report "$out"/shard-* --out "$out/merged"

echo "== the same suite on this machine alone"
args=()
[ "$suite" != "default" ] && args=("$suite")
"$vi_bench" suite "${args[@]}" --out "$out/single" --jobs 1 2>/dev/null
shard_files=$(ls "$out"/shard-*/results.jsonl | paste -sd,)
python3 scripts/compare_results.py "$shard_files" "$out/single/results.jsonl"
