#!/usr/bin/env bash
# Benchmark: farm codenoise on this machine, each number a ratio measured side by side in one run.
#   ratio   the 60 s procedural job through a local farm of 2 workers (submit to downloaded MP4) against
#           `longshot render` of the same job in one process, alternating, ROUNDS rounds (median ratio);
#   sync    synthetic workers whose every window step sleeps STEP_MS: the group phase (last group lease
#           to last group done) against the ideal steps x STEP_MS, for 16 groups (16 workers) and the
#           simulations of 64 and 256 groups (8 and 16 worker processes with 8 and 16 slots);
#           also the bytes the step barrier relayed per step (halos only: synthetic shares no evidence).
# Usage: Benchmarks/codenoise/run.sh [ROUNDS] [GROUPS...]   (release build; default 3 rounds, 16 64 256)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
shift || true
sims=("${@:-16 64 256}")
read -r -a sims <<<"${sims[*]}"
swift build -c release --product longshot >/dev/null
bin=$(pwd)/.build/release/longshot
work=$(mktemp -d /tmp/longshot-bench-codenoise-XXXXXX)
chmod 755 "$work"
state="$work/state"
cleanup() { "$bin" down --state-dir "$state" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
prompt="a red ball bouncing on a blue background"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

# 1. Farm (2 workers) against render, the 60 s demo job.
port=$((20000 + RANDOM % 20000))
"$bin" up --workers 2 --state-dir "$state" --port "$port" >/dev/null
ratios=()
for i in $(seq 1 "$rounds"); do
  t0=$(now_ms)
  "$bin" render "$prompt" --duration 60 -o "$work/render.mp4" >/dev/null 2>&1
  t1=$(now_ms)
  LONGSHOT_STATE_DIR="$state" "$bin" submit "$prompt" --duration 60 --wait -o "$work/farm.mp4" >/dev/null 2>&1
  t2=$(now_ms)
  ratio=$(python3 -c "print(f'{($t2-$t1)/($t1-$t0):.3f}')")
  ratios+=("$ratio")
  echo "round $i: render $((t1 - t0)) ms, farm (2 workers, submit to MP4) $((t2 - t1)) ms, farm/render $ratio"
done
same=$(python3 - "$work/render.mp4" "$work/farm.mp4" <<'PY'
import hashlib, subprocess, sys
def raw(p):
    return subprocess.run(["ffmpeg", "-loglevel", "error", "-i", p, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
a, b = raw(sys.argv[1]), raw(sys.argv[2])
if a == b:
    print("identical")
else:
    diff = sum(x != y for x, y in zip(a, b))
    print(f"DIFFERENT ({diff} of {len(a)} bytes)")
PY
)
echo "farm/render median $(printf '%s\n' "${ratios[@]}" | sort -n | sed -n "$(((rounds + 1) / 2))p") over $rounds rounds; decoded frames $same"
"$bin" down --state-dir "$state" >/dev/null
rm -rf "$state"

# 2. Step synchronisation with synthetic workers: one window per group, windows of 8 latent frames
#    overlapping by 2 (stride 6), so G groups need 8 + 6 (G - 1) latent frames = 12 (8 + 6 (G - 1)) / 2 s at 12 fps.
step_ms=${STEP_MS:-200}
steps=${STEPS:-20}
phases=()
runs=()
for groups in "${sims[@]}"; do
  [[ $groups == 16 ]] && runs+=("16:$steps" "16:$((2 * steps))") || runs+=("$groups:$steps")
done
for run in "${runs[@]}"; do
  groups=${run%%:*}
  steps=${run##*:}
  case $groups in
    16) procs=16 slots=1 ;;
    64) procs=8 slots=8 ;;
    256) procs=16 slots=16 ;;
    *) procs=$groups slots=1 ;;
  esac
  duration=$(python3 -c "print((8 + 6 * ($groups - 1)) / 6)")
  port=$((20000 + RANDOM % 20000))
  "$bin" up --workers "$procs" --slots "$slots" --engine synthetic --state-dir "$state" --port "$port" >/dev/null
  submitted=$(LONGSHOT_STATE_DIR="$state" "$bin" submit "$prompt" --engine synthetic --model "$step_ms" --duration "$duration" \
    --fps 12 --size 32x32 --steps "$steps" --window 8 --overlap 2 --wait 2>/dev/null)
  id=${submitted%%$'\n'*}
  LONGSHOT_STATE_DIR="$state" "$bin" logs "$id" --json --tail 5000 >"$work/logs.json"
  LONGSHOT_STATE_DIR="$state" "$bin" show "$id" --json >"$work/show.json"
  python3 - "$work/logs.json" "$work/show.json" "$groups" "$procs" "$slots" "$steps" "$step_ms" <<'PY'
import json, sys, datetime, re
logs, show = sys.argv[1], sys.argv[2]
groups, procs, slots, steps, step_ms = (int(x) for x in sys.argv[3:])
lines = [json.loads(l) for l in open(logs) if l.strip()] if not open(logs).read().lstrip().startswith("[") else json.load(open(logs))
t = lambda l: datetime.datetime.fromisoformat(l["time"].replace("Z", "+00:00")).timestamp()
leased = [t(l) for l in lines if l["message"].startswith("group.leased")]
done = [t(l) for l in lines if l["message"].startswith("group.done")]
relayed = [l["message"] for l in lines if l["message"].startswith("job.exchange")]
detail = json.load(open(show))
got = len(detail["groups"])
# From the last group's lease: every group waits for its neighbours, so the first lease's head start
# (workers are woken one by one) is start-up, not stepping.
phase = max(done) - max(leased)
skew = max(leased) - min(leased)
ideal = steps * step_ms / 1000
per_step = (phase - ideal) / steps * 1000
bytes_per_step = re.search(r"\((\d+) bytes per step\)", relayed[0]).group(1) if relayed else "?"
print(f"{got} groups ({procs} workers x {slots} slots), {steps} steps of {step_ms} ms: leases granted over {skew * 1000:.0f} ms, then group phase {phase:.2f} s, ideal {ideal:.2f} s, "
      f"efficiency {ideal / phase:.3f}, overhead {per_step:.1f} ms per step (start and upload included), relayed {bytes_per_step} bytes per step")
open(sys.argv[1] + ".phase", "w").write(f"{phase}")
PY
  phases+=("$groups:$steps:$(cat "$work/logs.json.phase")")
  "$bin" down --state-dir "$state" >/dev/null
  rm -rf "$state"
done
# The step barrier's own cost: the 16-group phase with twice the steps, less the phase with the steps,
# less the extra steps' sleep, per extra step (start-up, prepare and upload cancel out).
python3 - "$step_ms" "${phases[@]}" <<'PY'
import sys
step_ms = int(sys.argv[1])
runs = [tuple(x.split(":")) for x in sys.argv[2:]]
sixteen = sorted((int(s), float(p)) for g, s, p in runs if g == "16")
if len(sixteen) == 2:
    (s1, p1), (s2, p2) = sixteen
    marginal = ((p2 - p1) - (s2 - s1) * step_ms / 1000) / (s2 - s1) * 1000
    print(f"16 groups: step barrier overhead {marginal:.1f} ms per step (marginal, {s1} -> {s2} steps); "
          f"efficiency of the extra steps {(s2 - s1) * step_ms / 1000 / (p2 - p1):.3f}")
PY
