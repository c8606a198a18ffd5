#!/usr/bin/env bash
# End-to-end test of the Slurm job-array example (examples/slurm/) on a real
# single-node Slurm cluster started on this machine by .ci/slurm-setup.sh
# (needs root; installs Debian's slurm/munge/parallel packages if missing).
#
#   1. builds target/release/forcegen (or uses $FORCEGEN)
#   2. brings up Slurm (.ci/slurm-setup.sh)
#   3. submits a sharded run (array + dependent merge) with examples/slurm/submit.sh
#      and waits for both jobs (bounded)
#   4. runs the same scenario/trials/seed in one process and cmp's every CSV
#   5. same check for the GNU parallel workflow from examples/slurm/README.md
# Last line: "slurm: P passed, F failed"; exit status 0 only if all passed.
#
# Environment knobs (defaults in brackets):
#   FORCEGEN                binary to test [build and use target/release/forcegen]
#   SLURM_TEST_SCENARIO     [scenarios/haiti-mss-2024-09.toml]
#   SLURM_TEST_TRIALS       [20000]
#   SLURM_TEST_SEED         [7]
#   SLURM_TEST_SHARDS       [4]
#   SLURM_TEST_TIMEOUT      seconds to wait for the Slurm jobs [900]
#   KEEP_WORKDIR=1          keep the temporary work dir even on success
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo" || exit 1

SCENARIO="${SLURM_TEST_SCENARIO:-scenarios/haiti-mss-2024-09.toml}"
TRIALS="${SLURM_TEST_TRIALS:-20000}"
SEED="${SLURM_TEST_SEED:-7}"
SHARDS="${SLURM_TEST_SHARDS:-4}"
TIMEOUT="${SLURM_TEST_TIMEOUT:-900}"
CSVS=(timeseries.csv targets.csv summary.csv contributors.csv run_info.csv)

passed=0
failed=0
work=""

say() { printf 'slurm-test: %s\n' "$*" >&2; }
summary() { echo "slurm: $passed passed, $failed failed"; }
# abort MSG: a problem that stops every remaining check
abort() {
    say "FAIL: $*"
    [ -n "$work" ] && say "work dir kept: $work"
    failed=$((failed + 1))
    summary
    exit 1
}
now() { date +%s; }

