#!/usr/bin/env python3
"""api_hot_path.py — an authenticated workspace read (GET /api/v2/workspaces/:id, the request
every CLI command starts with) under load, beside nginx serving the same bytes over TLS on the
same machine in the same run: requests/s, p99 and their ratio.

Two set-ups: the embedded node (SQLite, in-process bus) against nginx directly, and a cluster of
1 then 3 nodes on PostgreSQL, Redis and S3 behind HAProxy against nginx behind its own HAProxy
(same configuration). Load: wrk, keep-alive connections, every request with the bearer token.

usage: python3 bench/api_hot_path.py [--seconds 8] [--connections 64] [--threads 2]
       [--skip-cluster] [--bin build/strata]
Needs wrk and nginx (apt-get install wrk nginx-light), and for the cluster the test services
(bash scripts/setup.sh --tests)."""
import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
import harness  # noqa: E402
import services  # noqa: E402

NGINX_CONF = """
worker_processes auto;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{
            root {dir}/www;
            default_type application/vnd.api+json;
            try_files /ws.json =404;
        }}
    }}
}}
"""


def wrk(url, token, seconds, connections, threads):
    """(requests/s, p99 ms) of wrk against url."""
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency",
           "-H", f"Authorization: Bearer {token}", "-H", "Accept: application/vnd.api+json", url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"{url}: {non2xx.group(1)} failed requests\n{out}")
    return rps, float(p99.group(1)) * scale


class Nginx:
    def __init__(self, folder, body, cert, key):
        os.makedirs(os.path.join(folder, "www"), exist_ok=True)
        for p in (os.path.dirname(folder), folder, os.path.join(folder, "www")):
            os.chmod(p, 0o755)  # nginx's workers run as another account
        with open(os.path.join(folder, "www", "ws.json"), "wb") as f:
            f.write(body)
        os.chmod(os.path.join(folder, "www", "ws.json"), 0o644)
        self.port = services.free_port()
        conf = os.path.join(folder, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(dir=folder, port=self.port, cert=cert, key=key))
        self.proc = subprocess.Popen(["nginx", "-c", conf, "-g", "daemon off;"],
                                     stderr=subprocess.DEVNULL)
        services.wait_port(self.port, self.proc, what="nginx")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def line(name, ours, ref):
    print(f"{name:<34} strata {ours[0]:>8.0f} req/s  p99 {ours[1]:>6.2f} ms   "
          f"nginx {ref[0]:>8.0f} req/s  p99 {ref[1]:>6.2f} ms   ratio {ours[0] / ref[0]:.2f}",
          flush=True)


def workspace(node):
    node.create_org("bench")
    ws = node.create_workspace("bench", "hot")
    path = f"/api/v2/workspaces/{ws['id']}"
    status, body, _ = node.request("GET", path, raw=True)
    assert status == 200
    return path, body


def embedded(args, root):
    sandbox = harness.Sandbox("bench-api", external=False)
    try:
        node = sandbox.node(settings={"capacity_concurrency": "2"})
        path, body = workspace(node)
        cert, key = node.settings["tls_cert_file"], node.settings["tls_key_file"]
        nginx = Nginx(os.path.join(root, "nginx"), body, cert, key)
        try:
            ours = wrk(f"https://localhost:{node.port}{path}", node.token, args.seconds,
                       args.connections, args.threads)
            ref = wrk(f"https://localhost:{nginx.port}{path}", node.token, args.seconds,
                      args.connections, args.threads)
            line("embedded node vs nginx", ours, ref)
        finally:
            nginx.stop()
    finally:
        sandbox.close()


def cluster(args, root):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
    from test_cluster import Cluster  # noqa: E402
    c = Cluster("bench-cluster", nodes=1)
    try:
        path, body = workspace(c.front)
        cert, key = c.nodes[0].settings["tls_cert_file"], c.nodes[0].settings["tls_key_file"]
        nginx = Nginx(os.path.join(root, "nginx-lb"), body, cert, key)
        lb = services.HAProxy(os.path.join(root, "lb-nginx"), [nginx.port])
        try:
            import time
            time.sleep(1.5)  # the balancer's first health checks
            ref = wrk(f"https://localhost:{lb.port}{path}", c.front.token, args.seconds,
                      args.connections, args.threads)
            for n in (1, 3):
                while len(c.nodes) < n:
                    c.add_node()
                time.sleep(1.5)
                ours = wrk(f"https://localhost:{c.lb.port}{path}", c.front.token, args.seconds,
                           args.connections, args.threads)
                line(f"{n} node(s) + PG/Redis/S3 via HAProxy", ours, ref)
        finally:
            lb.stop()
            nginx.stop()
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-cluster", action="store_true")
    ap.add_argument("--bin")
    args = ap.parse_args()
    if args.bin:
        harness.STRATA_BIN = os.path.abspath(args.bin)
    os.environ["STRATA_LOG"] = "info"  # no line per request: nodes run as in production
    print(f"GET /api/v2/workspaces/:id with a bearer token; wrk -t{args.threads} "
          f"-c{args.connections} -d{args.seconds}s, keep-alive, TLS; {os.cpu_count()} cores",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="strata-bench-") as root:
        embedded(args, root)
        if not args.skip_cluster:
            cluster(args, root)


if __name__ == "__main__":
    main()
