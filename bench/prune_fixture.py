#!/usr/bin/env python3
"""Makes (and removes) a synthetic swarm-canary cluster for bench/prune.sh, straight through the Engine API.

  prune_fixture.py create APP OBJECTS RELEASES   # OBJECTS/2 secrets + OBJECTS/2 configs, RELEASES services (replicas 0)
  prune_fixture.py delete APP                    # everything labelled io.swarm-canary.app=APP

Releases come in tracks of 5 (APP-e0, APP-e1, ...), oldest first; each mounts a secret of its own, the other secrets
and every config are mounted by nothing. Replicas 0: no container starts, so 200 releases fit on 2 cores.
"""
import base64
import http.client
import json
import os
import socket
import sys
import urllib.parse

API = "/v1.41"


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


# bench/prune.sh sets it to the manager's socket on the three-node bed
CONN = UnixHTTPConnection(os.environ.get("PRUNE_FIXTURE_SOCKET", "/var/run/docker.sock"))


def call(method, path, body=None, ok=(200, 201, 204)):
    CONN.request(method, API + path, body=None if body is None else json.dumps(body),
                 headers={"Content-Type": "application/json"})
    response = CONN.getresponse()
    data = response.read()
    if response.status not in ok:
        raise SystemExit(f"{method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data) if data else None


def labels(app, env, kind):
    return {"io.swarm-canary.managed-by": "swarm-canary", "io.swarm-canary.kind": kind,
            "io.swarm-canary.track": f"{app}-{env}", "io.swarm-canary.app": app, "io.swarm-canary.env": env}


def create(app, objects, releases):
    tracks = max(1, releases // 5)
    secrets = []
    for i in range(objects // 2):
        env = f"e{i % tracks}"
        name = f"{app}-{env}-s{i}"
        data = base64.b64encode(f"value {i}".encode()).decode()
        secret_id = call("POST", "/secrets/create", {"Name": name, "Labels": labels(app, env, "secret"), "Data": data})["ID"]
        secrets.append((env, name, secret_id))
    for i in range(objects // 2):
        env = f"e{i % tracks}"
        data = base64.b64encode(b"x" * 100).decode()
        call("POST", "/configs/create", {"Name": f"{app}-{env}-c{i}", "Labels": labels(app, env, "config"), "Data": data})
    for v in range(5):  # version-major: every track's 1.0.0 is older than any 1.0.1
        for t in range(tracks):
            env = f"e{t}"
            index = v * tracks + t
            if index >= releases:
                continue
            l = labels(app, env, "release")
            l["io.swarm-canary.version"] = f"1.0.{v}"
            mounts = []
            mine = [s for s in secrets if s[0] == env]
            if v < len(mine):
                _, name, secret_id = mine[v]
                mounts.append({"SecretID": secret_id, "SecretName": name,
                               "File": {"Name": "db", "UID": "0", "GID": "0", "Mode": 0o444}})
            call("POST", "/services/create", {
                "Name": f"{app}-{env}-1_0_{v}", "Labels": l,
                "TaskTemplate": {"ContainerSpec": {"Image": "swarm-canary/testapp:latest", "Secrets": mounts}},
                "Mode": {"Replicated": {"Replicas": 0}},
                "EndpointSpec": {"Mode": "dnsrr"}})


def delete(app):
    query = "?filters=" + urllib.parse.quote(json.dumps({"label": [f"io.swarm-canary.app={app}"]}))
    for s in call("GET", "/services" + query):
        call("DELETE", f"/services/{s['ID']}", ok=(200, 404))
    for kind in ("secrets", "configs"):
        for o in call("GET", f"/{kind}" + query):
            call("DELETE", f"/{kind}/{o['ID']}", ok=(204, 404))


if __name__ == "__main__":
    if sys.argv[1] == "create":
        create(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "delete":
        delete(sys.argv[2])
    else:
        raise SystemExit(__doc__)
