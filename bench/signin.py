#!/usr/bin/env python3
"""signin.py — web sign-ins (POST /session: an Argon2id check each) per second at a concurrency,
beside the latency of GET /api/v2/ping (p50/p99) on the same node with that load and without
it, measured in the same run: the event loops must stay responsive while passwords are hashed.

Each sign-in worker has its own account, so the sign-in throttle never answers for it; each
sign-in is a new TLS connection, as a browser's first request is. Ping runs on one keep-alive
connection, one request at a time.

usage: python3 bench/signin.py [--seconds 10] [--concurrency 8] [--bin build/strata]"""
import argparse
import http.client
import json
import os
import ssl
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
import harness  # noqa: E402

PASSWORD = "a long bench password"


def sign_in(node, ctx, username):
    """One sign-in on a new connection (fetching the sign-in CSRF pair first where the node
    has one); returns the status."""
    conn = http.client.HTTPSConnection("localhost", node.port, context=ctx, timeout=60)
    headers = {"Content-Type": "application/json"}
    conn.request("GET", "/session/token")
    resp = conn.getresponse()
    doc = resp.read()
    if resp.status == 200:
        cookie = resp.headers["Set-Cookie"].split(";")[0]
        headers.update({"Cookie": cookie, "X-CSRF-Token": json.loads(doc)["csrf-token"]})
    conn.request("POST", "/session", body=json.dumps({"username": username,
                                                      "password": PASSWORD}), headers=headers)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp.status


def pings(node, ctx, stop):
    """Latencies (ms) of sequential pings until stop is set."""
    conn = http.client.HTTPSConnection("localhost", node.port, context=ctx, timeout=60)
    out = []
    while not stop.is_set():
        t = time.monotonic()
        conn.request("GET", "/api/v2/ping")
        resp = conn.getresponse()
        resp.read()
        assert resp.status in (200, 204), resp.status
        out.append((time.monotonic() - t) * 1000)
        time.sleep(0.005)
    conn.close()
    return out


def percentiles(ms):
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return q[49], q[98], max(ms)


def measure(node, ctx, seconds, concurrency):
    """(sign-ins/s, ping latencies) with concurrency workers signing in (0: ping alone)."""
    stop = threading.Event()
    counts, errors = [0] * concurrency, []

    def worker(i):
        while not stop.is_set():
            status = sign_in(node, ctx, f"bench{i}")
            if status != 201:
                errors.append(status)
            counts[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    lat = []
    pinger = threading.Thread(target=lambda: lat.extend(pings(node, ctx, stop)))
    pinger.start()
    time.sleep(seconds)
    stop.set()
    for t in threads + [pinger]:
        t.join()
    if errors:
        raise SystemExit(f"sign-ins failed: {sorted(set(errors))}")
    return sum(counts) / seconds, lat


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--bin")
    args = ap.parse_args()
    if args.bin:
        harness.STRATA_BIN = os.path.abspath(args.bin)
    os.environ["STRATA_LOG"] = "info"  # no line per request: the node runs as in production
    sandbox = harness.Sandbox("bench-signin", external=False)
    try:
        node = sandbox.node()
        for i in range(args.concurrency):
            node.api("POST", "/api/v2/admin/users", {"data": {"type": "users", "attributes": {
                "username": f"bench{i}", "email": f"bench{i}@example.test",
                "password": PASSWORD}}})
        ctx = ssl.create_default_context(cafile=sandbox.ca.cert)
        print(f"POST /session at concurrency {args.concurrency} for {args.seconds}s, "
              f"GET /api/v2/ping beside it; {os.cpu_count()} cores", flush=True)
        _, idle = measure(node, ctx, args.seconds, 0)
        rate, busy = measure(node, ctx, args.seconds, args.concurrency)
        p50, p99, worst = percentiles(idle)
        print(f"ping alone          p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  max {worst:7.2f} ms")
        p50, p99, worst = percentiles(busy)
        print(f"ping under sign-ins p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  max {worst:7.2f} ms   "
              f"sign-ins {rate:6.1f}/s", flush=True)
    finally:
        sandbox.close()


if __name__ == "__main__":
    main()
