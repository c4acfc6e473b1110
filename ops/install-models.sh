#!/usr/bin/env bash
# Installs what the diffusers engine and its tests need: a Python venv with PyTorch, diffusers, transformers
# and tokenizers from PyPI (about 5.7 GB, 3 GB of it the NVIDIA libraries torch's wheels bring even on CPU).
#
#   ops/install-models.sh            # makes .venv-models/ (gitignored), or reuses it
#   LONGSHOT_MODELS_VENV=DIR ops/install-models.sh
#
# Afterwards `longshot render ... --engine diffusers` and workers' diffusers engines use it when
# LONGSHOT_PYTHON names its python (.venv-models/bin/python); the tests find it by themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${LONGSHOT_MODELS_VENV:-.venv-models}"
# The versions the engine and its parity tests were checked with.
packages=(torch==2.15.0 diffusers==0.42.1 transformers==5.24.0 tokenizers accelerate safetensors sentencepiece ftfy numpy)
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import torch, diffusers, transformers, tokenizers" 2>/dev/null; then
    echo "models venv ready: $venv"
    exit 0
fi
command -v python3 >/dev/null || { apt-get update -qq && apt-get install -y -qq python3; }
python3 -c "import venv, ensurepip" 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-venv; }
python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q "${packages[@]}"
"$venv/bin/python" -c "import torch, diffusers; print('models venv ready:', '$venv', 'torch', torch.__version__, 'diffusers', diffusers.__version__)"
