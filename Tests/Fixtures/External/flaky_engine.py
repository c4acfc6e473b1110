#!/usr/bin/env python3
"""Test fixture: ops/external/numpy_engine.py that misbehaves once, in one window (the farm's fault tests).

    python3 flaky_engine.py --state DIR --first-frame N --mode crash|hang [--step K] [--times T]
    python3 flaky_engine.py --state DIR --at decode --mode crash|hang [--times T]

The first engine process to reach velocity call K (1-based) of the window that starts at latent frame N
claims DIR/MODE-N (created exclusively, so exactly one process ever does) and then, after printing a few
recognisable lines to stderr, exits with status 7 (crash) or sleeps forever (hang). Every other process
and window, and that window's retry (the marker exists), is plain numpy_engine.py: a retried window
renders the same bytes as a window that never failed.

With --at decode the fault is in the first decode call of a process instead (decoding runs on the
coordinator, when it finishes a job), and the marker is DIR/MODE-decode. --times T lets T processes
misbehave, one after the other (markers MARKER, MARKER-2, ... MARKER-T); the default is once.
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
    def __init__(self, state, first_frame, mode, step, at="velocity", times=1):
        super().__init__()
        self.state, self.first_frame, self.mode, self.step = state, first_frame, mode, step
        self.at, self.times = at, times
        self.first_frames, self.calls = {}, {}
        self.decodes = 0

    def prepare(self, header, payload):
        reply = super().prepare(header, payload)
        self.first_frames[reply["window"]] = header["first_frame"]
        return reply

    def velocity(self, header, payload):
        handle = header["window"]
        self.calls[handle] = self.calls.get(handle, 0) + 1
        if (self.at == "velocity" and self.first_frames.get(handle) == self.first_frame
                and self.calls[handle] == self.step and self.claim(f"{self.mode}-{self.first_frame}")):
            self.fail_once(f"window at latent frame {self.first_frame}, velocity call {self.step}, pid {os.getpid()}")
        return super().velocity(header, payload)

    def decode(self, header, payload):
        self.decodes += 1
        if self.at == "decode" and self.decodes == 1 and self.claim(f"{self.mode}-decode"):
            self.fail_once(f"decode call 1 (video frames {header['video_frames']}), pid {os.getpid()}")
        return super().decode(header, payload)

    def claim(self, name):
        """Creates the first of name, name-2, ... name-T that does not exist yet; False when all do."""
        for n in range(1, self.times + 1):
            marker = os.path.join(self.state, name if n == 1 else f"{name}-{n}")
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
                return True
            except FileExistsError:
                continue
        return False

    def fail_once(self, where):
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
    parser.add_argument("--first-frame", type=int, help="the window's first latent frame (--at velocity)")
    parser.add_argument("--mode", choices=["crash", "hang"], required=True)
    parser.add_argument("--step", type=int, default=3, help="the velocity call (1-based) at which to misbehave")
    parser.add_argument("--at", choices=["velocity", "decode"], default="velocity",
                        help="misbehave in a window's velocity call (default) or in a process's first decode call")
    parser.add_argument("--times", type=int, default=1, help="how many engine processes misbehave (default 1)")
    args = parser.parse_args()
    if args.at == "velocity" and args.first_frame is None:
        parser.error("--first-frame is required with --at velocity")
    serve(FlakyEngine(args.state, args.first_frame, args.mode, args.step, args.at, args.times))


if __name__ == "__main__":
    main()
