#!/usr/bin/env bash
# submit.sh: submit a sharded forcegen run to Slurm as a job array (one shard
# per task) plus a merge job that runs once every shard has succeeded.
#
# Usage:
#   examples/slurm/submit.sh [options] SCENARIO.toml [-- extra sbatch args]
#
# Options (each also settable via the environment variable in brackets):
#   -n N     number of shards = array tasks            [SHARDS, default 4]
#   -t N     trials                                    [TRIALS, default 10000]
#   -s S     seed                                      [SEED,   default 1]
#   -w DIR   work dir: partials/, logs/, result/       [WORKDIR, default ./forcegen-slurm]
#   -b PATH  forcegen binary                           [FORCEGEN, default: target/release/forcegen
#                                                       of this repo, else `forcegen` on PATH]
#   -c N     CPUs per shard task                       [CPUS_PER_TASK, default 1]
#   -h       help
# Anything after `--` is passed to both sbatch calls (e.g. --partition=long
# --account=proj --time=01:00:00). sbatch's own SBATCH_* variables work too.
#
# SCENARIO, WORKDIR and FORCEGEN must be on a file system that the compute
# nodes see at the same path (they are turned into absolute paths here).
#
# Output (stdout), for scripts:
#   ARRAY_JOB_ID=<id>
#   MERGE_JOB_ID=<id>
#   RESULT_DIR=<WORKDIR>/result
# Progress messages go to stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
die() { printf 'submit.sh: ERROR: %s\n' "$*" >&2; exit 2; }
say() { printf 'submit.sh: %s\n' "$*" >&2; }

SHARDS="${SHARDS:-4}"
TRIALS="${TRIALS:-10000}"
SEED="${SEED:-1}"
WORKDIR="${WORKDIR:-$PWD/forcegen-slurm}"
FORCEGEN="${FORCEGEN:-}"
CPUS_PER_TASK="${CPUS_PER_TASK:-1}"

while getopts ':n:t:s:w:b:c:h' opt; do
    case "$opt" in
        n) SHARDS=$OPTARG ;;
        t) TRIALS=$OPTARG ;;
        s) SEED=$OPTARG ;;
        w) WORKDIR=$OPTARG ;;
        b) FORCEGEN=$OPTARG ;;
        c) CPUS_PER_TASK=$OPTARG ;;
        h) usage; exit 0 ;;
        :) die "option -$OPTARG needs a value (see -h)" ;;
        *) die "unknown option -$OPTARG (see -h)" ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { usage >&2; exit 2; }
SCENARIO=$1
shift
if [ $# -gt 0 ]; then
    [ "$1" = "--" ] || die "unexpected argument '$1' (put extra sbatch args after --)"
    shift
fi
extra=("$@")

[[ "$SHARDS" =~ ^[1-9][0-9]*$ ]] || die "shards must be a positive integer, got '$SHARDS'"
[[ "$TRIALS" =~ ^[1-9][0-9]*$ ]] || die "trials must be a positive integer, got '$TRIALS'"
[[ "$SEED" =~ ^[0-9]+$ ]] || die "seed must be a non-negative integer, got '$SEED'"
[[ "$CPUS_PER_TASK" =~ ^[1-9][0-9]*$ ]] || die "cpus per task must be a positive integer"
command -v sbatch >/dev/null || die "sbatch not found: run this on a Slurm login node"

if [ -z "$FORCEGEN" ]; then
    if [ -x "$repo/target/release/forcegen" ]; then
        FORCEGEN="$repo/target/release/forcegen"
    else
        FORCEGEN=$(command -v forcegen) || die "no forcegen binary: build it (cargo build --release --locked) or pass -b"
    fi
fi
[ -f "$SCENARIO" ] || die "scenario not found: $SCENARIO"
[ -x "$FORCEGEN" ] || die "forcegen binary not executable: $FORCEGEN"
SCENARIO=$(realpath "$SCENARIO")
FORCEGEN=$(realpath "$FORCEGEN")
mkdir -p "$WORKDIR/partials" "$WORKDIR/logs"
WORKDIR=$(realpath "$WORKDIR")

# sbatch --export takes a comma-separated list.
for v in "$SCENARIO" "$WORKDIR" "$FORCEGEN"; do
    case "$v" in *,*) die "paths with commas cannot be passed through sbatch --export: $v" ;; esac
done

# Partials and result of an earlier run in this work dir would be mixed up
# with the new ones: clear them.
shopt -s nullglob
stale=("$WORKDIR"/partials/shard-*-of-*.part "$WORKDIR"/partials/tmp-*.part)
shopt -u nullglob
if [ "${#stale[@]}" -gt 0 ]; then
    say "removing ${#stale[@]} old partial(s) from $WORKDIR/partials"
    rm -f "${stale[@]}"
fi
rm -rf "$WORKDIR/result"

say "array: $SHARDS shards of $TRIALS trials, seed $SEED, scenario $SCENARIO"
array_out=$(sbatch --parsable \
    --array="1-$SHARDS" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --chdir="$WORKDIR" \
    --output="$WORKDIR/logs/shard-%A_%a.out" \
    --export="ALL,SCENARIO=$SCENARIO,TRIALS=$TRIALS,SEED=$SEED,WORKDIR=$WORKDIR,FORCEGEN=$FORCEGEN" \
    "${extra[@]}" \
    "$here/forcegen-array.sbatch")
# --parsable prints "jobid" or "jobid;cluster"
array_id=${array_out%%;*}
[[ "$array_id" =~ ^[0-9]+$ ]] || die "could not parse array job id from sbatch output: '$array_out'"

merge_out=$(sbatch --parsable \
    --dependency="afterok:$array_id" \
    --kill-on-invalid-dep=yes \
    --chdir="$WORKDIR" \
    --output="$WORKDIR/logs/merge-%j.out" \
    --export="ALL,SHARDS=$SHARDS,WORKDIR=$WORKDIR,FORCEGEN=$FORCEGEN" \
    "${extra[@]}" \
    "$here/forcegen-merge.sbatch")
merge_id=${merge_out%%;*}
[[ "$merge_id" =~ ^[0-9]+$ ]] || die "could not parse merge job id from sbatch output: '$merge_out'"

say "submitted array job $array_id (tasks 1-$SHARDS) and merge job $merge_id (afterok:$array_id)"
say "logs in $WORKDIR/logs; result will be in $WORKDIR/result"
echo "ARRAY_JOB_ID=$array_id"
echo "MERGE_JOB_ID=$merge_id"
echo "RESULT_DIR=$WORKDIR/result"
