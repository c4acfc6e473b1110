"""Runs a diffusers pipeline's own loop from Longshot's initial latents and compares the result.

    python ops/diffusers/parity.py MODEL_DIR LATENTS.safetensors --prompt P [--negative-prompt N]
        --steps S --shift X --guidance G --fps F --width W --height H

LATENTS is what `longshot render --save-latents` wrote for a one-window job: `initial` (the noise) and
`final` (the denoised latents), [frames, C, H, W]. The pipeline is called with that noise as `latents=`,
`output_type="latent"`, and a flow-matching Euler scheduler whose sigmas are Longshot's (1 .. 1/S,
shifted by X), so both sides integrate the same ODE on the same grid. Prints one JSON line:
{"pipeline", "max_abs", "max_rel", "scale"} with max_rel = max |a - b| / max |b|; exits 1 above --tolerance.
"""
import argparse
import json
import sys

import numpy as np
import torch
from safetensors.torch import load_file

from diffusers import DiffusionPipeline, FlowMatchEulerDiscreteScheduler


def forced_scheduler(steps, shift):
    """Euler over sigmas linspace(1, 1/steps) with a fixed shift, whatever the pipeline asks for."""
    scheduler = FlowMatchEulerDiscreteScheduler(shift=shift)
    original = scheduler.set_timesteps

    def set_timesteps(num_inference_steps=None, device=None, sigmas=None, mu=None, timesteps=None):
        original(sigmas=np.linspace(1.0, 1.0 / steps, steps).tolist(), device=device)

    scheduler.set_timesteps = set_timesteps
    return scheduler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("latents")
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--negative-prompt", default="")
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--shift", type=float, required=True)
    parser.add_argument("--guidance", type=float, required=True)
    parser.add_argument("--fps", type=int, default=16)
    parser.add_argument("--width", type=int, required=True)
    parser.add_argument("--height", type=int, required=True)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()

    pipe = DiffusionPipeline.from_pretrained(args.model, torch_dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    pipe.scheduler = forced_scheduler(args.steps, args.shift)
    tensors = load_file(args.latents)
    initial = tensors["initial"].permute(1, 0, 2, 3).unsqueeze(0).contiguous()  # [1, C, F, H, W]
    final = tensors["final"].permute(1, 0, 2, 3).unsqueeze(0)
    frames = initial.shape[2]
    name = type(pipe).__name__
    common = dict(prompt=args.prompt, negative_prompt=args.negative_prompt, height=args.height, width=args.width,
                  num_inference_steps=args.steps, guidance_scale=args.guidance, output_type="latent")
    if name == "WanPipeline":
        temporal = pipe.vae_scale_factor_temporal
        out = pipe(latents=initial, num_frames=(frames - 1) * temporal + 1, **common).frames
    elif name == "LTXPipeline":
        temporal = pipe.vae_temporal_compression_ratio
        p, pt = pipe.transformer_spatial_patch_size, pipe.transformer_temporal_patch_size
        packed = pipe._pack_latents(initial, p, pt)
        out = pipe(latents=packed, num_frames=(frames - 1) * temporal + 1, frame_rate=args.fps, **common).frames
        h, w = initial.shape[3], initial.shape[4]
        out = pipe._unpack_latents(out, frames // pt, h // p, w // p, p, pt)
    elif name == "HunyuanVideoPipeline":
        temporal = pipe.vae_scale_factor_temporal
        out = pipe(latents=initial, num_frames=(frames - 1) * temporal + 1, **common).frames
    else:
        sys.exit(f"parity: {name} is not supported")
    out = out.float()
    diff = (out - final).abs().max().item()
    scale = final.abs().max().item()
    result = {"pipeline": name, "max_abs": diff, "max_rel": diff / scale, "scale": scale}
    print(json.dumps(result))
    sys.exit(0 if result["max_rel"] <= args.tolerance else 1)


if __name__ == "__main__":
    main()
