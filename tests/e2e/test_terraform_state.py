"""The real terraform CLI keeps its state in Strata (workspace with local execution):
init, plan, apply, output, state pull/push, force-unlock, concurrent applies, restarts."""
import json
import os
import re
import threading
import time

from harness import SIMPLE_CONFIG, NodeTest, Terraform, main

CONFIG = SIMPLE_CONFIG + '''
output "secret" {
  value     = "s3cr3t-${var.n}"
  sensitive = true
}
'''

SLOW = '''
variable "n" {
  default = "1"
}
resource "terraform_data" "slow" {
  input = var.n
  provisioner "local-exec" {
    command = "sleep 4"
  }
}
'''


class TerraformStateTest(NodeTest):
    sandbox_name = "tfstate"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.node.create_org("acme")

    def workspace(self, name, mode="local"):
        ws = self.node.create_workspace("acme", name, **{"execution-mode": mode})
        self.assertEqual(ws["attributes"]["execution-mode"], mode)
        return ws

    def current(self, ws_id):
        return self.node.api("GET", f"/api/v2/workspaces/{ws_id}/current-state-version")["data"]

    def test_init_plan_apply_output_pull(self):
        ws = self.workspace("app")
        tf = Terraform(self.sandbox, self.node, "app", "acme", workspace="app")
        tf.write(CONFIG)
        tf.run("init", "-input=false")
        plan = tf.run("plan", "-input=false")
        self.assertIn("1 to add", plan.stdout)
        tf.run("apply", "-auto-approve", "-input=false")
        first = self.current(ws["id"])
        self.assertEqual(first["attributes"]["serial"], 1)
        self.assertEqual(first["attributes"]["status"], "finalized")
        out = tf.run("output", "-json")
        outputs = json.loads(out.stdout)
        self.assertEqual(outputs["n"]["value"], "1")
        self.assertTrue(outputs["secret"]["sensitive"])
        self.assertEqual(tf.run("output", "-raw", "secret").stdout, "s3cr3t-1")
        # every apply creates a new state version
        tf.run("apply", "-auto-approve", "-input=false", "-var", "n=2")
        second = self.current(ws["id"])
        self.assertNotEqual(first["id"], second["id"])
        self.assertEqual(second["attributes"]["serial"], 2)
        versions = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/state-versions")
        self.assertEqual(versions["meta"]["pagination"]["total-count"], 2)
        pulled = json.loads(tf.run("state", "pull").stdout)
        self.assertEqual(pulled["serial"], 2)
        self.assertEqual(pulled["outputs"]["n"]["value"], "2")
        # the sensitive value is not in the list, only on the output itself
        outs = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/current-state-version-outputs")
        by_name = {o["attributes"]["name"]: o for o in outs["data"]}
        self.assertIsNone(by_name["secret"]["attributes"]["value"])
        one = self.node.api("GET", f"/api/v2/state-version-outputs/{by_name['secret']['id']}")
        self.assertEqual(one["data"]["attributes"]["value"], "s3cr3t-2")
        # the workspace is unlocked after each command
        w = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}")["data"]
        self.assertFalse(w["attributes"]["locked"])

    def test_state_push_and_force(self):
        ws = self.workspace("pushy")
        tf = Terraform(self.sandbox, self.node, "pushy", "acme", workspace="pushy")
        tf.write(CONFIG)
        tf.run("init", "-input=false")
        tf.run("apply", "-auto-approve", "-input=false")
        state = json.loads(tf.run("state", "pull").stdout)
        path = os.path.join(tf.dir, "pushed.tfstate")
        # a newer serial is accepted
        state["serial"] += 5
        with open(path, "w") as f:
            json.dump(state, f)
        tf.run("state", "push", path)
        pushed = self.current(ws["id"])["attributes"]["serial"]
        self.assertGreaterEqual(pushed, state["serial"])
        # another lineage is refused by terraform's own check...
        state["lineage"] = "00000000-1111-2222-3333-444444444444"
        state["serial"] = 1
        with open(path, "w") as f:
            json.dump(state, f)
        refused = tf.run("state", "push", path, check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertEqual(self.current(ws["id"])["attributes"]["serial"], pushed)
        # ...and with -force by Strata: terraform 1.11.4's cloud backend sends force=false even
        # then (docs/tfe-api-notes.md), so the server's lineage rule answers with a clear 409
        forced = tf.run("state", "push", "-force", path, check=False)
        self.assertNotEqual(forced.returncode, 0)
        self.assertIn("lineage", forced.stderr + forced.stdout)
        cur = self.current(ws["id"])
        self.assertEqual(cur["attributes"]["serial"], pushed)
        self.assertNotEqual(cur["attributes"]["lineage"], state["lineage"])
        self.assertEqual(json.loads(tf.run("state", "pull").stdout)["serial"], pushed)

    def test_concurrent_applies_get_the_lock_error(self):
        self.workspace("race")
        a = Terraform(self.sandbox, self.node, "race-a", "acme", workspace="race")
        b = Terraform(self.sandbox, self.node, "race-b", "acme", workspace="race")
        for tf in (a, b):
            tf.write(SLOW)
            tf.run("init", "-input=false")
        first = a.popen("apply", "-auto-approve", "-input=false")
        # wait until the first apply holds the lock
        ws = None
        for _ in range(100):
            ws = self.node.api("GET", "/api/v2/organizations/acme/workspaces/race")["data"]
            if ws["attributes"]["locked"]:
                break
            time.sleep(0.1)
        self.assertTrue(ws["attributes"]["locked"])
        second = b.run("apply", "-auto-approve", "-input=false", "-lock-timeout=0s", check=False)
        out_a, _ = first.communicate(timeout=120)
        self.assertEqual(first.returncode, 0, out_a)
        self.assertNotEqual(second.returncode, 0)
        self.assertIn("Error acquiring the state lock", second.stderr + second.stdout)
        self.assertIn("workspace already locked", second.stderr + second.stdout)
        self.assertEqual(self.current(ws["id"])["attributes"]["serial"], 1)

    def test_force_unlock(self):
        ws = self.workspace("stuck")
        tf = Terraform(self.sandbox, self.node, "stuck", "acme", workspace="stuck")
        tf.write(CONFIG)
        tf.run("init", "-input=false")
        self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/actions/lock",
                      {"reason": "left behind"})
        w = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}")["data"]
        self.assertEqual(w["attributes"]["lock-reason"], "left behind")
        blocked = tf.run("apply", "-auto-approve", "-input=false", check=False)
        self.assertIn("workspace already locked", blocked.stderr + blocked.stdout)
        tf.run("force-unlock", "-force", "acme/stuck")
        w = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}")["data"]
        self.assertFalse(w["attributes"]["locked"])
        tf.run("apply", "-auto-approve", "-input=false")

    def test_workspaces_by_tags(self):
        self.workspace("tagged-one")
        self.node.api("POST", "/api/v2/organizations/acme/workspaces", {"data": {
            "type": "workspaces", "attributes": {"name": "tagged-two", "execution-mode": "local",
                                                 "tag-names": ["team-x", "prod"]}}})
        tf = Terraform(self.sandbox, self.node, "tags", "acme", tags=["team-x"])
        tf.write(CONFIG)
        tf.env["TF_WORKSPACE"] = "tagged-two"
        tf.run("init", "-input=false")
        tf.run("apply", "-auto-approve", "-input=false")
        ws = self.node.api("GET", "/api/v2/organizations/acme/workspaces/tagged-two")["data"]
        self.assertIsNotNone(ws["relationships"]["current-state-version"]["data"])
        listed = tf.run("workspace", "list")
        self.assertIn("tagged-two", listed.stdout)
        self.assertNotIn("tagged-one", listed.stdout)
        # a workspace made by the CLI carries the configuration's tags
        del tf.env["TF_WORKSPACE"]
        tf.run("workspace", "new", "tagged-three")
        made = self.node.api("GET", "/api/v2/organizations/acme/workspaces/tagged-three")["data"]
        self.assertEqual(made["attributes"]["tag-names"], ["team-x"])


    def test_key_value_tags(self):
        self.node.create_workspace("acme", "kv-env-only", **{"execution-mode": "local",
                                                              "tag-names": ["env"]})
        self.node.create_workspace("acme", "kv-prod", **{"execution-mode": "local",
                                                         "tag-names": ["env:prod"]})
        tf = Terraform(self.sandbox, self.node, "kvtags", "acme", tags=["x"])
        tf.cloud = tf.cloud.replace('tags = ["x"]', 'tags = { env = "prod" }')
        tf.write(CONFIG)
        tf.env["TF_WORKSPACE"] = "kv-prod"
        tf.run("init", "-input=false")
        listed = tf.run("workspace", "list").stdout
        self.assertIn("kv-prod", listed)
        self.assertNotIn("kv-env-only", listed)
        del tf.env["TF_WORKSPACE"]
        tf.run("workspace", "new", "kv-new")
        made = self.node.api("GET", "/api/v2/organizations/acme/workspaces/kv-new")["data"]
        self.assertEqual(made["attributes"]["tag-names"], ["env:prod"])
        bindings = self.node.api("GET", f"/api/v2/workspaces/{made['id']}/tag-bindings")["data"]
        self.assertEqual(bindings[0]["attributes"], {"key": "env", "value": "prod"})


if __name__ == "__main__":
    main()
