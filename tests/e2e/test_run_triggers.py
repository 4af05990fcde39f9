"""Run triggers end to end with the real CLI: an apply in a source workspace queues a run in the
workspace that names it, which applies by itself there (auto-apply); the API's rules (no
self-trigger, no duplicate, inbound/outbound listing)."""
import time

from harness import NodeTest, Terraform, main


class RunTriggersTest(NodeTest):
    sandbox_name = "triggers"

    def test_apply_in_source_queues_destination(self):
        n = self.node
        n.create_org("acme")
        net = n.create_workspace("acme", "network")
        app = n.create_workspace("acme", "app", **{"auto-apply": True})
        # timestamp() differs at every plan: a triggered run has changes and applies
        tf_app = Terraform.initialized(self.sandbox, n, "app", config='''
resource "terraform_data" "t" {
  input = timestamp()
}
''')
        tf_app.run("apply", "-auto-approve", "-input=false")

        def trigger(dst, src, expect=201):
            status, doc, _ = n.request("POST", f"/api/v2/workspaces/{dst['id']}/run-triggers", {
                "data": {"relationships": {"sourceable": {"data": {
                    "type": "workspaces", "id": src["id"]}}}}})
            self.assertEqual(status, expect, doc)
            return doc

        made = trigger(app, net)["data"]
        self.assertEqual((made["attributes"]["workspace-name"],
                          made["attributes"]["sourceable-name"]), ("app", "network"))
        self.assertEqual(trigger(app, net, 422)["errors"][0]["source"]["pointer"],
                         "/data/relationships/sourceable")
        trigger(app, app, 422)
        inbound = n.api("GET", f"/api/v2/workspaces/{app['id']}/run-triggers"
                        "?filter%5Brun-trigger%5D%5Btype%5D=inbound")["data"]
        outbound = n.api("GET", f"/api/v2/workspaces/{net['id']}/run-triggers"
                         "?filter%5Brun-trigger%5D%5Btype%5D=outbound")["data"]
        self.assertEqual([t["id"] for t in inbound], [made["id"]])
        self.assertEqual([t["id"] for t in outbound], [made["id"]])
        status, _, _ = n.request("GET", f"/api/v2/workspaces/{app['id']}/run-triggers")
        self.assertEqual(status, 400)

        def app_runs():
            return n.api("GET", f"/api/v2/workspaces/{app['id']}/runs")["data"]

        before = len(app_runs())
        tf_net = Terraform.initialized(self.sandbox, n, "network")
        tf_net.run("plan", "-input=false")  # a plan applies nothing: no trigger
        tf_net.run("apply", "-auto-approve", "-input=false", "-var=n=2")
        net_run = n.api("GET", f"/api/v2/workspaces/{net['id']}/runs")["data"][0]
        deadline = time.time() + 120
        while time.time() < deadline:
            runs = app_runs()
            if len(runs) > before and runs[0]["attributes"]["status"] in (
                    "applied", "errored", "planned_and_finished"):
                break
            time.sleep(0.5)
        runs = app_runs()
        self.assertEqual(len(runs), before + 1, [r["attributes"]["source"] for r in runs])
        got = runs[0]["attributes"]
        self.assertEqual((got["source"], got["status"]), ("tfe-run-trigger", "applied"))
        self.assertIn(net_run["id"], got["message"])
        # the trigger removed: another apply in the source queues nothing
        n.api("DELETE", f"/api/v2/run-triggers/{made['id']}")
        tf_net.run("apply", "-auto-approve", "-input=false", "-var=n=3")
        time.sleep(2)
        self.assertEqual(len(app_runs()), before + 1)


if __name__ == "__main__":
    main()
