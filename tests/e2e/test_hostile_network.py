"""A hostile member and the network (issue 22, item 6): a run's provisioner tries the node's
loopback listeners (one the test opens, the metrics port, Redis in external mode), the node's own
address and the cloud metadata address, and reaches none of them, while the run reaches the API
by its hostname (it needs it for its state); a workspace admin's generic notification to a
loopback listener is refused at connect time with an error naming the setting that allows it,
nothing is delivered and open and closed ports look alike; with the setting listing the range
it is delivered, and a redirect from an allowed destination to a refused one is not followed; a
node that cannot give runs a network of their own refuses them unless a setting allows it."""
import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import unittest

from harness import NO_RUN_NETWORK, NO_SANDBOX, TERRAFORM, NodeTest, Sandbox, free_port, main, make_slug
from test_run_isolation import Runs

PASSWORD = "a long enough password"
SECRET = "internal-service-secret-5d1c"

# The provisioner's probe: one TCP connection per "host:port" argument, its outcome printed.
PROBE = r'''
import socket, sys
for target in sys.argv[1:]:
    host, port = target.rsplit(":", 1)
    try:
        s = socket.create_connection((host.strip("[]"), int(port)), timeout=4)
        s.close()
        print("REACHED", target)
    except OSError as e:
        print("BLOCKED", target, e)
print("PROBE DONE")
'''


