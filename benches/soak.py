#!/usr/bin/env python3
"""QMP soak: four clients at 1,000 queries/s in total against a running guest.

Usage: benches/soak.py TERN [SECONDS]   (benches/soak.sh builds tern and calls this)

The guest (a loop under the JIT, tern's default) counts iterations in t0. Four
clients each send 250 commands a second, paced, each with its own id, and check
that every reply carries that id and a "return"; a fifth client reads t0 once a
second. Around the loaded period the guest runs idle (only the meter) for a
baseline before and after. Reports: commands sent and answered (none may be
lost), the round-trip p50/p99/max, tern's resident memory (start, peak, end),
and the guest's speed under load against the idle baseline. Exits 1 if a reply
is lost or wrong, memory grows by more than 10% after warm-up, or the guest is
slowed by 5% or more.
"""

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

# A loop that does some work (an LCG stored into a 1 KiB table), t0 counting
# iterations; the same guest as benches/qmp.rs.
LOOP = [
    0x00001417, 0x5851F637, 0x42D60613, 0x00128293, 0x02C585B3,
    0x00158593, 0x3F85F693, 0x008686B3, 0x00B6B023, 0xFE9FF06F,
]
CLIENTS = 4
RATE = 1000  # commands per second, all clients together
IDLE = int(os.environ.get("SOAK_IDLE", "30"))  # seconds of idle baseline before and after
COMMANDS = [
    '{"execute":"query-status","id":"%s"}',
    '{"execute":"x-query-registers","id":"%s"}',
    '{"execute":"query-cpus-fast","id":"%s"}',
    '{"execute":"human-monitor-command","arguments":{"command-line":"info status"},"id":"%s"}',
    '{"execute":"query-name","id":"%s"}',
]


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(10)
        for _ in range(1000):
            try:
                self.s.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                time.sleep(0.01)
        self.f = self.s.makefile("rb")
        json.loads(self.f.readline())  # greeting
        self.ask('{"execute":"qmp_capabilities"}')

    def ask(self, cmd):
        self.s.sendall(cmd.encode())
        while True:
            v = json.loads(self.f.readline())
            if "event" not in v:
                return v


def t0(c):
    text = c.ask('{"execute":"x-query-registers"}')["return"]["human-readable-text"]
    return int(text.split("x5/t0")[1].split()[0], 16)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def client(path, n, stop, stats, lock):
    c = Conn(path)
    period = CLIENTS / RATE
    sent = answered = bad = 0
    times = []
    start = time.monotonic()
    while not stop.is_set():
        due = start + sent * period
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        ident = f"c{n}-{sent}"
        cmd = COMMANDS[sent % len(COMMANDS)] % ident
        t = time.monotonic()
        try:
            v = c.ask(cmd)
        except (OSError, ValueError) as e:
            bad += 1
            print(f"client {n}: no reply to {ident}: {e}", file=sys.stderr)
            break
        times.append(time.monotonic() - t)
        sent += 1
        if v.get("id") == ident and "return" in v:
            answered += 1
        else:
            bad += 1
            print(f"client {n}: wrong reply to {ident}: {v}", file=sys.stderr)
    with lock:
        stats["sent"] += sent
        stats["answered"] += answered
        stats["bad"] += bad
        stats["times"] += times


def rate_over(meter, seconds, samples):
    """Guest iterations per second over `seconds`, sampled once a second."""
    a, ta = t0(meter), time.monotonic()
    end = ta + seconds
    while time.monotonic() < end:
        time.sleep(min(1.0, max(0.0, end - time.monotonic())))
        b, tb = t0(meter), time.monotonic()
        samples.append((b - a) / (tb - ta))
        a, ta = b, tb


def main():
    tern = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 600
    tmp = tempfile.mkdtemp(prefix="tern-soak-")
    kernel = os.path.join(tmp, "loop.bin")
    with open(kernel, "wb") as f:
        f.write(b"".join(struct.pack("<I", w) for w in LOOP))
    sock = os.path.join(tmp, "qmp.sock")
    proc = subprocess.Popen([tern, "-machine", "virt", "-bios", "none", "-nographic", "-kernel", kernel,
                             "-qmp", f"unix:{sock},server=on,wait=off"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        meter = Conn(sock)
        idle, loaded = [], []
        rate_over(meter, IDLE, idle)
        rss = [rss_kib(proc.pid)]
        stop, lock = threading.Event(), threading.Lock()
        stats = {"sent": 0, "answered": 0, "bad": 0, "times": []}
        threads = [threading.Thread(target=client, args=(sock, n, stop, stats, lock)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            rate_over(meter, min(10, max(1, end - time.monotonic())), loaded)
            rss.append(rss_kib(proc.pid))
            if not any(t.is_alive() for t in threads):
                break
        stop.set()
        for t in threads:
            t.join()
        rate_over(meter, IDLE, idle)
        rss.append(rss_kib(proc.pid))
        meter.ask('{"execute":"quit"}')
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()

    times = sorted(stats["times"]) or [0]
    pct = lambda p: times[min(len(times) - 1, int(len(times) * p))] * 1e6
    med = lambda v: sorted(v)[len(v) // 2]
    idle_rate, loaded_rate = med(idle), med(loaded)
    slowdown = 100 * (1 - loaded_rate / idle_rate)
    # Memory after the first minute of load (warm-up: buffers, JIT) against the end.
    warm = rss[min(len(rss) - 1, 7)]
    growth = 100 * (rss[-1] - warm) / warm
    print(f"soak: {CLIENTS} clients, {RATE} commands/s for {seconds:.0f} s (guest under the JIT)")
    print(f"commands: {stats['sent']} sent, {stats['answered']} answered, {stats['bad']} lost or wrong")
    print(f"achieved rate: {stats['sent'] / seconds:.0f}/s; round trip p50 {pct(0.5):.0f} us, "
          f"p99 {pct(0.99):.0f} us, max {times[-1] * 1e6:.0f} us")
    print(f"resident memory: start {rss[0]} KiB, after warm-up {warm} KiB, peak {max(rss)} KiB, "
          f"end {rss[-1]} KiB ({growth:+.1f}% since warm-up)")
    print(f"guest speed: idle median {idle_rate:.4g} iterations/s, loaded median {loaded_rate:.4g} "
          f"({slowdown:+.1f}% slowdown)")
    ok = stats["bad"] == 0 and stats["answered"] == stats["sent"] and growth < 10 and slowdown < 5
    print("soak: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
