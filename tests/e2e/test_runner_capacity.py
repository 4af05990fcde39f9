"""The runner's limits: capacity_concurrency runs at once across workspaces (the rest wait in
the queue), capacity_memory per terraform process, and API-driven runs queued by an upload."""
import os
import time
import unittest

from harness import Sandbox, Terraform, main, make_slug

# Run inside a run (local-exec): reports what the run's processes can see and do.
PROBE = r'''
import json, os, re, ssl, urllib.request
rc = open(os.environ["TF_CLI_CONFIG_FILE"]).read()
host = re.search(r'credentials "([^"]+)"', rc).group(1)
token = re.search(r'token = "([^"]+)"', rc).group(1)
ctx = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
def call(method, path, body=None):
    req = urllib.request.Request(f"https://{host}{path}", method=method,
                                 data=json.dumps(body).encode() if body else None,
                                 headers={"Authorization": "Bearer " + token,
                                          "Content-Type": "application/vnd.api+json"})
    try:
        with urllib.request.urlopen(req, context=ctx) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None
print("server env:", "present" if "STRATA_SERVER_ONLY" in os.environ else "absent")
print("uid:", os.getuid())
try:
    os.listdir("DISK_PATH")
    print("data folder: readable")
except OSError:
    print("data folder: closed")
print("enc_password in env:", "yes" if any("test enc password" in v for v in os.environ.values()) else "no")
st, doc = call("GET", "/api/v2/organizations/acme/workspaces/probe")
own = doc["data"]["id"] if doc else ""
print("own workspace:", st)
print("other workspace:", call("GET", "/api/v2/workspaces/OTHER_ID")[0])
print("delete own workspace:", call("DELETE", f"/api/v2/workspaces/{own}")[0])
print("create run:", call("POST", "/api/v2/runs", {"data": {"type": "runs", "relationships":
      {"workspace": {"data": {"type": "workspaces", "id": own}}}}})[0])
print("list vars:", call("GET", f"/api/v2/workspaces/{own}/vars")[0])
print("create var:", call("POST", f"/api/v2/workspaces/{own}/vars", {"data": {"type": "vars",
      "attributes": {"key": "x", "value": "y", "category": "env"}}})[0])
print("admin api:", call("GET", "/api/v2/admin/terraform-versions")[0])
'''

CONFIG = b'''
resource "terraform_data" "slow" {
  provisioner "local-exec" {
    command = "sleep 2"
  }
}
'''


