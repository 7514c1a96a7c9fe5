#!/usr/bin/env python3
"""A local webhook receiver for trying `vigil serve`: prints each alert it receives, one line each.

Usage: python3 examples/serve/webhook-receiver.py [PORT]   (default 9000; loopback only)
Standard library only. It answers 204 so vigil records the delivery as made.
"""
import http.server
import json
import sys


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = min(int(self.headers.get("Content-Length", "0") or 0), 1 << 20)
        body = self.rfile.read(length)
        self.send_response(204)
        self.end_headers()
        try:
            doc = json.loads(body)
            line = f"{doc.get('event', '?'):<10} {doc.get('headline', '')}"
        except ValueError:
            line = f"(not JSON) {body[:200]!r}"
        # Alert text comes from logs: keep control characters off the terminal.
        print("".join(c if c.isprintable() else "?" for c in line), flush=True)

    def log_message(self, *args):
        pass


port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
print(f"listening on http://127.0.0.1:{port}/hook", flush=True)
http.server.HTTPServer(("127.0.0.1", port), Receiver).serve_forever()
