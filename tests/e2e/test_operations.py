"""Operating a node from files and the command line: `strata app status` as the seed's
replicatedctl check reads it, `strata node list|drain|resume` with a run in flight, the node
API for site admins, and the health endpoints (full health check, readiness, liveness)."""
import http.client
import json
import re
import os
import signal
import tarfile
import subprocess
import time
import unittest

from harness import SIMPLE_CONFIG, STRATA_BIN, Sandbox, Terraform, free_port, main

SLOW_APPLY = SIMPLE_CONFIG + '''
resource "terraform_data" "slow" {
  input = var.n
  provisioner "local-exec" {
    command = "for i in 1 2 3 4 5 6; do echo tick $i; sleep 1; done"
  }
}
'''


def strata(node, *args):
    """Runs the admin CLI against node's settings; (exit code, stdout, stderr)."""
    p = subprocess.run([STRATA_BIN, *args, "--config", node.config], capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def app_status(node):
    code, out, err = strata(node, "app", "status")
    assert code == 0, err
    doc = json.loads(out)
    assert isinstance(doc, list) and len(doc) == 1, out
    return doc[0]


class Operations(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sandbox = Sandbox("ops")
        cls.metrics_port = free_port()
        cls.node = cls.sandbox.node(settings={"metrics_endpoint_enabled": "1",
                                              "metrics_endpoint_port_http": str(cls.metrics_port)})
        cls.node.create_org("acme")

    @classmethod
    def tearDownClass(cls):
        cls.sandbox.close()

    def nodes(self):
        code, out, err = strata(self.node, "node", "list", "--json")
        self.assertEqual(code, 0, err)
        return {n["name"]: n for n in json.loads(out)}

    def own(self):
        """This test's node in the list (the only active one)."""
        return next(n for n in self.nodes().values() if n["state"] == "active")

    def run_of(self, ws_name):
        ws = self.node.api("GET", f"/api/v2/organizations/acme/workspaces/{ws_name}")["data"]
        runs = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/runs")["data"]
        return runs[0] if runs else None

    def wait_status(self, ws_name, statuses, timeout=120):
        deadline = time.time() + timeout
        run = None
        while time.time() < deadline:
            try:
                run = self.run_of(ws_name)
            except AssertionError:
                run = None  # the workspace does not exist yet
            if run and run["attributes"]["status"] in statuses:
                return run
            time.sleep(0.2)
        self.fail(f"{ws_name}: no run reached {statuses}: {run and run['attributes']['status']}")

    def test_app_status_of_a_running_node(self):
        st = app_status(self.node)
        self.assertEqual(st["State"], "started")
        self.assertEqual(st["DesiredState"], "started")
        self.assertFalse(st["IsTransitioning"])
        self.assertFalse(st["IsCancellable"])
        self.assertIsInstance(st["Sequence"], int)
        self.assertEqual(st["PatchSequence"], 0)
        self.assertEqual(len(st["AppID"]), 32)
        self.assertTrue(st["LastModifiedAt"].endswith("Z"))

    def test_app_status_through_a_nodes_life(self):
        sb = Sandbox("ops-life")
        try:
            n = sb.node(start=False)
            self.assertEqual(app_status(n)["State"], "stopped", "never started")
            n.start()
            self.assertEqual(app_status(n)["State"], "started")
            self.assertEqual(n.stop(), 0)
            st = app_status(n)
            self.assertEqual((st["State"], st["DesiredState"], st["IsTransitioning"]),
                             ("stopped", "stopped", False))
            n.start()
            n.proc.send_signal(signal.SIGKILL)
            n.proc.wait()
            st = app_status(n)
            self.assertEqual((st["State"], st["DesiredState"]), ("stopped", "started"))
            self.assertTrue(st["IsTransitioning"])
            self.assertIn("ended", st["Error"])
            n.proc = None
            n.log.close()
            # a node that cannot start says why
            n.settings["enc_password"] = "another password entirely"
            n.write_settings()
            n.start(wait=False)
            self.assertNotEqual(n.proc.wait(30), 0)
            n.proc = None
            n.log.close()
            st = app_status(n)
            self.assertEqual(st["State"], "stopped")
            self.assertIn("enc_password", st["Error"])
        finally:
            sb.close()

    def test_health_endpoints(self):
        status, body, _ = self.node.request("GET", "/_health_check", token=False)
        self.assertEqual(status, 200)
        self.assertEqual(set(body["components"]), {"database", "blob-storage", "queue"})
        status, body, _ = self.node.request("GET", "/_health_check?full=1", token=False)
        self.assertEqual(status, 200)
        comps = body["components"]
        for name in ("database", "blob-storage", "queue", "encryption", "workers"):
            self.assertEqual(comps[name]["status"], "ok", name)
        self.assertGreaterEqual(comps["database"]["milliseconds"], 0)
        self.assertEqual(body["node"], self.own()["name"])
        status, body, _ = self.node.request("GET", "/api/v1/health/liveness", token=False)
        self.assertEqual((status, body["status"]), (200, "ok"))
        status, body, _ = self.node.request("GET", "/api/v1/health/readiness?timeout=5",
                                            token=False)
        self.assertEqual((status, body["status"]), (200, "ready"))
        self.assertEqual(body["checks"]["task-worker"], "ok")
        for bad in ("0", "31", "x", ""):
            status, _, _ = self.node.request("GET", f"/api/v1/health/readiness?timeout={bad}",
                                             token=False)
            self.assertEqual(status, 400, bad)

    def test_drain_with_a_run_in_flight(self):
        tf = Terraform.initialized(self.sandbox, self.node, "drained", config=SLOW_APPLY)
        cli = tf.popen("apply", "-auto-approve", "-input=false")
        run = self.wait_status("drained", ("applying",))
        code, out, err = strata(self.node, "node", "drain", "--json")
        self.assertEqual(code, 0, err)
        (asked,) = json.loads(out)
        self.assertEqual((asked["drain_status"], asked["active_jobs"]), ("draining", 1))
        time.sleep(1.5)  # the node reads the request at its next heartbeat
        status, body, _ = self.node.request("GET", "/api/v1/health/readiness", token=False)
        self.assertEqual((status, body["checks"]["task-worker"]), (503, "draining"))
        # the run in flight finishes
        out = cli.communicate(timeout=120)[0]
        self.assertEqual(cli.returncode, 0, out)
        self.assertEqual(self.run_of("drained")["id"], run["id"])
        self.assertEqual(self.own()["drain_status"], "standby")
        # a drained node takes no new job: the next run waits in the queue
        cli = tf.popen("apply", "-auto-approve", "-input=false", "-var", "n=2")
        waiting = self.wait_status("drained", ("plan_queued",))
        time.sleep(3)
        self.assertEqual(self.run_of("drained")["attributes"]["status"], "plan_queued")
        code, out, err = strata(self.node, "node", "resume")
        self.assertEqual(code, 0, err)
        self.assertIn(" ok ", out)
        out = cli.communicate(timeout=120)[0]
        self.assertEqual(cli.returncode, 0, out)
        self.assertEqual(self.run_of("drained")["id"], waiting["id"])
        self.assertEqual(self.run_of("drained")["attributes"]["status"], "applied")
        status, _, _ = self.node.request("GET", "/api/v1/health/readiness", token=False)
        self.assertEqual(status, 200)

    def scrape(self):
        """{(name, frozenset(labels)): value} from GET /metrics, every line checked."""
        conn = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=30)
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        self.assertTrue(r.getheader("Content-Type").startswith("text/plain; version=0.0.4"))
        text = r.read().decode()
        conn.close()
        series = {}
        for ln in text.splitlines():
            if ln.startswith("#"):
                self.assertRegex(ln, r"^# (HELP|TYPE) [a-z_]+ ")
                continue
            m = re.fullmatch(r'([a-z_]+)\{((?:[a-z_]+="[^"]*",?)*)\} (-?[0-9.e+]+|\+Inf)', ln)
            self.assertIsNotNone(m, ln)
            labels = dict(re.findall(r'([a-z_]+)="([^"]*)"', m.group(2)))
            self.assertIn("node", labels, ln)
            series[(m.group(1), frozenset(labels.items()))] = float(m.group(3))
        return series

    def find(self, series, name, **labels):
        return [v for (n, ls), v in series.items()
                if n == name and all((k, v2) in ls for k, v2 in labels.items())]

    def test_metrics(self):
        me = self.own()["name"]
        tf = Terraform.initialized(self.sandbox, self.node, "metered")
        tf.run("apply", "-auto-approve", "-input=false")
        for _ in range(3):
            self.node.api("GET", "/api/v2/organizations/acme/workspaces/metered")
        self.assertEqual(self.node.request("GET", "/api/v2/nowhere")[0], 404)
        s = self.scrape()
        got = self.find(s, "strata_http_request_seconds_count", node=me,
                        route="/api/v2/organizations/:org/workspaces/:name", method="GET",
                        status="200")
        self.assertEqual(len(got), 1)
        self.assertGreaterEqual(got[0], 3)
        self.assertTrue(self.find(s, "strata_http_request_seconds_count", route="unmatched",
                                  status="404"))
        buckets = sorted((dict(ls)["le"], v) for (n, ls), v in s.items()
                         if n == "strata_http_request_seconds_bucket"
                         and ("route", "/api/v2/organizations/:org/workspaces/:name") in ls
                         and ("status", "200") in ls)
        self.assertEqual(max(v for _, v in buckets), got[0], "+Inf bucket is the count")
        self.assertGreater(self.find(s, "strata_database_statement_seconds_count", node=me)[0], 10)
        self.assertGreater(self.find(s, "strata_blob_seconds_count", operation="commit")[0], 0)
        self.assertGreaterEqual(self.find(s, "strata_run_phase_seconds_count", phase="plan")[0], 1)
        self.assertGreaterEqual(self.find(s, "strata_run_phase_seconds_count", phase="apply")[0], 1)
        self.assertGreaterEqual(self.find(s, "strata_run_queue_wait_seconds_count", phase="plan")[0], 1)
        self.assertGreaterEqual(self.find(s, "strata_run_queue_wait_seconds_count", phase="apply")[0], 1)
        self.assertGreaterEqual(self.find(s, "strata_runs", status="applied")[0], 1)
        self.assertEqual(self.find(s, "strata_run_queue_depth", node=me), [0])
        self.assertEqual(self.find(s, "strata_node_jobs", node=me), [0])
        self.assertEqual(self.find(s, "strata_node_draining", node=me), [0])
        self.assertGreater(self.find(s, "strata_process_resident_memory_bytes", node=me)[0], 1e6)
        if self.sandbox.external:
            self.assertGreater(self.find(s, "strata_redis_command_seconds_count", node=me)[0], 0)
        conn = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=30)
        conn.request("GET", "/other")
        self.assertEqual(conn.getresponse().status, 404)
        conn.close()

    def test_health_while_redis_stops_and_starts(self):
        if not self.sandbox.external:
            self.skipTest("an embedded node has no Redis (the external run covers this)")
        redis = self.sandbox.redis()
        redis.stop()
        try:
            status, body = self.node.health_until(503, "/_health_check?full=1")
            self.assertEqual(status, 503)
            self.assertNotEqual(body["components"]["queue"]["status"], "ok")
            self.assertEqual(body["components"]["database"]["status"], "ok")
            status, body, _ = self.node.request("GET", "/api/v1/health/readiness", token=False)
            self.assertEqual((status, body["status"]), (503, "not_ready"))
            status, _, _ = self.node.request("GET", "/api/v1/health/liveness", token=False)
            self.assertEqual(status, 200, "alive: it recovers by itself")
        finally:
            redis.start()
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.node.request("GET", "/_health_check", token=False)[0] == 200:
                break
            time.sleep(0.1)
        self.assertEqual(self.node.request("GET", "/api/v1/health/readiness", token=False)[0], 200)

    def test_json_logs_with_request_ids(self):
        sb = Sandbox("ops-logs")
        try:
            n = sb.node(settings={"log_format": "json"})
            status, _, headers = n.request("GET", "/api/v2/account/details",
                                           headers={"X-Request-Id": "lb-req-42"})
            self.assertEqual((status, headers["X-Request-Id"]), (200, "lb-req-42"))
            _, _, headers = n.request("GET", "/api/v2/ping")
            self.assertRegex(headers["X-Request-Id"], r"^[A-Za-z0-9]{20}$")
            _, _, headers = n.request("GET", "/api/v2/ping", headers={"X-Request-Id": "a b<c>"})
            self.assertRegex(headers["X-Request-Id"], r"^[A-Za-z0-9]{20}$", "not echoed")
            name = n.request("GET", "/_health_check?full=1", token=False)[1]["node"]
            self.assertEqual(n.stop(), 0)
            with open(n.log_path) as f:
                lines = [json.loads(ln) for ln in f if ln.startswith("{")]
            self.assertGreater(len(lines), 5)
            for ln in lines:
                self.assertEqual(set(ln) - {"request_id"},
                                 {"@timestamp", "@level", "@message", "node"}, ln)
                self.assertEqual(ln["node"], name)
            tagged = [ln for ln in lines if ln.get("request_id") == "lb-req-42"]
            self.assertTrue(any("GET /api/v2/account/details 200" in ln["@message"]
                                for ln in tagged), tagged)
        finally:
            sb.close()

    def test_support_bundle_has_no_secret(self):
        out = os.path.join(self.sandbox.root, "bundle.tar.gz")
        p = subprocess.run([STRATA_BIN, "support-bundle", "--config", self.node.config,
                            "--output", out], capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        with tarfile.open(out) as t:
            files = {m.name: t.extractfile(m).read() for m in t.getmembers()}
        self.assertLessEqual({"settings.json", "version.txt", "health.json", "nodes.json",
                              "node-status.json", "terraform-version.txt", "strata.log"},
                             set(files))
        settings = json.loads(files["settings.json"])
        self.assertEqual(settings["enc_password"], {"value": "(redacted)"})
        self.assertEqual(settings["hostname"]["value"], self.node.settings["hostname"])
        secrets = [self.node.settings["enc_password"]]
        if self.sandbox.external:
            # (the S3 test server's secret key is its access key id, which is not a secret)
            secrets += [self.node.settings["pg_password"], self.node.settings["redis_pass"]]
            for key in ("pg_password", "aws_secret_access_key", "redis_pass"):
                self.assertEqual(settings[key], {"value": "(redacted)"})
        for blob in files.values():
            for secret in secrets:
                self.assertNotIn(secret.encode(), blob)
        self.assertEqual(json.loads(files["health.json"])["status"], "ok")
        self.assertEqual([n["name"] for n in json.loads(files["nodes.json"])
                          if n["state"] == "active"], [self.own()["name"]])
        self.assertEqual(json.loads(files["node-status.json"])["state"], "started")
        self.assertIn(b"Terraform v1.11.4", files["terraform-version.txt"])

    def test_drain_wait_returns_at_standby(self):
        code, out, err = strata(self.node, "node", "drain", "--wait")
        self.assertEqual(code, 0, err)
        self.assertIn("standby", out)
        self.assertEqual(strata(self.node, "node", "resume")[0], 0)
        self.assertEqual(self.own()["drain_status"], "ok")

    def test_cli_refuses_unknown_nodes_and_bad_arguments(self):
        code, _, err = strata(self.node, "node", "drain", "--node", "no-such-node:1")
        self.assertEqual(code, 1)
        self.assertIn("no node no-such-node:1", err)
        code, _, err = strata(self.node, "node", "drain", "--node", "x", "--all")
        self.assertEqual(code, 2)
        self.assertIn("usage", err)
        code, out, _ = strata(self.node, "node", "list")
        self.assertEqual(code, 0)
        self.assertTrue(out.startswith("NAME"))
        self.assertIn(self.own()["name"], out)

    def test_nodes_api_for_site_admins(self):
        me = self.own()["name"]
        body = self.node.api("GET", "/api/v1/nodes")
        self.assertEqual(body, {"data": [me], "links": {"self": "/api/v1/nodes"}})
        org_token = self.node.api("POST", "/api/v2/organizations/acme/authentication-token",
                                  {"data": {"type": "authentication-tokens"}})
        org_token = org_token["data"]["attributes"]["token"]
        for method, path in (("GET", "/api/v1/nodes"), ("GET", "/api/v1/nodes/drain-status"),
                             ("POST", "/api/v1/nodes/drain")):
            status, _, _ = self.node.request(method, path, {"all": True}, token=org_token)
            self.assertEqual(status, 404, path)
        status, _, _ = self.node.request("GET", "/api/v1/nodes", token=False)
        self.assertEqual(status, 401)
        for bad in ({}, {"node": 3}, {"all": "yes"}, {"node": me, "all": True}):
            status, _, _ = self.node.request("POST", "/api/v1/nodes/drain", bad)
            self.assertEqual(status, 422, bad)
        status, _, _ = self.node.request("POST", "/api/v1/nodes/drain", {"node": "nope:1"})
        self.assertEqual(status, 404)
        body = self.node.api("POST", "/api/v1/nodes/drain", {"node": me})
        (st,) = [n for n in body["data"] if n["node_id"] == me]
        self.assertEqual((st["status"], st["active_tasks_count"]), ("standby", 0))
        body = self.node.api("POST", "/api/v1/nodes/resume", {"all": True})
        (st,) = [n for n in body["data"] if n["node_id"] == me]
        self.assertEqual(st["status"], "ok")


if __name__ == "__main__":
    main()