class RunnerCapacityTest(unittest.TestCase):
    def setUp(self):
        self.sandbox = Sandbox("capacity")

    def tearDown(self):
        self.sandbox.close()

    def queue_run(self, node, name, config=CONFIG):
        """An API-driven run: a workspace with auto-apply and an upload that queues the run."""
        ws = node.create_workspace("acme", name, **{"auto-apply": True})
        cv = node.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions",
                      {"data": {"type": "configuration-versions"}})["data"]
        path = cv["attributes"]["upload-url"].split(node.settings["hostname"])[1]
        status, doc, _ = node.request("PUT", path, body=make_slug({"main.tf": config}), token=False)
        self.assertEqual(status, 200, doc)
        return ws

    def statuses(self, node, workspaces):
        out = []
        for ws in workspaces:
            runs = node.api("GET", f"/api/v2/workspaces/{ws['id']}/runs")["data"]
            out.append(runs[0]["attributes"]["status"] if runs else "none")
        return out

    def test_concurrency_is_capped(self):
        node = self.sandbox.node(settings={"capacity_concurrency": "2"})
        node.create_org("acme")
        workspaces = [self.queue_run(node, f"cap-{i}") for i in range(5)]
        most = 0
        deadline = time.time() + 120
        while time.time() < deadline:
            cap = node.api("GET", "/api/v2/organizations/acme/capacity")["data"]["attributes"]
            most = max(most, cap["running"])
            self.assertLessEqual(cap["running"], 2)
            if all(s == "applied" for s in self.statuses(node, workspaces)):
                break
            time.sleep(0.1)
        self.assertEqual(self.statuses(node, workspaces), ["applied"] * 5)
        self.assertEqual(most, 2)
        queue = node.api("GET", "/api/v2/organizations/acme/runs/queue")
        self.assertEqual(queue["data"], [])

    def test_memory_limit_applies_to_terraform(self):
        node = self.sandbox.node(settings={"capacity_memory": "4"})
        node.create_org("acme")
        ws = self.queue_run(node, "tiny")
        deadline = time.time() + 60
        while time.time() < deadline and self.statuses(node, [ws])[0] not in ("errored", "applied"):
            time.sleep(0.2)
        runs = node.api("GET", f"/api/v2/workspaces/{ws['id']}/runs")["data"]
        self.assertEqual(runs[0]["attributes"]["status"], "errored")
        plan = node.api("GET", f"/api/v2/plans/{runs[0]['relationships']['plan']['data']['id']}")
        url = plan["data"]["attributes"]["log-read-url"]
        status, log, _ = node.request("GET", url.split(node.settings["hostname"])[1], token=False)
        self.assertIn("memory", log)

    def test_run_environment_and_token_scope(self):
        """What a run's own processes can reach: not the server's environment, and with the run
        token only reads and state writes of their own workspace."""
        os.environ["STRATA_SERVER_ONLY"] = "must-not-leak"
        try:
            node = self.sandbox.node()
        finally:
            del os.environ["STRATA_SERVER_ONLY"]
        node.create_org("acme")
        other = node.create_workspace("acme", "other")
        tf = Terraform(self.sandbox, node, "probe", "acme", workspace="probe")
        with open(os.path.join(tf.dir, "probe.py"), "w") as f:
            f.write(PROBE.replace("OTHER_ID", other["id"])
                    .replace("DISK_PATH", node.settings["disk_path"]))
        tf.write('resource "terraform_data" "p" {\n  provisioner "local-exec" {\n'
                 '    command = "python3 probe.py"\n  }\n}\n')
        tf.run("init", "-input=false")
        out = tf.run("apply", "-auto-approve", "-input=false").stdout
        self.assertIn("server env: absent", out)
        if os.geteuid() == 0:
            # a node running as root runs terraform as nobody, kept out of its data
            self.assertNotIn("uid: 0", out)
            self.assertIn("data folder: closed", out)
        self.assertIn("enc_password in env: no", out)
        self.assertIn("own workspace: 200", out)
        for probe in ("other workspace: 404", "delete own workspace: 404", "create run: 404",
                      "list vars: 200", "create var: 404", "admin api: 404"):
            self.assertIn(probe, out)
        ws = node.api("GET", "/api/v2/organizations/acme/workspaces/probe")["data"]
        self.assertEqual(ws["attributes"]["name"], "probe")

    def test_runs_survive_a_restart(self):
        node = self.sandbox.node(settings={"capacity_concurrency": "1"})
        node.create_org("acme")
        slow = self.queue_run(node, "first", CONFIG.replace(b"sleep 2", b"sleep 30"))
        waiting = self.queue_run(node, "second")
        deadline = time.time() + 30
        while self.statuses(node, [slow])[0] != "applying" and time.time() < deadline:
            time.sleep(0.1)
        first, second = self.statuses(node, [slow, waiting])
        self.assertEqual(first, "applying")
        self.assertIn(second, ("plan_queued", "apply_queued"))  # FIFO: its plan may be done
        self.assertEqual(node.stop(), 0)
        node.start()
        # the cut-short apply is errored (never re-run), the queued plan runs
        deadline = time.time() + 60
        while time.time() < deadline and self.statuses(node, [waiting])[0] != "applied":
            time.sleep(0.2)
        self.assertEqual(self.statuses(node, [slow, waiting]), ["errored", "applied"])
        ws = node.api("GET", f"/api/v2/workspaces/{slow['id']}")["data"]
        self.assertFalse(ws["attributes"]["locked"])


if __name__ == "__main__":
    main()
