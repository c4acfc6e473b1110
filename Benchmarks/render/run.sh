#!/usr/bin/env bash
# Benchmark: the README's 60-second render in one process, both fusion modes, RUNS times each.
# Prints wall time per run with the stage split, and the seam ratio of each video.
# Usage: Benchmarks/render/run.sh [RUNS]   (release build; about 10 s per run on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
swift build -c release --product longshot >/dev/null
bin=.build/release/longshot
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
prompt="a red ball bouncing on a blue background"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for fusion in codenoise independent; do
  for i in $(seq 1 "$runs"); do
    start=$(date +%s%N)
    summary=$("$bin" render "$prompt" --duration 60 --fps 24 --size 320x192 --fusion "$fusion" -o "$out/$fusion.mp4" 2>/dev/null)
    end=$(date +%s%N)
    ms=$(((end - start) / 1000000))
    printf '%-11s run %d: %d.%03d s total (%s)\n' "$fusion" "$i" $((ms / 1000)) $((ms % 1000)) \
      "$(echo "$summary" | grep '^wall' | sed 's/^wall [0-9.]* s: //')"
  done
  echo "$fusion: $("$bin" inspect "$out/$fusion.mp4" | tail -1)"
done
