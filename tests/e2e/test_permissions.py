"""Teams, memberships, team access and the audit trail: the permission matrix (every role ×
every route: the status, and that nothing changed on a refusal), the truthful permissions
blocks, the owners team's rules, invitations, team and organization tokens, and the audit
trail's records."""
import json
import subprocess
import time

from harness import STRATA_BIN, NodeTest, main, make_slug

PASSWORD = "a long enough password"

# What each role may do on the workspace W: abilities named after the routes below.
READ = {"read", "read_runs", "read_vars", "read_state", "read_outputs", "member"}
PLAN = READ | {"queue_plan"}
WRITE = PLAN | {"queue_apply", "write_vars", "write_state", "lock"}
ADMIN = WRITE | {"update", "force_unlock", "manage_access"}
ALL = ADMIN | {"create_ws", "manage_membership", "owner", "read_audit", "manage_vcs",
               "manage_modules"}
ROLES = {
    "owner": ALL,
    "manager": ADMIN | {"create_ws"},
    "ws_admin": ADMIN,
    "write": WRITE,
    "plan": PLAN,
    "read": READ,
    "custom": {"read", "read_runs", "read_outputs", "lock", "member"},
    "member": {"member"},
    "outsider": set(),
    "invited": set(),
    "org_token": ALL - {"queue_plan", "queue_apply"},
    "team_token": WRITE,
}


def doc(type_, **attrs):
    return {"data": {"type": type_, "attributes": attrs}}


