#!/usr/bin/env bash
# Chaos run (issue 10): a local cluster renders a batch of jobs (both fusion modes) while random kills hit
# its workers, its coordinator and its PostgreSQL (kill -9 each); after every kill `longshot up` restarts
# what is missing, as a supervisor would. At the end every job must have succeeded with an MP4 whose bytes
# equal `longshot render` of the same job. Prints each kill, its recovery time and a summary line.
#
# Usage: ops/chaos.sh [JOBS=10] [MIN_KILLS=20] [SECONDS_BETWEEN_KILLS=3]
# Environment: LONGSHOT (the binary, default .build/debug/longshot), CHAOS_DIR (scratch, default a temp dir),
# CHAOS_SEED (the random seed, default the time).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=${1:-10}
min_kills=${2:-20}
pause=${3:-3}
longshot=$(realpath "${LONGSHOT:-.build/debug/longshot}")
dir=${CHAOS_DIR:-$(mktemp -d /tmp/longshot-chaos.XXXXXX)}
seed=${CHAOS_SEED:-$(date +%s)}
RANDOM=$seed
state=$dir/state
port=$((20000 + RANDOM % 20000))
export LONGSHOT_STATE_DIR=$state
mkdir -p "$dir/out" "$dir/ref"
echo "chaos: $jobs jobs, at least $min_kills kills, seed $seed, state $state, port $port"

"$longshot" up --workers 2 --port "$port" >/dev/null 2>&1
cleanup() { "$longshot" down --grace 5 >/dev/null 2>&1 || true; }
trap cleanup EXIT

shape=(--duration 8 --fps 12 --size 160x96 --steps 16 --window 8 --overlap 2)
ids=()
for ((i = 0; i < jobs; i++)); do
  fusion=$([[ $((i % 2)) == 0 ]] && echo codenoise || echo independent)
  args=("a red ball bouncing on a blue background" "${shape[@]}" --seed $((i + 1)) --fusion "$fusion")
  ids+=("$("$longshot" submit "${args[@]}" | head -1)")
  printf '%s\n' "${args[@]}" > "$dir/ref/job-$i.args"
done
echo "submitted: ${ids[*]}"

now_ms() { date +%s%3N; }
unfinished() {
  local n=0
  for id in "${ids[@]}"; do
    state_word=$("$longshot" show "$id" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' 2>/dev/null || echo unknown)
    [[ $state_word == succeeded ]] || n=$((n + 1))
    [[ $state_word == failed || $state_word == cancelled ]] && { echo "job $id $state_word" >&2; exit 1; }
  done
  echo "$n"
}

kills=0
declare -A by_kind=()
recoveries=()
while true; do
  left=$(unfinished)
  if ((left == 0 && kills >= min_kills)); then break; fi
  if ((left == 0)); then
    # Every job is done but the kills are not: rerun a finished job so there is work to disturb.
    "$longshot" rerun "${ids[$((RANDOM % jobs))]}" --windows 0 >/dev/null
  fi
  sleep "$pause"
  case $((RANDOM % 6)) in
    0 | 1 | 2) victim=worker-$((RANDOM % 2 + 1)); pidfile=$state/run/$victim.pid ;;
    3 | 4) victim=coordinator; pidfile=$state/run/coordinator.pid ;;
    5) victim=postgres
       pgdir=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["postgresDirectory"])' "$state/cluster.json")
       pidfile=$pgdir/data/postmaster.pid ;;
  esac
  pid=$(head -1 "$pidfile" 2>/dev/null || true)
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || continue
  start=$(now_ms)
  kill -9 "$pid"
  [[ $victim == postgres ]] && pkill -9 -f "postgres: .*$(basename "$pgdir")" 2>/dev/null || true
  sleep 0.5
  until "$longshot" up --workers 2 --port "$port" >/dev/null 2>&1 && "$longshot" status >/dev/null 2>&1; do sleep 0.5; done
  took=$(($(now_ms) - start))
  kills=$((kills + 1))
  by_kind[$victim]=$((${by_kind[$victim]:-0} + 1))
  recoveries+=("$took")
  echo "kill $kills: $victim (pid $pid), serving again after $took ms, $left job(s) unfinished"
done

echo "all jobs succeeded; comparing with render"
identical=0
for ((i = 0; i < jobs; i++)); do
  mapfile -t args < "$dir/ref/job-$i.args"
  "$longshot" render "${args[@]}" -o "$dir/ref/job-$i.mp4" >/dev/null 2>&1
  "$longshot" fetch "${ids[$i]}" -o "$dir/out/job-$i.mp4" >/dev/null
  if cmp -s "$dir/ref/job-$i.mp4" "$dir/out/job-$i.mp4"; then
    identical=$((identical + 1))
  else
    echo "job ${ids[$i]} (${args[*]}): the farm's MP4 differs from render's" >&2
  fi
done
sorted=$(printf '%s\n' "${recoveries[@]}" | sort -n)
median=$(echo "$sorted" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
max=$(echo "$sorted" | tail -1)
kinds=$(for k in "${!by_kind[@]}"; do echo -n "$k ${by_kind[$k]}, "; done)
echo "chaos summary: seed $seed, $kills kills (${kinds%, }), recovery median $median ms, max $max ms; $identical/$jobs jobs byte-identical to render"
((identical == jobs))
