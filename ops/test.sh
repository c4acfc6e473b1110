#!/usr/bin/env bash
# The README's test command: installs what is missing, then runs the whole test suite.
#
# The diffusers engine's tests need PyTorch and diffusers (ops/install-models.sh: a 5.7 GB venv, about
# 3 minutes from PyPI); LONGSHOT_SKIP_MODELS=1 leaves them out (they then report themselves skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
ops/install-deps.sh
if [ "${LONGSHOT_SKIP_MODELS:-0}" != 1 ]; then ops/install-models.sh; fi
swift build --build-tests
swift test --skip-build --parallel --num-workers 2 "$@"
