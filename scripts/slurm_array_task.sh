#!/usr/bin/env bash
# One task of a SLURM job array: runs shard SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT of a
# suite into OUT/shard-I (resumable: a requeued task continues its shard). Submitted by
# scripts/slurm_suite.sh; runnable by hand with the two variables set.
#   usage: slurm_array_task.sh VI_BENCH SUITE OUT
#SBATCH --cpus-per-task=1
set -euo pipefail
vi_bench="$1" suite="$2" out="$3"
i="${SLURM_ARRAY_TASK_ID:?not inside a job array (set SLURM_ARRAY_TASK_ID)}"
n="${SLURM_ARRAY_TASK_COUNT:?not inside a job array (set SLURM_ARRAY_TASK_COUNT)}"
dir="$out/shard-$i"
resume=()
[ -s "$dir/results.jsonl" ] && resume=(--resume)
args=()
[ "$suite" != "default" ] && args=("$suite")
exec "$vi_bench" suite "${args[@]}" --out "$dir" --shard "$i/$n" --jobs "${SLURM_CPUS_PER_TASK:-1}" "${resume[@]}"
