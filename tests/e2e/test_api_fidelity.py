"""API fidelity: the TFE API v2 as HashiCorp's clients send and read it — null means absent,
documented attributes stored as set, one representation per resource, every list paged — and
the header that asks terraform for intermediate state snapshots."""
import base64
import hashlib
import json
import time

from harness import NodeTest, main, make_slug


def attrs_doc(type_, **attrs):
    return {"data": {"type": type_, "attributes": attrs}}


def without_urls(doc):
    """A resource without its signed URLs (they are signed anew on every answer)."""
    d = json.loads(json.dumps(doc))
    for k in list(d["attributes"]):
        if k.endswith("-url"):
            d["attributes"].pop(k)
    return d


class FidelityTest(NodeTest):
    sandbox_name = "fidelity"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.node.create_org("acme")

    def test_null_means_absent(self):
        ws = self.node.api("POST", "/api/v2/organizations/acme/workspaces", attrs_doc(
            "workspaces", name="nulls", description=None, **{
                "auto-apply": None, "terraform-version": None, "working-directory": None,
                "allow-destroy-plan": None, "trigger-prefixes": None, "source-name": None}))["data"]
        a = ws["attributes"]
        self.assertEqual((a["description"], a["auto-apply"], a["terraform-version"]),
                         ("", False, "latest"))
        self.assertTrue(a["allow-destroy-plan"])
        self.assertEqual(a["trigger-prefixes"], [])
        self.assertIsNone(a["source-name"])
        # a state version with "force": null, as go-tfe sends it
        state = json.dumps({"version": 4, "terraform_version": "1.11.4", "serial": 1,
                            "lineage": "l-1", "outputs": {}, "resources": []}).encode()
        lock = f"/api/v2/workspaces/{ws['id']}/actions/lock"
        self.node.api("POST", lock, {"reason": "test"})
        sv = self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/state-versions", attrs_doc(
            "state-versions", serial=1, md5=hashlib.md5(state).hexdigest(), lineage="l-1",
            state=base64.b64encode(state).decode(), force=None, **{"json-state": None}))
        self.assertEqual(sv["data"]["attributes"]["serial"], 1)
        var = self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/vars", attrs_doc(
            "vars", key="k", value=None, category="terraform", description=None, hcl=None,
            sensitive=None))["data"]["attributes"]
        self.assertEqual((var["value"], var["hcl"], var["sensitive"]), ("", False, False))

    def test_null_for_every_optional_attribute_everywhere(self):
        ws = self.node.create_workspace("acme", "nulls-everywhere", **{"tag-names": None})
        wid = ws["id"]
        cv = self.node.api("POST", f"/api/v2/workspaces/{wid}/configuration-versions", attrs_doc(
            "configuration-versions", **{"auto-queue-runs": False, "speculative": None,
                                         "provisional": None}))["data"]
        self.assertFalse(cv["attributes"]["speculative"])
        url = cv["attributes"]["upload-url"].split(self.node.settings["hostname"])[1]
        slug = make_slug({"main.tf": b'resource "terraform_data" "x" {}\n'})
        self.assertEqual(self.node.request("PUT", url, body=slug, token=False)[0], 200)
        time.sleep(0.3)
        run = self.node.api("POST", "/api/v2/runs", {"data": {"type": "runs", "attributes": {
            "message": None, "is-destroy": None, "refresh": None, "refresh-only": None,
            "plan-only": True, "auto-apply": None, "allow-empty-apply": None, "save-plan": None,
            "target-addrs": None, "replace-addrs": None, "variables": None},
            "relationships": {"workspace": {"data": {"type": "workspaces", "id": wid}},
                              "configuration-version": None}}})["data"]
        self.assertTrue(run["attributes"]["refresh"])
        self.assertEqual(run["attributes"]["target-addrs"], [])
        var = self.node.api("POST", f"/api/v2/workspaces/{wid}/vars", attrs_doc(
            "vars", key="v", value="1", category="env"))["data"]
        upd = self.node.api("PATCH", f"/api/v2/workspaces/{wid}/vars/{var['id']}", attrs_doc(
            "vars", key=None, value=None, category=None, description=None, hcl=None,
            sensitive=None))["data"]["attributes"]
        self.assertEqual((upd["key"], upd["category"]), ("v", "env"))
        org = self.node.api("PATCH", "/api/v2/organizations/acme", attrs_doc(
            "organizations", name=None, email=None, **{"default-execution-mode": None}))["data"]
        self.assertEqual(org["attributes"]["name"], "acme")
        self.node.api("POST", f"/api/v2/workspaces/{wid}/actions/lock",
                      {"data": {"attributes": {"reason": None}}})
        self.node.api("POST", f"/api/v2/workspaces/{wid}/actions/unlock")
        tok = self.node.api("POST", "/api/v2/organizations/acme/authentication-token",
                            attrs_doc("authentication-tokens", description=None,
                                      **{"expired-at": None}))["data"]
        self.assertIn("token", tok["attributes"])
        self.node.api("DELETE", "/api/v2/organizations/acme/authentication-token")
        ws2 = self.node.api("PATCH", f"/api/v2/workspaces/{wid}", {"data": {
            "type": "workspaces", "attributes": {"description": None},
            "relationships": {"tags": {"data": None}}}})["data"]
        self.assertEqual(ws2["attributes"]["name"], "nulls-everywhere")

    def test_errors_name_the_attribute_and_status(self):
        wid = self.node.create_workspace("acme", "errors")["id"]
        cases = [
            ("POST", "/api/v2/organizations/acme/workspaces", b"{not json", 400, None),
            ("POST", "/api/v2/organizations/acme/workspaces",
             attrs_doc("workspaces", name="x", **{"auto-apply": "yes"}), 422,
             "/data/attributes/auto-apply"),
            ("POST", "/api/v2/organizations/acme/workspaces", attrs_doc("workspaces", name="x y"),
             422, "/data/attributes/name"),
            ("POST", f"/api/v2/workspaces/{wid}/vars", attrs_doc("vars", key="k", category="x"),
             422, "/data/attributes/category"),
            ("PATCH", f"/api/v2/workspaces/{wid}", attrs_doc("workspaces", **{
                "execution-mode": "sideways"}), 422, "/data/attributes/execution-mode"),
            ("GET", "/api/v2/workspaces/ws-doesnotexist", None, 404, None),
            ("GET", f"/api/v2/workspaces/{wid}/vars?page%5Bnumber%5D=-1", None, 422, None),
        ]
        for method, path, body, status, pointer in cases:
            got, doc, headers = self.node.request(method, path, body)
            self.assertEqual(got, status, (method, path, doc))
            self.assertIn("application/vnd.api+json", headers["Content-Type"])
            err = doc["errors"][0]
            self.assertEqual(err["status"], str(status))
            self.assertTrue(err["title"])
            if pointer:
                self.assertEqual(err["source"]["pointer"], pointer)

    def test_workspace_attributes_are_stored_as_set(self):
        given = {"allow-destroy-plan": False, "file-triggers-enabled": False,
                 "queue-all-runs": True, "trigger-prefixes": ["modules/", "shared"],
                 "speculative-enabled": False, "description": "the app",
                 "working-directory": "infra", "source-name": "ci", "source-url":
                 "https://ci.example.test/job/1", "global-remote-state": True, "auto-apply": True}
        created = self.node.api("POST", "/api/v2/organizations/acme/workspaces",
                                attrs_doc("workspaces", name="stored", **given))["data"]
        for k, v in given.items():
            self.assertEqual(created["attributes"][k], v, k)
        read = self.node.api("GET", f"/api/v2/workspaces/{created['id']}")["data"]
        listed = [w for w in self.node.api(
            "GET", "/api/v2/organizations/acme/workspaces?search%5Bname%5D=stored")["data"]
            if w["id"] == created["id"]][0]
        self.assertEqual(read, created)
        self.assertEqual(listed, created)
        # an update of a subset leaves the rest as it was
        updated = self.node.api("PATCH", f"/api/v2/workspaces/{created['id']}", attrs_doc(
            "workspaces", **{"queue-all-runs": False, "trigger-prefixes": []}))["data"]
        for k, v in given.items():
            want = {"queue-all-runs": False, "trigger-prefixes": []}.get(k, v)
            self.assertEqual(updated["attributes"][k], want, k)
        status, doc, _ = self.node.request("PATCH", f"/api/v2/workspaces/{created['id']}",
                                           attrs_doc("workspaces", **{"trigger-prefixes": "x"}))
        self.assertEqual(status, 422, doc)
        self.assertEqual(doc["errors"][0]["source"]["pointer"],
                         "/data/attributes/trigger-prefixes")

    def test_configuration_version_has_one_representation(self):
        ws = self.node.create_workspace("acme", "cvs")
        path = f"/api/v2/workspaces/{ws['id']}/configuration-versions"
        created = self.node.api("POST", path, attrs_doc("configuration-versions",
                                                        **{"auto-queue-runs": False}))["data"]
        read = self.node.api("GET", f"/api/v2/configuration-versions/{created['id']}")["data"]
        listed = self.node.api("GET", path)["data"][0]
        self.assertEqual(without_urls(read), without_urls(created))
        self.assertEqual(without_urls(listed), without_urls(created))
        self.assertIn("upload-url", listed["attributes"])

    def test_create_read_update_and_list_answer_one_representation(self):
        org = self.node.create_org("onerep")
        self.assertEqual(self.node.api("GET", "/api/v2/organizations/onerep")["data"], org)
        listed = [o for o in self.node.api("GET", "/api/v2/organizations?page%5Bsize%5D=100")
                  ["data"] if o["id"] == "onerep"]
        self.assertEqual(listed, [org])
        updated = self.node.api("PATCH", "/api/v2/organizations/onerep", attrs_doc(
            "organizations", email="other@example.test"))["data"]
        self.assertEqual(self.node.api("GET", "/api/v2/organizations/onerep")["data"], updated)
        ws = self.node.create_workspace("onerep", "app")
        path = f"/api/v2/workspaces/{ws['id']}/vars"
        made = self.node.api("POST", path, attrs_doc(
            "vars", key="region", value="eu", category="terraform", description="where",
            hcl=False, sensitive=False))["data"]
        self.assertEqual(made["attributes"]["description"], "where")
        self.assertEqual(self.node.api("GET", f"{path}/{made['id']}")["data"], made)
        self.assertEqual(self.node.api("GET", path)["data"], [made])
        changed = self.node.api("PATCH", f"{path}/{made['id']}", attrs_doc(
            "vars", value='"us"', hcl=True))["data"]
        self.assertEqual((changed["attributes"]["value"], changed["attributes"]["hcl"],
                          changed["attributes"]["description"]), ('"us"', True, "where"))
        self.assertEqual(self.node.api("GET", path)["data"], [changed])
        secret = self.node.api("POST", path, attrs_doc(
            "vars", key="pw", value="hunter2hunter2", category="env", sensitive=True))["data"]
        self.assertIsNone(secret["attributes"]["value"])  # write-only, in every answer
        self.assertEqual(self.node.api("GET", f"{path}/{secret['id']}")["data"], secret)
        self.assertEqual([v for v in self.node.api("GET", path)["data"] if v["id"] == secret["id"]],
                         [secret])
        state = json.dumps({"version": 4, "terraform_version": "1.11.4", "serial": 1,
                            "lineage": "l-3", "outputs": {"o": {"value": "v", "type": "string"}},
                            "resources": []}).encode()
        self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/actions/lock", {"reason": "t"})
        self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/state-versions", attrs_doc(
            "state-versions", serial=1, md5=hashlib.md5(state).hexdigest(), lineage="l-3",
            state=base64.b64encode(state).decode()))
        cur = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/current-state-version")["data"]
        shown = self.node.api("GET", f"/api/v2/state-versions/{cur['id']}")["data"]
        listed = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/state-versions")["data"]
        self.assertEqual(without_urls(shown), without_urls(cur))
        self.assertEqual([without_urls(v) for v in listed], [without_urls(cur)])

    def test_admin_terraform_versions_store_every_flag(self):
        from harness import TERRAFORM
        api = "/api/v2/admin/terraform-versions"
        made = self.node.api("POST", api, attrs_doc(
            "terraform-versions", version="1.50.0", path=TERRAFORM, official=True, beta=True,
            deprecated=True, **{"deprecated-reason": "use 1.51", "enabled": None}))["data"]
        a = made["attributes"]
        self.assertEqual((a["official"], a["beta"], a["deprecated"], a["deprecated-reason"],
                          a["enabled"], a["usage"]), (True, True, True, "use 1.51", True, 0))
        self.node.create_workspace("acme", "pinned-150", **{"terraform-version": "1.50.0"})
        read = self.node.api("GET", f"{api}/{made['id']}")["data"]
        self.assertEqual(read["attributes"]["usage"], 1)
        listed = [v for v in self.node.api("GET", api)["data"] if v["id"] == made["id"]]
        self.assertEqual(listed, [read])
        upd = self.node.api("PATCH", f"{api}/{made['id']}", attrs_doc(
            "terraform-versions", deprecated=False, beta=None))["data"]["attributes"]
        self.assertEqual((upd["deprecated"], upd["beta"], upd["official"]), (False, True, True))

    def test_runs_answer_their_variables_and_queue_position(self):
        ws = self.node.create_workspace("acme", "queued")
        cv = self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions",
                           attrs_doc("configuration-versions", **{"auto-queue-runs": False}))["data"]
        url = cv["attributes"]["upload-url"].split(self.node.settings["hostname"])[1]
        slug = make_slug({"main.tf": b'variable "n" {}\nresource "terraform_data" "x" {\n'
                                     b'  input = var.n\n}\n'})
        self.assertEqual(self.node.request("PUT", url, body=slug, token=False)[0], 200)
        time.sleep(0.3)
        def run(n):
            return self.node.api("POST", "/api/v2/runs", {"data": {"type": "runs", "attributes": {
                "variables": [{"key": "n", "value": f'"{n}"'}]}, "relationships": {
                "workspace": {"data": {"type": "workspaces", "id": ws["id"]}}}}})["data"]
        first = run(1)
        self.assertEqual(first["attributes"]["variables"], [{"key": "n", "value": '"1"'}])
        for _ in range(300):
            status = self.node.api("GET", f"/api/v2/runs/{first['id']}")["data"]["attributes"]["status"]
            if status in ("planned", "errored"):
                break
            time.sleep(0.2)
        self.assertEqual(status, "planned")  # it waits for confirmation, holding the workspace
        second = run(2)
        self.assertEqual(second["attributes"]["status"], "pending")
        self.assertEqual(second["attributes"]["position-in-queue"], 1)
        read = self.node.api("GET", f"/api/v2/runs/{second['id']}")["data"]["attributes"]
        self.assertEqual((read["position-in-queue"], read["variables"]),
                         (1, [{"key": "n", "value": '"2"'}]))
        self.node.api("POST", f"/api/v2/runs/{first['id']}/actions/discard")
        self.node.api("POST", f"/api/v2/runs/{second['id']}/actions/discard", expect=(202, 409))

    def test_every_list_pages(self):
        ws = self.node.create_workspace("acme", "paged")
        for i in range(5):
            self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/vars",
                          attrs_doc("vars", key=f"v{i}", value=str(i), category="terraform"))
            self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions",
                          attrs_doc("configuration-versions", **{"auto-queue-runs": False}))
        for path in (f"/api/v2/workspaces/{ws['id']}/vars",
                     f"/api/v2/workspaces/{ws['id']}/configuration-versions"):
            doc = self.node.api("GET", path + "?page%5Bsize%5D=2&page%5Bnumber%5D=2")
            pg = doc["meta"]["pagination"]
            self.assertEqual(len(doc["data"]), 2, path)
            self.assertEqual((pg["current-page"], pg["prev-page"], pg["next-page"],
                              pg["total-pages"], pg["total-count"]), (2, 1, 3, 3, 5), path)
            past = self.node.api("GET", path + "?page%5Bsize%5D=2&page%5Bnumber%5D=9")
            self.assertEqual(past["data"], [])
            self.assertEqual(past["meta"]["pagination"]["total-count"], 5)
            status, _, _ = self.node.request("GET", path + "?page%5Bsize%5D=zero")
            self.assertEqual(status, 422)
        for path in ("/api/v2/admin/terraform-versions",
                     f"/api/v2/workspaces/{ws['id']}/relationships/tags",
                     f"/api/v2/workspaces/{ws['id']}/tag-bindings"):
            self.assertIn("pagination", self.node.api("GET", path)["meta"], path)

    def test_variable_keys_follow_tfe_rules(self):
        ws = self.node.create_workspace("acme", "keys")
        path = f"/api/v2/workspaces/{ws['id']}/vars"
        for key, category in (("key-with-dashes", "terraform"), ("_under", "terraform"),
                              ("TF_VAR_key-with-dashes", "env"), ("lower.dotted", "env"),
                              ("1starts-with-digit", "terraform"), ("has space", "terraform")):
            v = self.node.api("POST", path, attrs_doc("vars", key=key, value="",
                                                      category=category))["data"]
            self.assertEqual((v["attributes"]["key"], v["attributes"]["value"]), (key, ""))
        for key, category in (("", "env"), ("", "terraform"), ("k" * 129, "env")):
            status, doc, _ = self.node.request("POST", path, attrs_doc(
                "vars", key=key, value="x", category=category))
            self.assertEqual(status, 422, (key, doc))

    def test_state_version_calls_ask_for_intermediate_snapshots(self):
        """terraform (internal/cloud/state.go) saves state during an apply only when the
        state-version create and current-state-version answers carry this header."""
        ws = self.node.create_workspace("acme", "snapshots")
        status, _, headers = self.node.request(
            "GET", f"/api/v2/workspaces/{ws['id']}/current-state-version")
        self.assertEqual((status, headers["X-Terraform-Snapshot-Interval"]), (404, "5"))
        state = json.dumps({"version": 4, "terraform_version": "1.11.4", "serial": 1,
                            "lineage": "l-2", "outputs": {}, "resources": []}).encode()
        self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/actions/lock", {"reason": "t"})
        status, _, headers = self.node.request(
            "POST", f"/api/v2/workspaces/{ws['id']}/state-versions", attrs_doc(
                "state-versions", serial=1, md5=hashlib.md5(state).hexdigest(), lineage="l-2",
                state=base64.b64encode(state).decode()))
        self.assertEqual((status, headers["X-Terraform-Snapshot-Interval"]), (201, "5"))
        self.assertIn("application/vnd.api+json", headers["Content-Type"])

    def test_include_puts_related_resources_in_included(self):
        ws = self.node.create_workspace("acme", "inc", **{"auto-apply": True})
        self.node.create_workspace("acme", "inc-other")
        cv = self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions",
                           attrs_doc("configuration-versions"))["data"]
        url = cv["attributes"]["upload-url"].split(self.node.settings["hostname"])[1]
        body = make_slug({"main.tf": b'output "o" {\n  value = "v"\n}\n'
                                     b'resource "terraform_data" "x" {}\n'})
        self.assertEqual(self.node.request("PUT", url, body=body, token=False)[0], 200)
        for _ in range(300):
            runs = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/runs")["data"]
            if runs and runs[0]["attributes"]["status"] in ("applied", "errored"):
                break
            time.sleep(0.2)
        self.assertEqual(runs[0]["attributes"]["status"], "applied")
        run = runs[0]

        def kinds(doc):
            return sorted({r["type"] for r in doc.get("included", [])})
        listed = self.node.api("GET", "/api/v2/organizations/acme/workspaces?search%5Bname%5D=inc"
                               "&include=organization,current_run,current_run.plan,"
                               "current-state-version,outputs,current_configuration_version")
        self.assertEqual(kinds(listed), ["configuration-versions", "organizations", "plans",
                                         "runs", "state-version-outputs", "state-versions"])
        self.assertEqual(len([r for r in listed["included"] if r["type"] == "organizations"]), 1)
        mine = [w for w in listed["data"] if w["id"] == ws["id"]][0]
        self.assertEqual(mine["relationships"]["current-configuration-version"]["data"]["id"],
                         cv["id"])
        shown = self.node.api("GET", f"/api/v2/runs/{run['id']}?include=plan,apply,created_by,"
                                     "configuration_version,workspace,task_stages")
        self.assertEqual(kinds(shown), ["applies", "configuration-versions", "plans",
                                        "workspaces"])  # an upload's run has no user
        sv = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/current-state-version"
                                  "?include=run,run.configuration_version,outputs")
        self.assertEqual(sv["data"]["relationships"]["run"]["data"]["id"], run["id"])
        self.assertEqual(kinds(sv), ["configuration-versions", "runs", "state-version-outputs"])
        cvdoc = self.node.api("GET", f"/api/v2/configuration-versions/{cv['id']}?include=run")
        self.assertEqual([r["id"] for r in cvdoc["included"]], [run["id"]])
        plain = self.node.api("GET", f"/api/v2/runs/{run['id']}")
        self.assertNotIn("included", plain)
        status, doc, _ = self.node.request("GET", f"/api/v2/runs/{run['id']}?include=nonsense")
        self.assertEqual(status, 400, doc)
        self.assertIn("nonsense", json.dumps(doc))

    def test_organization_rename_moves_everything(self):
        self.node.create_org("oldname")
        ws = self.node.create_workspace("oldname", "app")
        self.node.api("POST", "/api/v2/organizations/oldname/authentication-token",
                      attrs_doc("authentication-tokens"))
        renamed = self.node.api("PATCH", "/api/v2/organizations/oldname", attrs_doc(
            "organizations", name="newname", email="new@example.test"))["data"]
        self.assertEqual((renamed["id"], renamed["attributes"]["name"],
                          renamed["attributes"]["email"]),
                         ("newname", "newname", "new@example.test"))
        self.assertEqual(self.node.request("GET", "/api/v2/organizations/oldname")[0], 404)
        self.assertEqual(self.node.request(
            "GET", "/api/v2/organizations/oldname/workspaces/app")[0], 404)
        moved = self.node.api("GET", "/api/v2/organizations/newname/workspaces/app")["data"]
        self.assertEqual(moved["id"], ws["id"])
        self.assertEqual(moved["relationships"]["organization"]["data"]["id"], "newname")
        self.node.api("GET", "/api/v2/organizations/newname/authentication-token")
        teams = self.node.api("GET", "/api/v2/organizations/newname/teams")["data"]
        self.assertEqual([t["attributes"]["name"] for t in teams], ["owners"])
        self.node.create_org("taken")
        status, doc, _ = self.node.request("PATCH", "/api/v2/organizations/newname", attrs_doc(
            "organizations", name="taken"))
        self.assertEqual(status, 422, doc)
        self.node.api("GET", "/api/v2/organizations/newname/workspaces/app")

    def test_entitlements_say_what_exists(self):
        e = self.node.api("GET", "/api/v2/organizations/acme/entitlement-set")["data"]
        a = e["attributes"]
        self.assertTrue(a["operations"] and a["state-storage"])
        for missing in ("sentinel", "vcs-integrations", "sso", "agents", "cost-estimation",
                        "run-tasks"):
            self.assertFalse(a[missing], missing)

    def test_account_details_update_and_password(self):
        me = self.node.api("GET", "/api/v2/account/details")["data"]
        self.assertEqual(me["attributes"]["two-factor"], {"enabled": False, "verified": False})
        for k in ("username", "email", "is-site-admin", "permissions", "avatar-url"):
            self.assertIn(k, me["attributes"])
        upd = self.node.api("PATCH", "/api/v2/account/update", attrs_doc(
            "users", email="root@example.test"))["data"]
        self.assertEqual((upd["attributes"]["email"], upd["attributes"]["username"]),
                         ("root@example.test", me["attributes"]["username"]))
        self.assertEqual(self.node.api("GET", "/api/v2/account/details")["data"]["attributes"]
                         ["email"], "root@example.test")
        status, doc, _ = self.node.request("PATCH", "/api/v2/account/update",
                                           attrs_doc("users", username="bad name"))
        self.assertEqual(status, 422, doc)
        pw = "/api/v2/account/password"
        def change(current, new, confirm=None):
            return self.node.request("PATCH", pw, attrs_doc(
                "users", current_password=current, password=new,
                password_confirmation=confirm or new))[0]
        self.assertEqual(change("wrong password!!", "another long password"), 422)
        self.assertEqual(change("a long admin password", "another long password", "typo"), 422)
        self.assertEqual(change("a long admin password", "short"), 422)
        self.assertEqual(change("a long admin password", "another long password"), 200)
        self.assertEqual(change("a long admin password", "a third password!"), 422)
        self.assertEqual(change("another long password", "a long admin password"), 200)

    def test_organization_token_can_be_read_and_deleted(self):
        self.node.create_org("tokens")
        path = "/api/v2/organizations/tokens/authentication-token"
        self.assertEqual(self.node.request("GET", path)[0], 404)
        self.assertEqual(self.node.request("DELETE", path)[0], 404)
        made = self.node.api("POST", path, attrs_doc("authentication-tokens"))["data"]
        read = self.node.api("GET", path)["data"]
        self.assertEqual(read["id"], made["id"])
        self.assertNotIn("token", read["attributes"])  # shown once, at creation
        self.assertEqual(self.node.request("DELETE", path)[0], 204)
        self.assertEqual(self.node.request("GET", path)[0], 404)
        status, _, _ = self.node.request("GET", "/api/v2/account/details",
                                         token=made["attributes"]["token"])
        self.assertEqual(status, 401)
        # expired-at: stored, answered, enforced
        past = attrs_doc("authentication-tokens", **{"expired-at": "2001-01-01T00:00:00.000Z"})
        self.assertEqual(self.node.request("POST", path, past)[0], 422)
        soon = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + 3))
        made = self.node.api("POST", path, attrs_doc(
            "authentication-tokens", **{"expired-at": soon}))["data"]
        self.assertEqual(made["attributes"]["expired-at"], soon)
        self.assertEqual(self.node.api("GET", path)["data"]["attributes"]["expired-at"], soon)
        org_path = "/api/v2/organizations/tokens/workspaces"
        tok = made["attributes"]["token"]
        self.assertEqual(self.node.request("GET", org_path, token=tok)[0], 200)
        time.sleep(4.2)
        self.assertEqual(self.node.request("GET", org_path, token=tok)[0], 401)


