"""A run's token in an attacker's hands (issue 22, item 5): a configuration whose provisioner
prints the token the node gave its run, taken from the live apply log and used from outside.
It reaches what TFE's per-run token reaches and nothing else: its own workspace's state (read,
written), a workspace's state that is shared with it (global-remote-state or
remote-state-consumers), the organization's registry; listing members, teams, workspaces,
asking for module upload links, creating anything, another workspace's state that is not
shared: refused with a JSON:API 404. And the real terraform_remote_state (backend "remote")
read between two workspaces' runs works when shared and fails when not."""
import base64
import glob
import hashlib
import json
import os
import re
import time
import unittest

from harness import SIMPLE_CONFIG, Terraform, main, make_slug, registry_node, Sandbox

# Prints the run's token (from the CLI configuration the node wrote for the run, else from a
# TF_TOKEN_* variable), base64 so that nothing on the way alters it, then keeps the run (and
# so the token) alive while the test uses it.
LEAK_SH = r'''
tok=$(sed -n 's/.*token *= *"\([^"]*\)".*/\1/p' "$TF_CLI_CONFIG_FILE" | head -n 1)
[ -n "$tok" ] || tok=$(env | sed -n 's/^TF_TOKEN_[^=]*=//p' | head -n 1)
echo "LEAKED $(printf %s "$tok" | base64 -w 0) END"
sleep 240
'''

LEAK_TF = '''
resource "terraform_data" "leak" {
  provisioner "local-exec" {
    command = "sh leak.sh"
  }
}
'''

READER = '''
data "terraform_remote_state" "src" {
  backend = "remote"
  config = {
    hostname     = "%s"
    organization = "acme"
    workspaces = {
      name = "source"
    }
  }
}
output "got" {
  value = data.terraform_remote_state.src.outputs.n
}
'''


def state_doc(lineage, value):
    return json.dumps({"version": 4, "terraform_version": "1.11.4", "serial": 1,
                       "lineage": lineage, "outputs": {"v": {"value": value, "type": "string"}},
                       "resources": []}).encode()


class HostileRunTokenTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # 127.0.0.1 as the node's name: the registry protocol wants a dot in the host
        cls.sandbox = Sandbox("runtoken")
        cls.node = registry_node(cls.sandbox)
        cls.node.create_org("acme")
        cls.node.create_org("other")

    @classmethod
    def tearDownClass(cls):
        cls.sandbox.close()

    # -- helpers --
    def ws(self, name, org="acme", **attrs):
        return self.node.create_workspace(org, name, **attrs)

    def put_state(self, ws, value, token=None, lineage="aaaaaaaa-0000-0000-0000-000000000000"):
        """A state version through the API (locked around it when token is the admin's)."""
        data = state_doc(lineage, value)
        if token is None:
            self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/actions/lock", {"reason": "t"})
        status, doc, _ = self.node.request(
            "POST", f"/api/v2/workspaces/{ws['id']}/state-versions",
            {"data": {"type": "state-versions", "attributes": {
                "serial": 1, "md5": hashlib.md5(data).hexdigest(), "lineage": lineage,
                "force": True, "state": base64.b64encode(data).decode()}}}, token=token)
        if token is None:
            self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/actions/unlock")
        return status, doc

    def queue(self, ws, files):
        cv = self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions",
                           {"data": {"type": "configuration-versions"}})["data"]
        path = cv["attributes"]["upload-url"].split(self.node.settings["hostname"])[1]
        status, doc, _ = self.node.request("PUT", path, body=make_slug(files), token=False)
        self.assertEqual(status, 200, doc)
        for _ in range(200):
            runs = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/runs")["data"]
            if runs:
                return runs[0]
            time.sleep(0.1)
        self.fail("no run was queued")

    def leaked_token(self, ws, timeout=180):
        """The token printed by the run's provisioner, read from the live apply log."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            run = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/runs")["data"][0]
            status = run["attributes"]["status"]
            self.assertNotIn(status, ("errored", "canceled", "discarded"), self.node.read_log())
            apply_id = run["relationships"]["apply"]["data"]["id"]
            url = self.node.api("GET", f"/api/v2/applies/{apply_id}")["data"]["attributes"][
                "log-read-url"]
            _, text, _ = self.node.request(
                "GET", url.split(self.node.settings["hostname"])[1], token=False, raw=True)
            m = re.search(rb"LEAKED ([A-Za-z0-9+/=]+) END", text)
            if m:
                return run, base64.b64decode(m.group(1)).decode()
            time.sleep(0.5)
        self.fail("the run printed no token\n" + self.node.read_log())

    def refused(self, method, path, token, body=None, statuses=(404,)):
        status, doc, _ = self.node.request(method, path, body, token=token)
        self.assertIn(status, statuses, f"{method} {path} answered {status}: {doc}")
        self.assertTrue(isinstance(doc, dict) and doc.get("errors"),
                        f"{method} {path}: not a JSON:API error: {doc}")

    def allowed(self, method, path, token, body=None):
        status, doc, _ = self.node.request(method, path, body, token=token)
        self.assertIn(status, (200, 201, 204), f"{method} {path} answered {status}: {doc}")
        return doc

    # -- the attack --
    def test_a_leaked_run_token_reaches_only_what_a_run_needs(self):
        n = self.node
        # the organization as it is before the attack: a private workspace with a secret in its
        # state, one shared with every workspace, one shared with a list, another organization,
        # a module with a pending version (its upload link), an API-created module
        private = self.ws("private")
        self.assertEqual(self.put_state(private, "private secret")[0], 201)
        shared = self.ws("shared", **{"global-remote-state": True})
        self.assertEqual(self.put_state(shared, "shared to all")[0], 201)
        listed = self.ws("listed")
        self.assertEqual(self.put_state(listed, "shared to a list")[0], 201)
        foreign = self.ws("foreign", org="other", **{"global-remote-state": True})
        self.assertEqual(self.put_state(foreign, "other org")[0], 201)
        mods = "/api/v2/organizations/acme/registry-modules"
        n.api("POST", mods, {"data": {"type": "registry-modules",
                                      "attributes": {"name": "mod", "provider": "null"}}})
        n.api("POST", f"{mods}/private/acme/mod/null/versions", {"data": {
            "type": "registry-module-versions", "attributes": {"version": "1.0.0"}}})

        attacker = self.ws("attacker", **{"auto-apply": True})
        n.api("POST", f"/api/v2/workspaces/{listed['id']}/relationships/remote-state-consumers",
              {"data": [{"type": "workspaces", "id": attacker["id"]}]})
        n.api("POST", f"/api/v2/workspaces/{attacker['id']}/vars", {"data": {"type": "vars",
              "attributes": {"key": "mine", "value": "v", "category": "env"}}})
        self.queue(attacker, {"main.tf": LEAK_TF.encode(), "leak.sh": LEAK_SH.encode()})
        run, tok = self.leaked_token(attacker)
        self.assertTrue(tok)
        try:
            self.attack(tok, run, attacker, private, shared, listed, foreign)
        finally:
            n.api("POST", f"/api/v2/runs/{run['id']}/actions/cancel", {}, expect=(202, 409))
        # the run's end ends its token
        deadline = time.time() + 90
        while time.time() < deadline:
            status = n.api("GET", f"/api/v2/runs/{run['id']}")["data"]["attributes"]["status"]
            if status in ("canceled", "errored", "applied"):
                break
            time.sleep(0.5)
        status, _, _ = n.request("GET", f"/api/v2/workspaces/{attacker['id']}", token=tok)
        self.assertEqual(status, 401)

    def attack(self, tok, run, attacker, private, shared, listed, foreign):
        org = "/api/v2/organizations/acme"
        # nothing of the organization but what a run reads
        for path in (f"{org}/organization-memberships", f"{org}/teams", f"{org}/workspaces",
                     "/api/v2/organizations", f"{org}", f"{org}/registry-modules",
                     f"{org}/registry-modules/private/acme/mod/null",
                     f"{org}/registry-modules/private/acme/mod/null/version?module_version=1.0.0",
                     f"{org}/audit-trail", f"{org}/runs/queue", f"{org}/ssh-keys",
                     f"{org}/notification-configurations", "/api/v2/account/details",
                     f"/api/v2/workspaces/{attacker['id']}/runs",
                     f"/api/v2/runs/{run['id']}",
                     f"/api/v2/workspaces/{attacker['id']}/configuration-versions",
                     f"/api/v2/workspaces/{attacker['id']}/relationships/remote-state-consumers",
                     f"/api/v2/workspaces/{attacker['id']}/state-versions",
                     "/api/v2/admin/users",
                     # includes that would answer runs and configuration versions
                     f"/api/v2/workspaces/{attacker['id']}?include=current_run",
                     f"/api/v2/workspaces/{attacker['id']}?include=current_configuration_version",
                     f"{org}/workspaces/attacker?include=current_run.configuration_version"):
            self.refused("GET", path, tok)
        # creating anything, changing anything, module upload links
        for method, path, body in (
                ("POST", f"{org}/workspaces", {"data": {"type": "workspaces",
                                                        "attributes": {"name": "evil"}}}),
                ("POST", f"{org}/teams", {"data": {"type": "teams",
                                                   "attributes": {"name": "evil"}}}),
                ("POST", f"{org}/authentication-token", {}),
                ("POST", f"{org}/registry-modules", {"data": {"type": "registry-modules",
                         "attributes": {"name": "evil", "provider": "null"}}}),
                ("POST", f"{org}/registry-modules/private/acme/mod/null/versions", {"data": {
                    "type": "registry-module-versions", "attributes": {"version": "9.9.9"}}}),
                ("POST", "/api/v2/runs", {"data": {"type": "runs", "relationships": {
                    "workspace": {"data": {"type": "workspaces", "id": attacker["id"]}}}}}),
                ("POST", f"/api/v2/workspaces/{attacker['id']}/configuration-versions",
                 {"data": {"type": "configuration-versions"}}),
                ("PATCH", f"/api/v2/workspaces/{attacker['id']}",
                 {"data": {"type": "workspaces", "attributes": {"auto-apply": False}}}),
                ("POST", f"/api/v2/workspaces/{attacker['id']}/vars", {"data": {"type": "vars",
                         "attributes": {"key": "evil", "value": "x", "category": "env"}}}),
                ("POST", f"/api/v2/workspaces/{private['id']}/relationships/"
                         "remote-state-consumers",
                 {"data": [{"type": "workspaces", "id": attacker["id"]}]}),
                ("POST", f"/api/v2/workspaces/{attacker['id']}/actions/force-unlock", {}),
                # the run's own lock stays the run's: released, the next run would start
                ("POST", f"/api/v2/workspaces/{attacker['id']}/actions/unlock", {}),
                ("POST", f"/api/v2/workspaces/{attacker['id']}/actions/lock", {}),
                ("DELETE", f"/api/v2/workspaces/{attacker['id']}", None)):
            self.refused(method, path, tok, body)
        # another workspace's state that is not shared: not even its existence
        for path in (f"{org}/workspaces/private", f"/api/v2/workspaces/{private['id']}",
                     f"/api/v2/workspaces/{private['id']}/current-state-version",
                     f"/api/v2/workspaces/{private['id']}/current-state-version-outputs",
                     "/api/v2/organizations/other/workspaces/foreign",
                     f"/api/v2/workspaces/{foreign['id']}/current-state-version"):
            self.refused("GET", path, tok)
        sv = self.node.api("GET", f"/api/v2/workspaces/{private['id']}/current-state-version")
        for path in (f"/api/v2/state-versions/{sv['data']['id']}",
                     f"/api/v2/state-versions/{sv['data']['id']}/download",
                     f"/api/v2/state-versions/{sv['data']['id']}/outputs"):
            self.refused("GET", path, tok)
        # shared state: read, not written
        for ws, value in ((shared, "shared to all"), (listed, "shared to a list")):
            self.allowed("GET", f"{org}/workspaces/{ws['attributes']['name']}", tok)
            cur = self.allowed("GET", f"/api/v2/workspaces/{ws['id']}/current-state-version", tok)
            got = self.allowed("GET", f"/api/v2/state-versions/{cur['data']['id']}/download",
                               tok)
            self.assertEqual(got["outputs"]["v"]["value"], value)
            outs = self.allowed(
                "GET", f"/api/v2/workspaces/{ws['id']}/current-state-version-outputs", tok)
            self.assertEqual(outs["data"][0]["attributes"]["value"], value)
            self.refused("POST", f"/api/v2/workspaces/{ws['id']}/actions/lock", tok, {})
            self.assertIn(self.put_state(ws, "overwritten", token=tok)[0], (403, 404))
            self.refused("GET", f"/api/v2/workspaces/{ws['id']}/vars", tok, statuses=(403, 404))
        # a consumer taken off the list reads nothing more
        self.node.api("DELETE",
                      f"/api/v2/workspaces/{listed['id']}/relationships/remote-state-consumers",
                      {"data": [{"type": "workspaces", "id": attacker["id"]}]})
        self.refused("GET", f"/api/v2/workspaces/{listed['id']}/current-state-version", tok)
        # its own workspace: settings, variables, state read and written (the run holds the lock)
        me = self.allowed("GET", f"{org}/workspaces/attacker", tok)
        self.assertEqual(me["data"]["id"], attacker["id"])
        names = [v["attributes"]["key"] for v in self.allowed(
            "GET", f"/api/v2/workspaces/{attacker['id']}/vars", tok)["data"]]
        self.assertEqual(names, ["mine"])
        status, doc = self.put_state(attacker, "own state", token=tok,
                                     lineage="bbbbbbbb-0000-0000-0000-000000000000")
        self.assertEqual(status, 201, doc)
        cur = self.allowed(
            "GET", f"/api/v2/workspaces/{attacker['id']}/current-state-version?include=outputs", tok)
        self.assertEqual(cur["included"][0]["attributes"]["value"], "own state")
        got = self.allowed("GET", f"/api/v2/state-versions/{cur['data']['id']}/download", tok)
        self.assertEqual(got["outputs"]["v"]["value"], "own state")
        # the organization's registry (what terraform init asks), not another's
        self.allowed("GET", "/api/registry/v1/modules/acme/mod/null/versions", tok)
        self.refused("GET", "/api/registry/v1/modules/other/mod/null/versions", tok)

    # -- the real CLI --
    def test_a_plan_token_does_not_write_state(self):
        """Code running in a plan (a provider, an external data source: whoever may only queue
        plans chooses it) holds the plan's token. terraform writes no state in a plan, so that
        token may not either: else one who may only plan writes the workspace's state."""
        n = self.node
        ws = self.ws("planned")
        self.assertEqual(self.put_state(ws, "before")[0], 201)
        before = n.api("GET", f"/api/v2/workspaces/{ws['id']}/current-state-version")["data"]
        # a plan long enough to take its token while it runs (terraform_data is built in)
        slow = 'resource "terraform_data" "x" {\n  count = 3000\n  input = count.index\n}\n'
        run = self.queue(ws, {"main.tf": slow.encode()})
        plan_id = run["relationships"]["plan"]["data"]["id"]
        tok, deadline = None, time.time() + 120
        while not tok and time.time() < deadline:
            # the run's CLI configuration, as the plan's code reads it (the node runs as root
            # here: its runs' folders are under /tmp/strata-runs-*)
            for rc in glob.glob(f"/tmp/strata-runs-*/{plan_id}/cli.tfrc") + glob.glob(
                    os.path.join(n.settings["disk_path"], "work", plan_id, "cli.tfrc")):
                try:
                    with open(rc) as f:
                        m = re.search(r'token *= *"([^"]+)"', f.read())
                except OSError:
                    m = None
                tok = m and m.group(1)
            time.sleep(0.02)
        self.assertTrue(tok, "the plan's token was not found\n" + n.read_log())
        try:
            status, doc = self.put_state(ws, "forged by a plan", token=tok,
                                         lineage=before["attributes"]["lineage"])
            # the token was still the plan's: it reads (a revoked one would answer 401)
            self.allowed("GET", f"/api/v2/workspaces/{ws['id']}/current-state-version", tok)
            self.assertEqual(n.api("GET", f"/api/v2/runs/{run['id']}")["data"]["attributes"][
                "status"], "planning")
            self.assertIn(status, (403, 404), doc)
            self.assertTrue(doc.get("errors"), doc)
            after = n.api("GET", f"/api/v2/workspaces/{ws['id']}/current-state-version")
            self.assertEqual(after["data"]["id"], before["id"])
        finally:
            n.api("POST", f"/api/v2/runs/{run['id']}/actions/cancel", {}, expect=(202, 409))

    def test_terraform_remote_state_between_runs_follows_sharing(self):
        host = self.node.settings["hostname"]
        source = Terraform.initialized(self.sandbox, self.node, "source")
        source.run("apply", "-auto-approve", "-input=false")
        src = self.node.api("GET", "/api/v2/organizations/acme/workspaces/source")["data"]
        reader = Terraform.initialized(self.sandbox, self.node, "reader", config=READER % host)
        rd = self.node.api("GET", "/api/v2/organizations/acme/workspaces/reader")["data"]
        consumers = f"/api/v2/workspaces/{src['id']}/relationships/remote-state-consumers"

        # not shared: the reader's run does not find the source (and may not create it)
        p = reader.run("apply", "-auto-approve", "-input=false", check=False)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertRegex(p.stdout + p.stderr, r"Error creating workspace source: resource[\s│]+not found")
        self.assertEqual(self.node.api("GET", f"/api/v2/workspaces/{rd['id']}/runs")["data"][0][
            "attributes"]["status"], "errored")

        # shared with the reader alone
        self.node.api("POST", consumers, {"data": [{"type": "workspaces", "id": rd["id"]}]})
        listed = self.node.api("GET", consumers)["data"]
        self.assertEqual([w["id"] for w in listed], [rd["id"]])
        reader.run("apply", "-auto-approve", "-input=false")
        self.assertEqual(json.loads(reader.run("output", "-json").stdout)["got"]["value"], "1")

        # shared with every workspace instead
        self.node.api("PATCH", consumers, {"data": []})
        self.assertEqual(self.node.api("GET", consumers)["data"], [])
        self.node.api("PATCH", f"/api/v2/workspaces/{src['id']}", {"data": {
            "type": "workspaces", "attributes": {"global-remote-state": True}}})
        source.run("apply", "-auto-approve", "-input=false", "-var", "n=2")
        reader.run("apply", "-auto-approve", "-input=false")
        self.assertEqual(json.loads(reader.run("output", "-json").stdout)["got"]["value"], "2")

    def test_remote_state_consumers_api(self):
        n = self.node
        a, b = self.ws("rsc-a"), self.ws("rsc-b")
        other = self.ws("rsc-other", org="other")
        path = f"/api/v2/workspaces/{a['id']}/relationships/remote-state-consumers"
        self.assertEqual(n.api("GET", path)["data"], [])
        n.api("POST", path, {"data": [{"type": "workspaces", "id": b["id"]}]})
        n.api("POST", path, {"data": [{"type": "workspaces", "id": b["id"]}]})  # twice: once
        self.assertEqual([w["id"] for w in n.api("GET", path)["data"]], [b["id"]])
        self.assertIn("remote-state-consumers", n.api("GET", f"/api/v2/workspaces/{a['id']}")[
            "data"]["relationships"])
        # refusals: another organization's workspace, itself, a wrong type, not a list, too many
        for body in ({"data": [{"type": "workspaces", "id": other["id"]}]},
                     {"data": [{"type": "workspaces", "id": b["id"]}] * 1001},
                     {"data": [{"type": "workspaces", "id": a["id"]}]},
                     {"data": [{"type": "teams", "id": b["id"]}]},
                     {"data": {"type": "workspaces", "id": b["id"]}}):
            status, doc, _ = n.request("POST", path, body)
            self.assertEqual(status, 422, doc)
            self.assertTrue(doc["errors"][0]["detail"])
        # another organization's workspace is not found
        status, _, _ = n.request(
            "GET", f"/api/v2/workspaces/{other['id']}/relationships/remote-state-consumers",
            token=n.api("POST", "/api/v2/organizations/acme/authentication-token", {})[
                "data"]["attributes"]["token"])
        self.assertEqual(status, 404)
        n.api("DELETE", path, {"data": [{"type": "workspaces", "id": b["id"]}]})
        self.assertEqual(n.api("GET", path)["data"], [])
        # a consumer deleted leaves the list
        n.api("PATCH", path, {"data": [{"type": "workspaces", "id": b["id"]}]})
        n.api("DELETE", f"/api/v2/workspaces/{b['id']}")
        self.assertEqual(n.api("GET", path)["data"], [])


if __name__ == "__main__":
    main()
