"""The chaos test (issue 29): for about a minute, mutated requests over the whole route table —
read from the route tables in src/ themselves, so a new route is covered the day it lands — with
real ids, other organizations' ids and junk ids, wrong types, nulls, deep nesting, huge strings
and junk paging, beside raw-socket garbage over TLS (conflicting lengths, chunk errors,
pipelining, slow headers). Loopback only. It passes only when the node stays alive, never answers
500 (nor leaves a request unanswered), exits without a sanitizer report (Sandbox.close), and
answers /_health_check within 50 ms throughout (in both modes: it answers from the health
monitor's latest round, never from a round trip of its own), timed by a process of its own.

The seed is printed; STRATA_CHAOS_SEED replays a run, STRATA_CHAOS_SECONDS changes its length,
STRATA_CHAOS_HEALTH_MS the health bound (50),
and STRATA_CHAOS_SKIP (a regular expression over "METHOD pattern") leaves routes out, to look
past a known crash by hand; CTest sets none of them.
Each failure class is printed once with a reproducer (method, target, body)."""
import glob
import json
import multiprocessing
import os
import random
import re
import socket
import ssl
import sys
import threading
import time
import unittest

import harness
from harness import Sandbox, main

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "..", "src")
SECONDS = float(os.environ.get("STRATA_CHAOS_SECONDS", "60"))
SEED = int(os.environ.get("STRATA_CHAOS_SEED", "2029"))
HEALTH_MS = float(os.environ.get("STRATA_CHAOS_HEALTH_MS", "50"))
PACE = 0.01  # seconds between one worker's requests


def route_table():
    """Every (method, pattern) of every route table in src/ ({HTTP_M_GET, "/api/v2/..."})."""
    routes = set()
    for path in glob.glob(os.path.join(SRC, "**", "*.c"), recursive=True):
        with open(path, errors="replace") as f:
            for m in re.finditer(r'\{\s*HTTP_M_([A-Z]+),\s*"([^"]+)"', f.read()):
                routes.add((m.group(1), m.group(2)))
    return sorted(routes)


def attribute_names():
    """Attribute names handlers read (string literals of the *_api.c files that look like one)."""
    names = set()
    for path in glob.glob(os.path.join(SRC, "**", "*_api.c"), recursive=True):
        with open(path, errors="replace") as f:
            names.update(re.findall(r'"([a-z][a-z0-9]*(?:-[a-z0-9]+)+|[a-z]{3,12})"', f.read()))
    return sorted(names)


JUNK_SEGMENTS = ["", "x", "0", "-1", "9223372036854775808", "ws-", "ws-AAAAAAAAAAAAAAAA",
                 "run-0000000000000000", "%00", "a%00b", "%2e%2e", "..", "%25", "%ff%fe",
                 "' OR 1=1 --", "\u00e9\u00e8", "a" * 300, "a" * 5000, "%0d%0aX-Injected:%201",
                 "null", "undefined", "[]", "{}", "*"]
JUNK_QUERIES = ["page[number]=9223372036854775807", "page[number]=-9223372036854775808",
                "page[size]=9223372036854775807", "page[size]=-1", "page[number]=0",
                "page[size]=0", "page[number]=abc", "page[size]=1e99", "page[number]=",
                "page%5Bnumber%5D=99999999999999999999", "page[size]=100&page[number]=2",
                "include=organization,current-state-version,outputs,current-run,latest-run",
                "include=" + ",".join(["organization"] * 200), "include=%00",
                "filter[workspace][name]=x&filter[organization][name]=acme",
                "search[name]=%25%5F", "search[name]=" + "a" * 3000, "q=' or 1=1", "since=-1",
                "offset=-5", "limit=99999999999", "&&&", "=", "page[number]=1&page[number]=2",
                "filter[status]=%00", "sort=-created-at", "token=junk", "signature=AAAA"]


def wrong_values(rnd):
    """Values of every JSON type, including the hostile ones."""
    deep = 0
    depth = rnd.choice((10, 100, 1000, 3000))
    for _ in range(depth):
        deep = [deep]
    return rnd.choice([None, True, False, 0, -1, 1, 2 ** 63, -2 ** 63 - 1, 2 ** 64, 1.5e308,
                       -0.0, "", "x", "a" * rnd.choice((300, 70000, 2 * 1024 * 1024)), "\u0000",
                       "\ud7ff\ue000", [], {}, [None], {"": None}, deep, ["a"] * 1000,
                       "ws-AAAAAAAAAAAAAAAA", "2026-13-45T99:99:99Z", "-1", "9" * 40])


