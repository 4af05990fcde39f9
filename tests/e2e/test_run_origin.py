"""Runs know which client made them: the same apply through the `remote` backend (workspaces
by prefix, `terraform workspace new`) prints terraform's plain, human log and no JSON line, and
through a `cloud` block renders structured output; each run records TFE's source and default
message for its client (terraform, terraform+cloud, tfe-api, tfe-ui)."""
import json
import re
import subprocess
import time

from harness import TERRAFORM, NodeTest, Terraform, main, make_slug, strip_ansi

CONFIG = '''
variable "n" {
  default = "1"
}
resource "terraform_data" "x" {
  input = var.n
}
output "n" {
  value = terraform_data.x.output
}
'''


def remote_block(node, org, prefix):
    return (f'terraform {{\n  backend "remote" {{\n    hostname = "{node.settings["hostname"]}"\n'
            f'    organization = "{org}"\n    workspaces {{\n      prefix = "{prefix}"\n    }}\n'
            f'  }}\n}}\n')


def json_lines(text):
    """The lines of text that are JSON objects (terraform's -json log lines)."""
    out = []
    for line in text.splitlines():
        line = line.strip("\x02\x03 ")
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


class RunOriginTest(NodeTest):
    sandbox_name = "origin"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.node.create_org("acme")

    def raw(self, tf, *args, check=True):
        """terraform ARGS with its output as it is (colour codes kept)."""
        p = subprocess.run([TERRAFORM, *args], cwd=tf.dir, env=tf.env, capture_output=True,
                           text=True, timeout=300)
        if check:
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr + self.node.read_log())
        return p.stdout + p.stderr

    def workspace(self, name):
        return self.node.api("GET", f"/api/v2/organizations/acme/workspaces/{name}")["data"]

    def runs(self, ws):
        return self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/runs")["data"]

    def log(self, run, phase):
        rel = run["relationships"][phase]["data"]["id"]
        doc = self.node.api("GET", f"/api/v2/{'plans' if phase == 'plan' else 'applies'}/{rel}")
        url = doc["data"]["attributes"]["log-read-url"]
        status, text, _ = self.node.request(
            "GET", url.split(self.node.settings["hostname"])[1], token=False, raw=True)
        self.assertEqual(status, 200)
        return text.decode()

    def wait(self, run_id, *final):
        for _ in range(300):
            run = self.node.api("GET", f"/api/v2/runs/{run_id}")["data"]
            if run["attributes"]["status"] in final + ("errored",):
                return run
            time.sleep(0.2)
        self.fail(f"run {run_id} is still {run['attributes']['status']}")

    def test_remote_backend_prints_the_plain_log(self):
        tf = Terraform(self.sandbox, self.node, "remote", "acme", tags=[])
        tf.env.pop("NO_COLOR", None)
        tf.cloud = remote_block(self.node, "acme", "svc-")
        tf.write(CONFIG)
        # with a prefix and no workspace yet, the CLI configures the backend and asks for one
        self.assertIn("No existing workspaces", tf.run("init", "-input=false", check=False).stderr)
        tf.run("workspace", "new", "app")
        self.assertIn("* app", tf.run("workspace", "list").stdout)
        ws = self.workspace("svc-app")
        self.assertTrue(ws["attributes"]["structured-run-output-enabled"])

        out = self.raw(tf, "apply", "-auto-approve", "-input=false", "-no-color")
        self.assertEqual(json_lines(out), [], out)
        self.assertNotIn("\x1b[", out)  # the remote backend strips colours under -no-color
        self.assertIn("Terraform will perform the following actions", out)
        self.assertIn('+ resource "terraform_data" "x"', out)
        self.assertIn("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.", out)
        run = self.runs(ws)[0]
        self.assertEqual(run["attributes"]["source"], "terraform")
        self.assertEqual(run["attributes"]["message"], "Triggered via CLI")
        self.assertEqual(run["attributes"]["status"], "applied")
        # the log is terraform's human one, coloured as TFE's is: the CLI decides
        plan_log = self.log(run, "plan")
        self.assertEqual(json_lines(plan_log), [])
        self.assertIn("\x1b[", plan_log)
        self.assertIn("Plan: 1 to add", strip_ansi(plan_log))
        # (the remote backend refuses -var: "Run variables are currently not supported")
        self.assertIn("Run variables are currently not supported",
                      strip_ansi(self.raw(tf, "plan", "-var", "n=2", check=False)))
        tf.write('n = "2"\n', "n.auto.tfvars")
        coloured = self.raw(tf, "apply", "-auto-approve", "-input=false")
        self.assertIn("\x1b[", coloured)
        self.assertEqual(json_lines(coloured), [])
        self.assertIn("1 changed", strip_ansi(coloured))

    def test_cloud_block_renders_structured_output(self):
        tf = Terraform(self.sandbox, self.node, "cloud", "acme", workspace="cloud-app")
        tf.env.pop("NO_COLOR", None)
        tf.write(CONFIG)
        tf.run("init", "-input=false")
        out = self.raw(tf, "apply", "-auto-approve", "-input=false", "-no-color")
        self.assertEqual(json_lines(out), [], out)
        self.assertNotIn("\x1b[", out)
        self.assertIn('+ resource "terraform_data" "x"', out)
        self.assertIn("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.", out)
        run = self.runs(self.workspace("cloud-app"))[0]
        self.assertEqual(run["attributes"]["source"], "terraform+cloud")
        self.assertEqual(run["attributes"]["message"], "Triggered via CLI")
        kinds = {l.get("type") for l in json_lines(self.log(run, "plan"))}
        self.assertIn("planned_change", kinds)  # the CLI rendered these

    def api_run(self, ws, headers=None, token=None):
        cv = self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions",
                           {"data": {"type": "configuration-versions",
                                     "attributes": {"auto-queue-runs": False}}})["data"]
        url = cv["attributes"]["upload-url"].split(self.node.settings["hostname"])[1]
        slug = make_slug({"main.tf": CONFIG.encode()})
        self.assertEqual(self.node.request("PUT", url, body=slug, token=False)[0], 200)
        for _ in range(50):
            cv = self.node.api("GET", f"/api/v2/configuration-versions/{cv['id']}")["data"]
            if cv["attributes"]["status"] == "uploaded":
                break
            time.sleep(0.1)
        status, doc, _ = self.node.request("POST", "/api/v2/runs", {"data": {
            "type": "runs", "attributes": {"plan-only": True}, "relationships": {
                "workspace": {"data": {"type": "workspaces", "id": ws["id"]}}}}},
            headers=headers or {})
        self.assertEqual(status, 201, doc)
        return doc["data"]

    def test_api_runs(self):
        ws = self.node.create_workspace("acme", "api-app")
        run = self.api_run(ws, headers={"User-Agent": "go-tfe"})
        self.assertEqual(run["attributes"]["source"], "tfe-api")
        self.assertEqual(run["attributes"]["message"], "Triggered via API")
        run = self.wait(run["id"], "planned_and_finished")
        self.assertIn("planned_change", {l.get("type") for l in json_lines(self.log(run, "plan"))})
        # a message the caller gives is kept
        status, doc, _ = self.node.request("POST", "/api/v2/runs", {"data": {
            "type": "runs", "attributes": {"plan-only": True, "message": "nightly"},
            "relationships": {"workspace": {"data": {"type": "workspaces", "id": ws["id"]}}}}})
        self.assertEqual(status, 201, doc)
        self.assertEqual(doc["data"]["attributes"]["message"], "nightly")
        self.assertEqual(doc["data"]["attributes"]["source"], "tfe-api")
        # a request that says it is the cloud integration of terraform 1.2 keeps the plain log
        run = self.api_run(ws, headers={"X-Terraform-Integration": "cloud",
                                        "Terraform-Version": "1.2.9"})
        self.assertEqual(run["attributes"]["source"], "terraform+cloud")
        run = self.wait(run["id"], "planned_and_finished")
        self.assertEqual(json_lines(self.log(run, "plan")), [])


if __name__ == "__main__":
    main()
