"""Runs know which client made them: the same apply through the `remote` backend (workspaces
by prefix, `terraform workspace new`) prints terraform's plain, human log and no JSON line, and
through a `cloud` block renders structured output; each run records TFE's source and default
message for its client (terraform, terraform+cloud, tfe-api, tfe-ui)."""
import json
import re
import subprocess
import time

from harness import TERRAFORM, NodeTest, Terraform, main, make_slug, strip_ansi

PASSWORD = "a long admin password"  # harness: the first admin's
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

        # -target and -replace reach the run (the remote backend asks ping for API 2.3+)
        out = strip_ansi(self.raw(tf, "plan", "-input=false", "-replace=terraform_data.x"))
        self.assertIn("terraform_data.x will be replaced, as requested", out)
        self.assertEqual(self.runs(ws)[0]["attributes"]["replace-addrs"], ["terraform_data.x"])
        out = strip_ansi(self.raw(tf, "plan", "-input=false", "-target=terraform_data.x"))
        self.assertIn("No changes.", out)
        self.assertEqual(self.runs(ws)[0]["attributes"]["target-addrs"], ["terraform_data.x"])
        self.assertEqual(self.runs(ws)[0]["attributes"]["source"], "terraform")
        # no cost estimate or policy check: the remote backend prints neither
        self.assertNotIn("Cost estimation", out)
        self.assertNotIn("Sentinel", out)

        # -lock-timeout: a run still pending when it expires is canceled by the CLI
        self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/actions/lock", {"reason": "hold"})
        out = strip_ansi(self.raw(tf, "apply", "-auto-approve", "-input=false",
                                  "-lock-timeout=2s", check=False))
        self.assertIn("Lock timeout exceeded", out)
        run = self.wait(self.runs(ws)[0]["id"], "canceled", "force_canceled", "discarded")
        self.assertEqual(run["attributes"]["status"], "canceled", out)
        self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/actions/unlock")

        # workspaces by prefix: new, list, select, delete act on svc-<name>
        tf.run("workspace", "new", "other")
        self.assertEqual(self.workspace("svc-other")["attributes"]["name"], "svc-other")
        listed = tf.run("workspace", "list").stdout
        self.assertIn("app", listed)
        self.assertIn("* other", listed)
        tf.run("workspace", "select", "app")
        tf.run("workspace", "delete", "other")
        self.assertEqual(self.node.request(
            "GET", "/api/v2/organizations/acme/workspaces/svc-other")[0], 404)
        self.assertEqual(tf.run("workspace", "show").stdout.strip(), "app")

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

    # -- the web UI: a browser session (cookie and CSRF token), as app.js calls the API --
    def session(self, username, password=PASSWORD):
        status, doc, h = self.node.request("GET", "/session/token", token=False)
        self.assertEqual(status, 200, doc)
        signin = h.get_all("Set-Cookie")[0].split(";")[0]
        status, doc, h = self.node.request(
            "POST", "/session", {"username": username, "password": password}, token=False,
            headers={"Content-Type": "application/json", "X-CSRF-Token": doc["csrf-token"],
                     "Cookie": signin})
        self.assertEqual(status, 201, doc)
        cookie = [c for c in h.get_all("Set-Cookie") if c.startswith("strata_session=")][0]
        return {"Cookie": cookie.split(";")[0], "X-CSRF-Token": doc["csrf-token"]}

    def ui_run(self, ws, browser):
        return self.node.request("POST", "/api/v2/runs", {"data": {
            "type": "runs", "attributes": {"plan-only": True}, "relationships": {
                "workspace": {"data": {"type": "workspaces", "id": ws["id"]}}}}},
            token=False, headers=browser)

    def user(self, name, org, team_access=None, ws=None):
        """A user who accepted membership of org (in a team with team_access on ws)."""
        user = self.node.api("POST", "/api/v2/admin/users", {"data": {
            "type": "users", "attributes": {"username": name, "email": f"{name}@example.test",
                                            "password": PASSWORD}}})["data"]
        tok = self.node.api("POST", f"/api/v2/users/{user['id']}/authentication-tokens", {
            "data": {"type": "authentication-tokens"}})["data"]["attributes"]["token"]
        if team_access:
            team = self.node.api("POST", f"/api/v2/organizations/{org}/teams", {"data": {
                "type": "teams", "attributes": {"name": name + "-team"}}})["data"]
            self.node.api("POST", f"/api/v2/teams/{team['id']}/relationships/users",
                          {"data": [{"type": "users", "id": name}]})
            self.node.api("POST", "/api/v2/team-workspaces", {"data": {
                "type": "team-workspaces", "attributes": {"access": team_access},
                "relationships": {"workspace": {"data": {"type": "workspaces", "id": ws["id"]}},
                                  "team": {"data": {"type": "teams", "id": team["id"]}}}}})
        else:
            self.node.api("POST", f"/api/v2/organizations/{org}/organization-memberships", {
                "data": {"type": "organization-memberships",
                         "attributes": {"email": f"{name}@example.test"}}})
        own = self.node.api("GET", "/api/v2/organization-memberships?filter%5Bstatus%5D=invited",
                            token=tok)
        for m in own["data"]:
            self.node.api("POST", f"/api/v2/organization-memberships/{m['id']}/actions/accept",
                          token=tok)

    def test_web_ui_runs(self):
        ws = self.node.create_workspace("acme", "ui-app")
        self.api_run(ws)  # an uploaded configuration
        status, doc, _ = self.ui_run(ws, self.session("admin"))
        self.assertEqual(status, 201, doc)
        self.assertEqual(doc["data"]["attributes"]["source"], "tfe-ui")
        self.assertEqual(doc["data"]["attributes"]["message"], "Triggered via UI")
        # the session's CSRF token is what makes it the UI: a session without it changes nothing
        browser = self.session("admin")
        status, _, _ = self.ui_run(ws, {"Cookie": browser["Cookie"]})
        self.assertEqual(status, 403)
        # a read-only member of another team, and someone of another organization, through
        # the UI: refused, 404 across organizations, and no run is made
        before = len(self.runs(ws))
        self.user("reader", "acme", "read", ws)
        status, doc, _ = self.ui_run(ws, self.session("reader"))
        self.assertIn(status, (403, 404), doc)
        self.node.create_org("other")
        self.user("outsider", "other")
        status, doc, _ = self.ui_run(ws, self.session("outsider"))
        self.assertEqual(status, 404, doc)
        self.assertEqual(len(self.runs(ws)), before)


if __name__ == "__main__":
    main()
