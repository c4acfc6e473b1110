#!/usr/bin/env python3
"""A small deterministic external engine in numpy: Longshot drives it with
`--engine external --engine-cmd "python3 ops/external/numpy_engine.py"`.

Model: each shot's prompt is hashed to a colour field (a colour plus a gentle diagonal gradient); a window's
clean video is, frame by frame, the shot-weighted mix of its shots' fields. The velocity is the
rectified-flow velocity toward it: v = (x_t - target) / t. Latents have 3 channels (RGB in [-1, 1]) at 1/8
of the frame size, 4 video frames per latent frame; the decoder is nearest-neighbour upsampling.

Test hooks (not for real use): --misbehave crash|hang|garbage --at OP makes the engine exit with status 3
after a few lines of stderr, sleep forever, or write bytes that are not a frame when it receives OP.
"""
import argparse
import hashlib
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from longshot_engine import serve  # noqa: E402

CHANNELS, SPATIAL, TEMPORAL = 3, 8, 4


def prompt_field(prompt, height, width):
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    colour = np.frombuffer(digest[:3], dtype=np.uint8).astype(np.float32) / 127.5 - 1.0
    ys = np.linspace(-1, 1, height, dtype=np.float32)[:, None]
    xs = np.linspace(-1, 1, width, dtype=np.float32)[None, :]
    tilt = (digest[3] / 255.0 - 0.5) * 0.4
    field = colour[:, None, None] * 0.8 + tilt * (xs + ys)[None, :, :]
    return field.astype(np.float32)  # C x H x W


class NumpyEngine:
    def __init__(self, misbehave=None, at=None):
        self.misbehave, self.at = misbehave, at
        self.windows, self.next_handle = {}, 1

    def check(self, op):
        if self.misbehave is None or op != self.at:
            return
        if self.misbehave == "crash":
            for i in range(5):
                print(f"numpy engine: fatal error line {i} during {op}", file=sys.stderr, flush=True)
            os._exit(3)
        if self.misbehave == "hang":
            print(f"numpy engine: hanging in {op}", file=sys.stderr, flush=True)
            while True:
                time.sleep(3600)
        if self.misbehave == "garbage":
            sys.stdout.buffer.write(b"Hello! I am not a Longshot engine.\n" * 4)
            sys.stdout.buffer.flush()
            while True:
                time.sleep(3600)

    @staticmethod
    def layout_for(width, height):
        return {"channels": CHANNELS, "height": -(-height // SPATIAL), "width": -(-width // SPATIAL),
                "temporal_factor": TEMPORAL, "spatial_factor": SPATIAL}

    def hello(self, header):
        self.check("hello")
        print(f"numpy engine: hello from {header.get('longshot')}", file=sys.stderr, flush=True)
        return {"model": "numpy-colour-v1", "layout": self.layout_for(header["width"], header["height"])}

    def layout(self, header, payload):
        self.check("layout")
        return {"layout": self.layout_for(header["width"], header["height"])}

    def prepare(self, header, payload):
        self.check("prepare")
        layout, frames = header["layout"], header["frames"]
        h, w = layout["height"], layout["width"]
        fields = [prompt_field(shot["prompt"], h, w) for shot in header["shots"]]
        target = np.zeros((frames, layout["channels"], h, w), dtype=np.float32)
        for f in range(frames):
            weights = header["shot_weights"][f] if f < len(header["shot_weights"]) else []
            for s, weight in enumerate(weights):
                target[f] += np.float32(weight) * fields[s][: layout["channels"]]
        handle = self.next_handle
        self.next_handle += 1
        self.windows[handle] = target
        return {"window": handle}

    def velocity(self, header, payload):
        self.check("velocity")
        target = self.windows[header["window"]]
        x = np.frombuffer(payload, dtype="<f4").reshape(header["shape"])
        if x.shape != target.shape:
            raise ValueError(f"latents {x.shape} do not match the window {target.shape}")
        t = np.float32(header["t"])
        v = ((x - target) / t).astype("<f4")
        return {"shape": list(v.shape), "dtype": "f32"}, v.tobytes()

    def decode(self, header, payload):
        self.check("decode")
        latents = np.frombuffer(payload, dtype="<f4").reshape(header["shape"])
        tf, sf = header["layout"]["temporal_factor"], header["layout"]["spatial_factor"]
        start, end = header["video_frames"]
        width, height, first = header["width"], header["height"], header["first_frame"]
        out = np.empty((end - start, height, width, 3), dtype=np.uint8)
        for i, v in enumerate(range(start, end)):
            index = min(max(v // tf - first, 0), latents.shape[0] - 1)
            rgb = latents[index, :3].transpose(1, 2, 0)  # h x w x 3
            big = rgb.repeat(sf, axis=0).repeat(sf, axis=1)[:height, :width]
            out[i] = np.clip(np.rint((big + 1.0) * 127.5), 0, 255).astype(np.uint8)
        return {"shape": list(out.shape), "dtype": "u8"}, out.tobytes()

    def release(self, header, payload):
        self.check("release")
        self.windows.pop(header["window"], None)
        return {}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--misbehave", choices=["crash", "hang", "garbage"])
    parser.add_argument("--at", default="velocity", help="the op at which to misbehave")
    args = parser.parse_args()
    serve(NumpyEngine(args.misbehave, args.at))


if __name__ == "__main__":
    main()
