#!/usr/bin/env python3
"""A webhook receiver for the tests: records every POST as one JSON line in LOG (path, headers, body,
whether the X-Longshot-Signature matches HMAC-SHA256 of the body with SECRET_FILE's bytes) and answers
503 to the first FAIL_FIRST requests of each path, 200 after.

  webhook_receiver.py PORT LOG SECRET_FILE FAIL_FIRST
"""

import hashlib
import hmac
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, log_path, secret_path, fail_first = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
secret = open(secret_path, "rb").read()
seen = {}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        count = seen.get(self.path, 0) + 1
        seen[self.path] = count
        status = 503 if count <= fail_first else 200
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        record = {"path": self.path, "status": status, "event": self.headers.get("X-Longshot-Event"),
                  "delivery": self.headers.get("X-Longshot-Delivery"),
                  "signature_ok": hmac.compare_digest(expected, self.headers.get("X-Longshot-Signature", "")),
                  "body": json.loads(body)}
        with open(log_path, "a") as log:
            log.write(json.dumps(record) + "\n")
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
