#!/usr/bin/env python3
"""Fetches a Longshot /metrics page and parses it with Prometheus's own text-format parser.

Usage: ops/metrics-check.py URL [FAMILY ...]

Prints one JSON object: {family: {"type": ..., "samples": [[name, labels, value], ...]}}. Exits 1 when
the page cannot be fetched or parsed, or when a FAMILY named on the command line is missing.
Needs prometheus-client (pip install prometheus-client; ops/install-deps.sh installs it).
"""
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    url, required = sys.argv[1], sys.argv[2:]
    with urllib.request.urlopen(url, timeout=10) as response:
        content_type = response.headers.get("Content-Type", "")
        text = response.read().decode("utf-8")
    if not content_type.startswith("text/plain"):
        print(f"metrics-check: {url} is {content_type!r}, not text/plain", file=sys.stderr)
        return 1
    families = {}
    for family in text_string_to_metric_families(text):
        families[family.name] = {
            "type": family.type,
            "samples": [[s.name, s.labels, s.value] for s in family.samples],
        }
    missing = [name for name in required if name not in families]
    print(json.dumps(families, sort_keys=True))
    if missing:
        print(f"metrics-check: {url} lacks {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
