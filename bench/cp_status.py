#!/usr/bin/env python3
"""Polls an xds edge's control-plane status through the edge's Envoy (its stats host) until stopped (stdlib only).

Usage: bench/cp_status.py --port 10230 --token-file FILE --out poll.tsv [--target 127.0.0.1] [--interval 0.1]

One line per poll (tab-separated, '#' header): the poll's start and end (epoch seconds), the routes and clusters
versions the control plane serves, how many Envoys are connected and how many have ACKed both (no NACK), or "-"
when the status did not answer. The stats token is read from a file so that it appears in no command line.
Stops on SIGTERM/SIGINT or after --duration seconds. Loopback targets only.
"""
import argparse
import http.client
import ipaddress
import json
import signal
import socket
import threading
import time

STATUS = "/swarm-canary/control-plane/status"  # EnvoyConfigRenderer.CONTROL_PLANE_STATUS_PATH
STATS_HOST = "swarm-canary-stats"  # EnvoyConfigRenderer.STATS_HOST
TOKEN_HEADER = "x-canary-token"  # EnvoyConfigRenderer.TOKEN_HEADER


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--target", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True, help="the edge's published listener port")
    p.add_argument("--token-file", required=True, help="a stats token ('canary-token --stats --out FILE')")
    p.add_argument("--out", required=True)
    p.add_argument("--interval", type=float, default=0.1)
    p.add_argument("--duration", type=float, default=600)
    a = p.parse_args()
    if not ipaddress.ip_address(socket.gethostbyname(a.target)).is_loopback:
        p.error("--target must be a loopback address")
    with open(a.token_file) as f:
        token = f.read().strip()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    deadline = time.time() + a.duration
    with open(a.out, "w", buffering=1) as out:
        out.write("#start\tend\troutes\tclusters\tenvoys\tacked\n")
        while not stop.is_set() and time.time() < deadline:
            t0 = time.time()
            fields = ["-", "-", "-", "-"]
            conn = http.client.HTTPConnection(a.target, a.port, timeout=2)
            try:
                # Envoy picks the stats host by the authority, as StatsHost does
                conn.request("GET", STATUS, headers={"Host": f"{STATS_HOST}:{a.port}", TOKEN_HEADER: token})
                resp = conn.getresponse()
                body = resp.read()
                if resp.status == 200:
                    s = json.loads(body)
                    envoys = s.get("envoys") or []
                    acked = sum(1 for e in envoys if not e.get("nack") and s.get("routesVersion")
                                and e.get("routesVersion") == s.get("routesVersion")
                                and e.get("clustersVersion") == s.get("clustersVersion"))
                    fields = [s.get("routesVersion") or "-", s.get("clustersVersion") or "-", str(len(envoys)), str(acked)]
            except (OSError, ValueError, http.client.HTTPException):
                pass  # not answering this time: a "-" line
            finally:
                conn.close()
            out.write(f"{t0:.6f}\t{time.time():.6f}\t" + "\t".join(fields) + "\n")
            stop.wait(max(0.0, a.interval - (time.time() - t0)))


if __name__ == "__main__":
    main()
