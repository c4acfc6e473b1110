#!/usr/bin/env python3
"""Benchmarks one DiT forward pass, Swift (Benchmarks/DiTForward) against the PyTorch twin, on the same
random weights and input, at 1 and 2 threads, and checks that the two outputs agree.

    swift build -c release --product LongshotDiTBenchmark
    /tmp/ref-venv/bin/python ops/dit/benchmark.py [--binary .build/release/LongshotDiTBenchmark] [--rounds 3]

Window: 4 x 32 x 32 latents of 16 channels, patch 1 x 2 x 2 = 1,024 tokens; width 256, 8 blocks, 4 heads,
32 text tokens. Times are the best of --repeats runs after a warm-up (the least disturbed by other load), in
--rounds rounds that alternate PyTorch and Swift; the speed-up of each round and their median are printed,
with the process CPU time (all threads). Swift's threads: LONGSHOT_THREADS.
Results go to Benchmarks/DiTForward.md by hand.
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np
import torch
from safetensors.numpy import load_file
from safetensors.torch import save_file

from twin import Config, DiT

CONFIG = dict(in_channels=16, patch_size=[1, 2, 2], hidden_size=256, depth=8, num_heads=4, mlp_ratio=4,
              text_dim=384, freq_dim=256, rope_axes=[16, 24, 24], rope_theta=10000.0, eps=1e-6)
FRAMES, HEIGHT, WIDTH, TEXT_TOKENS, T = 4, 32, 32, 32, 0.6


def flops(cfg, n, l):
    d, f = cfg.hidden_size, cfg.mlp_ratio * cfg.hidden_size
    per_block = 2 * n * d * (3 * d + d + d + d + 2 * f) + 4 * n * n * d + 4 * n * l * d + 2 * l * d * 2 * d
    return cfg.depth * per_block + 2 * n * cfg.patch_dim * d * 2 + 2 * l * d * (cfg.text_dim + d)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/LongshotDiTBenchmark")
    parser.add_argument("--repeats", type=int, default=5, help="forwards per round; a round keeps its best")
    parser.add_argument("--rounds", type=int, default=3, help="alternating PyTorch / Swift rounds per thread count")
    args = parser.parse_args()
    torch.manual_seed(0)
    cfg = Config(**CONFIG)
    model = DiT(cfg).eval()
    work = tempfile.mkdtemp(prefix="longshot-dit-bench-")
    with open(os.path.join(work, "config.json"), "w") as f:
        json.dump(cfg.to_dict(), f)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(work, "model.safetensors"))
    latents = torch.randn(FRAMES, cfg.in_channels, HEIGHT, WIDTH)
    text = torch.randn(TEXT_TOKENS, cfg.text_dim) * 0.3
    save_file({"latents": latents, "text": text, "t": torch.tensor([T])}, os.path.join(work, "inputs.safetensors"))
    n = FRAMES * HEIGHT * WIDTH // 4
    total = flops(cfg, n, TEXT_TOKENS)
    print(f"tokens {n}, width {cfg.hidden_size}, blocks {cfg.depth}: {total / 1e9:.2f} GFLOP per forward")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        out = os.path.join(work, f"swift-{threads}.safetensors")
        env = dict(os.environ, LONGSHOT_THREADS=str(threads))
        # Rounds alternate the two, so a change in the machine's load hits both; each round's ratio compares
        # runs seconds apart, and the median ratio is the figure to quote.
        rounds = []
        for _ in range(args.rounds):
            with torch.no_grad():
                reference = model(latents, T, text)
                times, cpu_times = [], []
                for _ in range(args.repeats):
                    start, cpu_start = time.perf_counter(), time.process_time()
                    model(latents, T, text)
                    times.append(time.perf_counter() - start)
                    cpu_times.append(time.process_time() - cpu_start)
            line = subprocess.run([args.binary, work, os.path.join(work, "inputs.safetensors"), out, str(args.repeats)],
                                  env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            result = json.loads(line)
            rounds.append((min(times), min(cpu_times), result["min_s"], result["min_cpu_s"]))
        torch_s, torch_cpu = min(r[0] for r in rounds), min(r[1] for r in rounds)
        swift_s, swift_cpu = min(r[2] for r in rounds), min(r[3] for r in rounds)
        ratios = sorted(r[0] / r[2] for r in rounds)
        swift = load_file(out)["velocity"]
        ref = reference.numpy()
        rel = float(np.linalg.norm(swift - ref) / np.linalg.norm(ref))
        print(f"threads {threads}: PyTorch {torch_s * 1e3:.1f} ms ({total / torch_s / 1e9:.1f} GFLOP/s), "
              f"Swift {swift_s * 1e3:.1f} ms ({total / swift_s / 1e9:.1f} GFLOP/s), "
              f"speed-up per round {', '.join(f'{r:.2f}x' for r in ratios)} (median {ratios[len(ratios) // 2]:.2f}x); "
              f"L2-relative difference {rel:.2e}; CPU time PyTorch {torch_cpu * 1e3:.1f} ms, Swift {swift_cpu * 1e3:.1f} ms")

if __name__ == "__main__":
    main()