class Node:
    """The node's address and the raw TLS exchange every chaos request uses."""

    def __init__(self, node):
        self.port = node.port
        self.ctx = ssl.create_default_context(cafile=node.sandbox.ca.cert)

    def connect(self, timeout):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        return self.ctx.wrap_socket(s, server_hostname="localhost")

    def exchange(self, data, timeout=20, drip=None):
        """Sends data (bytes, or chunks with drip seconds between them) and reads until the node
        closes. Returns the bytes read, None when nothing came back in time, or an OSError
        when no connection could be made (the node is gone, or refuses connections)."""
        try:
            s = self.connect(timeout)
        except (OSError, ssl.SSLError) as e:
            return e
        out = b""
        try:
            if drip is None:
                s.sendall(data)
            else:
                for piece in data:
                    s.sendall(piece)
                    time.sleep(drip)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            return out or None
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
            pass
        finally:
            s.close()
        return out


def crash_report(node):
    """The sanitizer's report (or the log's tail) of a node that died: its first lines matter."""
    with open(node.log_path, errors="replace") as f:
        log = f.read()
    at = min([i for i in (log.find("runtime error:"), log.find("==ERROR:")) if i >= 0] or
             [max(0, len(log) - 3000)])
    return log[max(0, log.rfind("\n", 0, at)):][:3000]


def statuses(raw):
    return [int(m.group(1)) for m in re.finditer(rb"HTTP/1\.[01] (\d{3}) ", raw or b"")]


def watch_health(port, cafile, stop, results):
    """GET /_health_check every 50 ms on a kept-alive connection (the handshake is not the
    node's answer time), in a process of its own; puts {"n", "max", "events"} on results, each
    event (start, end, ms, "slow" | "not 200" | "failed: ...") with wall-clock times."""
    ctx = ssl.create_default_context(cafile=cafile)
    req = b"GET /_health_check HTTP/1.1\r\nHost: localhost\r\n\r\n"
    conn, n, slowest, events = None, 0, 0.0, []
    while not stop.is_set():
        wall = time.time()
        try:
            if conn is None:
                conn = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                       server_hostname="localhost")
            wall = time.time()
            t0 = time.perf_counter()
            conn.sendall(req)
            got = b""
            while b"\r\n\r\n" not in got:
                chunk = conn.recv(4096)
                if not chunk:
                    raise ConnectionResetError("closed")
                got += chunk
            ms = (time.perf_counter() - t0) * 1000
            head, _, rest = got.partition(b"\r\n\r\n")
            m = re.search(rb"content-length: *(\d+)", head, re.I)
            while len(rest) < (int(m.group(1)) if m else 0):
                rest += conn.recv(4096)
            n += 1
            slowest = max(slowest, ms)
            if not head.startswith((b"HTTP/1.1 200", b"HTTP/1.1 204")):
                events.append((wall, time.time(), ms, "health check not 200"))
            elif ms > HEALTH_MS:
                events.append((wall, time.time(), ms, "slow"))
        except (OSError, ssl.SSLError) as e:
            events.append((wall, time.time(), 0, f"health check failed: {e!r}"[:80]))
            if conn:
                conn.close()
            conn = None
        time.sleep(0.05)
    if conn:
        conn.close()
    results.put({"n": n, "max": slowest, "events": events})


class Findings:
    """Failure classes, each kept once with its first reproducer."""

    def __init__(self):
        self.mu = threading.Lock()
        self.classes = {}
        self.count = 0

    def add(self, cls, reproducer):
        with self.mu:
            self.count += 1
            self.classes.setdefault(cls, (0, reproducer))
            n, r = self.classes[cls]
            self.classes[cls] = (n + 1, r)

    def report(self):
        lines = []
        for cls, (n, r) in sorted(self.classes.items()):
            lines.append(f"  {cls}  x{n}\n      reproducer: {r[:2000]}")
        return "\n".join(lines)


