#!/usr/bin/env bash
# The README's first command: on a fresh Debian 12 machine, installs what is missing, builds in release
# mode, starts a local cluster (a private PostgreSQL, a coordinator and 2 workers, state in ./.longshot),
# renders a 60-second video through it, and prints where the MP4 is and the cluster's status.
# Idempotent: a second run reuses the running cluster (or restarts what is missing) and renders again.
# Stop the cluster with: .build/release/longshot down
set -euo pipefail
cd "$(dirname "$0")/.."

ops/install-deps.sh
swift build -c release
longshot=.build/release/longshot

# A cluster left running by an older build keeps running the old binary: restart it on this one.
if [[ -f .longshot/run/coordinator.pid ]]; then
  pid=$(cat .longshot/run/coordinator.pid)
  if exe=$(readlink "/proc/$pid/exe" 2>/dev/null) && [[ $exe == *"(deleted)" ]]; then
    echo "the running cluster uses an older build: restarting it" >&2
    "$longshot" down
  fi
fi

"$longshot" up --workers 2

mkdir -p out
"$longshot" submit "a red ball bouncing on a blue background" --duration 60 --wait-for-engine --wait -o out/longshot-demo.mp4

echo
echo "video: $(pwd)/out/longshot-demo.mp4"
"$longshot" inspect out/longshot-demo.mp4 | tail -1
echo
"$longshot" status