class Listener(http.server.ThreadingHTTPServer):
    """An internal service: records every request and answers a secret (or a redirect)."""

    def __init__(self, host="127.0.0.1", redirect=None):
        self.requests = []
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                listener.requests.append((self.path, body))
                if redirect:
                    self.send_response(307)
                    self.send_header("Location", redirect)
                    self.end_headers()
                    return
                self.send_response(200)
                self.end_headers()
                self.wfile.write(SECRET.encode())

            def log_message(self, *args):
                pass

        super().__init__((host, 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def url(self, host=None):
        return f"http://{host or self.server_address[0]}:{self.server_address[1]}/hook"


def doc(type_, **attrs):
    return {"data": {"type": type_, "attributes": attrs}}


def workspace_admin(node, org, ws):
    """A user whose only right is admin access to ws, and their token."""
    user = node.api("POST", "/api/v2/admin/users", doc(
        "users", username="wsadmin", email="wsadmin@example.test", password=PASSWORD))["data"]
    token = node.api("POST", f"/api/v2/users/{user['id']}/authentication-tokens",
                     doc("authentication-tokens"))["data"]["attributes"]["token"]
    team = node.api("POST", f"/api/v2/organizations/{org}/teams",
                    doc("teams", name="ws-admins", visibility="secret"))["data"]
    node.api("POST", f"/api/v2/teams/{team['id']}/relationships/users",
             {"data": [{"type": "users", "id": "wsadmin"}]})
    for m in node.api("GET", "/api/v2/organization-memberships?filter%5Bstatus%5D=invited",
                      token=token)["data"]:
        node.api("POST", f"/api/v2/organization-memberships/{m['id']}/actions/accept", token=token)
    node.api("POST", "/api/v2/team-workspaces", {"data": {
        "type": "team-workspaces", "attributes": {"access": "admin"}, "relationships": {
            "workspace": {"data": {"type": "workspaces", "id": ws["id"]}},
            "team": {"data": {"type": "teams", "id": team["id"]}}}}})
    return token


class NotificationTest(NodeTest):
    sandbox_name = "hostile-notify"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.node.create_org("acme")
        cls.ws = cls.node.create_workspace("acme", "w")
        cls.token = workspace_admin(cls.node, "acme", cls.ws)
        cls.listener = Listener()

    @classmethod
    def tearDownClass(cls):
        cls.listener.shutdown()
        super().tearDownClass()

    def configure(self, url, name):
        return self.node.api("POST", f"/api/v2/workspaces/{self.ws['id']}/notification-configurations",
                             doc("notification-configurations", name=name, url=url, enabled=True,
                                 **{"destination-type": "generic", "triggers": ["run:created"]}),
                             token=self.token)["data"]

    def verify(self, config):
        return self.node.request(
            "POST", f"/api/v2/notification-configurations/{config['id']}/actions/verify", {},
            token=self.token)

    def test_internal_destinations_are_refused_and_say_which_setting(self):
        closed = free_port()
        port = self.listener.server_address[1]
        details = {}
        for name, url in (("open", self.listener.url()),
                          ("closed", f"http://127.0.0.1:{closed}/hook"),
                          ("by-name", f"http://localhost:{port}/hook"),
                          ("v4-mapped", f"http://[::ffff:127.0.0.1]:{port}/hook"),
                          ("ipv6", f"http://[::1]:{port}/hook"),
                          ("metadata", "http://169.254.169.254/latest/meta-data/"),
                          ("unspecified", f"http://0.0.0.0:{port}/hook")):
            config = self.configure(url, name)
            status, body, _ = self.verify(config)
            text = json.dumps(body)
            self.assertEqual(status, 422, (name, body))
            self.assertIn("allowed_internal_cidrs", text, name)
            self.assertNotIn(SECRET, text, name)
            details[name] = body["errors"][0]["detail"]
            # the attempt is in the configuration's history, with the same refusal
            shown = self.node.api("GET", f"/api/v2/notification-configurations/{config['id']}",
                                  token=self.token)["data"]["attributes"]["delivery-responses"]
            self.assertIn("allowed_internal_cidrs", shown[0]["body"], name)
            self.assertFalse(shown[0]["successful"])
        # an open port and a closed one answer alike: no port scanning through the node
        self.assertEqual(details["open"], details["closed"])
        self.assertEqual(self.listener.requests, [])

    def test_a_runs_delivery_to_loopback_is_refused_and_not_retried(self):
        config = self.configure(self.listener.url(), "on-run")
        n = self.node
        cv = n.api("POST", f"/api/v2/workspaces/{self.ws['id']}/configuration-versions",
                   doc("configuration-versions", **{"auto-queue-runs": False}))["data"]
        path = cv["attributes"]["upload-url"].split(n.settings["hostname"], 1)[1]
        status, _, _ = n.request("PUT", path, body=make_slug({"main.tf": b"output \"x\" {\n  value = 1\n}\n"}),
                                 token=False, headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(status, 200)
        n.api("POST", "/api/v2/runs", {"data": {
            "type": "runs", "attributes": {"plan-only": True}, "relationships": {
                "workspace": {"data": {"type": "workspaces", "id": self.ws["id"]}}}}})
        deadline = time.time() + 30
        shown = []
        while time.time() < deadline and not shown:
            shown = self.node.api("GET", f"/api/v2/notification-configurations/{config['id']}",
                                  token=self.token)["data"]["attributes"]["delivery-responses"]
            time.sleep(0.3)
        self.assertTrue(shown, "no delivery was attempted")
        self.assertIn("allowed_internal_cidrs", shown[0]["body"])
        time.sleep(3)  # a retry would come after 1 and 2 s
        shown = self.node.api("GET", f"/api/v2/notification-configurations/{config['id']}",
                              token=self.token)["data"]["attributes"]["delivery-responses"]
        self.assertEqual(len(shown), 1)
        self.assertEqual(self.listener.requests, [])


class AllowedRangeTest(NodeTest):
    """A site admin allows 127.0.0.2/32 only: delivered there, still refused on 127.0.0.1, and a
    redirect from the allowed address to the refused one is not followed."""
    sandbox_name = "hostile-notify-allowed"

    @classmethod
    def setUpClass(cls):
        cls.sandbox = Sandbox(cls.sandbox_name)
        cls.node = cls.sandbox.node(settings={"allowed_internal_cidrs": "127.0.0.2/32"})
        cls.node.create_org("acme")
        cls.ws = cls.node.create_workspace("acme", "w")
        cls.token = workspace_admin(cls.node, "acme", cls.ws)

    def verify(self, url, name):
        config = self.node.api(
            "POST", f"/api/v2/workspaces/{self.ws['id']}/notification-configurations",
            doc("notification-configurations", name=name, url=url, enabled=True,
                **{"destination-type": "generic", "triggers": []}), token=self.token)["data"]
        return self.node.request(
            "POST", f"/api/v2/notification-configurations/{config['id']}/actions/verify", {},
            token=self.token)

    def test_the_allowed_range_is_delivered_and_nothing_else(self):
        inside = Listener()
        allowed = Listener("127.0.0.2")
        hop = Listener("127.0.0.2", redirect=inside.url())
        try:
            status, body, _ = self.verify(allowed.url(), "allowed")
            self.assertEqual(status, 200, body)
            self.assertEqual(len(allowed.requests), 1)
            self.assertTrue(body["data"]["attributes"]["delivery-responses"][0]["successful"])
            status, body, _ = self.verify(inside.url(), "inside")
            self.assertEqual(status, 422, body)
            status, body, _ = self.verify(hop.url(), "redirect")
            self.assertEqual(status, 200, body)
            self.assertEqual(len(hop.requests), 1)
            self.assertFalse(body["data"]["attributes"]["delivery-responses"][0]["successful"])
            self.assertEqual(inside.requests, [])
        finally:
            for s in (inside, allowed, hop):
                s.shutdown()


def own_address():
    """An address of this host's that is not loopback (where a service bound to every address
    answers too), or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.123", 9))  # no packet is sent: only the route is looked up
        addr = s.getsockname()[0]
        return None if addr.startswith("127.") else addr
    except OSError:
        return None
    finally:
        s.close()


class Recorder:
    """A TCP listener on every address that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("0.0.0.0", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self):
        self.sock.close()


@unittest.skipIf(NO_RUN_NETWORK, NO_RUN_NETWORK)
class RunNetworkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sandbox = Sandbox("hostile-run")
        cls.metrics = free_port()
        cls.git = Recorder()  # a service beside the node a site admin lets runs reach
        cls.node = cls.sandbox.node(settings={"metrics_endpoint_enabled": "1",
                                              "metrics_endpoint_port_http": str(cls.metrics),
                                              "run_host_ports": str(cls.git.port)})
        cls.node.create_org("acme")
        cls.runs = Runs(cls.node)

    @classmethod
    def tearDownClass(cls):
        cls.git.close()
        cls.sandbox.close()

    def test_a_run_reaches_the_api_and_nothing_else_of_the_node(self):
        recorder = Recorder()
        api = self.node.settings["hostname"]
        internal = [f"127.0.0.1:{recorder.port}", f"[::1]:{self.metrics}",
                    f"127.0.0.1:{self.metrics}", "169.254.169.254:80"]
        mine = own_address()
        if mine:
            internal.append(f"{mine}:{recorder.port}")
        if self.sandbox.external:
            s = self.node.settings
            internal.append(f"{s['redis_host']}:{s['redis_port']}")
        allowed = f"127.0.0.1:{self.git.port}"
        config = ('resource "terraform_data" "probe" {\n  provisioner "local-exec" {\n'
                  f'    command = "python3 probe.py {api} {allowed} {" ".join(internal)}"\n'
                  '  }\n}\n')
        try:
            ws = self.runs.queue("acme", "probe", {"main.tf": config.encode(),
                                                   "probe.py": PROBE.encode()})
            run = self.runs.wait(ws, ("applied", "errored"), timeout=120)
            _, log = self.runs.log(run, "apply")
            # the run itself used the API by its hostname: its state was uploaded
            self.assertEqual(run["attributes"]["status"], "applied", log[-3000:])
            self.assertIn("PROBE DONE", log)
            self.assertIn(f"REACHED {api}", log)
            self.assertIn(f"REACHED {allowed}", log)  # run_host_ports
            self.assertEqual(self.git.accepted, 1)
            for target in internal:
                self.assertIn(f"BLOCKED {target}", log, log[-3000:])
            self.assertEqual(recorder.accepted, 0)
        finally:
            recorder.close()


@unittest.skipIf(NO_SANDBOX, NO_SANDBOX)
class NoNetworkIsolationTest(unittest.TestCase):
    """A host with bubblewrap but without pasta: PATH holds terraform and bwrap only."""

    def setUp(self):
        self.sandbox = Sandbox("nonetwork")
        self.bin = os.path.join(self.sandbox.root, "bin")
        os.makedirs(self.bin)
        os.symlink(TERRAFORM, os.path.join(self.bin, "terraform"))
        os.symlink(shutil.which("bwrap"), os.path.join(self.bin, "bwrap"))
        # the run's account executes bwrap by this path
        os.chmod(self.sandbox.root, 0o711)
        os.chmod(self.bin, 0o755)

    def tearDown(self):
        self.sandbox.close()

    def node(self, settings):
        node = self.sandbox.node(settings=settings, start=False)
        node.env = {"PATH": self.bin}
        node.start()
        node.create_admin()
        node.create_org("acme")
        return node

    def test_runs_are_refused_with_the_reason(self):
        node = self.node({"allow_shared_run_network": "0"})
        self.assertIn("remote runs are refused on this node: pasta is not installed",
                      node.read_log())
        runs = Runs(node)
        ws = runs.queue("acme", "app", {"main.tf": b'resource "terraform_data" "x" {}\n'})
        run = runs.wait(ws, ("errored", "applied"))
        self.assertEqual(run["attributes"]["status"], "errored")
        self.assertIn("pasta is not installed", runs.log(run, "plan")[1])

    def test_the_shared_network_is_an_explicit_choice(self):
        node = self.node({"allow_shared_run_network": "1"})
        self.assertIn('allow_shared_run_network is "1", so runs share the node\'s network',
                      node.read_log())
        self.assertIn("sandbox: bubblewrap, the host's network", node.read_log())
        runs = Runs(node)
        ws = runs.queue("acme", "app", {"main.tf": b'resource "terraform_data" "x" {}\n'})
        run = runs.wait(ws, ("errored", "applied"))
        self.assertEqual(run["attributes"]["status"], "applied", runs.log(run, "plan")[1])


@unittest.skipIf(os.geteuid() != 0, "sandbox accounts exist only for a root node")
class LeftoverTest(unittest.TestCase):
    """A node killed with runs going leaves their pasta daemons under sandbox accounts: the next
    node to start on the host ends them, and nothing of an account another node holds."""

    def test_leftovers_of_free_accounts_end_at_start(self):
        import fcntl
        free_uid, held_uid = 1900004000, 1900004001  # in the range, far from the usual start
        os.makedirs("/run/strata-sandbox", mode=0o700, exist_ok=True)
        lock = open(f"/run/strata-sandbox/{held_uid}", "a")
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a living sandbox of a node holds it
        procs = {uid: subprocess.Popen(["setpriv", "--reuid", str(uid), "--regid", str(uid),
                                        "--clear-groups", "sleep", "600"])
                 for uid in (free_uid, held_uid)}
        sandbox = Sandbox("leftover")
        try:
            node = sandbox.node()
            # (other leftovers on this host may be counted too)
            self.assertRegex(node.read_log(), r"ended \d+ processes that killed nodes left")
            self.assertEqual(procs[free_uid].wait(timeout=10), -9)
            self.assertIsNone(procs[held_uid].poll())
        finally:
            for p in procs.values():
                p.kill()
                p.wait()
            lock.close()
            sandbox.close()


if __name__ == "__main__":
    main()
