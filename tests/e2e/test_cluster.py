"""Active/active: three nodes behind HAProxy sharing PostgreSQL, S3 (behind the SigV4 check) and
Redis, driven by the real terraform CLI through the balancer. Nodes are killed with SIGKILL while
they plan and apply, Redis restarts empty, a node joins while runs go on; afterwards every run,
state version and log is there."""
import http.server
import json
import os
import signal
import subprocess
import threading
import time
import unittest

import services
from harness import SIMPLE_CONFIG, STRATA_BIN, Node, Sandbox, Terraform, main

LB_PORT_NODES = 4

SLOW_APPLY = SIMPLE_CONFIG + '''
resource "terraform_data" "slow" {
  input = var.n
  provisioner "local-exec" {
    command = "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo tick $i; sleep 1; done"
  }
}
'''

SLOW_PLAN = SIMPLE_CONFIG + '''
data "terraform_remote_state" "slow" {
  backend = "http"
  config = {
    address = "http://127.0.0.1:%d/state"
  }
}
'''


class FirstCallSlow(http.server.BaseHTTPRequestHandler):
    """An HTTP state backend whose first answer takes a minute, later ones none: the plan of a
    node that is killed while waiting on it is long, the plan run again elsewhere is short."""
    calls = 0

    def do_GET(self):
        FirstCallSlow.calls += 1
        if FirstCallSlow.calls == 1:
            time.sleep(60)
        body = b'{"version": 4, "serial": 1, "lineage": "x", "outputs": {}, "resources": []}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class Cluster:
    """PostgreSQL, S3, Redis, a balancer and up to four nodes sharing them."""

    def __init__(self, name, nodes=3, extra=None, before_start=None, token=None):
        """before_start(node): called with a node not started yet, its settings those of the
        cluster (a restore fills the services then); token: the admin's, when the data has one
        (no first admin is made then)."""
        self.sandbox = Sandbox(name, external=True)
        self.ports = [services.free_port() for _ in range(LB_PORT_NODES)]
        self.lb = services.HAProxy(os.path.join(self.sandbox.root, "lb"), self.ports)
        self.sandbox.services["lb"] = self.lb
        self.common = {"hostname": f"localhost:{self.lb.port}", "enable_active_active": "1",
                       "trusted_proxies": f"{services.HAProxy.SOURCE}/32"}
        self.common.update(self.sandbox.postgres().settings("cluster"))
        self.common.update(extra or {})
        self.nodes = []
        if before_start:
            before_start(Node(self.sandbox, "setup", dict(self.common)))
        for i in range(nodes):
            self.add_node()
        if token:
            self.nodes[0].token = token
        else:
            self.nodes[0].create_admin()
        for n in self.nodes[1:]:
            n.token = self.nodes[0].token
        # the balancer as a client sees it: requests and terraform go through it
        self.front = Node(self.sandbox, "front", dict(self.common), port=self.lb.port)
        self.front.token = self.nodes[0].token
        self.wait_balanced()

    def add_node(self):
        i = len(self.nodes)
        n = Node(self.sandbox, f"n{i}", dict(self.common), port=self.ports[i])
        self.sandbox.nodes.append(n)
        n.start()
        if self.nodes:
            n.token = self.nodes[0].token
        self.nodes.append(n)
        return n

    def add_node_stopped(self):
        """A node of the cluster's settings on a free port, not started (nor balanced)."""
        n = Node(self.sandbox, f"extra{len(self.sandbox.nodes)}", dict(self.common))
        self.sandbox.nodes.append(n)
        return n

    def wait_balanced(self, timeout=20):
        """Until the balancer answers (its health checks have seen the nodes)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.front.request("GET", "/_health_check", token=False)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("the balancer does not answer")

    def sql(self, query):
        return self.sandbox.postgres().psql(query, "cluster")

    def node_of_run(self, run_id):
        name = self.sql(f"SELECT COALESCE(node, '') FROM runs WHERE id = '{run_id}'")
        for n in self.nodes:
            if name.endswith(f":{n.port}"):
                return n
        return None

    def close(self):
        self.sandbox.close()


class ClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # the slow state server listens on the nodes' loopback: runs reach it through
        # run_host_ports only
        cls.slow_port = services.free_port()
        cls.c = Cluster("cluster", extra={"run_host_ports": str(cls.slow_port)})
        cls.front = cls.c.front
        cls.front.create_org("acme")

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def tf(self, name, config=SIMPLE_CONFIG):
        return Terraform.initialized(self.c.sandbox, self.front, name, config=config)

    def runs(self, ws_name):
        ws = self.front.api("GET", f"/api/v2/organizations/acme/workspaces/{ws_name}")["data"]
        return self.front.api("GET", f"/api/v2/workspaces/{ws['id']}/runs")["data"], ws

    def wait_run(self, ws_name, statuses, timeout=120, count=1):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                runs, _ = self.runs(ws_name)
            except Exception:  # noqa: BLE001 — the workspace may not exist yet
                runs = []
            if len(runs) >= count and runs[0]["attributes"]["status"] in statuses:
                return runs[0]
            time.sleep(0.2)
        self.fail(f"{ws_name}: no run reached {statuses}: {runs and runs[0]['attributes']}")

    def log_path(self, run, phase):
        pid = run["relationships"][phase]["data"]["id"]
        kind = {"plan": "plans", "apply": "applies"}[phase]
        url = self.front.api("GET", f"/api/v2/{kind}/{pid}")["data"]["attributes"]["log-read-url"]
        return url.split(self.front.settings["hostname"], 1)[1]

    def log_from(self, node, path):
        status, body, _ = node.request("GET", path, token=False, raw=True)
        self.assertEqual(status, 200)
        return body.decode("utf-8", "replace")

    def restart(self, node):
        node.proc.wait()
        node.log.close()
        node.start()

    def setUp(self):
        for n in self.c.nodes:  # a test that failed may have left a node killed or stopped
            if n.proc is None:
                n.start()
            elif n.proc.poll() is not None:
                self.restart(n)

    def test_any_node_serves_any_request_and_every_log(self):
        tf = self.tf("spread")
        out = tf.run("apply", "-auto-approve", "-input=false")
        self.assertIn("Apply complete! Resources: 1 added", out.stdout)
        run = self.wait_run("spread", ("applied",))
        for phase in ("plan", "apply"):
            logs = {self.log_from(n, self.log_path(run, phase)) for n in self.c.nodes}
            self.assertEqual(len(logs), 1, "every node serves the same log")
        _, ws = self.runs("spread")
        for n in self.c.nodes:
            sv = n.api("GET", f"/api/v2/workspaces/{ws['id']}/current-state-version")["data"]
            self.assertEqual(sv["attributes"]["serial"], 1)
        names = self.c.sql("SELECT name || ' ' || state FROM nodes ORDER BY name").split("\n")
        self.assertEqual(len(names), 3, names)
        self.assertTrue(all(n.endswith(" active") for n in names), names)
        verified, refused, why = self.c.sandbox.s3().signatures()
        self.assertGreater(verified, 10)
        self.assertEqual(refused, 0, why)

    def test_operations_commands_see_the_whole_cluster(self):
        names = {f"{n.port}" for n in self.c.nodes}
        for n in self.c.nodes:
            p = subprocess.run([STRATA_BIN, "app", "status", "--config", n.config],
                               capture_output=True, text=True, check=True)
            (st,) = json.loads(p.stdout)
            self.assertEqual((st["State"], st["IsTransitioning"]), ("started", False))
            p = subprocess.run([STRATA_BIN, "node", "list", "--json", "--config", n.config],
                               capture_output=True, text=True, check=True)
            active = {x["name"].rsplit(":", 1)[1] for x in json.loads(p.stdout)
                      if x["state"] == "active"}
            self.assertEqual(active, names, "every node lists every node")
            status, body, _ = n.request("GET", "/api/v1/health/readiness", token=False)
            self.assertEqual((status, body["status"]), (200, "ready"))
            status, body, _ = n.request("GET", "/_health_check?full=1", token=False)
            self.assertTrue(body["node"].endswith(f":{n.port}"))
        ids = self.front.api("GET", "/api/v1/nodes")["data"]
        self.assertEqual({i.rsplit(":", 1)[1] for i in ids}, names)
        (st,) = set(json.loads(subprocess.run(
            [STRATA_BIN, "app", "status", "--config", n.config], capture_output=True, text=True,
            check=True).stdout)[0]["AppID"] for n in self.c.nodes)
        self.assertEqual(len(st), 32, "one AppID for the deployment")

    def test_drain_lets_the_run_finish_and_sends_new_runs_elsewhere(self):
        tf = self.tf("drain", SLOW_APPLY)
        cli = tf.popen("apply", "-auto-approve", "-input=false")
        run = self.wait_run("drain", ("applying",))
        busy = self.c.node_of_run(run["id"])
        name = self.c.sql(f"SELECT node FROM runs WHERE id = '{run['id']}'")
        # from another node, over the API, as a site admin
        other = next(n for n in self.c.nodes if n is not busy)
        body = other.api("POST", "/api/v1/nodes/drain", {"node": name})
        (st,) = [n for n in body["data"] if n["node_id"] == name]
        self.assertEqual((st["status"], st["active_tasks_count"]), ("draining", 1))
        try:
            out = cli.communicate(timeout=180)[0]
            self.assertEqual(cli.returncode, 0, out)
            self.assertEqual(self.wait_run("drain", ("applied",))["id"], run["id"])
            p = subprocess.run([STRATA_BIN, "node", "list", "--json", "--config", busy.config],
                               capture_output=True, text=True, check=True)
            listed = {n["name"]: n for n in json.loads(p.stdout)}
            self.assertEqual(listed[name]["drain_status"], "standby")
            self.assertEqual(sorted(n["drain_status"] for n in listed.values()),
                             ["ok", "ok", "standby"])
            for i in range(3):  # new runs go to the other nodes
                tf.run("apply", "-auto-approve", "-input=false", f"-var=n=drain{i}")
                newest = self.wait_run("drain", ("applied",), count=2 + i)
                owner = self.c.node_of_run(newest["id"])
                self.assertIsNotNone(owner)
                self.assertIsNot(owner, busy)
        finally:
            other.api("POST", "/api/v1/nodes/resume", {"all": True})

    def test_a_token_deleted_on_one_node_stops_on_every_node(self):
        n0, n1, n2 = self.c.nodes[:3]
        tok = n0.api("POST", "/api/v2/users/" + n0.api("GET", "/api/v2/account/details")[
            "data"]["id"] + "/authentication-tokens", {"data": {
                "type": "authentication-tokens", "attributes": {"description": "x"}}})["data"]
        secret = tok["attributes"]["token"]
        for n in (n0, n1, n2):  # every node resolves it, and remembers it
            for _ in range(3):
                self.assertEqual(n.request("GET", "/api/v2/account/details", token=secret)[0], 200)
        n0.api("DELETE", f"/api/v2/authentication-tokens/{tok['id']}")
        deadline = time.time() + 2
        refused = set()
        while time.time() < deadline and len(refused) < 3:
            for i, n in enumerate((n0, n1, n2)):
                if n.request("GET", "/api/v2/account/details", token=secret)[0] == 401:
                    refused.add(i)
        self.assertEqual(refused, {0, 1, 2}, "every node forgets a deleted token at once")
        self.assertEqual(n0.request("GET", "/api/v2/account/details", token=secret)[0], 401)

    def test_a_workspace_changed_on_one_node_reads_changed_on_every_node(self):
        """Nodes answer workspace reads from memory; a change through any node is what every
        other node answers next, by id and by name; with Redis away they ask the database."""
        nodes = self.c.nodes[:3]
        ws = nodes[0].create_workspace("acme", "cached")
        path = f"/api/v2/workspaces/{ws['id']}"

        def attrs(node, p=path):
            return node.api("GET", p)["data"]["attributes"]

        def behind_strata(description):  # a change no node is told of
            self.c.sql(f"UPDATE workspaces SET description = '{description}' "
                       f"WHERE id = '{ws['id']}'")

        for n in nodes:
            attrs(n)
        behind_strata("behind")
        self.assertNotEqual(attrs(nodes[1])["description"], "behind", "served from memory")
        for i in range(60):
            writer, reader = nodes[i % 3], nodes[(i + 1) % 3]
            writer.api("PATCH", path, {"data": {"type": "workspaces", "attributes": {
                "description": f"d{i}"}}})
            self.assertEqual(attrs(reader)["description"], f"d{i}")
            self.assertEqual(attrs(reader, "/api/v2/organizations/acme/workspaces/cached")[
                "description"], f"d{i}")
            writer.api("POST", path + "/actions/lock", {"reason": f"r{i}"})
            self.assertTrue(attrs(reader)["locked"])
            reader.api("POST", path + "/actions/unlock")
            self.assertFalse(attrs(writer)["locked"])
        nodes[0].api("PATCH", path, {"data": {"type": "workspaces", "attributes": {
            "name": "renamed"}}})
        self.assertEqual(nodes[1].request(
            "GET", "/api/v2/organizations/acme/workspaces/cached")[0], 404)
        self.assertEqual(attrs(nodes[2], "/api/v2/organizations/acme/workspaces/renamed")[
            "name"], "renamed")
        # Redis away: no invalidation can come, so nothing is served from memory
        attrs(nodes[1])
        self.c.sandbox.redis().stop()
        try:
            behind_strata("while redis is away")
            deadline = time.time() + 5
            while attrs(nodes[1])["description"] != "while redis is away":
                self.assertLess(time.time(), deadline, "a node without Redis answers from memory")
                time.sleep(0.1)
        finally:
            self.c.sandbox.redis().start()
        # and what no node was told of is forgotten after 10 s at most
        deadline = time.time() + 5
        while nodes[2].request("GET", "/_health_check?full=1", token=False)[0] != 200:
            self.assertLess(time.time(), deadline)
            time.sleep(0.2)
        attrs(nodes[2])
        attrs(nodes[2])
        behind_strata("expired")
        time.sleep(10.5)
        self.assertEqual(attrs(nodes[2])["description"], "expired")

    def test_local_execution_state_through_the_balancer(self):
        self.front.api("POST", "/api/v2/organizations/acme/workspaces", {"data": {
            "type": "workspaces", "attributes": {"name": "local", "execution-mode": "local"}}})
        tf = self.tf("local")
        for n in ("1", "2", "3"):
            tf.run("apply", "-auto-approve", "-input=false", f"-var=n={n}")
        pulled = json.loads(tf.run("state", "pull").stdout)
        self.assertEqual(pulled["serial"], 3)
        _, ws = self.runs("local")
        for n in self.c.nodes:
            svs = n.api("GET", f"/api/v2/workspaces/{ws['id']}/state-versions")["data"]
            self.assertEqual(len(svs), 3)

    def test_a_log_is_followed_live_from_another_node(self):
        tf = self.tf("live", SLOW_APPLY)
        cli = tf.popen("apply", "-auto-approve", "-input=false")
        run = self.wait_run("live", ("applying",))
        deadline = time.time() + 30
        seen = ""
        while time.time() < deadline and "tick 3" not in seen:
            runner = self.c.node_of_run(run["id"])
            other = next(n for n in self.c.nodes if n is not runner)
            seen = self.log_from(other, self.log_path(run, "apply"))
            time.sleep(0.3)
        self.assertIn("tick 3", seen)
        self.assertNotIn("\x03", seen, "read while the apply was still running")
        self.assertEqual(cli.wait(timeout=120), 0, cli.stdout.read())
        final = self.log_from(other, self.log_path(run, "apply"))
        self.assertTrue(final.startswith(seen[:len(seen) - 1]))
        self.assertIn("tick 12", final)

    def plan_then_lose_its_node(self, ws, lose):
        """Starts an apply whose plan waits on a slow state server, calls lose(node) on the node
        planning it, and checks that another node finishes the run; returns (node, seconds from
        the loss to the applied run)."""
        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.slow_port), FirstCallSlow)
        FirstCallSlow.calls = 0
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            tf = self.tf(ws, SLOW_PLAN % server.server_address[1])
            cli = tf.popen("apply", "-auto-approve", "-input=false")
            run = self.wait_run(ws, ("planning",))
            deadline = time.time() + 20
            while FirstCallSlow.calls == 0 and time.time() < deadline:
                time.sleep(0.1)
            victim = self.c.node_of_run(run["id"])
            self.assertIsNotNone(victim)
            lost_at = time.time()
            lose(victim)
            out = cli.communicate(timeout=180)[0]
            self.assertEqual(cli.returncode, 0, out)
            self.assertIn("Apply complete!", out)
            self.assertEqual(self.wait_run(ws, ("applied",))["id"], run["id"])
            self.assertIsNot(self.c.node_of_run(run["id"]), victim)
            return victim, time.time() - lost_at
        finally:
            server.shutdown()
            server.server_close()  # the next test listens on the same port

    def test_kill_the_node_planning_and_another_finishes_the_run(self):
        victim, took = self.plan_then_lose_its_node(
            "replan", lambda n: n.proc.send_signal(signal.SIGKILL))
        print(f"plan taken back and finished {took:.1f} s after kill -9", flush=True)
        self.restart(victim)

    def test_a_node_stopped_while_planning_hands_the_plan_over(self):
        """An auto scaling group scales in: the node gets SIGTERM and never comes back."""
        victim, took = self.plan_then_lose_its_node(
            "scalein", lambda n: self.assertEqual(n.stop(), 0))
        self.assertEqual(self.c.sql(f"SELECT state FROM nodes WHERE name LIKE '%:{victim.port}'"),
                         "stopped")
        print(f"plan handed over and finished {took:.1f} s after SIGTERM", flush=True)
        victim.start()

    def test_kill_the_node_applying_errors_the_run_and_frees_the_workspace(self):
        tf = self.tf("halfway", SLOW_APPLY)
        cli = tf.popen("apply", "-auto-approve", "-input=false")
        run = self.wait_run("halfway", ("applying",))
        deadline = time.time() + 30
        while time.time() < deadline:
            victim = self.c.node_of_run(run["id"])
            if victim and "tick 2" in self.log_from(victim, self.log_path(run, "apply")):
                break
            time.sleep(0.2)
        victim.proc.send_signal(signal.SIGKILL)
        cli.communicate(timeout=180)
        self.assertNotEqual(cli.returncode, 0)
        errored = self.wait_run("halfway", ("errored",), timeout=60)
        self.assertEqual(errored["id"], run["id"])
        _, ws = self.runs("halfway")
        self.assertFalse(ws["attributes"]["locked"])
        log = self.log_from(self.front, self.log_path(run, "apply"))
        self.assertIn("tick 1", log, "the log written before the kill is kept")
        self.assertIn("stopped", log)
        self.assertTrue(log.endswith("\x03"))
        self.restart(victim)
        # the workspace takes new runs: the next apply creates what the cut one did not
        out = tf.run("apply", "-auto-approve", "-input=false").stdout
        self.assertIn("Apply complete!", out)

    def test_redis_restarting_empty_loses_no_run(self):
        tf = self.tf("redisgone", SLOW_APPLY)
        cli = tf.popen("apply", "-auto-approve", "-input=false")
        run = self.wait_run("redisgone", ("applying",))
        self.c.sandbox.redis().restart_empty()
        out = cli.communicate(timeout=180)[0]
        self.assertEqual(cli.returncode, 0, out)
        log = self.log_from(self.front, self.log_path(run, "apply"))
        self.assertIn("tick 1", log)
        self.assertIn("tick 12", log)
        # a run asked for while Redis is away is queued again by the janitor once it is back
        other = self.tf("redisaway")
        self.c.sandbox.redis().stop()
        cli = other.popen("apply", "-auto-approve", "-input=false")
        time.sleep(1.5)
        self.c.sandbox.redis().start()
        out = cli.communicate(timeout=180)[0]
        self.assertEqual(cli.returncode, 0, out)
        self.assertIn("Apply complete!", out)

    def test_zz_a_node_joins_while_runs_go_on(self):
        tfs = [self.tf(f"join{i}", SLOW_APPLY) for i in range(2)]
        clis = [tf.popen("apply", "-auto-approve", "-input=false") for tf in tfs]
        n = self.c.add_node()
        self.assertEqual(n.request("GET", "/_health_check", token=False)[0], 200)
        for cli in clis:
            out = cli.communicate(timeout=180)[0]
            self.assertEqual(cli.returncode, 0, out)
        for i in range(3):
            self.assertIn("Apply complete!", self.tf(f"after{i}").run(
                "apply", "-auto-approve", "-input=false").stdout)
        names = self.c.sql("SELECT COUNT(*) FROM nodes WHERE state = 'active'")
        self.assertEqual(names, "4")


if __name__ == "__main__":
    main()