# compare_dirs LABEL REF GOT: every CSV of REF must exist in GOT, byte-identical
compare_dirs() {
    local label=$1 ref=$2 got=$3 f ok=1 name
    for f in "${CSVS[@]}"; do
        if [ ! -f "$got/$f" ]; then
            say "$label: missing $got/$f"; ok=0
        elif ! cmp "$ref/$f" "$got/$f"; then
            say "$label: $f differs from the single-process run"; ok=0
        fi
    done
    # any other CSV either side must match too
    for f in "$ref"/*.csv "$got"/*.csv; do
        [ -e "$f" ] || continue
        name=$(basename "$f")
        [[ " ${CSVS[*]} " == *" $name "* ]] && continue
        if [ ! -f "$ref/$name" ] || [ ! -f "$got/$name" ]; then
            say "$label: $name exists on one side only"; ok=0
        elif ! cmp -s "$ref/$name" "$got/$name"; then
            say "$label: $name differs"; ok=0
        fi
    done
    [ "$ok" = 1 ]
}

record() { # record LABEL STATUS
    if [ "$2" = 0 ]; then
        say "PASS: $1"; passed=$((passed + 1))
    else
        say "FAIL: $1"; failed=$((failed + 1))
    fi
}

# ------------------------------------------------------------------ binary
t0=$(now)
if [ -z "${FORCEGEN:-}" ]; then
    say "building forcegen (cargo build --release --locked)"
    cargo build --release --locked >&2 || abort "cargo build --release --locked failed"
    FORCEGEN="$repo/target/release/forcegen"
fi
[ -x "$FORCEGEN" ] || abort "forcegen binary not found: $FORCEGEN"
FORCEGEN=$(realpath "$FORCEGEN")
help=$("$FORCEGEN" run --help 2>&1) || true
if ! grep -q -- '--shard' <<<"$help" || ! grep -q -- '--partial' <<<"$help"; then
    abort "$FORCEGEN run does not support --shard/--partial"
fi
"$FORCEGEN" merge --help >/dev/null 2>&1 || abort "$FORCEGEN has no working 'merge' subcommand"
[ -f "$SCENARIO" ] || abort "scenario not found: $SCENARIO"

work=$(mktemp -d "${TMPDIR:-/tmp}/forcegen-slurm-test.XXXXXX")
chmod 0755 "$work"

# ------------------------------------------------------------------- slurm
t1=$(now)
bash "$repo/.ci/slurm-setup.sh" >&2 || abort ".ci/slurm-setup.sh failed"
t2=$(now)
say "slurm setup took $((t2 - t1))s"

# ------------------------------------------------------- reference (1 process)
say "reference: forcegen run $SCENARIO --trials $TRIALS --seed $SEED --out $work/ref"
"$FORCEGEN" run "$SCENARIO" --trials "$TRIALS" --seed "$SEED" --out "$work/ref" --quiet >&2 \
    || abort "single-process forcegen run failed"
for f in "${CSVS[@]}"; do
    [ -f "$work/ref/$f" ] || abort "single-process run wrote no $f"
done
t3=$(now)
say "reference run took $((t3 - t2))s"

# ------------------------------------------------------------ slurm array
slurm_case() {
    local out array_id merge_id deadline states bad=0 line
    out=$(bash "$repo/examples/slurm/submit.sh" -n "$SHARDS" -t "$TRIALS" -s "$SEED" \
        -w "$work/slurm" -b "$FORCEGEN" "$SCENARIO") || { say "submit.sh failed"; return 1; }
    array_id=$(sed -n 's/^ARRAY_JOB_ID=//p' <<<"$out")
    merge_id=$(sed -n 's/^MERGE_JOB_ID=//p' <<<"$out")
    if [ -z "$array_id" ] || [ -z "$merge_id" ]; then
        say "could not read job ids from submit.sh output: $out"; return 1
    fi
    say "array job $array_id, merge job $merge_id; waiting up to ${TIMEOUT}s"

    deadline=$(($(now) + TIMEOUT))
    local active='JobState=(PENDING|RUNNING|COMPLETING|CONFIGURING|SUSPENDED|REQUEUE[A-Z_]*|RESIZING|SIGNALING|STAGE_OUT|RESV_DEL_HOLD)'
    while :; do
        # .ci/slurm-setup.sh sets MinJobAge=1800, so finished jobs stay
        # visible to scontrol; a failing scontrol (e.g. slurmctld busy) just
        # means "ask again".
        if line=$(scontrol show job -o "$array_id" 2>/dev/null && scontrol show job -o "$merge_id" 2>/dev/null) \
            && ! grep -qE "$active" <<<"$line"; then
            break
        fi
        if [ "$(now)" -ge "$deadline" ]; then
            say "timeout after ${TIMEOUT}s; still queued:"
            squeue -j "$array_id,$merge_id" >&2 || true
            scancel "$array_id" "$merge_id" 2>/dev/null || true
            bad=1
            break
        fi
        sleep 1
    done

    # every array task and the merge job must have COMPLETED
    states=$(for id in "$array_id" "$merge_id"; do scontrol show job -o "$id" 2>/dev/null; done \
        | awk '{ id = ""; arr = ""; task = ""; name = ""; st = ""; ec = ""
                 for (i = 1; i <= NF; i++) {
                     split($i, kv, "=")
                     if (kv[1] == "JobId") id = kv[2]
                     else if (kv[1] == "ArrayJobId") arr = kv[2]
                     else if (kv[1] == "ArrayTaskId") task = kv[2]
                     else if (kv[1] == "JobName") name = kv[2]
                     else if (kv[1] == "JobState") st = kv[2]
                     else if (kv[1] == "ExitCode") ec = kv[2]
                 }
                 if (task != "") id = arr "_" task
                 printf "%s %s %s exit=%s\n", id, name, st, ec }' | sort -V)
    say "job states:"; printf '%s\n' "$states" | sed 's/^/    /' >&2
    local n_done
    n_done=$(scontrol show job -o "$array_id" 2>/dev/null | grep -c 'JobState=COMPLETED')
    if [ "$n_done" != "$SHARDS" ]; then
        say "expected $SHARDS completed array tasks, got $n_done"; bad=1
    fi
    if ! scontrol show job -o "$merge_id" 2>/dev/null | grep -q 'JobState=COMPLETED'; then
        say "merge job $merge_id did not complete"; bad=1
    fi
    if [ "$bad" = 1 ]; then
        for f in "$work"/slurm/logs/*; do
            [ -f "$f" ] || continue
            say "---- $f"; tail -n 20 "$f" >&2
        done
        return 1
    fi
    compare_dirs "slurm array" "$work/ref" "$work/slurm/result"
}

t4=$(now)
slurm_case
record "slurm job array ($SHARDS shards) + afterok merge == single-process run" $?
t5=$(now)
say "slurm case took $((t5 - t4))s"

# ---------------------------------------------------------- GNU parallel
parallel_case() {
    local pdir="$work/parallel"
    mkdir -p "$pdir"
    # the one-machine workflow from examples/slurm/README.md
    parallel --will-cite --halt now,fail=1 -j "$(nproc)" \
        "$FORCEGEN" run "$SCENARIO" --trials "$TRIALS" --seed "$SEED" \
        --shard "{}/$SHARDS" --partial "$pdir/shard-{}-of-$SHARDS.part" --quiet \
        ::: $(seq 1 "$SHARDS") >&2 || { say "parallel shards failed"; return 1; }
    local parts=()
    for ((k = 1; k <= SHARDS; k++)); do parts+=("$pdir/shard-$k-of-$SHARDS.part"); done
    "$FORCEGEN" merge "${parts[@]}" --out "$pdir/result" --quiet >&2 || { say "merge failed"; return 1; }
    compare_dirs "gnu parallel" "$work/ref" "$pdir/result"
}

if command -v parallel >/dev/null; then
    parallel_case
    record "GNU parallel ($SHARDS shards) + merge == single-process run" $?
    say "parallel case took $(($(now) - t5))s"
else
    say "SKIP: GNU parallel not installed"
fi

say "total $(($(now) - t0))s"
if [ "$failed" = 0 ] && [ "${KEEP_WORKDIR:-0}" != 1 ]; then
    rm -rf "$work"
else
    say "work dir kept: $work"
fi
summary
[ "$failed" = 0 ]
