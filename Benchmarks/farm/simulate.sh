#!/usr/bin/env bash
# A bounded simulation of a large farm: SIM_WORKERS synthetic worker processes (1 slot each) on this
# machine against one coordinator and its PostgreSQL, through a local cluster (`longshot up`). Reports
# what the coordinator and the database cost per window and per worker: CPU seconds (from /proc), SQL
# transactions (pg_stat_database), heartbeats, and the jobs' efficiency.
#
# Workload: JOBS jobs submitted at once, each DURATION s at 12 fps (160x96, windows of 8 latent frames
# overlapping by 2: 60 windows per minute of video), every window STEPS x STEP_MS of sleep.
#
# Usage: Benchmarks/farm/simulate.sh [--skip-build]
# Env: SIM_WORKERS (256), JOBS (4), DURATION (600), STEPS (10), STEP_MS (100), IDLE_SECONDS (10), PORT (7890).
set -euo pipefail
cd "$(dirname "$0")/../.."

SIM_WORKERS=${SIM_WORKERS:-256}
JOBS=${JOBS:-4}
DURATION=${DURATION:-600}
STEPS=${STEPS:-10}
STEP_MS=${STEP_MS:-100}
IDLE_SECONDS=${IDLE_SECONDS:-10}
PORT=${PORT:-7890}
JOB=(--fps 12 --size 160x96 --window 8 --overlap 2 --engine synthetic --fusion independent)

if [[ "${1:-}" != "--skip-build" ]]; then
    swift build -c release --scratch-path .build-farm-release --product longshot >&2
fi
BIN="$PWD/.build-farm-release/release/longshot"
STATE=$(mktemp -d /tmp/longshot-farm-sim-XXXXXX)
chmod 755 "$STATE"
cleanup() { "$BIN" down --state-dir "$STATE" >/dev/null 2>&1 || true; rm -rf "$STATE"; }
trap cleanup EXIT

started=$(date +%s%3N)
"$BIN" up --workers "$SIM_WORKERS" --engine synthetic --slots 1 --port "$PORT" --state-dir "$STATE" >/dev/null
echo "up: $SIM_WORKERS workers ready in $(( $(date +%s%3N) - started )) ms" >&2
export LONGSHOT_STATE_DIR="$STATE"
DB_URL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["database"])' "$STATE/cluster.json")
sql() { psql "$DB_URL" -qAtX -F ' ' -c "$1"; }
COORDINATOR=$(head -1 "$(find "$STATE" -name coordinator.pid | head -1)")

# CPU seconds so far: the coordinator's, and PostgreSQL's (the postmaster and its children).
POSTMASTER=$(head -1 "$(find "$STATE" -name postmaster.pid | head -1)")
cpu() { python3 - "$COORDINATOR" "$POSTMASTER" <<'PY'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
def stat(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return None
def seconds(fields):
    return sum(int(f) for f in fields[11:15]) / tick if fields else 0.0
coordinator, postmaster = sys.argv[1], sys.argv[2]
children = [s for s in (stat(p) for p in os.listdir("/proc") if p.isdigit()) if s and s[1] == postmaster]
print(f"{seconds(stat(coordinator)):.2f} {seconds(stat(postmaster)) + sum(seconds(s) for s in children):.2f}")
PY
}
xacts() { sql "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"; }

# Idle: heartbeats only.
read -r c0 p0 < <(cpu); x0=$(xacts); t0=$(date +%s%3N)
sleep "$IDLE_SECONDS"
read -r c1 p1 < <(cpu); x1=$(xacts); t1=$(date +%s%3N)

# Busy: JOBS jobs at once.
ids=()
for j in $(seq "$JOBS"); do
    ids+=("$("$BIN" submit "a red ball bouncing, take $j" --seed "$j" --duration "$DURATION" --steps "$STEPS" --model "$STEP_MS" "${JOB[@]}" | sed -n 1p)")
done
for id in "${ids[@]}"; do
    "$BIN" show "$id" --json >/dev/null
    until [[ $("$BIN" show "$id" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])') =~ ^(succeeded|failed|cancelled)$ ]]; do sleep 0.5; done
done
read -r c2 p2 < <(cpu); x2=$(xacts); t2=$(date +%s%3N)
list=$(printf "'%s'," "${ids[@]}"); list=${list%,}
read -r windows phase < <(sql "SELECT count(DISTINCT (job_id, window_index)),
    round(extract(epoch FROM max(ended_at) - min(started_at)) * 1000) FROM attempts WHERE job_id IN ($list) AND outcome = 'done' AND window_index IS NOT NULL AND segment_index IS NULL")
states=$(sql "SELECT string_agg(state, ',') FROM jobs WHERE id IN ($list)")

python3 - "$SIM_WORKERS" "$IDLE_SECONDS" "$c0" "$c1" "$c2" "$p0" "$p1" "$p2" "$x0" "$x1" "$x2" "$t0" "$t1" "$t2" \
    "$windows" "$phase" "$((STEPS * STEP_MS))" "$states" <<'PY'
import math, sys
workers, idle = int(sys.argv[1]), float(sys.argv[2])
c0, c1, c2, p0, p1, p2 = map(float, sys.argv[3:9])
x0, x1, x2, t0, t1, t2 = map(float, sys.argv[9:15])
windows, phase, window_ms, states = float(sys.argv[15]), float(sys.argv[16]), float(sys.argv[17]), sys.argv[18]
idle_s, busy_s = (t1 - t0) / 1000, (t2 - t1) / 1000
rounds = math.ceil(windows / workers) * window_ms
print(f"{workers} synthetic workers x 1 slot; jobs: {states}")
print(f"idle {idle_s:.1f} s (heartbeats only): coordinator {(c1 - c0) / idle_s:.1%} of a core, PostgreSQL {(p1 - p0) / idle_s:.1%}, "
      f"{(x1 - x0) / idle_s:.0f} transactions/s ({(x1 - x0) / idle_s / workers:.2f} per worker per s)")
print(f"busy {busy_s:.1f} s: {int(windows)} windows of {window_ms:g} ms; window phase {phase / 1000:.2f} s, "
      f"ideal (whole rounds) {rounds / 1000:.2f} s, efficiency {rounds / phase:.3f}")
print(f"  coordinator {(c2 - c1) / busy_s:.1%} of a core ({(c2 - c1) / windows * 1000:.2f} ms CPU per window), "
      f"PostgreSQL {(p2 - p1) / busy_s:.1%} ({(p2 - p1) / windows * 1000:.2f} ms per window), "
      f"{(x2 - x1) / busy_s:.0f} transactions/s ({(x2 - x1) / windows:.2f} per window)")
PY
