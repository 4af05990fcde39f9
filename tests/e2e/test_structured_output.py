"""Structured run output: a workspace's runs log terraform's JSON lines and the real CLI renders
them itself (so -no-color works), reading the plan from json-output-redacted; sensitive values
stay out of the logs and the redacted plan; workspaces that turn it off, and terraform older than
1.3, keep the plain log."""
import json
import subprocess
import time

from harness import TERRAFORM, NodeTest, Terraform, main, make_slug, strip_ansi

CONFIG = '''
variable "n" {
  default = "1"
}
variable "secret" {
  type      = string
  sensitive = true
}
resource "terraform_data" "a" {
  input = var.n
}
output "n" {
  value = terraform_data.a.output
}
output "secret" {
  value     = var.secret
  sensitive = true
}
'''

SECRET = "structured-secret-5d2a"


class StructuredOutputTest(NodeTest):
    sandbox_name = "sro"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.node.create_org("acme")

    def workspace(self, name, **attrs):
        ws = self.node.create_workspace("acme", name, **attrs)
        self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/vars", {"data": {
            "type": "vars", "attributes": {"key": "secret", "value": SECRET,
                                           "category": "terraform", "sensitive": True}}})
        tf = Terraform(self.sandbox, self.node, name, "acme", workspace=name)
        tf.env.pop("NO_COLOR", None)
        tf.write(CONFIG)
        tf.run("init", "-input=false")
        return ws, tf

    def raw(self, tf, *args):
        """terraform ARGS with its output as it is (colour codes kept)."""
        p = subprocess.run([TERRAFORM, *args], cwd=tf.dir, env=tf.env, capture_output=True,
                           text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr + self.node.read_log())
        return p.stdout

    def latest_run(self, ws):
        return self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/runs")["data"][0]

    def log(self, run, phase):
        rel = run["relationships"][phase]["data"]["id"]
        doc = self.node.api("GET", f"/api/v2/{'plans' if phase == 'plan' else 'applies'}/{rel}")
        url = doc["data"]["attributes"]["log-read-url"]
        status, text, _ = self.node.request(
            "GET", url.split(self.node.settings["hostname"])[1], token=False, raw=True)
        self.assertEqual(status, 200)
        return text.decode()

    def json_lines(self, text):
        out = []
        for line in text.strip("\x02\x03\n").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def test_the_cli_renders_json_logs_and_no_color_works(self):
        ws, tf = self.workspace("sro")
        self.assertTrue(ws["attributes"]["structured-run-output-enabled"])
        plan = self.raw(tf, "plan", "-input=false", "-no-color")
        self.assertNotIn("\x1b[", plan)
        self.assertIn("Terraform will perform the following actions", plan)
        self.assertIn('+ resource "terraform_data" "a"', plan)
        self.assertIn("Plan: 1 to add, 0 to change, 0 to destroy.", plan)
        self.assertIn("+ secret = (sensitive value)", plan)
        self.assertNotIn(SECRET, plan)
        run = self.latest_run(ws)
        kinds = {l.get("type") for l in self.json_lines(self.log(run, "plan"))}
        self.assertIn("planned_change", kinds)
        self.assertIn("change_summary", kinds)
        # the redacted plan the CLI rendered from
        plan_id = run["relationships"]["plan"]["data"]["id"]
        status, doc, headers = self.node.request(
            "GET", f"/api/v2/plans/{plan_id}/json-output-redacted")
        self.assertEqual(status, 200)
        self.assertEqual([c["address"] for c in doc["resource_changes"]], ["terraform_data.a"])
        self.assertIn("terraform.io/builtin/terraform", doc["provider_schemas"])
        secret = doc["output_changes"]["secret"]
        self.assertTrue(secret["after_sensitive"])
        self.assertNotIn(SECRET, json.dumps(doc))
        self.assertEqual(len(secret["after"]), 64)  # an HMAC, not the value
        for key in ("variables", "prior_state", "planned_values", "configuration"):
            self.assertNotIn(key, doc)

        applied = self.raw(tf, "apply", "-auto-approve", "-input=false", "-no-color")
        self.assertNotIn("\x1b[", applied)
        self.assertIn("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.", applied)
        self.assertIn('n = "1"', applied)
        self.assertIn("secret = (sensitive value)", applied)
        self.assertNotIn(SECRET, applied)
        run = self.latest_run(ws)
        apply_log = self.log(run, "apply")
        self.assertNotIn(SECRET, apply_log)
        outputs = [l for l in self.json_lines(apply_log) if l.get("type") == "outputs"]
        self.assertEqual(outputs[0]["outputs"]["n"]["value"], "1")
        self.assertIsNone(outputs[0]["outputs"]["secret"]["value"])
        self.assertEqual(self.node.api("GET", f"/api/v2/applies/{run['relationships']['apply']['data']['id']}")
                         ["data"]["attributes"]["resource-additions"], 1)
        # colours when the user wants them: the CLI renders, so it decides
        coloured = self.raw(tf, "plan", "-input=false", "-var", "n=2")
        self.assertIn("\x1b[", coloured)

    def test_plain_log_when_turned_off_or_for_old_clients(self):
        ws, tf = self.workspace("plain", **{"structured-run-output-enabled": False})
        plan = strip_ansi(self.raw(tf, "plan", "-input=false"))
        self.assertIn("Plan: 1 to add", plan)
        run = self.latest_run(ws)
        self.assertEqual(self.json_lines(self.log(run, "plan")), [])
        plan_id = run["relationships"]["plan"]["data"]["id"]
        self.assertEqual(self.node.request(
            "GET", f"/api/v2/plans/{plan_id}/json-output-redacted")[0], 404)
        # terraform 1.2 prints JSON lines as they are: its runs keep the plain log
        ws2 = self.node.create_workspace("acme", "old-client")
        cv = self.node.api("POST", f"/api/v2/workspaces/{ws2['id']}/configuration-versions",
                           {"data": {"type": "configuration-versions",
                                     "attributes": {"auto-queue-runs": False}}})["data"]
        url = cv["attributes"]["upload-url"].split(self.node.settings["hostname"])[1]
        slug = make_slug({"main.tf": b'resource "terraform_data" "x" {}\n'})
        self.assertEqual(self.node.request("PUT", url, body=slug, token=False)[0], 200)
        time.sleep(0.5)
        status, doc, _ = self.node.request("POST", "/api/v2/runs", {"data": {
            "type": "runs", "attributes": {"plan-only": True}, "relationships": {
                "workspace": {"data": {"type": "workspaces", "id": ws2["id"]}}}}},
            headers={"User-Agent": "Terraform/1.2.9 (+https://www.terraform.io)"})
        self.assertEqual(status, 201, doc)
        for _ in range(300):
            run = self.node.api("GET", f"/api/v2/runs/{doc['data']['id']}")["data"]
            if run["attributes"]["status"] in ("planned_and_finished", "errored"):
                break
            time.sleep(0.2)
        self.assertEqual(run["attributes"]["status"], "planned_and_finished")
        text = strip_ansi(self.log(run, "plan"))
        self.assertIn("Plan: 1 to add", text)
        self.assertEqual(self.json_lines(text), [])


if __name__ == "__main__":
    main()
