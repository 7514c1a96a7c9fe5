#!/usr/bin/env python3
"""Sustained detection throughput of `vigil serve` with the bundled rules, pinned to one core:
a syslog file of LINES lines (the Linux example's mail.log cycled with time advancing so that the
file spans 24 hours of traffic: correlation windows open and expire as they would in a day), and
a folder of EVTX_COPIES copies of an EVTX fixture. Measures wall time until the service's checkpoint
reaches the end, its CPU time, and its RSS sampled every second (first, peak, last: flat means
bounded).

Usage: throughput.py VIGIL_BINARY LINES EVTX_COPIES [HOURS]
(HOURS, default 24: the time the syslog traffic spans; longer than the rules' longest correlation
window (24 h) shows whether memory stops growing once windows expire.)
"""
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

vigil, lines, copies = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
hours = int(sys.argv[4]) if len(sys.argv) > 4 else 24
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
example = open(os.path.join(root, "examples/linux-mail/logs/mail.log")).read().splitlines()
bodies = [re.sub(r"^\w{3} +\d+ \d\d:\d\d:\d\d ", "", l) for l in example if l.strip()]
fixture = os.path.join(root, "crates/vigil-logs/tests/fixtures/security_4624_ntlm_cme.evtx")
clk = os.sysconf("SC_CLK_TCK")


def cpu_and_rss(pid):
    with open(f"/proc/{pid}/stat") as f:
        st = f.read().rsplit(")", 1)[1].split()
    cpu = (int(st[11]) + int(st[12])) / clk
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024
    return cpu, rss


def run(name, watch, fill, done, events):
    work = tempfile.mkdtemp(prefix="vigil-serve-tp-")
    cfg = os.path.join(work, "vigil.toml")
    with open(cfg, "w") as f:
        f.write(f'[[watch]]\npath = "{watch}"\nsource = "w"\n\n[serve]\nmetrics = "off"\n\n[selftest]\nevery = "off"\n')
    db = os.path.join(work, "vigil.db")
    proc = subprocess.Popen(
        ["taskset", "-c", "0", vigil, "--db", db, "--config", cfg, "serve"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    proc.stdout.readline()
    # The watch is empty at READY; the traffic arrives now, as it would on a server.
    t0 = time.monotonic()
    fill()
    cpu0, rss0 = cpu_and_rss(proc.pid)
    samples = [rss0]
    last = t0
    while True:
        time.sleep(0.2)
        if time.monotonic() - last >= 1:
            samples.append(cpu_and_rss(proc.pid)[1])
            last = time.monotonic()
        con = sqlite3.connect(db)
        try:
            if done(con):
                break
        except sqlite3.OperationalError:
            pass
        finally:
            con.close()
    wall = time.monotonic() - t0
    cpu, rss = cpu_and_rss(proc.pid)
    samples.append(rss)
    dets = sqlite3.connect(db).execute("SELECT count(*) FROM detections").fetchone()[0]
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    shutil.rmtree(work)
    print(
        f"{name}: {events:,} events in {wall:.1f} s wall, {cpu - cpu0:.1f} s CPU after READY: "
        f"{events / wall:,.0f} events/s ({events / max(cpu - cpu0, 1e-9):,.0f} per CPU second); "
        f"{dets:,} detections; RSS first {samples[0]:.0f} MB, peak {max(samples):.0f} MB, last {samples[-1]:.0f} MB"
    )
    step = max(1, len(samples) // 12)
    print("  RSS MB every ~%d s: %s" % (step, " ".join(f"{r:.0f}" for r in samples[::step])))


work = tempfile.mkdtemp(prefix="vigil-serve-tp-in-")
src = os.path.join(work, "traffic.log")
start = 1764547200  # 2025-12-01T00:00:00Z
with open(src, "w") as f:
    for i in range(lines):
        t = start + i * hours * 3600 // lines
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
        f.write(f"{stamp}.000000+00:00 {bodies[i % len(bodies)]}\n")
size = os.path.getsize(src)
log = os.path.join(work, "mail.log")
open(log, "w").close()


def append_traffic():
    with open(src, "rb") as i, open(log, "ab") as o:
        shutil.copyfileobj(i, o, 1 << 20)


run(
    f"syslog file ({hours} h of the Linux example's traffic)",
    log,
    append_traffic,
    lambda con: (con.execute("SELECT max(offset) FROM ingest_checkpoints").fetchone()[0] or 0) >= size,
    lines,
)
evtx = os.path.join(work, "evtx")
os.mkdir(evtx)


def copy_evtx():
    for i in range(copies):
        shutil.copy(fixture, os.path.join(evtx, f"s{i}.evtx"))


run(
    f"EVTX folder ({copies} copies of security_4624_ntlm_cme.evtx)",
    evtx,
    copy_evtx,
    lambda con: con.execute("SELECT count(*) FROM ingest_checkpoints WHERE event_record > 0").fetchone()[0] >= copies,
    copies * 63,
)
shutil.rmtree(work)
