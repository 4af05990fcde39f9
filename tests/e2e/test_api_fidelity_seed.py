"""API fidelity, second pass: what go-tfe 0.11.1 (the client library Debian packages, and the
tfe provider built on it) relies on, sent as it sends it (JSON:API bodies with their nulls), and
each rule tried as a read-only member of another team, or of another organization, would try it."""
import hashlib
import time

from harness import NodeTest, main, make_slug

PASSWORD = "a long enough password"


def doc(type_, rels=None, **attrs):
    d = {"data": {"type": type_, "attributes": attrs}}
    if rels:
        d["data"]["relationships"] = {k: {"data": {"type": t, "id": i}}
                                      for k, (t, i) in rels.items()}
    return d


class SeedClientTest(NodeTest):
    sandbox_name = "fidelity-seed"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        n = cls.node
        n.create_org("acme")
        n.create_org("other")
        cls.tokens = {}
        for name in ("reader", "outsider"):
            cls.new_user(name)
        # reader: a member of acme in a team with read access to nothing in particular
        cls.readers = n.api("POST", "/api/v2/organizations/acme/teams",
                            doc("teams", name="readers", visibility="organization"))["data"]
        cls.join("acme", cls.readers["id"], "reader")
        others = n.api("POST", "/api/v2/organizations/other/teams",
                       doc("teams", name="others", visibility="organization"))["data"]
        cls.join("other", others["id"], "outsider")

    @classmethod
    def new_user(cls, name):
        user = cls.node.api("POST", "/api/v2/admin/users", doc(
            "users", username=name, email=f"{name}@example.test", password=PASSWORD))["data"]
        cls.tokens[name] = cls.node.api(
            "POST", f"/api/v2/users/{user['id']}/authentication-tokens",
            doc("authentication-tokens"))["data"]["attributes"]["token"]
        return user

    @classmethod
    def join(cls, org, team_id, name):
        cls.node.api("POST", f"/api/v2/teams/{team_id}/relationships/users",
                     {"data": [{"type": "users", "id": name}]})
        own = cls.node.api("GET", "/api/v2/organization-memberships?filter%5Bstatus%5D=invited",
                           token=cls.tokens[name])
        for m in own["data"]:
            cls.node.api("POST", f"/api/v2/organization-memberships/{m['id']}/actions/accept",
                         token=cls.tokens[name])

    def status(self, method, path, body=None, token=None):
        return self.node.request(method, path, body, token=token)[0]

    # -- accept what TFE accepted --

    def test_variable_keys_any_up_to_128_characters(self):
        ws = self.node.create_workspace("acme", "keys")
        path = f"/api/v2/workspaces/{ws['id']}/vars"
        for key, category in (("1starts-with-digit", "terraform"), ("1digit", "env"),
                              ("-dash", "terraform"), ("has space", "terraform"),
                              ("k" * 128, "env"), ("é" * 128, "terraform")):
            v = self.node.api("POST", path, doc("vars", key=key, value="x", category=category,
                                                description=None, hcl=None, sensitive=None))
            self.assertEqual(v["data"]["attributes"]["key"], key)
        for key in ("", "k" * 129):
            status, answer, _ = self.node.request("POST", path, doc(
                "vars", key=key, value="x", category="env"))
            self.assertEqual(status, 422, (key, answer))
            self.assertEqual(answer["errors"][0]["source"]["pointer"], "/data/attributes/key")
        # a read-only member cannot add one, and another organization's member sees nothing
        body = doc("vars", key="9x", value="x", category="env")
        self.assertEqual(self.status("POST", path, body, self.tokens["reader"]), 404)
        self.assertEqual(self.status("POST", path, body, self.tokens["outsider"]), 404)

    def test_a_key_that_would_reshape_the_run_environment_is_skipped(self):
        """Keys are taken as TFE takes them; one holding "=" would name another environment
        variable (the CLI configuration holding the run's token) and is left out of the run."""
        n = self.node
        ws = n.create_workspace("acme", "odd-keys")
        for key, category in (("TF_CLI_CONFIG_FILE=/nonexistent", "env"),
                              ("x\ny", "terraform")):
            n.api("POST", f"/api/v2/workspaces/{ws['id']}/vars",
                  doc("vars", key=key, value="1", category=category))
        cv = n.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions", doc(
            "configuration-versions", **{"auto-queue-runs": False}))["data"]
        upload = cv["attributes"]["upload-url"].split(n.settings["hostname"])[1]
        slug = make_slug({"main.tf": b'output "x" { value = 1 }\n'})
        self.assertEqual(n.request("PUT", upload, slug, token=False)[0], 200)
        run = n.api("POST", "/api/v2/runs", doc("runs", {
            "workspace": ("workspaces", ws["id"]),
            "configuration-version": ("configuration-versions", cv["id"])},
            **{"plan-only": True}))["data"]
        deadline, status = time.time() + 120, ""
        while time.time() < deadline and status not in ("planned_and_finished", "errored"):
            time.sleep(0.5)
            status = n.api("GET", f"/api/v2/runs/{run['id']}")["data"]["attributes"]["status"]
        plan = n.api("GET", f"/api/v2/plans/{run['relationships']['plan']['data']['id']}")
        st, log, _ = n.request("GET", plan["data"]["attributes"]["log-read-url"].split(
            n.settings["hostname"])[1], token=False, raw=True)
        self.assertEqual(status, "planned_and_finished", log)
        self.assertIn(b'variable key "TF_CLI_CONFIG_FILE=/nonexistent" cannot be given', log)
        self.assertIn(b"it is skipped", log)

    def test_team_names_take_printable_characters(self):
        path = "/api/v2/organizations/acme/teams"
        team = self.node.api("POST", path, doc("teams", name="foo bar", visibility=None,
                                               **{"organization-access": None}))["data"]
        self.assertEqual(team["attributes"]["name"], "foo bar")
        self.assertEqual(self.node.api("GET", f"/api/v2/teams/{team['id']}")["data"]
                         ["attributes"]["name"], "foo bar")
        status, answer, _ = self.node.request("POST", path, doc("teams", name="foo bar"))
        self.assertEqual(status, 422, answer)  # unique per organization
        self.assertEqual(answer["errors"][0]["detail"], "Name has already been taken")
        # the same name in another organization is another team
        self.node.api("POST", "/api/v2/organizations/other/teams", doc("teams", name="foo bar"))
        for bad in ("", "tab\there", "x" * 91):
            self.assertEqual(self.status("POST", path, doc("teams", name=bad)), 422, bad)
        renamed = self.node.api("PATCH", f"/api/v2/teams/{team['id']}",
                                doc("teams", name="Ops & Friends (EU)"))["data"]
        self.assertEqual(renamed["attributes"]["name"], "Ops & Friends (EU)")
        self.assertEqual(self.status("POST", path, doc("teams", name="x y"),
                                     self.tokens["reader"]), 403)
        self.assertEqual(self.status("POST", path, doc("teams", name="x y"),
                                     self.tokens["outsider"]), 404)

    def test_ssh_key_values_are_stored_as_given_with_a_warning(self):
        path = "/api/v2/organizations/acme/ssh-keys"
        made = self.node.api("POST", path, doc("ssh-keys", name="not-a-key", value="hunter2"))
        self.assertEqual(made["data"]["attributes"]["name"], "not-a-key")
        self.assertNotIn("value", made["data"]["attributes"])  # write-only
        self.assertIn("does not look like a private key", made["meta"]["warnings"][0])
        pem = ("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
        fine = self.node.api("PATCH", f"/api/v2/ssh-keys/{made['data']['id']}",
                             doc("ssh-keys", name="now-a-key", value=pem))
        self.assertNotIn("meta", fine)
        self.assertEqual(fine["data"]["attributes"]["name"], "now-a-key")
        body = doc("ssh-keys", name="x", value="y")
        self.assertEqual(self.status("POST", path, body, self.tokens["reader"]), 403)
        self.assertEqual(self.status("POST", path, body, self.tokens["outsider"]), 404)
        self.assertEqual(self.status("PATCH", f"/api/v2/ssh-keys/{made['data']['id']}", body,
                                     self.tokens["outsider"]), 404)

    def test_memberships_invitation_is_emailed_when_smtp_is_set(self):
        from test_notifications import SMTPSink, wait_for
        n = self.node
        sink = SMTPSink()
        path = "/api/v2/organizations/acme/organization-memberships"
        smtp = "/api/v2/admin/smtp-settings"
        try:
            n.api("PATCH", smtp, doc("smtp-settings", enabled=True, host="127.0.0.1",
                                     port=sink.server_address[1], sender="strata@example.test",
                                     auth="none"))
            made = n.api("POST", path, doc("organization-memberships",
                                           email="mailed@example.test"))
            self.assertNotIn("meta", made)
            rcpt, data = wait_for(lambda: sink.messages and sink.messages[-1], what="an email")
            self.assertEqual(rcpt, ["mailed@example.test"])
            self.assertIn("Subject: [Strata] You are invited to the organization acme", data)
            # an SMTP server that does not answer: the invitation stands, with a warning
            sink.shutdown()
            sink.server_close()
            late = n.api("POST", path, doc("organization-memberships",
                                           email="unmailed@example.test"))
            self.assertEqual(late["data"]["attributes"]["status"], "invited")
            self.assertIn("the invitation e-mail was not sent", late["meta"]["warnings"][0])
        finally:
            n.api("PATCH", smtp, doc("smtp-settings", enabled=False))

    def test_memberships_invite_an_email_without_an_account(self):
        n = self.node
        team = n.api("POST", "/api/v2/organizations/acme/teams",
                     doc("teams", name="newcomers"))["data"]
        path = "/api/v2/organizations/acme/organization-memberships"
        body = doc("organization-memberships", email="newcomer@example.test")
        body["data"]["relationships"] = {"teams": {"data": [{"type": "teams", "id": team["id"]}]}}
        # a read-only member may not invite; another organization's member sees no acme
        self.assertEqual(self.status("POST", path, body, self.tokens["reader"]), 403)
        st, ans, _ = self.node.request("POST", path, body, token=self.tokens["outsider"])
        self.assertEqual(st, 404, ans)
        self.assertEqual(self.status("POST", path, doc("organization-memberships",
                                                       email="no-at-sign")), 422)
        made = n.api("POST", path + "?include=user", body)
        m = made["data"]
        self.assertEqual((m["attributes"]["status"], m["attributes"]["email"]),
                         ("invited", "newcomer@example.test"))
        self.assertEqual([t["id"] for t in m["relationships"]["teams"]["data"]], [team["id"]])
        placeholder = m["relationships"]["user"]["data"]["id"]
        self.assertIsNone(made["included"][0]["attributes"]["username"])
        self.assertEqual(self.status("POST", path, body), 422)  # invited already
        # team memberships by organization-membership id work for the invited
        other = n.api("POST", "/api/v2/organizations/acme/teams",
                      doc("teams", name="second team"))["data"]
        n.api("POST", f"/api/v2/teams/{other['id']}/relationships/organization-memberships",
              {"data": [{"type": "organization-memberships", "id": m["id"]}]})
        rels = n.api("GET", f"/api/v2/teams/{other['id']}")["data"]["relationships"]
        self.assertEqual([x["id"] for x in rels["organization-memberships"]["data"]], [m["id"]])
        # nobody signs in to the invitation
        from test_hostile_signin import Client
        self.assertEqual(Client(n).sign_in(placeholder, "!")[0], 401)
        # the account made for that e-mail takes the invitation's place: active, in its teams
        user = n.api("POST", "/api/v2/admin/users", doc(
            "users", username="newcomer", email="newcomer@example.test",
            password=PASSWORD))["data"]
        self.assertEqual(user["id"], placeholder)
        self.assertEqual(self.status("POST", "/api/v2/admin/users", doc(
            "users", username="again", email="newcomer@example.test", password=PASSWORD)), 422)
        tok = n.api("POST", f"/api/v2/users/{user['id']}/authentication-tokens",
                    doc("authentication-tokens"))["data"]["attributes"]["token"]
        own = n.api("GET", "/api/v2/organization-memberships", token=tok)["data"]
        self.assertEqual([(x["id"], x["attributes"]["status"]) for x in own],
                         [(m["id"], "active")])
        self.assertEqual(self.status("GET", "/api/v2/organizations/acme", token=tok), 200)
        self.assertEqual(self.status("GET", "/api/v2/organizations/other", token=tok), 404)
        self.assertEqual(Client(n).sign_in("newcomer", PASSWORD)[0], 201)

    # -- paths of the seed's era --

    def test_team_token_can_be_read(self):
        team = self.node.api("POST", "/api/v2/organizations/acme/teams",
                             doc("teams", name="tokened"))["data"]
        path = f"/api/v2/teams/{team['id']}/authentication-token"
        self.assertEqual(self.status("GET", path), 404)
        made = self.node.api("POST", path, doc("authentication-tokens", description=None,
                                               **{"expired-at": None}))["data"]
        read = self.node.api("GET", path)["data"]
        self.assertEqual((read["id"], read["type"]), (made["id"], "authentication-tokens"))
        self.assertNotIn("token", read["attributes"])  # shown once, at creation
        # a secret team is not seen by those outside it; another organization's member neither
        self.assertEqual(self.status("GET", path, token=self.tokens["reader"]), 404)
        self.assertEqual(self.status("GET", path, token=self.tokens["outsider"]), 404)
        # a member reads their own team's token only while the team lets members manage it
        own = f"/api/v2/teams/{self.readers['id']}/authentication-token"
        self.node.api("POST", own, doc("authentication-tokens"))
        self.node.api("PATCH", f"/api/v2/teams/{self.readers['id']}", doc(
            "teams", **{"allow-member-token-management": True}))
        self.assertEqual(self.status("GET", own, token=self.tokens["reader"]), 200)
        self.node.api("PATCH", f"/api/v2/teams/{self.readers['id']}", doc(
            "teams", **{"allow-member-token-management": False}))
        self.assertEqual(self.status("GET", own, token=self.tokens["reader"]), 403)
        self.assertEqual(self.status("DELETE", path), 204)
        self.assertEqual(self.status("GET", path), 404)

    def test_registry_modules_on_the_paths_of_go_tfe_0_11(self):
        n = self.node
        new = "/api/v2/organizations/acme/registry-modules/private/acme"
        n.api("POST", "/api/v2/organizations/acme/registry-modules", doc(
            "registry-modules", name="net", provider="aws", **{"registry-name": None,
                                                               "namespace": None}))
        # go-tfe 0.11's RegistryModules.CreateVersion
        v = n.api("POST", "/api/v2/registry-modules/acme/net/aws/versions",
                  doc("registry-module-versions", version="1.0.0"))["data"]
        upload = v["links"]["upload"].split(n.settings["hostname"])[1]
        slug = make_slug({"main.tf": b'output "x" { value = 1 }\n'})
        self.assertEqual(n.request("PUT", upload, slug, token=False)[0], 200)
        # the same module on both paths, with the caller's permissions
        old = n.api("GET", "/api/v2/registry-modules/show/acme/net/aws")["data"]
        self.assertEqual(old, n.api("GET", f"{new}/net/aws")["data"])
        self.assertEqual(old["attributes"]["permissions"],
                         {"can-delete": True, "can-resync": False, "can-retry": False})
        mine = n.api("GET", "/api/v2/registry-modules/show/acme/net/aws",
                     token=self.tokens["reader"])["data"]
        self.assertFalse(mine["attributes"]["permissions"]["can-delete"])
        self.assertEqual(n.api("GET", f"{new}/net/aws/version?module_version=1.0.0")["data"]
                         ["attributes"]["status"], "ok")
        # a read-only member may not change it; another organization's member does not see it
        for tok, want in ((self.tokens["reader"], 403), (self.tokens["outsider"], 404)):
            self.assertEqual(self.status("POST", "/api/v2/registry-modules/acme/net/aws/versions",
                                         doc("registry-module-versions", version="1.0.1"), tok),
                             want)
            self.assertEqual(self.status("POST", "/api/v2/registry-modules/actions/delete/acme/net",
                                         None, tok), want)
            if want == 404:
                self.assertEqual(self.status("GET", "/api/v2/registry-modules/show/acme/net/aws",
                                             token=tok), 404)
        n.api("POST", "/api/v2/registry-modules/acme/net/aws/versions",
              doc("registry-module-versions", version="1.0.1"))
        # go-tfe 0.11's Delete (by name); the newer paths also delete by provider and version
        n.api("POST", "/api/v2/registry-modules/actions/delete/acme/net/aws/1.0.1")
        statuses = n.api("GET", f"{new}/net/aws")["data"]["attributes"]["version-statuses"]
        self.assertEqual([s["version"] for s in statuses], ["1.0.0"])
        n.api("POST", "/api/v2/registry-modules/actions/delete/acme/net")
        self.assertEqual(self.status("GET", "/api/v2/registry-modules/show/acme/net/aws"), 404)
        self.assertEqual(self.status("GET", f"{new}/net/aws"), 404)
        self.assertEqual(self.status("POST", "/api/v2/registry-modules/actions/delete/acme/net"),
                         404)

    # -- answer what TFE answers --

    def test_users_answer_a_gravatar_url(self):
        me = self.node.api("GET", "/api/v2/account/details", token=self.tokens["reader"])["data"]
        want = hashlib.md5(b"reader@example.test").hexdigest()
        self.assertEqual(me["attributes"]["avatar-url"],
                         f"https://www.gravatar.com/avatar/{want}?s=100&d=mm")

    def test_workspaces_refuse_an_unknown_terraform_version(self):
        path = "/api/v2/organizations/acme/workspaces"
        status, answer, _ = self.node.request("POST", path, doc(
            "workspaces", name="tf-unknown", **{"terraform-version": "0.0.1"}))
        self.assertEqual(status, 422, answer)
        self.assertEqual(answer["errors"][0]["source"]["pointer"],
                         "/data/attributes/terraform-version")
        # an outsider learns nothing about acme from the version check
        self.assertEqual(self.status("POST", path, doc(
            "workspaces", name="x", **{"terraform-version": "0.0.1"}), self.tokens["outsider"]),
            404)
        ws = self.node.create_workspace("acme", "tf-known", **{"terraform-version": None})
        self.assertEqual(ws["attributes"]["terraform-version"], "latest")
        wpath = f"/api/v2/workspaces/{ws['id']}"
        self.assertEqual(self.status("PATCH", wpath, doc(
            "workspaces", **{"terraform-version": "0.0.1"})), 422)
        # the node's own terraform and a registered version are known
        self.node.api("POST", "/api/v2/admin/terraform-versions", doc(
            "terraform-versions", version="1.77.0", path="/usr/bin/true", enabled=True))
        upd = self.node.api("PATCH", wpath, doc("workspaces", **{"terraform-version": "1.77.0"}))
        self.assertEqual(upd["data"]["attributes"]["terraform-version"], "1.77.0")
        self.assertEqual(self.status("PATCH", wpath, doc(
            "workspaces", **{"terraform-version": "latest"})), 200)

    def test_team_access_levels_refuse_custom_permissions(self):
        ws = self.node.create_workspace("acme", "access")
        team = self.node.api("POST", "/api/v2/organizations/acme/teams",
                             doc("teams", name="access team"))["data"]
        rels = {"workspace": ("workspaces", ws["id"]), "team": ("teams", team["id"])}
        for attr, value, name in (("runs", "apply", "Runs"), ("variables", "write", "Variables"),
                                  ("state-versions", "write", "State versions"),
                                  ("sentinel-mocks", "read", "Sentinel mocks"),
                                  ("workspace-locking", True, "Workspace locking"),
                                  ("run-tasks", False, "Run tasks")):
            status, answer, _ = self.node.request("POST", "/api/v2/team-workspaces", doc(
                "team-workspaces", rels, access="read", **{attr: value}))
            self.assertEqual(status, 422, answer)
            e = answer["errors"][0]
            self.assertEqual(e["title"], "invalid attribute")
            self.assertEqual(e["detail"], f"{name} is read-only when access level is 'read'; "
                             "use the 'custom' access level to set this attribute.")
        # go-tfe sends the unset permissions as nulls: absent
        made = self.node.api("POST", "/api/v2/team-workspaces", doc(
            "team-workspaces", rels, access="write", runs=None, variables=None))["data"]
        self.assertEqual(made["attributes"]["runs"], "apply")
        status, answer, _ = self.node.request("PATCH", f"/api/v2/team-workspaces/{made['id']}",
                                              doc("team-workspaces", access="plan", runs="read"))
        self.assertEqual(status, 422, answer)
        self.assertIn("Runs is read-only when access level is 'plan'",
                      answer["errors"][0]["detail"])
        custom = self.node.api("PATCH", f"/api/v2/team-workspaces/{made['id']}",
                               doc("team-workspaces", access="custom", runs="read"))["data"]
        self.assertEqual(custom["attributes"]["runs"], "read")

    def test_organization_session_settings_are_stored_and_end_sessions(self):
        n = self.node
        n.create_org("strict")
        strict = n.api("POST", "/api/v2/organizations/strict/teams",
                       doc("teams", name="strict members"))["data"]
        self.new_user("remember")
        self.join("strict", strict["id"], "remember")
        fresh = n.api("GET", "/api/v2/organizations/strict")["data"]["attributes"]
        self.assertEqual((fresh["session-timeout"], fresh["session-remember"]), (20160, 20160))
        for bad in (0, -5, "x", 525601):
            self.assertEqual(self.status("PATCH", "/api/v2/organizations/acme", doc(
                "organizations", **{"session-timeout": bad})), 422, bad)
        body = doc("organizations", email=None, **{"session-timeout": 1,
                                                   "session-remember": None})
        self.assertEqual(self.status("PATCH", "/api/v2/organizations/acme", body,
                                     self.tokens["reader"]), 403)
        self.assertEqual(self.status("PATCH", "/api/v2/organizations/acme", body,
                                     self.tokens["outsider"]), 404)
        a = n.api("PATCH", "/api/v2/organizations/acme", body)["data"]["attributes"]
        self.assertEqual((a["session-timeout"], a["session-remember"]), (1, 20160))
        a = n.api("PATCH", "/api/v2/organizations/strict", doc(
            "organizations", **{"session-remember": 1}))["data"]["attributes"]
        self.assertEqual((a["session-timeout"], a["session-remember"]), (20160, 1))
        self.assertEqual(n.api("GET", "/api/v2/organizations/acme")["data"]["attributes"]
                         ["session-timeout"], 1)
        # browser sessions: acme's members end after a minute idle, strict's a minute after
        # sign-in whatever they do, other's keep TFE's defaults
        from test_hostile_signin import Client
        browsers = {}
        for name, user in (("busy", "reader"), ("idle", "reader"), ("remember", "remember"),
                           ("default", "outsider")):
            browsers[name] = Client(n)
            self.assertEqual(browsers[name].sign_in(user, PASSWORD)[0], 201, name)
        start = time.time()
        while time.time() - start < 80:
            time.sleep(10)
            self.assertEqual(browsers["busy"].request("GET", "/session")[0], 200)
            browsers["remember"].request("GET", "/session")
        self.assertEqual(browsers["busy"].request("GET", "/session")[0], 200)
        self.assertEqual(browsers["idle"].request("GET", "/session")[0], 401)
        self.assertEqual(browsers["remember"].request("GET", "/session")[0], 401)
        self.assertEqual(browsers["default"].request("GET", "/session")[0], 200)

    def test_run_permissions_follow_the_caller_not_the_state(self):
        n = self.node
        ws = n.create_workspace("acme", "run-perms")
        n.api("POST", "/api/v2/team-workspaces", doc(
            "team-workspaces", {"workspace": ("workspaces", ws["id"]),
                                "team": ("teams", self.readers["id"])}, access="read"))
        cv = n.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions", doc(
            "configuration-versions", **{"auto-queue-runs": False, "speculative": None}))["data"]
        upload = cv["attributes"]["upload-url"].split(n.settings["hostname"])[1]
        slug = make_slug({"main.tf": b'output "x" { value = 1 }\n'})
        self.assertEqual(n.request("PUT", upload, slug, token=False)[0], 200)
        run = n.api("POST", "/api/v2/runs", doc("runs", {
            "workspace": ("workspaces", ws["id"]),
            "configuration-version": ("configuration-versions", cv["id"])},
            message=None, **{"plan-only": True, "is-destroy": None}))["data"]
        names = ("can-apply", "can-cancel", "can-discard", "can-force-execute", "can-force-cancel")

        def check(final):
            for tok, want in ((None, True), (self.tokens["reader"], False)):
                a = n.api("GET", f"/api/v2/runs/{run['id']}", token=tok)["data"]["attributes"]
                self.assertEqual({k: a["permissions"][k] for k in names},
                                 {k: want for k in names}, (a["status"], want))
                self.assertFalse(a["actions"]["is-force-cancelable"], a["status"])
                if final:
                    self.assertFalse(a["actions"]["is-cancelable"])
            self.assertEqual(self.status("GET", f"/api/v2/runs/{run['id']}",
                                         token=self.tokens["outsider"]), 404)
            return a["status"]

        check(False)
        deadline = time.time() + 120
        status = ""
        while time.time() < deadline and status not in ("planned_and_finished", "errored"):
            time.sleep(0.5)
            status = n.api("GET", f"/api/v2/runs/{run['id']}")["data"]["attributes"]["status"]
        self.assertIn(status, ("planned_and_finished", "errored"))
        check(True)

    def test_entitlements_say_true_for_what_exists(self):
        a = self.node.api("GET", "/api/v2/organizations/acme/entitlement-set")["data"]["attributes"]
        for present in ("operations", "state-storage", "teams", "private-module-registry",
                        "audit-logging"):
            self.assertTrue(a[present], present)
        for missing in ("sentinel", "vcs-integrations", "sso", "agents", "cost-estimation",
                        "run-tasks"):
            self.assertFalse(a[missing], missing)
        self.assertEqual(self.status("GET", "/api/v2/organizations/acme/entitlement-set",
                                     token=self.tokens["outsider"]), 404)


if __name__ == "__main__":
    main()
