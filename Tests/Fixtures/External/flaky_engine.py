#!/usr/bin/env python3
"""Test fixture: ops/external/numpy_engine.py that misbehaves once, in one window (the farm's fault tests).

    python3 flaky_engine.py --state DIR --first-frame N --mode crash|hang [--step K]

The first engine process to reach velocity call K (1-based) of the window that starts at latent frame N
claims DIR/MODE-N (created exclusively, so exactly one process ever does) and then, after printing a few
recognisable lines to stderr, exits with status 7 (crash) or sleeps forever (hang). Every other process
and window, and that window's retry (the marker exists), is plain numpy_engine.py: a retried window
renders the same bytes as a window that never failed.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "ops", "external"))
from longshot_engine import serve  # noqa: E402
from numpy_engine import NumpyEngine  # noqa: E402

CRASH_STATUS = 7


class FlakyEngine(NumpyEngine):
    def __init__(self, state, first_frame, mode, step):
        super().__init__()
        self.state, self.first_frame, self.mode, self.step = state, first_frame, mode, step
        self.first_frames, self.calls = {}, {}

    def prepare(self, header, payload):
        reply = super().prepare(header, payload)
        self.first_frames[reply["window"]] = header["first_frame"]
        return reply

    def velocity(self, header, payload):
        handle = header["window"]
        self.calls[handle] = self.calls.get(handle, 0) + 1
        if self.first_frames.get(handle) == self.first_frame and self.calls[handle] == self.step and self.claim():
            self.fail_once()
        return super().velocity(header, payload)

    def claim(self):
        marker = os.path.join(self.state, f"{self.mode}-{self.first_frame}")
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            return True
        except FileExistsError:
            return False

    def fail_once(self):
        where = f"window at latent frame {self.first_frame}, velocity call {self.step}, pid {os.getpid()}"
        print(f"flaky engine: loading kernels for {where}", file=sys.stderr, flush=True)
        if self.mode == "crash":
            print(f"flaky engine: FLAKY-CRASH simulated device fault in {where}", file=sys.stderr, flush=True)
            os._exit(CRASH_STATUS)
        print(f"flaky engine: FLAKY-HANG stuck in {where}", file=sys.stderr, flush=True)
        while True:
            time.sleep(3600)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state", required=True, help="a directory for the once-only marker")
    parser.add_argument("--first-frame", type=int, required=True, help="the window's first latent frame")
    parser.add_argument("--mode", choices=["crash", "hang"], required=True)
    parser.add_argument("--step", type=int, default=3, help="the velocity call (1-based) at which to misbehave")
    args = parser.parse_args()
    serve(FlakyEngine(args.state, args.first_frame, args.mode, args.step))


if __name__ == "__main__":
    main()
