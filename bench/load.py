#!/usr/bin/env python3
"""Open-loop HTTP load at a fixed rate against a loopback address (or the three-node bed's nodes); one log line per request.

Usage: bench/load.py --port 10095 --host-header app.example --rate 100 --duration 300 --out load.tsv

Request i is *scheduled* at start + i/rate whether or not earlier ones have finished (open loop: a slow
or dead server does not slow the load down, so an outage shows up as failed requests, not as fewer
requests). Each request opens a fresh TCP connection (HTTP/1.1, GET /, Connection: close), like a
client without a connection pool; a worker pool sends them, so a request is late only when every
worker is busy (the "lag" column shows it).

Stops after --duration seconds or on SIGTERM/SIGINT (then waits up to --timeout for requests in
flight). Stdlib only; refuses targets outside loopback and the three-node bed's 198.18.0.0/24 (RFC 2544).
--target takes a comma-separated list: request i goes to target i mod n (every node's Envoy on the bed).

Log (tab-separated, one line per request, '#' header):
  sched     scheduled send time (epoch seconds); also sent as the User-Agent swarm-canary-bench-load/<sched>, which
            Envoy's access log records, so each request's line there can be found
  start     actual send time (epoch seconds)
  status    HTTP status code, or the exception type (ConnectionRefusedError, RemoteDisconnected, timeout...)
  version   the "version=<v>" from the body, "-" if none
  latency   seconds from start to the end of the body (or to the error)
  lag       start - sched (seconds)
  target    the address the request went to (only with more than one --target)
"""
import argparse
import http.client
import ipaddress
import queue
import re
import signal
import socket
import sys
import threading
import time

VERSION_RE = re.compile(rb"version=(\S+)")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--target", default="127.0.0.1",
                   help="address(es) to connect to, comma-separated: loopback or the bed's 198.18.0.0/24 (default 127.0.0.1)")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host-header", required=True, help="Host header (the track's domain)")
    p.add_argument("--path", default="/")
    p.add_argument("--rate", type=float, default=100.0, help="requests per second (default 100)")
    p.add_argument("--duration", type=float, required=True, help="upper bound in seconds")
    p.add_argument("--timeout", type=float, default=5.0, help="per-request timeout in seconds (default 5)")
    p.add_argument("--workers", type=int, default=200, help="max requests in flight (default 200)")
    p.add_argument("--out", required=True, help="log file (TSV)")
    a = p.parse_args()
    a.targets = [t for t in a.target.split(",") if t]
    bed = ipaddress.ip_network("198.18.0.0/24")
    for t in a.targets:
        try:
            ip = ipaddress.ip_address(socket.gethostbyname(t))
        except (OSError, ValueError) as e:
            p.error(f"--target {t}: {e}")
        if not (ip.is_loopback or ip in bed):
            p.error(f"--target {t} is neither a loopback address nor a node of the three-node bed (198.18.0.0/24)")
    if not (0 < a.rate <= 2000 and 0 < a.duration <= 3600 and 1 <= a.workers <= 1000):
        p.error("need 0 < rate <= 2000, 0 < duration <= 3600, 1 <= workers <= 1000")
    return a


def one_request(a, sched, target):
    start = time.time()
    status, version = None, "-"
    conn = http.client.HTTPConnection(target, a.port, timeout=a.timeout)
    try:
        # the scheduled time in the User-Agent joins this line with Envoy's access log line of the same request
        conn.request("GET", a.path, headers={"Host": a.host_header, "Connection": "close",
                                             "User-Agent": f"swarm-canary-bench-load/{sched:.6f}"})
        resp = conn.getresponse()
        body = resp.read()
        status = str(resp.status)
        m = VERSION_RE.search(body)
        if m:
            version = m.group(1).decode("ascii", "replace")
    except Exception as e:  # noqa: BLE001 - every failure is data here
        status = type(e).__name__
    finally:
        conn.close()
    end = time.time()
    extra = f"\t{target}" if len(a.targets) > 1 else ""
    return f"{sched:.6f}\t{start:.6f}\t{status}\t{version}\t{end - start:.6f}\t{start - sched:.6f}{extra}\n"


def main():
    a = parse_args()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    work = queue.Queue()
    lines = queue.Queue()

    def worker():
        while True:
            item = work.get()
            if item is None:
                return
            lines.put(one_request(a, *item))

    def writer(f):
        while True:
            line = lines.get()
            if line is None:
                return
            f.write(line)

    with open(a.out, "w", buffering=1 << 16) as f:
        f.write("#sched\tstart\tstatus\tversion\tlatency\tlag" + ("\ttarget" if len(a.targets) > 1 else "") + "\n")
        w = threading.Thread(target=writer, args=(f,), daemon=True)
        w.start()
        pool = [threading.Thread(target=worker, daemon=True) for _ in range(a.workers)]
        for t in pool:
            t.start()

        t0 = time.time()
        interval = 1.0 / a.rate
        i = 0
        while not stop.is_set():
            sched = t0 + i * interval
            if sched - t0 >= a.duration:
                break
            delay = sched - time.time()
            if delay > 0 and stop.wait(delay):
                break
            work.put((sched, a.targets[i % len(a.targets)]))
            i += 1

        for _ in pool:
            work.put(None)
        deadline = time.time() + a.timeout + 2
        for t in pool:
            t.join(max(0.0, deadline - time.time()))
        lines.put(None)
        w.join(5)
    print(f"load: {i} requests scheduled at {a.rate:g}/s over {time.time() - t0:.1f}s -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
