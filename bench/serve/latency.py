#!/usr/bin/env python3
"""Times alerts end to end: writes one failed-login line per host into a watched log at a steady
pace, receives vigil's webhooks on a local HTTP server, and reports the delay between each line's
write and its alert's arrival (median, p90, p99, max), plus the service's RSS at the end.

Usage: latency.py VIGIL_BINARY ALERTS LINES_PER_SECOND
"""
import http.server
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

vigil, count, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
arrived = {}
lock = threading.Lock()


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        now = time.monotonic()
        self.send_response(204)
        self.end_headers()
        doc = json.loads(body)
        if doc.get("event") == "new":
            with lock:
                arrived.setdefault(doc["alert"]["asset"], now)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=server.serve_forever, daemon=True).start()
port = server.server_address[1]

work = tempfile.mkdtemp(prefix="vigil-serve-bench-")
log = os.path.join(work, "mail.log")
open(log, "w").close()
cfg = os.path.join(work, "vigil.toml")
with open(cfg, "w") as f:
    f.write(
        f"""[[watch]]
path = "{log}"
format = "syslog"

[[alert.webhook]]
url = "http://127.0.0.1:{port}/hook"

[escalation]
high = "off"

[serve]
rules = ["{root}/rules", "{here}/rule.yml"]
metrics = "off"
"""
    )
proc = subprocess.Popen(
    [vigil, "--db", os.path.join(work, "vigil.db"), "--config", cfg, "serve"],
    stdout=subprocess.PIPE,
    stderr=subprocess.DEVNULL,
    text=True,
)
started = time.monotonic()
ready = proc.stdout.readline().strip()
print(f"{ready} after {time.monotonic() - started:.2f} s")

written = {}
with open(log, "a") as f:
    for i in range(count):
        host = f"h{i:05d}"
        t = 1 + i
        f.write(
            f"2026-12-01T{t // 3600 % 24:02d}:{t // 60 % 60:02d}:{t % 60:02d}.000000+00:00 {host} "
            f"postfix/smtpd[3100]: warning: unknown[192.0.2.{i % 250 + 1}]: "
            "SASL LOGIN authentication failed: UGFzc3dvcmQ6\n"
        )
        f.flush()
        written[host] = time.monotonic()
        time.sleep(1 / rate)

deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    with lock:
        if len(arrived) >= count:
            break
    time.sleep(0.1)

rss = "?"
try:
    with open(f"/proc/{proc.pid}/status") as s:
        rss = next(l.split()[1] for l in s if l.startswith("VmRSS"))
        rss = f"{int(rss) / 1024:.0f} MB"
except (OSError, StopIteration):
    pass
proc.send_signal(signal.SIGTERM)
proc.wait(timeout=30)

delays = sorted((arrived[h] - written[h]) * 1000 for h in written if h in arrived)
missing = count - len(delays)
if not delays:
    sys.exit("no alert arrived")
q = statistics.quantiles(delays, n=100)
print(f"alerts: {len(delays)} of {count} at {rate:g} lines/s; missing: {missing}")
print(
    f"latency ms: median {statistics.median(delays):.0f}, p90 {q[89]:.0f}, "
    f"p99 {q[98]:.0f}, max {delays[-1]:.0f}"
)
print(f"service RSS at the end: {rss}")
sys.exit(1 if missing else 0)