FIRST_CONFIG = b'''
resource "terraform_data" "first" {
  input = "saved"
}
'''

# terraform persists an intermediate snapshot only while the server answers
# X-Terraform-Snapshot-Interval, and at most every 20 s counted from the apply's first state
# update (its local backend's floor): "early" starts that clock, "second" ends 26 s later
SNAPSHOT_CONFIG = FIRST_CONFIG + b'''
resource "terraform_data" "early" {
  input = "starts the clock"
}
resource "terraform_data" "second" {
  input = "saved too"
  provisioner "local-exec" {
    command = "sleep 26"
  }
}
resource "terraform_data" "slow" {
  depends_on = [terraform_data.second]
  provisioner "local-exec" {
    command = "sleep 120"
  }
}
'''


class SnapshotTest(NodeTest):
    sandbox_name = "snapshots"

    def upload(self, ws, config):
        node = self.node
        cv = node.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions",
                      attrs_doc("configuration-versions"))["data"]
        url = cv["attributes"]["upload-url"].split(node.settings["hostname"])[1]
        self.assertEqual(node.request("PUT", url, body=make_slug({"main.tf": config}),
                                      token=False)[0], 200)

    def current(self, ws):
        status, doc, _ = self.node.request(
            "GET", f"/api/v2/workspaces/{ws['id']}/current-state-version")
        return doc["data"] if status == 200 else None

    def wait_run(self, ws, statuses):
        for _ in range(300):
            runs = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/runs")["data"]
            if runs and runs[0]["attributes"]["status"] in statuses:
                return runs[0]
            time.sleep(0.3)
        self.fail(f"run not {statuses}")

    def test_a_node_killed_mid_apply_keeps_what_was_created(self):
        node = self.node
        node.create_org("acme")
        ws = node.create_workspace("acme", "snap", **{"auto-apply": True})
        self.upload(ws, FIRST_CONFIG)
        self.wait_run(ws, ("applied",))
        first = self.current(ws)["attributes"]["serial"]
        self.upload(ws, SNAPSHOT_CONFIG)
        run = self.wait_run(ws, ("applying",))
        saved = None
        for _ in range(200):
            cur = self.current(ws)
            if cur["attributes"]["serial"] > first:
                saved = cur
                break
            time.sleep(0.3)
        self.assertIsNotNone(saved, "no intermediate state was saved during the apply")
        run = node.api("GET", f"/api/v2/runs/{run['id']}")["data"]
        self.assertEqual(run["attributes"]["status"], "applying")  # "slow" still sleeps
        node.proc.kill()
        node.proc.wait()
        node.log.close()
        node.proc = None
        node.start()
        cur = self.current(ws)
        dl = cur["attributes"]["hosted-state-download-url"].split(node.settings["hostname"])[1]
        status, state, _ = node.request("GET", dl, token=False)
        self.assertEqual(status, 200)
        names = [r["name"] for r in state["resources"]]
        self.assertIn("second", names)
        self.assertNotIn("slow", names)
        run = node.api("GET", f"/api/v2/runs/{run['id']}")["data"]
        self.assertEqual(run["attributes"]["status"], "errored")  # an apply is never re-run
        ws = node.api("GET", f"/api/v2/workspaces/{ws['id']}")["data"]
        self.assertFalse(ws["attributes"]["locked"])


if __name__ == "__main__":
    main()
