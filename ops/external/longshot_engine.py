"""The Longshot external engine protocol, version 1, engine side (docs/external-engine.md).

Frames on stdin (requests) and stdout (replies): u32 LE header length, u32 LE payload length, a UTF-8 JSON
header, the raw payload. Only frames may go to stdout; log to stderr.

    serve(engine)   # engine: an object with hello/layout/prepare/velocity/decode/release methods
"""
import json
import struct
import sys
import traceback

PROTOCOL = 1


def read_frame(stream):
    """(header dict, payload bytes), or None at end of input."""
    prefix = stream.read(8)
    if len(prefix) == 0:
        return None
    if len(prefix) < 8:
        raise EOFError("input ended inside a frame")
    header_len, payload_len = struct.unpack("<II", prefix)
    header = stream.read(header_len)
    payload = stream.read(payload_len)
    if len(header) < header_len or len(payload) < payload_len:
        raise EOFError("input ended inside a frame")
    return json.loads(header.decode("utf-8")), payload


def write_frame(stream, header, payload=b""):
    data = json.dumps(header, separators=(",", ":")).encode("utf-8")
    stream.write(struct.pack("<II", len(data), len(payload)))
    stream.write(data)
    stream.write(payload)
    stream.flush()


def serve(engine, stdin=None, stdout=None):
    """Answers requests until stdin ends. An exception in a method becomes an `ok: false` reply."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    while True:
        frame = read_frame(stdin)
        if frame is None:
            return
        header, payload = frame
        op, rid = header.get("op"), header.get("id")
        try:
            if op == "hello":
                if header.get("protocol") != PROTOCOL:
                    raise ValueError(f"this engine speaks protocol {PROTOCOL}, not {header.get('protocol')}")
                reply, out = engine.hello(header), b""
                reply = {"protocol": PROTOCOL, **reply}
            elif op in ("layout", "prepare", "velocity", "decode", "release"):
                result = getattr(engine, op)(header, payload)
                reply, out = result if isinstance(result, tuple) else (result, b"")
            else:
                raise ValueError(f"unknown op {op!r}")
            write_frame(stdout, {"id": rid, "ok": True, **reply}, out)
        except Exception as error:  # the engine refuses this call and stays in step
            traceback.print_exc(file=sys.stderr)
            write_frame(stdout, {"id": rid, "ok": False, "error": f"{type(error).__name__}: {error}"})
