"""The farm benchmark's workload dispatched by Ray and by Dask distributed, for ratios measured in one run.

Same shape as Benchmarks/farm/run.sh: WORKERS single-threaded worker processes on this machine.
  efficiency: WINDOWS tasks that each sleep STEPS x STEP_MS (a window of the synthetic engine) and return
              a window's latents (FLOATS float32 values, random), gathered by the driver;
  throughput: THROUGHPUT_WINDOWS tasks that sleep nothing and return the same latents.
Measured like the farm: the task phase from the first task's start to the last task's end (the tasks
report their own wall-clock times), and submit -> all results in the driver.

Usage: python peers.py ray|dask   (environment: WORKERS, WINDOWS, STEPS, STEP_MS, THROUGHPUT_WINDOWS, FLOATS)
Prints one JSON line per measurement.
"""
import json
import math
import os
import sys
import time

import numpy as np

WORKERS = int(os.environ.get("WORKERS", 16))
WINDOWS = int(os.environ.get("WINDOWS", 60))
STEPS = int(os.environ.get("STEPS", 10))
STEP_MS = float(os.environ.get("STEP_MS", 20))
THROUGHPUT_WINDOWS = int(os.environ.get("THROUGHPUT_WINDOWS", 600))
FLOATS = int(os.environ.get("FLOATS", 8 * 3 * 24 * 40))


def window(index, steps, step_ms, floats):
    started = time.time()
    for _ in range(steps):
        if step_ms > 0:
            time.sleep(step_ms / 1000)
    latents = np.random.default_rng(index).standard_normal(floats, dtype=np.float32)
    return started, time.time(), latents


def report(system, kind, count, started, results, window_ms):
    first = min(r[0] for r in results)
    last = max(r[1] for r in results)
    done = time.time()
    assert len(results) == count and all(r[2].size == FLOATS for r in results)
    phase = (last - first) * 1000
    total = (done - started) * 1000
    line = {"system": system, "kind": kind, "tasks": count, "workers": WORKERS, "phase_ms": round(phase, 1),
            "submit_to_done_ms": round(total, 1), "tasks_per_s": round(count / (phase / 1000), 1) if phase > 0 else None}
    if window_ms > 0:
        rounds = math.ceil(count / WORKERS) * window_ms
        line["ideal_rounds_ms"] = rounds
        line["efficiency_phase"] = round(rounds / phase, 3)
        line["efficiency_total"] = round(rounds / total, 3)
    print(json.dumps(line), flush=True)


def run_ray():
    import ray
    ray.init(num_cpus=WORKERS, include_dashboard=False, logging_level="ERROR")
    remote = ray.remote(num_cpus=1)(window)
    ray.get([remote.remote(i, 1, 0, FLOATS) for i in range(WORKERS * 4)])  # warm-up: start every worker
    for kind, count, steps, ms in (("efficiency", WINDOWS, STEPS, STEP_MS), ("throughput", THROUGHPUT_WINDOWS, 1, 0)):
        started = time.time()
        results = ray.get([remote.remote(i, steps, ms, FLOATS) for i in range(count)])
        report("ray", kind, count, started, results, steps * ms)
    ray.shutdown()


def run_dask():
    from dask.distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    client.gather(client.map(window, range(WORKERS * 4), steps=1, step_ms=0, floats=FLOATS, pure=False))
    for kind, count, steps, ms in (("efficiency", WINDOWS, STEPS, STEP_MS), ("throughput", THROUGHPUT_WINDOWS, 1, 0)):
        started = time.time()
        results = client.gather(client.map(window, range(count), steps=steps, step_ms=ms, floats=FLOATS, pure=False))
        report("dask", kind, count, started, results, steps * ms)
    client.close()
    cluster.close()


if __name__ == "__main__":
    {"ray": run_ray, "dask": run_dask}[sys.argv[1]]()
