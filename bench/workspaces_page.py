#!/usr/bin/env python3
"""workspaces_page.py — the web UI's workspaces page with 10,000 workspaces: the API request
the page makes (GET /api/v2/organizations/:org/workspaces?page[size]=20&include=current_run, a
page in the middle, a name search) answered by the embedded node, one request at a time, beside
nginx serving the same bytes over TLS in the same run: mean and p99 latency (the issue's target:
under 100 ms on the server), for a site admin and for a user who reaches the workspaces through a
team.

usage: python3 bench/workspaces_page.py [--workspaces 10000] [--seconds 5] [--bin build/strata]
Needs wrk and nginx (apt-get install wrk nginx-light)."""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from api_hot_path import Nginx  # noqa: E402


def latency(url, token, seconds):
    """(mean ms, p99 ms) of one connection asking url again and again."""
    cmd = ["wrk", "-t1", "-c1", f"-d{seconds}s", "--latency", "-H", f"Authorization: Bearer {token}",
           "-H", "Accept: application/vnd.api+json", url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"{url}: failed requests\n{out}")
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    mean = re.search(r"Latency\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    return float(mean.group(1)) * scale[mean.group(2)], float(p99.group(1)) * scale[p99.group(2)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspaces", type=int, default=10000)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--bin")
    args = ap.parse_args()
    if args.bin:
        harness.STRATA_BIN = os.path.abspath(args.bin)
    os.environ.setdefault("STRATA_LOG", "info")
    sandbox = harness.Sandbox("bench-wspage", external=False)
    root = tempfile.mkdtemp(prefix="bench-wspage-")
    try:
        node = sandbox.node()
        node.create_org("bench")
        # a user who reaches a tenth of them through a team with read access
        user = node.api("POST", "/api/v2/admin/users", {"data": {"type": "users", "attributes": {
            "username": "reader", "email": "reader@example.test",
            "password": "a long enough password"}}})["data"]
        team = node.api("POST", "/api/v2/organizations/bench/teams", {"data": {
            "type": "teams", "attributes": {"name": "readers"}}})["data"]
        node.api("POST", f"/api/v2/teams/{team['id']}/relationships/users",
                 {"data": [{"type": "users", "id": "reader"}]})
        reader = node.api("POST", f"/api/v2/users/{user['id']}/authentication-tokens",
                          {"data": {"type": "authentication-tokens"}})["data"]["attributes"]["token"]
        memberships = node.api("GET", "/api/v2/organization-memberships", token=reader)["data"]
        node.api("POST", f"/api/v2/organization-memberships/{memberships[0]['id']}/actions/accept",
                 {}, token=reader)

        def make(i):
            ws = node.create_workspace("bench", f"ws-{i:05d}", **{"tag-names": [f"t{i % 10}"]})
            if i % 10 == 0:
                node.api("POST", "/api/v2/team-workspaces", {"data": {
                    "type": "team-workspaces", "attributes": {"access": "read"}, "relationships": {
                        "workspace": {"data": {"type": "workspaces", "id": ws["id"]}},
                        "team": {"data": {"type": "teams", "id": team["id"]}}}}})

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(make, range(args.workspaces)))
        cert, key = node.settings["tls_cert_file"], node.settings["tls_key_file"]
        base = "/api/v2/organizations/bench/workspaces?page%5Bsize%5D=20&include=current_run"
        pages = [("first page", base),
                 ("page 250", base + "&page%5Bnumber%5D=250"),
                 ("search ws-0999", base + "&search%5Bname%5D=ws-0999")]
        print(f"the workspaces page with {args.workspaces} workspaces; one connection, "
              f"{args.seconds} s each; TLS; {os.cpu_count()} cores")
        for who, token in (("site admin", node.token), ("team member", reader)):
            for name, path in pages:
                status, body, _ = node.request("GET", path, token=token, raw=True)
                assert status == 200, (status, body[:200])
                nginx = Nginx(os.path.join(root, f"nginx-{who[0]}-{len(name)}"), body, cert, key)
                try:
                    ours = latency(f"https://localhost:{node.port}{path}", token, args.seconds)
                    ref = latency(f"https://localhost:{nginx.port}{path}", token, args.seconds)
                finally:
                    nginx.stop()
                print(f"{who:<12} {name:<15} strata mean {ours[0]:6.2f} ms  p99 {ours[1]:6.2f} ms"
                      f"   nginx mean {ref[0]:5.2f} ms  p99 {ref[1]:5.2f} ms   "
                      f"({len(body)} bytes)", flush=True)
    finally:
        sandbox.close()


if __name__ == "__main__":
    main()