class ChaosTest(unittest.TestCase):
    def test_chaos(self):
        print(f"chaos: seed {SEED} (STRATA_CHAOS_SEED), {SECONDS:.0f} s", file=sys.stderr)
        sandbox = Sandbox("chaos")
        try:
            node = sandbox.node()
            self.run_chaos(sandbox, node)
        finally:
            sandbox.close()

    def test_path_that_is_not_utf8_is_400(self):
        """Found by the chaos test on PostgreSQL: %ff%fe in a path parameter reached the
        database, which refuses it as text (500 "storage error" on every such route)."""
        sandbox = Sandbox("chaos-utf8")
        try:
            node = sandbox.node()
            node.create_org("acme")
            for path in ("/api/v2/organizations/%ff%fe", "/api/v2/workspaces/ws-%c3%28/vars",
                         "/api/v2/organizations/acme/workspaces/%ed%a0%80"):
                status, doc, _ = node.request("GET", path)
                self.assertEqual(status, 400, (path, doc))
                self.assertIn("UTF-8", doc["errors"][0]["detail"])
            # what is UTF-8 goes on to the route (and is not found)
            status, _, _ = node.request("GET", "/api/v2/organizations/%c3%a9t%c3%a9")
            self.assertEqual(status, 404)
        finally:
            sandbox.close()

    def fixtures(self, node):
        """Real ids of two organizations: what an attacker in one holds, and what they guess."""
        ids = {"org": [], "id": [], "name": [], "user_id": [], "team_id": []}
        for org in ("acme", "other"):
            node.create_org(org)
            ids["org"].append(org)
            for ws in ("app", "prod"):
                w = node.create_workspace(org, ws)
                ids["id"].append(w["id"])
                ids["name"].append(ws)
            wid = w["id"]
            teams = node.api("GET", f"/api/v2/organizations/{org}/teams")["data"]
            ids["team_id"] += [t["id"] for t in teams]
            ids["id"] += [t["id"] for t in teams]
            cv = node.api("POST", f"/api/v2/workspaces/{wid}/configuration-versions",
                          {"data": {"type": "configuration-versions"}})["data"]
            ids["id"].append(cv["id"])
        self.org_token = node.api("POST", "/api/v2/organizations/other/authentication-token",
                                  {"data": {"type": "authentication-tokens"}})["data"][
            "attributes"]["token"]
        return ids

    def run_chaos(self, sandbox, node):
        rnd = random.Random(SEED)
        self.sent, self.spans = 0, []
        routes = route_table()
        self.assertGreater(len(routes), 100, "the route tables were not found in src/")
        skip = os.environ.get("STRATA_CHAOS_SKIP")
        if skip:
            routes = [r for r in routes if not re.search(skip, f"{r[0]} {r[1]}")]
            print(f"chaos: STRATA_CHAOS_SKIP leaves {len(routes)} routes", file=sys.stderr)
        attrs = attribute_names()
        ids = self.fixtures(node)
        net = Node(node)
        findings = Findings()
        stop = threading.Event()
        # the health check is timed from a process of its own: this one's threads building
        # megabyte bodies hold Python's lock for longer than the bound
        stop_health, results = multiprocessing.Event(), multiprocessing.Queue()
        watcher = multiprocessing.Process(target=watch_health, daemon=True,
                                          args=(node.port, node.sandbox.ca.cert, stop_health,
                                                results))
        watcher.start()
        # each worker its own generator, seeded from the one seed: a run replays
        seeds = [rnd.randrange(2 ** 32) for _ in range(3)]
        workers = [threading.Thread(target=self.mutate, daemon=True,
                                    args=(net, node, random.Random(seeds[0]), routes, attrs, ids,
                                          stop, findings)),
                   threading.Thread(target=self.mutate, daemon=True,
                                    args=(net, node, random.Random(seeds[1]), routes, attrs, ids,
                                          stop, findings)),
                   threading.Thread(target=self.garbage, daemon=True,
                                    args=(net, random.Random(seeds[2]), stop, findings))]
        for w in workers:
            w.start()
        deadline = time.time() + SECONDS
        while time.time() < deadline and node.proc.poll() is None:
            time.sleep(0.5)
        stop.set()
        stop_health.set()
        health = results.get(timeout=60)
        watcher.join(10)
        for w in workers:
            w.join(60)
        for t0, t1, ms, what in health["events"]:
            if what.startswith("slow"):
                company = "; ".join(r[:160] for a, b, r in self.spans if a <= t1 and b >= t0)
                findings.add(f"health check over {HEALTH_MS:.0f} ms",
                             f"{ms:.0f} ms at {time.strftime('%H:%M:%S', time.localtime(t0))} "
                             f"beside: {company}")
            else:
                findings.add(what, f"at {time.strftime('%H:%M:%S', time.localtime(t0))}")
        alive = node.proc.poll() is None
        print(f"chaos: {self.sent} requests, {health['n']} health checks "
              f"(slowest {health['max']:.1f} ms); {findings.count} failures in "
              f"{len(findings.classes)} classes", file=sys.stderr)
        if findings.classes:
            print("chaos: failure classes (seed %d):\n%s" % (SEED, findings.report()),
                  file=sys.stderr)
        self.assertTrue(alive, f"the node died (seed {SEED}):\n{crash_report(node)}")
        self.assertFalse(findings.classes, f"seed {SEED}:\n{findings.report()}")

    sent = 0  # requests sent
    spans = None  # (start, end, request): what was in flight beside a slow health check

    # -- mutated API requests --
    def target(self, rnd, pattern, ids):
        def seg(m):
            name = m.group(1)
            r = rnd.random()
            if r < 0.6 and ids.get(name):
                return rnd.choice(ids[name])
            if r < 0.75 and ids["id"]:
                return rnd.choice(ids["id"] + ids["org"])  # the wrong kind of id
            return rnd.choice(JUNK_SEGMENTS)
        path = re.sub(r":([a-z_]+)", seg, pattern)
        if rnd.random() < 0.4:
            path += "?" + "&".join(rnd.choice(JUNK_QUERIES) for _ in range(rnd.randint(1, 3)))
        return path.replace(" ", "%20")

    def body(self, rnd, pattern, attrs):
        r = rnd.random()
        if r < 0.05:
            return bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 300)))
        if r < 0.1:
            return b'{"data":{"type":"x","attributes":{"name":"a"'  # cut short
        if r < 0.15:
            return b"[" * 100000  # deeper than any parser should follow
        kind = pattern.rstrip("/").split("/")[-1]
        doc = {"type": rnd.choice([kind, "workspaces", "", None, 7])}
        a = {}
        if rnd.random() < 0.4:  # plausible enough to pass validation and reach the store
            n = f"c{rnd.randrange(10 ** 6)}"
            a = {"name": n, "email": f"{n}@example.test", "username": n, "key": n,
                 "value": "v", "category": "terraform", "description": "d", "password": n * 3,
                 "destination-type": "generic", "url": "https://example.test/", "enabled": False,
                 "public-key": "ssh-ed25519 AAAA", "registry-name": "private", "namespace": "acme",
                 "provider": "aws", "version": "1.0.0", "access": "read"}
        for _ in range(rnd.randint(0, 6)):
            a[rnd.choice(attrs)] = wrong_values(rnd)
        doc["attributes"] = a if rnd.random() < 0.9 else wrong_values(rnd)
        if rnd.random() < 0.3:
            doc["relationships"] = {rnd.choice(attrs): {"data": rnd.choice(
                [None, {"type": "workspaces", "id": "ws-AAAAAAAAAAAAAAAA"}, [], wrong_values(rnd)])}}
        top = {"data": doc if rnd.random() < 0.9 else wrong_values(rnd)}
        if rnd.random() < 0.2:  # the list forms some routes take (tags, memberships)
            top = {"data": [doc, {"type": "tags", "attributes": {"name": wrong_values(rnd)}}]}
        try:
            return json.dumps(top).encode()
        except (RecursionError, ValueError):
            return b'{"data":null}'

    def mutate(self, net, node, rnd, routes, attrs, ids, stop, findings):
        tokens = [node.token, node.token, self.org_token, None, "junk"]
        while not stop.is_set():
            # paced: the health bound is about one request stalling a loop, not about two cores
            # saturated by this client's own TLS handshakes
            time.sleep(PACE)
            method, pattern = rnd.choice(routes)
            if rnd.random() < 0.05:
                method = rnd.choice(["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"])
            if pattern.startswith("/admin/initial-admin-user"):
                continue  # would only answer the IACT's rules
            path = self.target(rnd, pattern, ids)
            body = self.body(rnd, pattern, attrs) if method in ("POST", "PATCH", "PUT") else b""
            token = rnd.choice(tokens)
            head = [f"{method} {path} HTTP/1.1", "Host: localhost", "Connection: close",
                    f"Content-Length: {len(body)}",
                    "Content-Type: " + rnd.choice(["application/vnd.api+json",
                                                   "application/json",
                                                   "application/octet-stream", "text/plain"])]
            if token:
                head.append(f"Authorization: Bearer {token}")
            data = ("\r\n".join(head) + "\r\n\r\n").encode("utf-8", "replace") + body
            who = "admin" if token == node.token else "org" if token == self.org_token else token
            repro = f"{method} {path} body={body[:1500]!r} ({len(body)} bytes) token={who}"
            t0 = time.time()
            out = net.exchange(data)
            self.spans.append((t0, time.time(), repro))
            self.sent += 1
            if isinstance(out, Exception):
                findings.add(f"cannot connect: {type(out).__name__}", repro)
                time.sleep(0.5)
                continue
            got = statuses(out)
            if out is None:
                findings.add(f"no answer in 20 s: {method} {pattern}", repro)
            elif got and got[0] >= 500 and got[0] != 503:
                answer = out.partition(b"\r\n\r\n")[2][:300].decode(errors="replace")
                findings.add(f"{got[0]}: {method} {pattern}", repro + " -> " + answer)
            if node.proc.poll() is not None:
                findings.add("node died", repro)
                return

    # -- raw-socket garbage over TLS --
    GARBAGE = [
        ("conflicting lengths", b"POST /api/v2/organizations HTTP/1.1\r\nHost: x\r\n"
         b"Content-Length: 5\r\nContent-Length: 50\r\n\r\nhello"),
        ("length and chunked", b"POST /api/v2/organizations HTTP/1.1\r\nHost: x\r\n"
         b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
        ("bad chunk size", b"POST /api/v2/organizations HTTP/1.1\r\nHost: x\r\n"
         b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
        ("huge chunk size", b"POST /api/v2/organizations HTTP/1.1\r\nHost: x\r\n"
         b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n"),
        ("chunk without end", b"POST /api/v2/organizations HTTP/1.1\r\nHost: x\r\n"
         b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhel"),
        ("negative length", b"POST /api/v2/organizations HTTP/1.1\r\nHost: x\r\n"
         b"Content-Length: -1\r\n\r\n"),
        ("space before colon", b"POST /api/v2/organizations HTTP/1.1\r\nHost: x\r\n"
         b"Transfer-Encoding : chunked\r\nContent-Length: 2\r\n\r\n{}"),
        ("obs-fold", b"GET /api/v2/ping HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n"),
        ("NUL in path", b"GET /api/v2/organizations/acme\x00/workspaces HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("pipelined", b"GET /api/v2/ping HTTP/1.1\r\nHost: x\r\n\r\n" * 50 +
         b"GET /api/v2/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        ("pipelined bodies", (b"POST /api/v2/organizations HTTP/1.1\r\nHost: x\r\n"
                              b"Content-Length: 2\r\n\r\n{}") * 20),
        ("huge header", b"GET /api/v2/ping HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 200000 +
         b"\r\n\r\n"),
        ("many headers", b"GET /api/v2/ping HTTP/1.1\r\nHost: x\r\n" + b"X-A: a\r\n" * 5000 +
         b"\r\n"),
        ("huge body declared", b"POST /api/v2/organizations HTTP/1.1\r\nHost: x\r\n"
         b"Content-Length: 99999999999999\r\n\r\n{}"),
        ("binary", bytes(range(256)) * 4),
        ("HTTP/0.9", b"GET /\r\n\r\n"),
        ("bad version", b"GET / HTTP/7.3\r\nHost: x\r\n\r\n"),
        ("long method", b"A" * 100000 + b" / HTTP/1.1\r\n\r\n"),
        ("long path", b"GET /" + b"a/" * 50000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
    ]

    def garbage(self, net, rnd, stop, findings):
        while not stop.is_set():
            name, data = rnd.choice(self.GARBAGE)
            t0 = time.time()
            if rnd.random() < 0.1:  # slow headers: a byte at a time
                pieces = [data[i:i + 1] for i in range(min(len(data), 60))]
                out = net.exchange(pieces, timeout=5, drip=0.05)
                name = "slow " + name
            else:
                if rnd.random() < 0.3:  # a random cut, as a client that vanishes
                    data = data[:rnd.randrange(1, len(data) + 1)]
                    name = "cut " + name
                out = net.exchange(data, timeout=3)
            self.sent += 1
            self.spans.append((t0, time.time(), "raw " + name))
            if isinstance(out, Exception):
                findings.add(f"cannot connect: {type(out).__name__}", f"raw {name}")
                time.sleep(0.5)
                continue
            got = statuses(out)
            if any(s >= 500 and s != 503 for s in got):
                findings.add(f"raw {name}: {got}", repr(data[:200]))


if __name__ == "__main__":
    main()
