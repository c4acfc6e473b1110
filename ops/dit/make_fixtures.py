#!/usr/bin/env python3
"""Writes the DiT parity fixtures: a small random model (config.json + model.safetensors in BF16) and inputs
with the twin's outputs (cases.safetensors, F32), under Tests/Fixtures/DiT. Needs torch (CI does not: the
output is committed).

    /tmp/ref-venv/bin/python ops/dit/make_fixtures.py
"""
import json
import os

import torch
from safetensors.torch import save_file

from twin import DiT, Config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "DiT")

CONFIG = dict(in_channels=4, patch_size=[1, 2, 2], hidden_size=48, depth=2, num_heads=4, mlp_ratio=4,
              text_dim=384, freq_dim=128, rope_axes=[4, 4, 4], rope_theta=10000.0, eps=1e-6,
              temporal_factor=2, spatial_factor=4)

# (frames, height, width, text tokens, t)
CASES = [(3, 8, 8, 7, 0.73), (2, 6, 10, 12, 0.05)]


def main():
    torch.manual_seed(4)
    cfg = Config(**CONFIG)
    model = DiT(cfg).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm_q.weight") or name.endswith("norm_k.weight") or name.endswith("cross_norm.weight"):
                p.copy_(1 + 0.2 * torch.randn_like(p))  # norms that are not the identity
            elif name.endswith("cross_norm.bias"):
                p.copy_(0.1 * torch.randn_like(p))
            else:
                p.mul_(2.0)  # larger than PyTorch's default init, so every path moves the output
            # The stored weights are BF16: run the twin on exactly those values.
            p.copy_(p.to(torch.bfloat16).float())
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(cfg.to_dict(), f, indent=1)
        f.write("\n")
    weights = {k: v.detach().to(torch.bfloat16).contiguous() for k, v in model.state_dict().items()}
    save_file(weights, os.path.join(OUT, "model.safetensors"), metadata={"generator": "ops/dit/make_fixtures.py"})

    tensors, cases = {}, []
    for i, (frames, height, width, tokens, t) in enumerate(CASES):
        latents = torch.randn(frames, cfg.in_channels, height, width)
        text = torch.randn(tokens, cfg.text_dim) * 0.3
        with torch.no_grad():
            out = model(latents, t, text)
        tensors[f"case{i}.latents"] = latents.contiguous()
        tensors[f"case{i}.text"] = text.contiguous()
        tensors[f"case{i}.velocity"] = out.contiguous()
        with torch.no_grad():
            tensors[f"case{i}.video"] = model.decode(latents).contiguous()
        cases.append({"t": t, "frames": frames, "height": height, "width": width, "text_tokens": tokens})
    save_file(tensors, os.path.join(OUT, "cases.safetensors"))
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"reference": f"ops/dit/twin.py, torch {torch.__version__} (CPU, float32)", "cases": cases}, f, indent=1)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