class PermissionsTest(NodeTest):
    sandbox_name = "permissions"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        n = cls.node
        n.create_org("acme")
        n.create_org("other")
        cls.ws = n.create_workspace("acme", "w", description="original")
        cls.tokens = {}
        cls.users = {}
        for role in ("owner", "manager", "ws_admin", "write", "plan", "read", "custom",
                     "member", "outsider", "invited"):
            cls.users[role] = cls.new_user(role)
        owners = cls.team_named("acme", "owners")
        cls.join(owners["id"], "owner")
        mgr = cls.new_team("managers", {"manage-workspaces": True})
        cls.join(mgr["id"], "manager")
        cls.teams = {}
        for role, access in (("ws_admin", {"access": "admin"}), ("write", {"access": "write"}),
                             ("plan", {"access": "plan"}), ("read", {"access": "read"}),
                             ("custom", {"access": "custom", "runs": "read",
                                         "variables": "none", "state-versions": "read-outputs",
                                         "workspace-locking": True})):
            team = cls.new_team(f"team-{role}", {})
            cls.teams[role] = team
            cls.join(team["id"], role)
            cls.grant(team["id"], access)
        # a member of the organization in no team; someone of another organization only
        cls.invite("acme", "member", accept=True)
        cls.invite("other", "outsider", accept=True)
        # invited to the write team but never accepted: counts for nothing yet
        n.api("POST", f"/api/v2/teams/{cls.teams['write']['id']}/relationships/users",
              {"data": [{"type": "users", "id": "invited"}]})
        cls.tokens["org_token"] = n.api(
            "POST", "/api/v2/organizations/acme/authentication-token",
            doc("authentication-tokens"))["data"]["attributes"]["token"]
        cls.tokens["team_token"] = n.api(
            "POST", f"/api/v2/teams/{cls.teams['write']['id']}/authentication-token",
            doc("authentication-tokens"))["data"]["attributes"]["token"]
        # a team the matrix grants access with (the first allowed role; later ones find it done)
        cls.spare = cls.new_team("spare", {})
        cls.prepare_workspace()

    # -- set-up helpers (as the site admin) --
    @classmethod
    def new_user(cls, name):
        user = cls.node.api("POST", "/api/v2/admin/users", doc(
            "users", username=name, email=f"{name}@example.test", password=PASSWORD))["data"]
        tok = cls.node.api("POST", f"/api/v2/users/{user['id']}/authentication-tokens",
                           doc("authentication-tokens"))["data"]["attributes"]["token"]
        cls.tokens[name] = tok
        return user

    @classmethod
    def team_named(cls, org, name):
        teams = cls.node.api("GET", f"/api/v2/organizations/{org}/teams?filter%5Bnames%5D={name}")
        return teams["data"][0]

    @classmethod
    def new_team(cls, name, access):
        return cls.node.api("POST", "/api/v2/organizations/acme/teams", doc(
            "teams", name=name, visibility="secret",
            **{"organization-access": access}))["data"]

    @classmethod
    def join(cls, team_id, role):
        """Adds the user to the team (an invitation) and accepts it."""
        cls.node.api("POST", f"/api/v2/teams/{team_id}/relationships/users",
                     {"data": [{"type": "users", "id": role}]})
        cls.accept(role)

    @classmethod
    def accept(cls, role):
        own = cls.node.api("GET", "/api/v2/organization-memberships?filter%5Bstatus%5D=invited",
                           token=cls.tokens[role])
        for m in own["data"]:
            cls.node.api("POST", f"/api/v2/organization-memberships/{m['id']}/actions/accept",
                         token=cls.tokens[role])

    @classmethod
    def invite(cls, org, role, accept):
        cls.node.api("POST", f"/api/v2/organizations/{org}/organization-memberships",
                     doc("organization-memberships", email=f"{role}@example.test"))
        if accept:
            cls.accept(role)

    @classmethod
    def grant(cls, team_id, attrs):
        return cls.node.api("POST", "/api/v2/team-workspaces", {"data": {
            "type": "team-workspaces", "attributes": attrs, "relationships": {
                "workspace": {"data": {"type": "workspaces", "id": cls.ws["id"]}},
                "team": {"data": {"type": "teams", "id": team_id}}}}})["data"]

    @classmethod
    def prepare_workspace(cls):
        """A variable, a state version and a finished run on W, made by the site admin."""
        n, ws = cls.node, cls.ws
        n.api("POST", f"/api/v2/workspaces/{ws['id']}/vars", doc(
            "vars", key="region", value="eu", category="terraform"))
        n.api("POST", f"/api/v2/workspaces/{ws['id']}/actions/lock", {})
        state = json.dumps({"version": 4, "terraform_version": "1.11.4", "serial": 1,
                            "lineage": "l-1", "outputs": {"x": {"value": 1, "type": "number"}},
                            "resources": []}).encode()
        import base64
        import hashlib
        n.api("POST", f"/api/v2/workspaces/{ws['id']}/state-versions", doc(
            "state-versions", serial=1, lineage="l-1", md5=hashlib.md5(state).hexdigest(),
            state=base64.b64encode(state).decode()))
        n.api("POST", f"/api/v2/workspaces/{ws['id']}/actions/unlock", {})
        cv = n.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions", doc(
            "configuration-versions", **{"auto-queue-runs": False}))["data"]
        url = cv["attributes"]["upload-url"]
        path = url.split(n.settings["hostname"], 1)[1]
        status, body, _ = n.request("PUT", path, body=make_slug({"main.tf": b'output "x" {\n  value = 1\n}\n'}),
                                    token=False,
                                    headers={"Content-Type": "application/octet-stream"})
        assert status == 200, (status, body)
        run = n.api("POST", "/api/v2/runs", {"data": {
            "type": "runs", "attributes": {"plan-only": True}, "relationships": {
                "workspace": {"data": {"type": "workspaces", "id": ws["id"]}}}}})["data"]
        deadline = time.time() + 120
        while time.time() < deadline:
            status = n.api("GET", f"/api/v2/runs/{run['id']}")["data"]["attributes"]["status"]
            if status in ("planned_and_finished", "errored", "canceled"):
                break
            time.sleep(0.3)
        cls.run_id = run["id"]

    # -- the matrix --
    def routes(self, role):
        w = self.ws["id"]
        return [
            ("read", "GET", f"/api/v2/workspaces/{w}", None, (200,)),
            ("read", "GET", f"/api/v2/organizations/acme/workspaces/w", None, (200,)),
            ("update", "PATCH", f"/api/v2/workspaces/{w}",
             doc("workspaces", description=f"set by {role}"), (200,)),
            ("read_vars", "GET", f"/api/v2/workspaces/{w}/vars", None, (200,)),
            ("write_vars", "POST", f"/api/v2/workspaces/{w}/vars",
             doc("vars", key=f"k_{role}", value="v", category="terraform"), (201,)),
            ("read_state", "GET", f"/api/v2/workspaces/{w}/current-state-version", None, (200,)),
            ("read_state", "GET", f"/api/v2/state-versions?filter%5Borganization%5D%5Bname%5D=acme"
             f"&filter%5Bworkspace%5D%5Bname%5D=w", None, (200,)),
            ("read_outputs", "GET", f"/api/v2/workspaces/{w}/current-state-version-outputs", None,
             (200,)),
            ("write_state", "POST", f"/api/v2/workspaces/{w}/state-versions",
             doc("state-versions", serial=2, lineage="l-1", md5="0" * 32), (409,)),
            ("lock", "POST", f"/api/v2/workspaces/{w}/actions/lock", {}, (200,)),
            ("lock", "POST", f"/api/v2/workspaces/{w}/actions/unlock", {}, (200,)),
            ("force_unlock", "POST", f"/api/v2/workspaces/{w}/actions/force-unlock", {}, (409,)),
            ("queue_plan", "POST", f"/api/v2/workspaces/{w}/configuration-versions",
             doc("configuration-versions", **{"auto-queue-runs": False}), (201,)),
            ("read_runs", "GET", f"/api/v2/workspaces/{w}/runs", None, (200,)),
            ("read_runs", "GET", f"/api/v2/runs/{self.run_id}", None, (200,)),
            ("queue_apply", "POST", f"/api/v2/runs/{self.run_id}/actions/cancel", {}, (409,)),
            ("manage_access", "GET", f"/api/v2/team-workspaces?filter%5Bworkspace%5D%5Bid%5D={w}",
             None, (200,)),
            ("create_ws", "POST", "/api/v2/organizations/acme/workspaces",
             doc("workspaces", name=f"new-{role}"), (201,)),
            ("member", "GET", "/api/v2/organizations/acme", None, (200,)),
            ("member", "GET", "/api/v2/organizations/acme/workspaces", None, (200,)),
            ("manage_membership", "POST", "/api/v2/organizations/acme/teams",
             doc("teams", name=f"t-{role}"), (201,)),
            ("owner", "PATCH", "/api/v2/organizations/acme",
             doc("organizations", email=f"{role}@acme.test"), (200,)),
            ("read_audit", "GET", "/api/v2/organizations/acme/audit-trail?page%5Bsize%5D=1", None,
             (200,)),
            ("update", "POST", f"/api/v2/workspaces/{w}/notification-configurations",
             doc("notification-configurations", name=f"n-{role}", url="http://127.0.0.1:9/",
                 **{"destination-type": "generic"}), (201,)),
            ("update", "GET", f"/api/v2/workspaces/{w}/notification-configurations", None, (200,)),
            ("manage_access", "POST", "/api/v2/team-workspaces", {"data": {
                "type": "team-workspaces", "attributes": {"access": "read"}, "relationships": {
                    "workspace": {"data": {"type": "workspaces", "id": w}},
                    "team": {"data": {"type": "teams", "id": self.spare["id"]}}}}},
             (201, 422)),
            ("manage_vcs", "POST", "/api/v2/organizations/acme/ssh-keys",
             doc("ssh-keys", name=f"k-{role}", value="-----BEGIN OPENSSH PRIVATE KEY-----\nA\n"
                 "-----END OPENSSH PRIVATE KEY-----\n"), (201,)),
            ("member", "GET", "/api/v2/organizations/acme/ssh-keys", None, (200,)),
            ("manage_modules", "POST", "/api/v2/organizations/acme/registry-modules",
             doc("registry-modules", name=f"m-{role.replace('_', '-')}", provider="null"), (201,)),
            ("member", "GET", "/api/v2/organizations/acme/registry-modules", None, (200,)),
        ]

    def snapshot(self):
        """What a refused request must not change (read as the site admin)."""
        w = self.ws["id"]
        n = self.node
        ws = n.api("GET", f"/api/v2/workspaces/{w}")["data"]["attributes"]
        trail = n.api("GET", "/api/v2/organizations/acme/audit-trail?page%5Bsize%5D=1")
        return {
            "ws": (ws["description"], ws["locked"]),
            "vars": sorted(v["attributes"]["key"] for v in
                           n.api("GET", f"/api/v2/workspaces/{w}/vars")["data"]),
            "workspaces": n.api("GET", "/api/v2/organizations/acme/workspaces")["meta"][
                "pagination"]["total-count"],
            "teams": n.api("GET", "/api/v2/organizations/acme/teams")["meta"]["pagination"][
                "total-count"],
            "cvs": n.api("GET", f"/api/v2/workspaces/{w}/configuration-versions")["meta"][
                "pagination"]["total-count"],
            "notifications": len(n.api("GET", f"/api/v2/workspaces/{w}/notification-configurations")[
                "data"]),
            "access": len(n.api("GET", f"/api/v2/team-workspaces?filter%5Bworkspace%5D%5Bid%5D={w}")[
                "data"]),
            "keys": len(n.api("GET", "/api/v2/organizations/acme/ssh-keys")["data"]),
            "modules": n.api("GET", "/api/v2/organizations/acme/registry-modules")["meta"][
                "pagination"]["total-count"],
            "audit": trail["pagination"]["total_count"],
            "org_email": n.api("GET", "/api/v2/organizations/acme")["data"]["attributes"]["email"],
        }

    def test_matrix(self):
        failures = []
        for role, abilities in ROLES.items():
            token = self.tokens[role]
            can_see_ws = "read" in abilities
            for ability, method, path, body, ok in self.routes(role):
                allowed = ability in abilities
                before = None if allowed else self.snapshot()
                status, answer, _ = self.node.request(method, path, body, token=token)
                if allowed:
                    if status not in ok:
                        failures.append(f"{role} {method} {path}: {status} {answer}")
                    continue
                # refused: 404 where the caller may not see the resource, 403 where it may
                org_route = path.startswith("/api/v2/organizations/acme") and "/workspaces/w" \
                    not in path
                visible = ("member" in abilities) if org_route else can_see_ws
                want = 403 if visible else 404
                if status != want:
                    failures.append(f"{role} {method} {path}: {status}, wanted {want}: {answer}")
                after = self.snapshot()
                if after != before:
                    failures.append(f"{role} {method} {path} changed {before} -> {after}")
        self.assertEqual(failures, [], "\n".join(failures))

    def test_workspace_list_shows_only_readable(self):
        for role, abilities in ROLES.items():
            status, answer, _ = self.node.request("GET", "/api/v2/organizations/acme/workspaces",
                                                  token=self.tokens[role])
            if "member" not in abilities:
                self.assertEqual(status, 404, role)
                continue
            names = [w["attributes"]["name"] for w in answer["data"]]
            self.assertEqual("w" in names, "read" in abilities, (role, names))
            self.assertEqual(answer["meta"]["pagination"]["total-count"], len(names), role)

    def test_permissions_block_tells_the_truth(self):
        flags = {"can-update": "update", "can-queue-run": "queue_plan",
                 "can-queue-apply": "queue_apply", "can-read-variable": "read_vars",
                 "can-update-variable": "write_vars", "can-read-state-versions": "read_state",
                 "can-read-state-outputs": "read_outputs",
                 "can-create-state-versions": "write_state", "can-lock": "lock",
                 "can-force-unlock": "force_unlock"}
        for role, abilities in ROLES.items():
            if "read" not in abilities:
                continue
            ws = self.node.api("GET", f"/api/v2/workspaces/{self.ws['id']}",
                               token=self.tokens[role])["data"]["attributes"]["permissions"]
            for flag, ability in flags.items():
                self.assertEqual(ws[flag], ability in abilities, (role, flag))
            run = self.node.api("GET", f"/api/v2/runs/{self.run_id}", token=self.tokens[role])
            self.assertEqual(run["data"]["attributes"]["permissions"]["can-cancel"],
                             "queue_apply" in abilities, role)
        org = self.node.api("GET", "/api/v2/organizations/acme", token=self.tokens["read"])
        perms = org["data"]["attributes"]["permissions"]
        self.assertEqual((perms["can-update"], perms["can-create-workspace"],
                          perms["can-create-team"]), (False, False, False))
        org = self.node.api("GET", "/api/v2/organizations/acme", token=self.tokens["manager"])
        self.assertTrue(org["data"]["attributes"]["permissions"]["can-create-workspace"])

    def test_owners_team_rules(self):
        owners = self.team_named("acme", "owners")
        self.assertTrue(all(owners["attributes"]["organization-access"].values()))
        for method, body in (("DELETE", None),
                             ("PATCH", doc("teams", name="bosses"))):
            status, answer, _ = self.node.request(method, f"/api/v2/teams/{owners['id']}", body)
            self.assertEqual(status, 422, answer)
        # the owners team keeps at least one active member
        members = self.node.api("GET", f"/api/v2/teams/{owners['id']}?include=users")
        names = [u["attributes"]["username"] for u in members["included"]]
        self.assertEqual(sorted(names), ["admin", "owner"])
        self.node.api("DELETE", f"/api/v2/teams/{owners['id']}/relationships/users",
                      {"data": [{"type": "users", "id": "owner"}]})
        status, answer, _ = self.node.request(
            "DELETE", f"/api/v2/teams/{owners['id']}/relationships/users",
            {"data": [{"type": "users", "id": "admin"}]})
        self.assertEqual(status, 422, answer)
        self.assertIn("owner", answer["errors"][0]["detail"])
        self.join(owners["id"], "owner")
        # only owners change a team's organization access
        team = self.teams["read"]
        status, _, _ = self.node.request("PATCH", f"/api/v2/teams/{team['id']}", doc(
            "teams", **{"organization-access": {"manage-workspaces": True}}),
            token=self.tokens["manager"])
        self.assertEqual(status, 404)  # a secret team the manager is not in
        status, answer, _ = self.node.request("PATCH", f"/api/v2/teams/{team['id']}", doc(
            "teams", **{"organization-access": {"manage-everything": True}}))
        self.assertEqual(status, 422, answer)

    def test_secret_and_visible_teams(self):
        names = lambda role: sorted(t["attributes"]["name"] for t in self.node.api(
            "GET", "/api/v2/organizations/acme/teams", token=self.tokens[role])["data"])
        self.assertEqual(names("read"), ["team-read"])
        self.node.api("PATCH", f"/api/v2/teams/{self.teams['plan']['id']}",
                      doc("teams", visibility="organization"))
        try:
            self.assertEqual(names("read"), ["team-plan", "team-read"])
            self.assertEqual(names("member"), ["team-plan"])
        finally:
            self.node.api("PATCH", f"/api/v2/teams/{self.teams['plan']['id']}",
                          doc("teams", visibility="secret"))
        status, _, _ = self.node.request("GET", f"/api/v2/teams/{self.teams['write']['id']}",
                                         token=self.tokens["read"])
        self.assertEqual(status, 404)

    def test_invitations(self):
        self.new_user("newcomer")
        status, answer, _ = self.node.request(
            "POST", "/api/v2/organizations/acme/organization-memberships",
            doc("organization-memberships", email="nobody@example.test"))
        # an email without an account is invited as TFE does (test_api_fidelity_seed.py)
        self.assertEqual((status, answer["data"]["attributes"]["status"]), (201, "invited"))
        m = self.node.api("POST", "/api/v2/organizations/acme/organization-memberships", {
            "data": {"type": "organization-memberships",
                     "attributes": {"email": "newcomer@example.test"},
                     "relationships": {"teams": {"data": [
                         {"type": "teams", "id": self.teams["read"]["id"]}]}}}})["data"]
        self.assertEqual(m["attributes"]["status"], "invited")
        self.assertEqual(m["relationships"]["teams"]["data"][0]["id"], self.teams["read"]["id"])
        tok = self.tokens["newcomer"]
        status, _, _ = self.node.request("GET", f"/api/v2/workspaces/{self.ws['id']}", token=tok)
        self.assertEqual(status, 404)  # not yet
        # nobody else accepts for the invitee
        status, _, _ = self.node.request(
            "POST", f"/api/v2/organization-memberships/{m['id']}/actions/accept",
            token=self.tokens["owner"])
        self.assertEqual(status, 404)
        self.node.api("POST", f"/api/v2/organization-memberships/{m['id']}/actions/accept",
                      token=tok)
        self.node.api("GET", f"/api/v2/workspaces/{self.ws['id']}", token=tok)
        listed = self.node.api("GET", "/api/v2/organizations/acme/organization-memberships"
                               "?q=newcomer&include=user")
        self.assertEqual([x["attributes"]["status"] for x in listed["data"]], ["active"])
        self.assertEqual(listed["included"][0]["attributes"]["username"], "newcomer")
        # the user leaves: the workspace is gone from view again
        self.node.api("DELETE", f"/api/v2/organization-memberships/{m['id']}", token=tok)
        status, _, _ = self.node.request("GET", f"/api/v2/workspaces/{self.ws['id']}", token=tok)
        self.assertEqual(status, 404)

    def test_team_access_changes_take_effect(self):
        plan = self.node.api("GET", f"/api/v2/team-workspaces?filter%5Bworkspace%5D%5Bid%5D="
                             f"{self.ws['id']}")["data"]
        (row,) = [r for r in plan if r["relationships"]["team"]["data"]["id"] ==
                  self.teams["plan"]["id"]]
        self.assertEqual((row["attributes"]["runs"], row["attributes"]["variables"]),
                         ("plan", "read"))
        status, answer, _ = self.node.request("PATCH", f"/api/v2/team-workspaces/{row['id']}",
                                              doc("team-workspaces", access="custom",
                                                  variables="everything"))
        self.assertEqual(status, 422, answer)
        self.assertEqual(answer["errors"][0]["source"]["pointer"], "/data/attributes/variables")
        self.node.api("PATCH", f"/api/v2/team-workspaces/{row['id']}",
                      doc("team-workspaces", access="custom", variables="write"))
        try:
            self.node.api("POST", f"/api/v2/workspaces/{self.ws['id']}/vars", doc(
                "vars", key="from_plan_team", value="v", category="env"),
                token=self.tokens["plan"])
        finally:
            self.node.api("PATCH", f"/api/v2/team-workspaces/{row['id']}",
                          doc("team-workspaces", access="plan"))
        status, _, _ = self.node.request("POST", f"/api/v2/workspaces/{self.ws['id']}/vars", doc(
            "vars", key="again", value="v", category="env"), token=self.tokens["plan"])
        self.assertEqual(status, 403)

    def test_audit_trail(self):
        self.node.api("PATCH", f"/api/v2/workspaces/{self.ws['id']}",
                      doc("workspaces", description="audited"), token=self.tokens["ws_admin"])
        trail = self.node.api("GET", "/api/v2/organization/audit-trail",
                              token=self.tokens["org_token"])
        self.assertEqual(trail["pagination"]["total_count"], len(trail["data"]))
        last = trail["data"][-1]
        self.assertEqual(last["resource"], {"id": self.ws["id"], "type": "workspace",
                                            "action": "update", "meta": None})
        self.assertEqual(last["auth"]["accessor_id"], self.users["ws_admin"]["id"])
        self.assertEqual(last["auth"]["description"], "ws_admin")
        self.assertTrue(last["request"]["id"])
        self.assertTrue(any(a in last["request"]["address"] for a in ("127.0.0.1", "::1")),
                        last["request"])  # the test's loopback, v4 or v6
        kinds = {(e["resource"]["type"], e["resource"]["action"]) for e in trail["data"]}
        for want in (("team", "create"), ("team-workspace", "create"), ("var", "create"),
                     ("state-version", "create"), ("run", "create"), ("workspace", "lock"),
                     ("organization-membership", "accept"), ("authentication-token", "create")):
            self.assertIn(want, kinds)
        # since: nothing before the last event's time is listed
        since = last["timestamp"]
        later = self.node.api("GET", f"/api/v2/organization/audit-trail?since={since}",
                              token=self.tokens["org_token"])
        self.assertTrue(all(e["timestamp"] >= since[:19] for e in later["data"]))
        # a user token may not use the organization-token route; the other org sees none
        status, _, _ = self.node.request("GET", "/api/v2/organization/audit-trail",
                                         token=self.tokens["owner"])
        self.assertEqual(status, 404)
        status, _, _ = self.node.request("GET", "/api/v2/organizations/other/audit-trail",
                                         token=self.tokens["owner"])
        self.assertEqual(status, 404)
        status, _, _ = self.node.request("GET", "/api/v2/organization/audit-trail?page%5Bsize%5D=0",
                                         token=self.tokens["org_token"])
        self.assertEqual(status, 400)
        # exported by the CLI as JSON lines: the same events
        out = subprocess.run([STRATA_BIN, "audit-trail", "--config", self.node.config,
                              "--organization", "acme"], capture_output=True, text=True,
                             check=True).stdout
        exported = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([e["id"] for e in exported[:len(trail["data"])]],
                         [e["id"] for e in trail["data"]])
        status = subprocess.run([STRATA_BIN, "audit-trail", "--config", self.node.config,
                                 "--since", "yesterday"], capture_output=True).returncode
        self.assertEqual(status, 2)


if __name__ == "__main__":
    main()
