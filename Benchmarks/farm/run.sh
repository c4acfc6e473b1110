#!/usr/bin/env bash
# Farm benchmark: 16 workers with 1 slot each, synthetic engine (sleeps, no arithmetic), through a local
# cluster (`longshot up`) in a temporary state directory.
#
#   1. Parallel efficiency: a 60 s job whose windows each take a fixed time (--steps 10 --model 20 -> 200 ms).
#      ideal makespan = windows x window time / 16; efficiency = ideal / measured, measured both from submit
#      to succeeded and over the window phase (first lease to last window done, from the attempts table).
#   2. Lease throughput: the same 16 workers with --model 0 (windows take ~no time) on a long job with many
#      windows: lease grants per second = windows / (last window done - first lease).
#
# Usage: Benchmarks/farm/run.sh [--skip-build]   (from the repository root; needs PostgreSQL, psql, python3)
# Env: WORKERS (16), STEPS (10), STEP_MS (20), DURATION (60), THROUGHPUT_DURATION (600), PORT (7790).
set -euo pipefail
cd "$(dirname "$0")/../.."

WORKERS=${WORKERS:-16}
STEPS=${STEPS:-10}
STEP_MS=${STEP_MS:-20}
DURATION=${DURATION:-60}
THROUGHPUT_DURATION=${THROUGHPUT_DURATION:-600}
PORT=${PORT:-7790}
JOB=(--fps 12 --size 160x96 --window 8 --overlap 2 --engine synthetic)

if [[ "${1:-}" != "--skip-build" ]]; then
    swift build -c release --scratch-path .build-farm-release --product longshot >&2
fi
BIN="$PWD/.build-farm-release/release/longshot"
[[ -x "$BIN" ]] || { echo "no release binary at $BIN (run without --skip-build)" >&2; exit 1; }

# Under /tmp: as root the private PostgreSQL runs as the postgres user, which must reach the directory.
STATE=$(mktemp -d /tmp/longshot-farm-bench-XXXXXX)
chmod 755 "$STATE"
cleanup() { "$BIN" down --state-dir "$STATE" >/dev/null 2>&1 || true; rm -rf "$STATE"; }
trap cleanup EXIT

"$BIN" up --workers "$WORKERS" --engine synthetic --slots 1 --port "$PORT" --state-dir "$STATE" >&2
export LONGSHOT_STATE_DIR="$STATE"
DB_URL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["database"])' "$STATE/cluster.json")
sql() { psql "$DB_URL" -qAtX -F ' ' -c "$1"; }

now_ms() { date +%s%3N; }

# run_job DURATION STEPS STEP_MS -> prints "id windows submit_to_done_ms window_phase_ms"
run_job() {
    local duration=$1 steps=$2 ms=$3 start end id
    start=$(now_ms)
    id=$("$BIN" submit "a red ball bouncing on a blue background" --duration "$duration" --steps "$steps" \
        --model "$ms" "${JOB[@]}" --wait 2>/dev/null | sed -n 1p)
    end=$(now_ms)
    [[ $("$BIN" show "$id" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])') == succeeded ]] \
        || { echo "job $id did not succeed" >&2; "$BIN" show "$id" >&2; exit 1; }
    read -r windows phase < <(sql "SELECT count(DISTINCT window_index),
        round(extract(epoch FROM max(ended_at) - min(started_at)) * 1000)
        FROM attempts WHERE job_id = '$id' AND outcome = 'done'")
    echo "$id $windows $((end - start)) $phase"
}

echo "machine: $(nproc) cores, $(uname -m); $WORKERS workers x 1 slot, synthetic engine" >&2

# Warm-up (workers register, first connections).
run_job 2 1 0 >/dev/null

read -r id windows total phase < <(run_job "$DURATION" "$STEPS" "$STEP_MS")
window_ms=$((STEPS * STEP_MS))
python3 - "$windows" "$window_ms" "$WORKERS" "$total" "$phase" "$DURATION" "$STEPS" "$STEP_MS" <<'PY'
import sys, math
windows, window_ms, workers, total, phase, duration, steps, step_ms = map(float, sys.argv[1:])
ideal = windows * window_ms / workers
rounds = math.ceil(windows / workers) * window_ms
print(f"efficiency job: {duration:g} s, {int(windows)} windows x {window_ms:g} ms (--steps {int(steps)} --model {int(step_ms)}), {int(workers)} workers")
print(f"  ideal makespan (windows x window time / workers): {ideal:.0f} ms (whole rounds: {rounds:.0f} ms)")
print(f"  window phase (first lease -> last window done):   {phase:.0f} ms  -> efficiency {ideal / phase:.1%}")
print(f"  submit -> succeeded (incl. stitch, decode, encode, CLI polling): {total:.0f} ms  -> efficiency {ideal / total:.1%}")
PY

read -r id windows total phase < <(run_job "$THROUGHPUT_DURATION" 1 0)
python3 - "$windows" "$phase" "$total" "$WORKERS" <<'PY'
import sys
windows, phase, total, workers = map(float, sys.argv[1:])
print(f"throughput job: {int(windows)} windows, --steps 1 --model 0, {int(workers)} workers")
print(f"  lease grants per second (windows / window phase {phase:.0f} ms): {windows / (phase / 1000):.1f}")
print(f"  submit -> succeeded: {total:.0f} ms")
PY
