#!/usr/bin/env bash
# Farm benchmark: 16 workers with 1 slot each, synthetic engine (sleeps, no arithmetic), through a local
# cluster (`longshot up`) in a temporary state directory; then the same workload on Ray and on Dask
# distributed (Benchmarks/farm/peers.py, installed in a venv), so the ratios are measured in one run.
#
#   1. Parallel efficiency: a 60 s job whose windows each take a fixed time (--steps 10 --model 20 -> 200 ms).
#      Ideal makespan: whole rounds, ceil(windows / workers) x window time (windows are indivisible; the
#      fluid bound windows x window time / workers is printed too). Efficiency = ideal / measured, measured
#      over the window phase (first window lease -> last window stored, from the attempts table; decode
#      segments excluded) and from
#      `submit --wait` to succeeded (adds decode, encode and the CLI).
#   2. Lease throughput: --model 0 (windows take ~no time) on a 600 s job: lease grants per second =
#      windows / window phase.
#
# Usage: Benchmarks/farm/run.sh [--skip-build]   (from the repository root; needs PostgreSQL, psql, python3)
# Env: WORKERS (16), STEPS (10), STEP_MS (20), DURATION (60), THROUGHPUT_DURATION (600), ROUNDS (3),
#      PEERS (1: also Ray and Dask; 0: only the farm), PORT (7790).
set -euo pipefail
cd "$(dirname "$0")/../.."

WORKERS=${WORKERS:-16}
STEPS=${STEPS:-10}
STEP_MS=${STEP_MS:-20}
DURATION=${DURATION:-60}
THROUGHPUT_DURATION=${THROUGHPUT_DURATION:-600}
ROUNDS=${ROUNDS:-3}
PEERS=${PEERS:-1}
PORT=${PORT:-7790}
JOB=(--fps 12 --size 160x96 --window 8 --overlap 2 --engine synthetic --fusion independent)

if [[ "${1:-}" != "--skip-build" ]]; then
    swift build -c release --scratch-path .build-farm-release --product longshot >&2
fi
BIN="$PWD/.build-farm-release/release/longshot"
[[ -x "$BIN" ]] || { echo "no release binary at $BIN (run without --skip-build)" >&2; exit 1; }

if [[ "$PEERS" == 1 && ! -x .venv-peers/bin/python ]]; then
    echo "installing Ray and Dask into .venv-peers (once)" >&2
    python3 -m venv .venv-peers
    .venv-peers/bin/pip install -q ray "dask[distributed]" numpy >&2
fi

# Under /tmp: as root the private PostgreSQL runs as the postgres user, which must reach the directory.
STATE=$(mktemp -d /tmp/longshot-farm-bench-XXXXXX)
chmod 755 "$STATE"
RESULTS="$STATE.jsonl"
cleanup() { "$BIN" down --state-dir "$STATE" >/dev/null 2>&1 || true; rm -rf "$STATE"; }
trap cleanup EXIT

"$BIN" up --workers "$WORKERS" --engine synthetic --slots 1 --port "$PORT" --state-dir "$STATE" >&2
export LONGSHOT_STATE_DIR="$STATE"
DB_URL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["database"])' "$STATE/cluster.json")
sql() { psql "$DB_URL" -qAtX -F ' ' -c "$1"; }
now_ms() { date +%s%3N; }

# run_job KIND DURATION STEPS STEP_MS: appends one JSON line to $RESULTS.
run_job() {
    local kind=$1 duration=$2 steps=$3 ms=$4 start end id
    start=$(now_ms)
    id=$("$BIN" submit "a red ball bouncing on a blue background" --duration "$duration" --steps "$steps" \
        --model "$ms" "${JOB[@]}" --wait 2>/dev/null | sed -n 1p)
    end=$(now_ms)
    [[ $("$BIN" show "$id" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])') == succeeded ]] \
        || { echo "job $id did not succeed" >&2; "$BIN" show "$id" >&2; exit 1; }
    read -r windows phase < <(sql "SELECT count(DISTINCT window_index),
        round(extract(epoch FROM max(ended_at) - min(started_at)) * 1000)
        FROM attempts WHERE job_id = '$id' AND outcome = 'done' AND window_index IS NOT NULL AND segment_index IS NULL")
    python3 - "$kind" "$windows" "$((steps * ms))" "$WORKERS" "$((end - start))" "$phase" >>"$RESULTS" <<'PY'
import json, math, sys
kind, windows, window_ms, workers, total, phase = sys.argv[1], *map(float, sys.argv[2:])
line = {"system": "longshot", "kind": kind, "tasks": int(windows), "workers": int(workers), "phase_ms": phase,
        "submit_to_done_ms": total, "tasks_per_s": round(windows / (phase / 1000), 1)}
if window_ms > 0:
    rounds = math.ceil(windows / workers) * window_ms
    line.update(ideal_rounds_ms=rounds, ideal_fluid_ms=windows * window_ms / workers,
                efficiency_phase=round(rounds / phase, 3), efficiency_total=round(rounds / total, 3))
print(json.dumps(line))
PY
    tail -1 "$RESULTS" >&2
}

echo "machine: $(nproc) cores, $(uname -m), load $(cut -d' ' -f1-3 /proc/loadavg); $WORKERS workers x 1 slot" >&2
run_job warmup 2 1 0 >/dev/null
for round in $(seq "$ROUNDS"); do
    run_job efficiency "$DURATION" "$STEPS" "$STEP_MS"
    run_job throughput "$THROUGHPUT_DURATION" 1 0
done
"$BIN" down --state-dir "$STATE" >/dev/null 2>&1 || true

if [[ "$PEERS" == 1 ]]; then
    windows=$(python3 -c 'import json,sys; print(next(json.loads(l)["tasks"] for l in open(sys.argv[1]) if "efficiency" in l))' "$RESULTS")
    throughput=$(python3 -c 'import json,sys; print(next(json.loads(l)["tasks"] for l in open(sys.argv[1]) if "throughput" in l))' "$RESULTS")
    for peer in ray dask; do
        for round in $(seq "$ROUNDS"); do
            WORKERS=$WORKERS WINDOWS=$windows STEPS=$STEPS STEP_MS=$STEP_MS THROUGHPUT_WINDOWS=$throughput \
                .venv-peers/bin/python Benchmarks/farm/peers.py "$peer" 2>/dev/null | grep '^{' | tee -a "$RESULTS" >&2
        done
    done
fi

python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def median(system, kind, key):
    values = [r[key] for r in rows if r["system"] == system and r["kind"] == kind and r.get(key) is not None]
    return statistics.median(values) if values else None
systems = [s for s in ("longshot", "ray", "dask") if any(r["system"] == s for r in rows)]
print(f"medians of {max(sum(1 for r in rows if r['system'] == s and r['kind'] == 'throughput') for s in systems)} rounds")
print("| system | grants (tasks) per s | window phase efficiency | submit -> done efficiency | 60 s job: phase / submit->done |")
print("|---|---|---|---|---|")
for s in systems:
    print(f"| {s} | {median(s, 'throughput', 'tasks_per_s')} | {median(s, 'efficiency', 'efficiency_phase')} | "
          f"{median(s, 'efficiency', 'efficiency_total')} | {median(s, 'efficiency', 'phase_ms')} / {median(s, 'efficiency', 'submit_to_done_ms')} ms |")
ours = median("longshot", "throughput", "tasks_per_s")
for s in systems[1:]:
    theirs = median(s, "throughput", "tasks_per_s")
    if ours and theirs: print(f"longshot / {s} grants per second: {ours / theirs:.2f}")
PY
echo "raw results: $RESULTS" >&2
