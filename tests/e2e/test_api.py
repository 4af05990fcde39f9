"""The TFE API surface, driven directly: IACT rules, organizations, workspaces, tokens,
authorization (another organization's resource is 404), state versions with both upload forms,
and bad input that must be refused with a clear error and change nothing."""
import base64
import hashlib
import json

from harness import NodeTest, main

STATE = {"version": 4, "terraform_version": "1.11.4", "serial": 1,
         "lineage": "11111111-2222-3333-4444-555555555555",
         "outputs": {"greeting": {"value": "hello", "type": "string"},
                     "pw": {"value": "hunter2", "type": "string", "sensitive": True}},
         "resources": [], "check_results": None}


def state_bytes(serial=1, lineage=None, greeting="hello"):
    s = dict(STATE, serial=serial, lineage=lineage or STATE["lineage"])
    s["outputs"] = dict(STATE["outputs"], greeting={"value": greeting, "type": "string"})
    return json.dumps(s, indent=2).encode()


class APITest(NodeTest):
    sandbox_name = "api"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.node.create_org("acme")
        cls.node.create_org("other")

    # -- helpers --
    def new_ws(self, name, org="acme", token=None):
        return self.node.create_workspace(org, name, token=token)

    def lock(self, ws, token=None):
        self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/actions/lock",
                      {"reason": "test"}, token=token)

    def create_sv(self, ws, data, serial=1, lineage=None, force=False, md5=None, expect=(201,),
                  token=None):
        attrs = {"serial": serial, "md5": md5 or hashlib.md5(data).hexdigest(),
                 "lineage": lineage or STATE["lineage"], "force": force}
        status, doc, _ = self.node.request(
            "POST", f"/api/v2/workspaces/{ws['id']}/state-versions",
            {"data": {"type": "state-versions", "attributes": attrs}}, token=token)
        self.assertIn(status, expect, doc)
        return status, doc

    def upload(self, url, data):
        path = url.split(self.node.settings["hostname"], 1)[1]
        status, doc, _ = self.node.request("PUT", path, body=data, token=False,
                                           headers={"Content-Type": "application/octet-stream"})
        return status, doc

    def current(self, ws):
        status, doc, _ = self.node.request(
            "GET", f"/api/v2/workspaces/{ws['id']}/current-state-version")
        return doc["data"] if status == 200 else None

    # -- discovery, headers, auth --
    def test_discovery_ping_and_headers(self):
        status, doc, headers = self.node.request("GET", "/.well-known/terraform.json", token=False)
        self.assertEqual(status, 200)
        self.assertEqual(doc["tfe.v2"], "/api/v2/")
        status, _, headers = self.node.request("GET", "/api/v2/ping", token=False)
        self.assertEqual(status, 204)
        self.assertEqual(headers["TFP-API-Version"], "2.6")
        self.assertTrue(headers["X-TFE-Version"])

    def test_unknown_or_missing_token_is_401(self):
        for tok in (False, "nope", "x" * 40 + ".atlasv1." + "y" * 60):
            status, doc, _ = self.node.request("GET", "/api/v2/account/details", token=tok)
            self.assertEqual(status, 401)
            self.assertEqual(doc["errors"][0]["status"], "401")

    def test_account_details(self):
        doc = self.node.api("GET", "/api/v2/account/details")
        self.assertEqual(doc["data"]["attributes"]["username"], "admin")
        self.assertTrue(doc["data"]["attributes"]["is-site-admin"])

    def test_iact_is_single_use(self):
        status, body, _ = self.node.request("GET", "/admin/retrieve-iact", token=False)
        self.assertEqual(status, 404)
        status, body, _ = self.node.request(
            "POST", "/admin/initial-admin-user?token=whatever",
            body=json.dumps({"username": "x", "email": "x@y.z", "password": "0123456789ab"}),
            token=False)
        self.assertEqual(status, 404)

    def test_unknown_route_and_method(self):
        status, doc, _ = self.node.request("GET", "/api/v2/nothing-here")
        self.assertEqual(status, 404)
        status, doc, _ = self.node.request("PUT", "/api/v2/ping")
        self.assertEqual(status, 405)

    # -- organizations --
    def test_organization_crud_and_entitlements(self):
        org = self.node.create_org("temp-org")
        self.assertEqual(org["id"], "temp-org")
        ent = self.node.api("GET", "/api/v2/organizations/temp-org/entitlement-set")
        self.assertTrue(ent["data"]["attributes"]["state-storage"])
        upd = self.node.api("PATCH", "/api/v2/organizations/temp-org", {"data": {
            "type": "organizations", "attributes": {"default-execution-mode": "local"}}})
        self.assertEqual(upd["data"]["attributes"]["default-execution-mode"], "local")
        ws = self.new_ws("inherits", org="temp-org")
        self.assertEqual(ws["attributes"]["execution-mode"], "local")
        status, doc, _ = self.node.request("POST", "/api/v2/organizations", {"data": {
            "type": "organizations", "attributes": {"name": "temp-org", "email": "a@b.c"}}})
        self.assertEqual(status, 422)
        self.assertIn("taken", doc["errors"][0]["detail"])
        listed = self.node.api("GET", "/api/v2/organizations")
        self.assertIn("temp-org", [o["id"] for o in listed["data"]])
        self.node.api("DELETE", "/api/v2/organizations/temp-org")
        status, _, _ = self.node.request("GET", "/api/v2/organizations/temp-org")
        self.assertEqual(status, 404)

    def test_invalid_organization_input(self):
        cases = [
            ('{"data": {"type": "organizations", "attributes": {"name": 5, "email": "a@b.c"}}}',
             422, "/data/attributes/name"),
            ('{"data": {"type": "organizations", "attributes": {"name": "bad name!", '
             '"email": "a@b.c"}}}', 422, "/data/attributes/name"),
            ('{"data": ', 400, None),
            ('[]', 400, "/data"),
            ('{"data": {"type": "workspaces", "attributes": {"name": "x", "email": "a@b.c"}}}',
             422, "/data/type"),
        ]
        for body, status, pointer in cases:
            got, doc, _ = self.node.request("POST", "/api/v2/organizations", body=body,
                                            headers={"Content-Type": "application/vnd.api+json"})
            self.assertEqual(got, status, (body, doc))
            if pointer:
                self.assertEqual(doc["errors"][0]["source"]["pointer"], pointer)
            self.assertTrue(doc["errors"][0].get("detail"))

    # -- workspaces --
    def test_workspace_crud_search_and_pagination(self):
        for i in range(5):
            self.new_ws(f"page-{i}")
        doc = self.node.api("GET", "/api/v2/organizations/acme/workspaces?search%5Bname%5D=page-&"
                                   "page%5Bsize%5D=2&page%5Bnumber%5D=2")
        self.assertEqual([w["attributes"]["name"] for w in doc["data"]], ["page-2", "page-3"])
        pg = doc["meta"]["pagination"]
        self.assertEqual((pg["total-count"], pg["total-pages"], pg["next-page"], pg["prev-page"]),
                         (5, 3, 3, 1))
        ws = self.node.api("GET", "/api/v2/organizations/acme/workspaces/page-0")["data"]
        same = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}")["data"]
        self.assertEqual(ws["id"], same["id"])
        upd = self.node.api("PATCH", f"/api/v2/workspaces/{ws['id']}", {"data": {
            "type": "workspaces", "attributes": {"execution-mode": "local",
                                                 "terraform-version": "1.11.4",
                                                 "description": "d"}}})["data"]
        self.assertEqual(upd["attributes"]["execution-mode"], "local")
        self.assertFalse(upd["attributes"]["operations"])
        self.assertEqual(upd["attributes"]["terraform-version"], "1.11.4")
        status, doc, _ = self.node.request("PATCH", f"/api/v2/workspaces/{ws['id']}", {"data": {
            "type": "workspaces", "attributes": {"execution-mode": "sideways"}}})
        self.assertEqual(status, 422)
        status, doc, _ = self.node.request("PATCH", f"/api/v2/workspaces/{ws['id']}", {"data": {
            "type": "workspaces", "attributes": {"auto-apply": "yes"}}})
        self.assertEqual(status, 422)
        self.assertEqual(doc["errors"][0]["source"]["pointer"], "/data/attributes/auto-apply")
        self.node.api("DELETE", "/api/v2/organizations/acme/workspaces/page-4")
        status, _, _ = self.node.request("GET", "/api/v2/organizations/acme/workspaces/page-4")
        self.assertEqual(status, 404)
        status, doc, _ = self.node.request("POST", "/api/v2/organizations/acme/workspaces",
                                           {"data": {"type": "workspaces",
                                                     "attributes": {"name": "page-0"}}})
        self.assertEqual(status, 422)

    def test_workspace_tags(self):
        ws = self.node.create_workspace("acme", "tagme", **{"tag-names": ["a", "b"]})
        self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/relationships/tags",
                      {"data": [{"type": "tags", "attributes": {"name": "c"}}]})
        got = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}")["data"]
        self.assertEqual(got["attributes"]["tag-names"], ["a", "b", "c"])
        found = self.node.api("GET", "/api/v2/organizations/acme/workspaces?search%5Btags%5D=a,c")
        self.assertEqual([w["attributes"]["name"] for w in found["data"]], ["tagme"])
        none = self.node.api("GET", "/api/v2/organizations/acme/workspaces?search%5Btags%5D=a,zz")
        self.assertEqual(none["data"], [])

    def test_lock_rules(self):
        ws = self.new_ws("locks")
        self.lock(ws)
        status, doc, _ = self.node.request("POST", f"/api/v2/workspaces/{ws['id']}/actions/lock",
                                           {})
        self.assertEqual(status, 409)
        org_token = self.node.api("POST", "/api/v2/organizations/acme/authentication-token",
                                  {"data": {"type": "authentication-tokens"}})["data"]
        tok = org_token["attributes"]["token"]
        status, doc, _ = self.node.request("POST", f"/api/v2/workspaces/{ws['id']}/actions/unlock",
                                           token=tok)
        self.assertEqual(status, 409)
        self.assertIn("is locked by User", doc["errors"][0]["detail"])
        self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/actions/force-unlock", token=tok)
        status, doc, _ = self.node.request("POST", f"/api/v2/workspaces/{ws['id']}/actions/unlock")
        self.assertEqual(status, 409)
        self.assertIn("not locked", doc["errors"][0]["detail"])

    # -- tokens and authorization --
    def test_tokens_and_cross_organization_404(self):
        other_ws = self.new_ws("secret-ws", org="other")
        acme_ws = self.new_ws("visible-ws")
        org_tok = self.node.api("POST", "/api/v2/organizations/acme/authentication-token",
                                {"data": {"type": "authentication-tokens"}})["data"]
        tok = org_tok["attributes"]["token"]
        # the token sees its own organization...
        self.node.api("GET", f"/api/v2/workspaces/{acme_ws['id']}", token=tok)
        # ...and another organization's resources answer 404, not 403
        for path in (f"/api/v2/workspaces/{other_ws['id']}",
                     "/api/v2/organizations/other/workspaces/secret-ws",
                     "/api/v2/organizations/other",
                     "/api/v2/organizations/other/workspaces",
                     f"/api/v2/workspaces/{other_ws['id']}/current-state-version"):
            status, doc, _ = self.node.request("GET", path, token=tok)
            self.assertEqual(status, 404, path)
        status, _, _ = self.node.request("POST", "/api/v2/organizations/other/workspaces",
                                         {"data": {"type": "workspaces",
                                                   "attributes": {"name": "sneaky"}}}, token=tok)
        self.assertEqual(status, 404)
        # team tokens work the same way
        teams = self.node.api("GET", "/api/v2/organizations/acme/teams")["data"]
        self.assertEqual(teams[0]["attributes"]["name"], "owners")
        team_tok = self.node.api("POST", f"/api/v2/teams/{teams[0]['id']}/authentication-token",
                                 {"data": {"type": "authentication-tokens"}})["data"]
        self.node.api("GET", f"/api/v2/workspaces/{acme_ws['id']}",
                      token=team_tok["attributes"]["token"])
        status, _, _ = self.node.request("GET", f"/api/v2/workspaces/{other_ws['id']}",
                                         token=team_tok["attributes"]["token"])
        self.assertEqual(status, 404)
        # regenerating the organization token revokes the old one
        self.node.api("POST", "/api/v2/organizations/acme/authentication-token",
                      {"data": {"type": "authentication-tokens"}})
        status, _, _ = self.node.request("GET", f"/api/v2/workspaces/{acme_ws['id']}", token=tok)
        self.assertEqual(status, 401)

    def test_user_tokens(self):
        me = self.node.api("GET", "/api/v2/account/details")["data"]
        made = self.node.api("POST", f"/api/v2/users/{me['id']}/authentication-tokens",
                             {"data": {"type": "authentication-tokens",
                                       "attributes": {"description": "ci"}}})["data"]
        tok = made["attributes"]["token"]
        self.assertIn(".atlasv1.", tok)
        again = self.node.api("GET", "/api/v2/account/details", token=tok)["data"]
        self.assertEqual(again["id"], me["id"])
        shown = self.node.api("GET", f"/api/v2/authentication-tokens/{made['id']}")["data"]
        self.assertNotIn("token", shown["attributes"])
        self.node.api("DELETE", f"/api/v2/authentication-tokens/{made['id']}")
        status, _, _ = self.node.request("GET", "/api/v2/account/details", token=tok)
        self.assertEqual(status, 401)

    # -- state versions --
    def test_state_upload_flow_and_md5_mismatch(self):
        ws = self.new_ws("uploads")
        data = state_bytes()
        _, doc = self.create_sv(ws, data, expect=(409,))
        self.assertIn("locked", doc["errors"][0]["detail"])
        self.lock(ws)
        _, doc = self.create_sv(ws, data)
        attrs = doc["data"]["attributes"]
        self.assertEqual(attrs["status"], "pending")
        # wrong bytes: refused, nothing becomes current
        status, err = self.upload(attrs["hosted-state-upload-url"], data + b" ")
        self.assertEqual(status, 422)
        self.assertIn("MD5", err["errors"][0]["detail"])
        self.assertIsNone(self.current(ws))
        # the right bytes finalize it
        status, _ = self.upload(attrs["hosted-state-upload-url"], data)
        self.assertEqual(status, 200)
        status, _ = self.upload(attrs["hosted-json-state-upload-url"], b'{"format_version":"1.0"}')
        self.assertEqual(status, 200)
        cur = self.current(ws)
        self.assertEqual(cur["id"], doc["data"]["id"])
        self.assertEqual(cur["attributes"]["status"], "finalized")
        # a second upload to the same version is refused
        status, _ = self.upload(attrs["hosted-state-upload-url"], data)
        self.assertEqual(status, 409)
        # download through the hosted URL and the API
        path = cur["attributes"]["hosted-state-download-url"].split(
            self.node.settings["hostname"], 1)[1]
        status, body, _ = self.node.request("GET", path, token=False, raw=True)
        self.assertEqual((status, body), (200, data))
        status, body, _ = self.node.request("GET", f"/api/v2/state-versions/{cur['id']}/download",
                                            raw=True)
        self.assertEqual((status, body), (200, data))
        # outputs were read from the state itself (no json-state-outputs was sent)
        outs = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/current-state-version-outputs")
        by = {o["attributes"]["name"]: o["attributes"] for o in outs["data"]}
        self.assertEqual(by["greeting"]["value"], "hello")
        self.assertIsNone(by["pw"]["value"])
        self.assertTrue(by["pw"]["sensitive"])
        # a forged or altered URL is not accepted
        forged = attrs["hosted-state-upload-url"][:-3] + "AAA"
        status, _ = self.upload(forged, data)
        self.assertEqual(status, 404)

    def test_serial_and_lineage_conflicts(self):
        ws = self.new_ws("conflicts")
        self.lock(ws)
        first = state_bytes(serial=5)
        _, doc = self.create_sv(ws, first, serial=5)
        self.upload(doc["data"]["attributes"]["hosted-state-upload-url"], first)
        older = state_bytes(serial=4, greeting="old")
        _, doc = self.create_sv(ws, older, serial=4, expect=(409,))
        self.assertIn("serial 4 is lower", doc["errors"][0]["detail"])
        other = state_bytes(serial=6, lineage="99999999-2222-3333-4444-555555555555")
        _, doc = self.create_sv(ws, other, serial=6, lineage="99999999-2222-3333-4444-555555555555",
                                expect=(409,))
        self.assertIn("lineage", doc["errors"][0]["detail"])
        same_serial = state_bytes(serial=5, greeting="changed")
        _, doc = self.create_sv(ws, same_serial, serial=5, expect=(409,))
        self.assertEqual(self.current(ws)["attributes"]["serial"], 5)
        # force replaces it
        _, doc = self.create_sv(ws, older, serial=4, force=True)
        status, _ = self.upload(doc["data"]["attributes"]["hosted-state-upload-url"], older)
        self.assertEqual(status, 200)
        self.assertEqual(self.current(ws)["attributes"]["serial"], 4)

    def test_seed_era_inline_state(self):
        ws = self.new_ws("inline")
        self.lock(ws)
        data = state_bytes(serial=3, greeting="inline")
        status, doc, _ = self.node.request(
            "POST", f"/api/v2/workspaces/{ws['id']}/state-versions",
            {"data": {"type": "state-versions", "attributes": {
                "serial": 3, "md5": hashlib.md5(data).hexdigest(), "lineage": STATE["lineage"],
                "state": base64.b64encode(data).decode()}}})
        self.assertEqual(status, 201, doc)
        self.assertEqual(doc["data"]["attributes"]["status"], "finalized")
        cur = self.current(ws)
        self.assertEqual(cur["attributes"]["serial"], 3)
        outs = self.node.api("GET", f"/api/v2/state-versions/{cur['id']}/outputs")
        self.assertIn("inline", json.dumps(outs))
        # an inline state whose md5 does not match is refused and nothing is stored
        bad = state_bytes(serial=4)
        status, doc, _ = self.node.request(
            "POST", f"/api/v2/workspaces/{ws['id']}/state-versions",
            {"data": {"type": "state-versions", "attributes": {
                "serial": 4, "md5": hashlib.md5(b"x").hexdigest(), "lineage": STATE["lineage"],
                "state": base64.b64encode(bad).decode()}}})
        self.assertEqual(status, 422)
        self.assertEqual(self.current(ws)["attributes"]["serial"], 3)
        listed = self.node.api("GET", "/api/v2/state-versions?filter%5Bworkspace%5D%5Bname%5D="
                                      "inline&filter%5Borganization%5D%5Bname%5D=acme")
        self.assertEqual(len(listed["data"]), 1)

    def test_deleting_removes_state_blobs(self):
        self.node.create_org("doomed")
        ws = self.new_ws("w", org="doomed")
        ws2 = self.new_ws("w2", org="doomed")
        for w in (ws, ws2):
            self.lock(w)
            data = state_bytes()
            _, doc = self.create_sv(w, data)
            self.upload(doc["data"]["attributes"]["hosted-state-upload-url"], data)
        ids = [self.current(w)["id"] for w in (ws, ws2)]
        keys = self.node.blob_keys("state-versions")
        self.assertTrue(all(f"state-versions/{i}/state" in keys for i in ids), keys)
        self.node.api("DELETE", f"/api/v2/workspaces/{ws['id']}")
        self.assertFalse(self.node.blob_keys(f"state-versions/{ids[0]}"))
        self.node.api("DELETE", "/api/v2/organizations/doomed")
        self.assertFalse(self.node.blob_keys(f"state-versions/{ids[1]}"))
        status, _, _ = self.node.request("GET", f"/api/v2/workspaces/{ws2['id']}")
        self.assertEqual(status, 404)

    def test_invalid_state_version_input(self):
        ws = self.new_ws("badsv")
        self.lock(ws)
        cases = [({"serial": "1", "md5": "0" * 32}, "/data/attributes/serial"),
                 ({"md5": "0" * 32}, "/data/attributes/serial"),
                 ({"serial": 1, "md5": "xyz"}, "/data/attributes/md5"),
                 ({"serial": 1, "md5": "0" * 32, "force": "yes"}, "/data/attributes/force"),
                 ({"serial": 1, "md5": "0" * 32, "json-state-outputs": "%%%"},
                  "/data/attributes/json-state-outputs")]
        for attrs, pointer in cases:
            status, doc, _ = self.node.request(
                "POST", f"/api/v2/workspaces/{ws['id']}/state-versions",
                {"data": {"type": "state-versions", "attributes": attrs}})
            self.assertEqual(status, 422, (attrs, doc))
            self.assertEqual(doc["errors"][0]["source"]["pointer"], pointer)
        self.assertIsNone(self.current(ws))

    def test_oversized_bodies_are_refused(self):
        big = b"{" + b" " * (17 * 1024 * 1024) + b"}"
        status, doc, _ = self.node.request("POST", "/api/v2/organizations", body=big,
                                           headers={"Content-Type": "application/vnd.api+json"})
        self.assertEqual(status, 413)
        # the node is still fine
        self.node.api("GET", "/api/v2/account/details")


if __name__ == "__main__":
    main()
