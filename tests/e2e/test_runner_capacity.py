"""The runner's limits: capacity_concurrency runs at once across workspaces (the rest wait in
the queue), capacity_memory per terraform process, and API-driven runs queued by an upload."""
import time
import unittest

from harness import Sandbox, main, make_slug

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
        node = self.sandbox.node(settings={"capacity_memory": "16"})
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
