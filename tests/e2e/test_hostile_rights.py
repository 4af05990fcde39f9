"""A hostile member gains nothing (issue 22, items 3 and 4): upload links only to those who may
upload, one permission per action whatever the route, and a table of every route (from
`strata routes`) × its includes × each attacking role: read-only, plan, write and admin access
to one workspace, custom (no state, no variables), a read team's token, a member who may only
manage membership, and someone of another organization. Each refusal is a clear 403/404 (404 where the caller may not
see the resource) and changes nothing; what a role may do still works. A route missing from
ROUTES fails the test."""
import base64
import hashlib
import json
import os
import subprocess
import tempfile
import time

from harness import SIMPLE_CONFIG, STRATA_BIN, NodeTest, Terraform, main, make_slug

PASSWORD = "a long enough password"

# What each attacker holds: on the workspace W of organization acme, and in acme.
ROLE_RIGHTS = {
    "reader": {"member", "read", "read_runs", "read_vars", "read_state", "read_outputs"},
    "planner": {"member", "read", "read_runs", "read_vars", "read_state", "read_outputs",
                "queue_plan"},
    "writer": {"member", "read", "read_runs", "read_vars", "read_state", "read_outputs",
               "queue_plan", "queue_apply", "write_vars", "write_state", "lock"},
    "wsadmin": {"member", "read", "read_runs", "read_vars", "read_state", "read_outputs",
                "queue_plan", "queue_apply", "write_vars", "write_state", "lock", "update",
                "manage_access"},  # admin of W: nothing of the organization's
    "custom": {"member", "read", "read_runs"},  # state versions: none, variables: none
    "team_token": {"member", "read", "read_runs", "read_vars", "read_state", "read_outputs"},
    "membership": {"member", "manage_membership"},  # no access to any workspace
    "outsider": set(),  # a member of another organization
}

# Every route: the right it needs, or SKIP with the reason it is not attacked here. Rights:
# token (any token), user (any user's token, on what is theirs), site_admin, signed (a signed URL: the token in
# the path is its credential), and the names of ROLE_RIGHTS. Paths are filled by fill().
SKIP = "skip"
ROUTES = {
    "GET /.well-known/terraform.json": (SKIP, "public discovery document, no tenant data"),
    "GET /api/v2/ping": (SKIP, "public, no tenant data"),
    "GET /_health_check": (SKIP, "public, no tenant data"),
    "GET /api/v1/health/readiness": (SKIP, "public, no tenant data"),
    "GET /api/v1/health/liveness": (SKIP, "public, no tenant data"),
    "GET /admin/retrieve-iact": (SKIP, "initial admin token flow, local address only; "
                                       "test_api covers it"),
    "POST /admin/initial-admin-user": (SKIP, "works once, before any admin exists"),
    "GET /api/v2/account/details": ("user", None),
    "PATCH /api/v2/account/update": (SKIP, "changes only the caller's own account"),
    "PATCH /api/v2/account/password": (SKIP, "changes only the caller's own account"),
    "GET /api/v2/users/:id": ("token", None),
    "POST /api/v2/organizations": (SKIP, "any user may create an organization of their own"),
    "GET /api/v2/organizations": ("token", None),
    "GET /api/v2/organizations/:name": ("member", None),
    "PATCH /api/v2/organizations/:name": ("owner", None),
    "DELETE /api/v2/organizations/:name": ("owner", None),
    "GET /api/v2/organizations/:name/entitlement-set": ("member", None),
    "GET /api/v2/organizations/:org/teams": ("member", None),
    "POST /api/v2/organizations/:org/teams": ("manage_membership", None),
    "GET /api/v2/teams/:id": ("owners_visible", None),
    "PATCH /api/v2/teams/:id": ("owner", None),
    "DELETE /api/v2/teams/:id": ("owner", (422,)),  # the owners team is never deleted
    "POST /api/v2/teams/:id/relationships/users": ("owner", None),
    "DELETE /api/v2/teams/:id/relationships/users": ("owner", None),
    "POST /api/v2/teams/:id/relationships/organization-memberships": ("owner", None),
    "DELETE /api/v2/teams/:id/relationships/organization-memberships": ("owner", None),
    "GET /api/v2/organizations/:org/organization-memberships": ("member", None),
    "POST /api/v2/organizations/:org/organization-memberships": ("manage_membership", None),
    "GET /api/v2/organization-memberships": ("user", None),
    "GET /api/v2/organization-memberships/:id": ("member", None),
    "DELETE /api/v2/organization-memberships/:id": ("owner", None),
    "POST /api/v2/organization-memberships/:id/actions/accept": ("nobody", None),
    "GET /api/v2/team-workspaces": ("manage_access", "filter[workspace][id]=W"),
    "POST /api/v2/team-workspaces": ("manage_access", None),
    "GET /api/v2/team-workspaces/:id": ("manage_access", None),
    "PATCH /api/v2/team-workspaces/:id": ("manage_access", None),
    "DELETE /api/v2/team-workspaces/:id": ("manage_access", None),
    "GET /api/v2/admin/users": ("site_admin", None),
    "POST /api/v2/admin/users": ("site_admin", None),
    "GET /api/v2/admin/users/:id": ("site_admin", None),
    "GET /api/v2/organization/audit-trail": ("nobody", "organization tokens only"),
    "GET /api/v2/organizations/:org/audit-trail": ("owner", None),
    "GET /api/v2/workspaces/:id/notification-configurations": ("update", None),
    "POST /api/v2/workspaces/:id/notification-configurations": ("update", None),
    "GET /api/v2/notification-configurations/:id": ("update", None),
    "PATCH /api/v2/notification-configurations/:id": ("update", None),
    "DELETE /api/v2/notification-configurations/:id": ("update", None),
    "POST /api/v2/notification-configurations/:id/actions/verify": ("update", None),
    "POST /api/v2/workspaces/:id/run-triggers": ("update", None),
    "GET /api/v2/workspaces/:id/run-triggers": ("read", "filter[run-trigger][type]=inbound"),
    "GET /api/v2/run-triggers/:id": ("read", None),
    "DELETE /api/v2/run-triggers/:id": ("update", None),
    "GET /api/v2/organizations/:org/ssh-keys": ("member", None),
    "POST /api/v2/organizations/:org/ssh-keys": ("manage_vcs", None),
    "GET /api/v2/ssh-keys/:id": ("member", None),
    "PATCH /api/v2/ssh-keys/:id": ("manage_vcs", None),
    "DELETE /api/v2/ssh-keys/:id": ("manage_vcs", None),
    "PATCH /api/v2/workspaces/:id/relationships/ssh-key": ("update", None),
    "POST /api/v2/organizations/:org/registry-providers": ("manage_providers", None),
    "GET /api/v2/organizations/:org/registry-providers": ("member", None),
    "GET /api/v2/organizations/:org/registry-providers/:registry/:ns/:name": ("member", None),
    "DELETE /api/v2/organizations/:org/registry-providers/:registry/:ns/:name":
        ("manage_providers", None),
    "POST /api/v2/organizations/:org/registry-providers/:registry/:ns/:name/versions":
        ("manage_providers", None),
    "GET /api/v2/organizations/:org/registry-providers/:registry/:ns/:name/versions":
        ("member", None),
    "GET /api/v2/organizations/:org/registry-providers/:registry/:ns/:name/versions/:version":
        ("member", None),
    "DELETE /api/v2/organizations/:org/registry-providers/:registry/:ns/:name/versions/:version":
        ("manage_providers", None),
    "POST /api/v2/organizations/:org/registry-providers/:registry/:ns/:name/versions/:version"
    "/platforms": ("manage_providers", None),
    "GET /api/v2/organizations/:org/registry-providers/:registry/:ns/:name/versions/:version"
    "/platforms": ("member", None),
    "GET /api/v2/organizations/:org/registry-providers/:registry/:ns/:name/versions/:version"
    "/platforms/:os/:arch": ("member", None),
    "DELETE /api/v2/organizations/:org/registry-providers/:registry/:ns/:name/versions/:version"
    "/platforms/:os/:arch": ("manage_providers", None),
    "POST /api/registry/:registry/v2/gpg-keys": ("manage_providers", None),
    "GET /api/registry/:registry/v2/gpg-keys": ("member", "filter[namespace]=acme"),
    "GET /api/registry/:registry/v2/gpg-keys/:ns/:key_id": ("member", None),
    "DELETE /api/registry/:registry/v2/gpg-keys/:ns/:key_id": ("manage_providers", None),
    "GET /api/registry/v1/providers/:ns/:type/versions": ("member", None),
    "GET /api/registry/v1/providers/:ns/:type/:version/download/:os/:arch": ("member", None),
    "PUT /_archivist/registry-provider/:token": ("signed", None),
    "GET /_archivist/registry-provider/:token": ("signed", None),
    "PUT /api/v2/admin/provider-mirror": ("site_admin", None),
    "GET /api/v2/admin/provider-mirror": ("site_admin", None),
    "DELETE /api/v2/admin/provider-mirror/:host/:ns/:type": ("site_admin", None),
    "GET /api/provider-mirror/v1/:host/:ns/:type/:file": (SKIP, "the site's network mirror of "
                                                                 "public providers: no tenant data"),
    "GET /_archivist/provider-mirror/:token": ("signed", None),
    "GET /session/token": (SKIP, "a sign-in CSRF pair for the caller's own browser"),
    "POST /session": (SKIP, "sign-in: the web UI helper's tests"),
    "GET /session": (SKIP, "the browser session's own state"),
    "DELETE /session": (SKIP, "signs the caller's own session out"),
    "GET /": (SKIP, "the web UI's page, the same for everyone"),
    "GET /app": (SKIP, "the web UI's page, the same for everyone"),
    "GET /app/:a": (SKIP, "the web UI's page, the same for everyone"),
    "GET /app/:a/:b": (SKIP, "the web UI's page, the same for everyone"),
    "GET /app/:a/:b/:c": (SKIP, "the web UI's page, the same for everyone"),
    "GET /app/:a/:b/:c/:d": (SKIP, "the web UI's page, the same for everyone"),
    "GET /app/:a/:b/:c/:d/:e": (SKIP, "the web UI's page, the same for everyone"),
    "GET /app/:a/:b/:c/:d/:e/:f": (SKIP, "the web UI's page, the same for everyone"),
    "GET /assets/:name": (SKIP, "static files of the web UI"),
    "GET /api/v2/admin/smtp-settings": ("site_admin", None),
    "PATCH /api/v2/admin/smtp-settings": ("site_admin", None),
    "POST /api/v2/users/:user_id/authentication-tokens": ("nobody", "another user's tokens"),
    "GET /api/v2/users/:user_id/authentication-tokens": ("nobody", "another user's tokens"),
    "GET /api/v2/authentication-tokens/:id": ("nobody", "another user's token"),
    "DELETE /api/v2/authentication-tokens/:id": ("nobody", "another user's token"),
    "POST /api/v2/organizations/:org/authentication-token": ("owner", None),
    "GET /api/v2/organizations/:org/authentication-token": ("owner", None),
    "DELETE /api/v2/organizations/:org/authentication-token": ("owner", None),
    "POST /api/v2/teams/:team_id/authentication-token": ("owner", "the owners team's token"),
    "GET /api/v2/teams/:team_id/authentication-token": ("owner", "the owners team's token"),
    "DELETE /api/v2/teams/:team_id/authentication-token": ("owner", "the owners team's token"),
    "POST /api/v2/organizations/:org/workspaces": ("create_ws", None),
    "GET /api/v2/organizations/:org/workspaces": ("member", None),
    "GET /api/v2/organizations/:org/workspaces/:name": ("read", None),
    "PATCH /api/v2/organizations/:org/workspaces/:name": ("update", None),
    "DELETE /api/v2/organizations/:org/workspaces/:name": ("update", None),
    "GET /api/v2/workspaces/:id": ("read", None),
    "PATCH /api/v2/workspaces/:id": ("update", None),
    "DELETE /api/v2/workspaces/:id": ("update", None),
    "POST /api/v2/workspaces/:id/actions/lock": ("lock", None),
    "POST /api/v2/workspaces/:id/actions/unlock": ("lock", None),
    "POST /api/v2/workspaces/:id/actions/force-unlock": ("update", None),
    "GET /api/v2/workspaces/:id/relationships/remote-state-consumers": ("read", None),
    "POST /api/v2/workspaces/:id/relationships/remote-state-consumers": ("update", None),
    "PATCH /api/v2/workspaces/:id/relationships/remote-state-consumers": ("update", None),
    "DELETE /api/v2/workspaces/:id/relationships/remote-state-consumers": ("update", None),
    "GET /api/v2/workspaces/:id/relationships/tags": ("read", None),
    "GET /api/v2/workspaces/:id/tag-bindings": ("read", None),
    "POST /api/v2/workspaces/:id/relationships/tags": ("update", None),
    "DELETE /api/v2/workspaces/:id/relationships/tags": ("update", None),
    "POST /api/v2/workspaces/:id/state-versions": ("write_state", None),
    "GET /api/v2/workspaces/:id/state-versions": ("read_state", None),
    "GET /api/v2/workspaces/:id/current-state-version": ("read_state", None),
    "GET /api/v2/workspaces/:id/current-state-version-outputs": ("read_outputs", None),
    "GET /api/v2/state-versions": ("read_state",
                                   "filter[organization][name]=acme&filter[workspace][name]=w"),
    "GET /api/v2/state-versions/:id": ("read_state", None),
    "GET /api/v2/state-versions/:id/download": ("read_state", None),
    "GET /api/v2/state-versions/:id/outputs": ("read_outputs", None),
    "GET /api/v2/state-version-outputs/:id": ("read_outputs", None),
    "PUT /_archivist/state/:token": ("signed", None),
    "PUT /_archivist/json-state/:token": ("signed", None),
    "GET /_archivist/state/:token": ("signed", None),
    "GET /_archivist/json-state/:token": ("signed", None),
    "POST /api/v2/workspaces/:id/vars": ("write_vars", None),
    "GET /api/v2/workspaces/:id/vars": ("read_vars", None),
    "GET /api/v2/workspaces/:id/vars/:var_id": ("read_vars", None),
    "PATCH /api/v2/workspaces/:id/vars/:var_id": ("write_vars", None),
    "DELETE /api/v2/workspaces/:id/vars/:var_id": ("write_vars", None),
    "POST /api/v2/workspaces/:id/configuration-versions": ("queue_plan", None),
    "GET /api/v2/workspaces/:id/configuration-versions": ("read_runs", None),
    "GET /api/v2/configuration-versions/:id": ("read_runs", None),
    "PUT /_archivist/slug/:token": ("signed", None),
    "POST /api/v2/runs": ("queue_plan", None),
    "GET /api/v2/runs/:id": ("read_runs", None),
    "GET /api/v2/workspaces/:id/runs": ("read_runs", None),
    "POST /api/v2/runs/:id/actions/apply": ("queue_apply", None),
    "POST /api/v2/runs/:id/actions/discard": ("queue_apply", None),
    "POST /api/v2/runs/:id/actions/cancel": ("queue_apply", None),
    "POST /api/v2/runs/:id/actions/force-cancel": ("queue_apply", None),
    "GET /api/v2/runs/:id/run-events": ("read_runs", None),
    "GET /api/v2/runs/:id/task-stages": ("read_runs", None),
    "GET /api/v2/runs/:id/policy-checks": ("read_runs", None),
    "GET /api/v2/plans/:id": ("read_runs", None),
    "GET /api/v2/plans/:id/json-output-redacted": ("read_runs", None),
    "GET /api/v2/applies/:id": ("read_runs", None),
    "GET /api/v2/organizations/:org/runs/queue": ("member", None),
    "GET /api/v2/organizations/:org/capacity": ("member", None),
    "GET /_archivist/logs/:token": ("signed", None),
    "GET /api/v2/admin/terraform-versions": ("site_admin", None),
    "POST /api/v2/admin/terraform-versions": ("site_admin", None),
    "GET /api/v2/admin/terraform-versions/:id": ("site_admin", None),
    "PATCH /api/v2/admin/terraform-versions/:id": ("site_admin", None),
    "DELETE /api/v2/admin/terraform-versions/:id": ("site_admin", None),
    "GET /api/v1/nodes": ("site_admin", None),
    "GET /api/v1/nodes/drain-status": ("site_admin", None),
    "POST /api/v1/nodes/drain": ("site_admin", None),
    "POST /api/v1/nodes/resume": ("site_admin", None),
    "POST /api/v2/organizations/:org/registry-modules": ("manage_modules", None),
    "GET /api/v2/organizations/:org/registry-modules": ("member", None),
    "GET /api/v2/organizations/:org/registry-modules/:registry/:ns/:name/:provider":
        ("member", None),
    "POST /api/v2/organizations/:org/registry-modules/:registry/:ns/:name/:provider/versions":
        ("manage_modules", None),
    "GET /api/v2/organizations/:org/registry-modules/:registry/:ns/:name/:provider/version":
        ("member", "module_version=1.0.0"),
    "DELETE /api/v2/organizations/:org/registry-modules/:registry/:ns/:name":
        ("manage_modules", None),
    "DELETE /api/v2/organizations/:org/registry-modules/:registry/:ns/:name/:provider":
        ("manage_modules", None),
    "DELETE /api/v2/organizations/:org/registry-modules/:registry/:ns/:name/:provider/:version":
        ("manage_modules", None),
    # go-tfe 0.11's paths to the same modules
    "POST /api/v2/registry-modules/:org/:name/:provider/versions": ("manage_modules", None),
    "GET /api/v2/registry-modules/show/:org/:name/:provider": ("member", None),
    "POST /api/v2/registry-modules/actions/delete/:org/:name": ("manage_modules", None),
    "POST /api/v2/registry-modules/actions/delete/:org/:name/:provider": ("manage_modules", None),
    "POST /api/v2/registry-modules/actions/delete/:org/:name/:provider/:version":
        ("manage_modules", None),
    "GET /api/registry/v1/modules/:ns/:name/:provider/versions": ("member", None),
    "GET /api/registry/v1/modules/:ns/:name/:provider/:version/download": ("member", None),
    "GET /api/registry/v1/modules/:ns/:name/:provider/:version": ("member", None),
    "PUT /_archivist/registry-module/:token": ("signed", None),
    "GET /_archivist/registry-module/:token": ("signed", None),
}

# The include names any route may accept; each GET route is asked for those it does accept.
INCLUDES = ["organization", "current_configuration_version",
            "current_configuration_version.ingress_attributes", "current_run",
            "current_run.plan", "current_run.configuration_version",
            "current_run.configuration_version.ingress_attributes", "effective_tag_bindings",
            "locked_by", "readme", "outputs", "current-state-version", "project", "plan", "apply",
            "created_by", "cost_estimate", "configuration_version",
            "configuration_version.ingress_attributes", "workspace", "task_stages",
            "tf_policy_evaluations", "run", "run.created_by", "run.configuration_version",
            "ingress_attributes", "users", "organization-memberships", "user", "teams",
            "team", "organization_memberships"]

# The attributes that carry upload links.
UPLOAD_KEYS = ("upload-url", "hosted-state-upload-url", "hosted-json-state-upload-url")


def doc(type_, **attrs):
    return {"data": {"type": type_, "attributes": attrs}}


def gpg(home, *args, input=None):
    return subprocess.run(["gpg", "--homedir", home, "--batch", "--yes", *args], input=input,
                          capture_output=True, check=True).stdout


class HostileRightsTest(NodeTest):
    sandbox_name = "hostile-rights"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        n = cls.node
        n.create_org("acme")
        n.create_org("other")
        cls.tokens, cls.users = {}, {}
        for name in ("boss", "reader", "planner", "custom", "membership", "outsider", "writer",
                     "wsadmin", "vcs"):
            cls.new_user(name)
        cls.owners = cls.team_named("owners")
        cls.join(cls.owners["id"], "boss")
        cls.ws = n.create_workspace("acme", "w")
        cls.auto_ws = n.create_workspace("acme", "auto", **{"auto-apply": True})
        cls.source_ws = n.create_workspace("acme", "source")
        cls.teams = {}
        for role, access, org_access in (
                ("reader", {"access": "read"}, {}), ("planner", {"access": "plan"}, {}),
                ("custom", {"access": "custom", "runs": "read", "variables": "none",
                            "state-versions": "none"}, {}),
                ("writer", {"access": "write"}, {}), ("wsadmin", {"access": "admin"}, {}),
                ("membership", None, {"manage-membership": True}),
                ("vcs", None, {"manage-vcs-settings": True})):
            team = n.api("POST", "/api/v2/organizations/acme/teams", doc(
                "teams", name=f"team-{role}", visibility="secret",
                **{"organization-access": org_access}))["data"]
            cls.teams[role] = team
            cls.join(team["id"], role)
            for ws in ((cls.ws, cls.auto_ws) if access else ()):
                row = cls.grant(team["id"], ws, access)
                if role == "reader" and ws is cls.ws:
                    cls.access_id = row["id"]
        # the read team's own token: a team, not a user, behind the same rights
        cls.tokens["team_token"] = n.api(
            "POST", f"/api/v2/teams/{cls.teams['reader']['id']}/authentication-token",
            doc("authentication-tokens"))["data"]["attributes"]["token"]
        n.api("POST", "/api/v2/organizations/other/organization-memberships",
              doc("organization-memberships", email="outsider@example.test"))
        cls.accept("outsider")
        cls.memberships = {m["relationships"]["user"]["data"]["id"]: m["id"] for m in n.api(
            "GET", "/api/v2/organizations/acme/organization-memberships?page%5Bsize%5D=100")["data"]}
        cls.prepare_workspace()
        cls.prepare_registry()
        cls.boss_token_id = n.api("GET", f"/api/v2/users/{cls.users['boss']['id']}"
                                  "/authentication-tokens", token=cls.tokens["boss"])["data"][0][
            "id"]
        versions = n.api("GET", "/api/v2/admin/terraform-versions")["data"]
        cls.tf_version = versions[0]["id"] if versions else "tool-none"

    # -- set-up, as the site admin --
    @classmethod
    def new_user(cls, name):
        user = cls.node.api("POST", "/api/v2/admin/users", doc(
            "users", username=name, email=f"{name}@example.test", password=PASSWORD))["data"]
        cls.tokens[name] = cls.node.api(
            "POST", f"/api/v2/users/{user['id']}/authentication-tokens",
            doc("authentication-tokens"))["data"]["attributes"]["token"]
        cls.users[name] = user

    @classmethod
    def team_named(cls, name):
        return cls.node.api("GET", "/api/v2/organizations/acme/teams?filter%5Bnames%5D="
                            + name)["data"][0]

    @classmethod
    def join(cls, team_id, name):
        cls.node.api("POST", f"/api/v2/teams/{team_id}/relationships/users",
                     {"data": [{"type": "users", "id": name}]})
        cls.accept(name)

    @classmethod
    def accept(cls, name):
        own = cls.node.api("GET", "/api/v2/organization-memberships?filter%5Bstatus%5D=invited",
                           token=cls.tokens[name])
        for m in own["data"]:
            cls.node.api("POST", f"/api/v2/organization-memberships/{m['id']}/actions/accept",
                         token=cls.tokens[name])

    @classmethod
    def grant(cls, team_id, ws, attrs):
        return cls.node.api("POST", "/api/v2/team-workspaces", {"data": {
            "type": "team-workspaces", "attributes": attrs, "relationships": {
                "workspace": {"data": {"type": "workspaces", "id": ws["id"]}},
                "team": {"data": {"type": "teams", "id": team_id}}}}})["data"]

    @classmethod
    def upload(cls, url, body):
        path = url.split(cls.node.settings["hostname"], 1)[1]
        status, answer, _ = cls.node.request("PUT", path, body=body, token=False, headers={
            "Content-Type": "application/octet-stream"})
        return status, answer

    @classmethod
    def cv(cls, ws, token=None, auto_queue=False):
        return cls.node.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions", doc(
            "configuration-versions", **{"auto-queue-runs": auto_queue}), token=token)["data"]

    @classmethod
    def wait_run(cls, run_id, statuses, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            run = cls.node.api("GET", f"/api/v2/runs/{run_id}")["data"]
            if run["attributes"]["status"] in statuses:
                return run
            time.sleep(0.3)
        raise AssertionError(f"run {run_id} still {run['attributes']['status']}")

    @classmethod
    def prepare_workspace(cls):
        """W holds a variable, a state with an output, a pending state version of the owner's,
        an uploaded and a pending configuration, a finished run, a notification, a run trigger
        and an SSH key of the organization; auto-apply W has an uploaded configuration."""
        n, w = cls.node, cls.ws["id"]
        cls.var = n.api("POST", f"/api/v2/workspaces/{w}/vars", doc(
            "vars", key="region", value="eu", category="terraform"))["data"]
        n.api("POST", f"/api/v2/workspaces/{w}/actions/lock", {})
        state = json.dumps({"version": 4, "terraform_version": "1.11.4", "serial": 1,
                            "lineage": "l-1", "outputs": {"secret": {"value": "s3cr3t",
                                                                     "type": "string"}},
                            "resources": []}).encode()
        cls.sv = n.api("POST", f"/api/v2/workspaces/{w}/state-versions", doc(
            "state-versions", serial=1, lineage="l-1", md5=hashlib.md5(state).hexdigest(),
            state=base64.b64encode(state).decode()))["data"]
        cls.output = n.api("GET", f"/api/v2/state-versions/{cls.sv['id']}/outputs")["data"][0]
        n.api("POST", f"/api/v2/workspaces/{w}/actions/unlock", {})
        # the owner's pending version: its upload links are the owner's alone
        n.api("POST", f"/api/v2/workspaces/{w}/actions/lock", {}, token=cls.tokens["boss"])
        cls.state2 = state.replace(b'"serial": 1', b'"serial": 2')
        cls.pending_sv = n.api("POST", f"/api/v2/workspaces/{w}/state-versions", doc(
            "state-versions", serial=2, lineage="l-1", md5=hashlib.md5(cls.state2).hexdigest()),
            token=cls.tokens["boss"])["data"]
        n.api("POST", f"/api/v2/workspaces/{w}/actions/unlock", {}, token=cls.tokens["boss"])
        for ws in (cls.ws, cls.auto_ws):
            status, answer = cls.upload(cls.cv(ws)["attributes"]["upload-url"],
                                        make_slug({"main.tf": SIMPLE_CONFIG.encode()}))
            assert status == 200, (status, answer)
        cls.pending_cv = cls.cv(cls.ws)
        run = n.api("POST", "/api/v2/runs", {"data": {
            "type": "runs", "attributes": {"plan-only": True}, "relationships": {
                "workspace": {"data": {"type": "workspaces", "id": w}}}}})["data"]
        cls.done_run = cls.wait_run(run["id"], ("planned_and_finished", "errored"))
        cls.nc = n.api("POST", f"/api/v2/workspaces/{w}/notification-configurations", doc(
            "notification-configurations", name="hook", url="https://hooks.example.test/x",
            **{"destination-type": "generic", "enabled": False}))["data"]
        cls.rt = n.api("POST", f"/api/v2/workspaces/{w}/run-triggers", {"data": {
            "relationships": {"sourceable": {"data": {
                "type": "workspaces", "id": cls.source_ws["id"]}}}}})["data"]
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{d}/k"],
                           check=True)
            with open(f"{d}/k") as f:
                pem = f.read()
        cls.key = n.api("POST", "/api/v2/organizations/acme/ssh-keys",
                        doc("ssh-keys", name="deploy", value=pem))["data"]

    @classmethod
    def prepare_registry(cls):
        """A module with a published and a pending version; a published provider."""
        n = cls.node
        n.api("POST", "/api/v2/organizations/acme/registry-modules", doc(
            "registry-modules", name="greeting", provider="null"))
        versions = "/api/v2/organizations/acme/registry-modules/private/acme/greeting/null/versions"
        made = n.api("POST", versions, doc("registry-module-versions", version="1.1.0"))
        status, answer = cls.upload(made["data"]["links"]["upload"],
                                    make_slug({"main.tf": b'output "x" {\n  value = 1\n}\n'}))
        assert status == 200, (status, answer)
        n.api("POST", versions, doc("registry-module-versions", version="1.0.0"))
        home = tempfile.mkdtemp(dir=cls.sandbox.root)
        os.chmod(home, 0o700)
        gpg(home, "--passphrase", "", "--quick-gen-key", "Strata Test <t@example.test>",
            "ed25519", "sign", "never")
        listing = gpg(home, "--with-colons", "--list-keys").decode()
        cls.key_id = next(l.split(":")[4] for l in listing.splitlines() if l.startswith("pub:"))
        n.api("POST", "/api/registry/private/v2/gpg-keys", {"data": {
            "type": "gpg-keys", "attributes": {"namespace": "acme", "ascii-armor": gpg(
                home, "--armor", "--export", cls.key_id).decode()}}})
        base = "/api/v2/organizations/acme/registry-providers"
        n.api("POST", base, {"data": {"type": "registry-providers", "attributes": {
            "name": "prov", "namespace": "acme", "registry-name": "private"}}})
        cls.gnupg = home
        cls.provider_version("1.0.0", publish=True)

    @classmethod
    def provider_version(cls, version, publish):
        """A version of provider prov with its linux_amd64 platform; with publish, its sums,
        their signature and the platform's zip uploaded."""
        n, base = cls.node, "/api/v2/organizations/acme/registry-providers/private/acme/prov"
        v = n.api("POST", f"{base}/versions", {"data": {
            "type": "registry-provider-versions", "attributes": {
                "version": version, "key-id": cls.key_id, "protocols": ["5.0"]}}})["data"]
        z = make_slug({"terraform-provider-prov": b"#!/bin/true\n"})
        name = f"terraform-provider-prov_{version}_linux_amd64.zip"
        p = n.api("POST", f"{base}/versions/{version}/platforms", {"data": {
            "type": "registry-provider-version-platforms", "attributes": {
                "os": "linux", "arch": "amd64", "filename": name,
                "shasum": hashlib.sha256(z).hexdigest()}}})["data"]
        if publish:
            sums = f"{hashlib.sha256(z).hexdigest()}  {name}\n".encode()
            sig = gpg(cls.gnupg, "--detach-sign", "--output", "-", input=sums)
            for url, body in ((v["links"]["shasums-upload"], sums),
                              (v["links"]["shasums-sig-upload"], sig),
                              (p["links"]["provider-binary-upload"], z)):
                status, answer = cls.upload(url, body)
                assert status == 200, (status, answer)

    # -- what the matrix sends --
    def fill(self, pattern):
        """The route's path with every parameter named after a resource of acme's."""
        # the module's 1.0.0 waits for its upload; 1.1.0 is published
        version = "1.1.0" if "/modules/" in pattern else "1.0.0"
        by_name = {"registry": "private", "ns": "acme", "version": version, "os": "linux",
                   "arch": "amd64", "provider": "null", "key_id": self.key_id, "type": "prov",
                   "host": "registry.terraform.io", "token": "e30.AAAA", "var_id": self.var["id"],
                   "team_id": self.owners["id"], "user_id": self.users["boss"]["id"],
                   "org": "acme"}
        by_parent = {
            "organizations": "acme", "users": self.users["boss"]["id"],
            "teams": self.owners["id"],
            "organization-memberships": self.memberships[self.users["boss"]["id"]],
            "team-workspaces": self.access_id, "notification-configurations": self.nc["id"],
            "run-triggers": self.rt["id"], "ssh-keys": self.key["id"],
            "authentication-tokens": self.boss_token_id, "workspaces": self.ws["id"],
            "state-versions": self.sv["id"], "state-version-outputs": self.output["id"],
            "configuration-versions": self.pending_cv["id"], "runs": self.done_run["id"],
            "plans": self.done_run["relationships"]["plan"]["data"]["id"],
            "applies": self.done_run["relationships"]["apply"]["data"]["id"],
            "terraform-versions": self.tf_version,
        }
        orig = pattern.split("/")
        segs = list(orig)
        for i, s in enumerate(orig):
            if not s.startswith(":"):
                continue
            name = s[1:]
            parent = next(p for p in reversed(orig[:i]) if not p.startswith(":"))
            if parent == "workspaces" and orig[i - 2] == ":org":
                segs[i] = "w"
            elif name == "name":
                segs[i] = {"registry-providers": "prov", "organizations": "acme"}.get(
                    parent, "greeting")
            elif name in by_name:
                segs[i] = by_name[name]
            else:
                segs[i] = by_parent[parent]
        return "/".join(segs)

    def snapshot(self):
        """What a refused change must leave as it was: every change is in the audit trail;
        runs, configuration and state versions besides."""
        n, w = self.node, self.ws["id"]
        count = lambda path: n.api("GET", path)["meta"]["pagination"]["total-count"]
        return (n.api("GET", "/api/v2/organizations/acme/audit-trail?page%5Bsize%5D=1")[
                    "pagination"]["total_count"],
                count(f"/api/v2/workspaces/{w}/runs"),
                count(f"/api/v2/workspaces/{w}/configuration-versions"),
                count(f"/api/v2/workspaces/{w}/state-versions"),
                n.api("GET", f"/api/v2/state-versions/{self.pending_sv['id']}")["data"][
                    "attributes"]["status"])

    def includes_of(self, path):
        """The include names this GET route accepts (asked as the site admin: an unknown name is
        a 400 naming it)."""
        names = list(INCLUDES)
        while names:
            sep = "&" if "?" in path else "?"
            status, answer, _ = self.node.request("GET", f"{path}{sep}include={','.join(names)}")
            if status != 400:
                return names
            detail = answer["errors"][0]["detail"] if isinstance(answer, dict) else ""
            bad = detail.rsplit(": ", 1)[-1]
            if bad not in names:
                return []
            names.remove(bad)
        return []

    def check_answer(self, role, rights, path, answer):
        """Nothing in an allowed answer (data and included) the role could not read on its own,
        and no upload link."""
        if not isinstance(answer, dict):
            return []
        data = answer.get("data")
        resources = (data if isinstance(data, list) else [data] if isinstance(data, dict)
                     else []) + answer.get("included", [])
        need = {"state-versions": "read_state", "state-version-outputs": "read_outputs",
                "configuration-versions": "read_runs", "runs": "read_runs",
                "plans": "read_runs", "applies": "read_runs", "vars": "read_vars",
                "workspaces": "read"}
        bad = []
        hidden = self.source_ws["id"]  # a workspace none of the attackers may see
        for res in resources:
            if not isinstance(res, dict):
                continue
            t, attrs = res.get("type"), res.get("attributes") or {}
            ws_rel = ((res.get("relationships") or {}).get("workspace") or {}).get("data") or {}
            if hidden in (res.get("id"), ws_rel.get("id")):
                bad.append(f"{role} {path}: {t} {res.get('id')} of a workspace it cannot see")
            if t in need and need[t] not in rights:
                bad.append(f"{role} {path}: {t} {res.get('id')} without {need[t]}")
            for key in UPLOAD_KEYS:
                if attrs.get(key) and not (key == "upload-url" and "queue_plan" in rights):
                    bad.append(f"{role} {path}: {t} {res.get('id')} answers {key}")
            for link in (res.get("links") or {}):
                if link.endswith("upload"):
                    bad.append(f"{role} {path}: {t} {res.get('id')} links {link}")
        return bad

    def attack(self, method, path, role):
        """Sends the request as role; a body of the type the route reads, so that what stops
        it is the permission, not the document's type."""
        body, tries = None, 0
        if method != "GET":
            body = {"data": {"type": "x", "attributes": {}, "relationships": {
                "workspace": {"data": {"type": "workspaces", "id": self.ws["id"]}},
                "team": {"data": {"type": "teams", "id": self.teams["reader"]["id"]}}}}}
            if "/gpg-keys" in path:
                body["data"]["attributes"] = {"namespace": "acme", "ascii-armor": "junk"}
            if path.endswith("/relationships/users"):  # the attacker adds or removes itself
                body = {"data": [{"type": "users", "id": role}]}
            if path.endswith("/relationships/organization-memberships"):
                body = {"data": [{"type": "organization-memberships",
                                  "id": self.memberships.get(
                                      self.users.get(role, {}).get("id"), "ou-x")}]}
        while True:
            status, answer, _ = self.node.request(method, path, body, token=self.tokens[role])
            detail = (answer.get("errors") or [{}])[0].get("detail", "") if isinstance(
                answer, dict) else ""
            if status != 422 or not detail.startswith("expected type") or tries:
                return status, answer
            body["data"]["type"], tries = detail.split('"')[1], 1

    # -- the table --
    def test_every_route_is_in_the_table(self):
        listed = subprocess.run([STRATA_BIN, "routes"], capture_output=True, text=True,
                                check=True).stdout.splitlines()
        self.assertGreater(len(listed), 100)
        self.assertEqual(sorted(set(listed) - set(ROUTES)), [],
                         "routes without a line in ROUTES: add one (a right, or SKIP and why)")
        self.assertEqual(sorted(set(ROUTES) - set(listed)), [], "ROUTES names unknown routes")

    def test_every_route_every_attacker(self):
        failures, exercised = [], 0
        for route, (need, extra) in ROUTES.items():
            if need == SKIP:
                continue
            method, pattern = route.split(" ", 1)
            path = self.fill(pattern)
            if isinstance(extra, str) and "=" in extra:
                path += "?" + extra.replace("=W", "=" + self.ws["id"]).replace(
                    "[", "%5B").replace("]", "%5D")
            refusals = (403, 404) + (extra if isinstance(extra, tuple) else ())
            includes = self.includes_of(path) if method == "GET" else []
            shown = path
            if includes:
                path += ("&" if "?" in path else "?") + "include=" + ",".join(includes)
            for role, rights in ROLE_RIGHTS.items():
                held = need == "token" or (need == "user" and role in self.users) or (
                    need in rights) or (
                    need == "owners_visible" and "manage_membership" in rights)
                if held and method != "GET":
                    continue  # a change the role may make: the targeted tests below make them
                before = None if method == "GET" else self.snapshot()
                status, answer = self.attack(method, path, role)
                exercised += 1
                if held:
                    if status not in (200, 204):
                        failures.append(f"{role} {method} {shown}: {status}, wanted 200/204")
                    failures += self.check_answer(role, rights, path, answer)
                    continue
                allowed = (404,) if role == "outsider" or need == "signed" else refusals
                if status not in allowed:
                    failures.append(f"{role} {method} {shown}: {status}, wanted "
                                    f"{'/'.join(map(str, allowed))}: {answer}")
                elif not (isinstance(answer, dict) and answer.get("errors")) and need != "signed":
                    failures.append(f"{role} {method} {shown}: {status} without a JSON:API "
                                    f"error: {answer}")
                if before is not None and self.snapshot() != before:
                    failures.append(f"{role} {method} {shown} changed something")
        self.assertGreater(exercised, 400)
        self.assertEqual(failures, [], "\n".join(failures))

    # -- upload links (item 3) --
    def test_configuration_upload_url_only_for_those_who_may_queue(self):
        cv, w = self.pending_cv["id"], self.ws["id"]
        reads = [f"/api/v2/configuration-versions/{cv}",
                 f"/api/v2/workspaces/{w}/configuration-versions",
                 f"/api/v2/workspaces/{w}?include=current_configuration_version"]
        for role, want in (("reader", False), ("custom", False), ("planner", True)):
            for path in reads:
                answer = self.node.api("GET", path, token=self.tokens[role])
                data = answer["data"]
                found = [r for r in (data if isinstance(data, list) else [data]) +
                         answer.get("included", []) if r["id"] == cv]
                self.assertEqual(len(found), 1, (role, path))
                self.assertEqual(bool(found[0]["attributes"]["upload-url"]), want, (role, path))

    def test_configuration_upload_link_counts_once(self):
        """Two uploads racing on one link: one counts and queues a run, the other is 409; one
        cut short leaves the link to the next."""
        ws = self.node.create_workspace("acme", "race")
        cv = self.cv(ws, auto_queue=True)
        path = cv["attributes"]["upload-url"].split(self.node.settings["hostname"], 1)[1]
        body = make_slug({"main.tf": SIMPLE_CONFIG.encode()})
        conn = self.node.connection()
        conn.putrequest("PUT", path)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body[:10])
        conn.close()
        time.sleep(1.5)  # the node sees the connection go and gives the link back
        conns = []
        for _ in range(2):  # both are past the link's check before either ends
            conn = self.node.connection()
            conn.putrequest("PUT", path)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body[:10])
            conns.append(conn)
        time.sleep(0.5)
        statuses = []
        for conn in conns:
            conn.send(body[10:])
            resp = conn.getresponse()
            resp.read()
            statuses.append(resp.status)
            conn.close()
        self.assertEqual(sorted(statuses), [200, 409])
        runs = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/runs")["data"]
        self.assertEqual(len(runs), 1)
        self.node.api("POST", f"/api/v2/runs/{runs[0]['id']}/actions/cancel", {},
                      expect=(202, 409))

    def test_upload_by_one_who_may_only_plan_does_not_auto_apply(self):
        ws = self.auto_ws
        cv = self.cv(ws, token=self.tokens["planner"], auto_queue=True)
        status, answer = self.upload(cv["attributes"]["upload-url"],
                                     make_slug({"main.tf": SIMPLE_CONFIG.encode()}))
        self.assertEqual(status, 200, answer)
        runs = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/runs")["data"]
        run = [r for r in runs if r["relationships"]["configuration-version"]["data"]["id"]
               == cv["id"]][0]
        self.assertFalse(run["attributes"]["auto-apply"])
        done = self.wait_run(run["id"], ("planned", "errored", "applied"))
        self.assertEqual(done["attributes"]["status"], "planned")
        self.node.api("POST", f"/api/v2/runs/{run['id']}/actions/discard", {})

    def test_state_upload_links_only_for_their_maker_and_once(self):
        sv = self.pending_sv["id"]
        for role in ("reader", "writer", "wsadmin"):
            attrs = self.node.api("GET", f"/api/v2/state-versions/{sv}",
                                  token=self.tokens[role])["data"]["attributes"]
            for key in UPLOAD_KEYS[1:]:
                self.assertIsNone(attrs[key], (role, key))
        attrs = self.node.api("GET", f"/api/v2/state-versions/{sv}",
                              token=self.tokens["boss"])["data"]["attributes"]
        url = attrs["hosted-json-state-upload-url"]
        self.assertTrue(url and attrs["hosted-state-upload-url"])
        # an upload cut short stores nothing and leaves the link to the client's retry
        conn = self.node.connection()
        conn.putrequest("PUT", url.split(self.node.settings["hostname"], 1)[1])
        conn.putheader("Content-Length", "100")
        conn.endheaders(b'{"format')
        conn.close()
        deadline = time.time() + 10
        while True:
            status, answer = self.upload(url, b'{"format_version":"1.0"}')
            if status != 409 or time.time() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(status, 200, answer)
        status, answer = self.upload(url, b'{"forged":true}')
        self.assertEqual(status, 409, answer)
        attrs = self.node.api("GET", f"/api/v2/state-versions/{sv}",
                              token=self.tokens["boss"])["data"]["attributes"]
        self.assertIsNone(attrs["hosted-json-state-upload-url"])
        # the raw state is checked against the declared MD5, then taken once
        url = attrs["hosted-state-upload-url"]
        self.assertEqual(self.upload(url, self.state2 + b" ")[0], 422)
        self.assertEqual(self.upload(url, self.state2)[0], 200)
        self.assertEqual(self.upload(url, self.state2)[0], 409)
        cur = self.node.api("GET", f"/api/v2/workspaces/{self.ws['id']}/current-state-version")
        self.assertEqual(cur["data"]["id"], sv)

    def test_registry_upload_links_only_for_their_managers(self):
        path = ("/api/v2/organizations/acme/registry-modules/private/acme/greeting/null/version"
                "?module_version=1.0.0")
        links = self.node.api("GET", path, token=self.tokens["reader"])["data"]["links"]
        self.assertNotIn("upload", links)
        links = self.node.api("GET", path, token=self.tokens["boss"])["data"]["links"]
        self.assertIn("upload", links)
        self.provider_version("2.0.0", publish=False)
        base = "/api/v2/organizations/acme/registry-providers/private/acme/prov/versions/2.0.0"
        for role, want in (("reader", False), ("boss", True)):
            v = self.node.api("GET", base, token=self.tokens[role])["data"]
            self.assertEqual("shasums-upload" in v["links"], want, role)
            self.assertEqual(v["attributes"]["permissions"]["can-upload-asset"], want, role)
            p = self.node.api("GET", f"{base}/platforms/linux/amd64",
                              token=self.tokens[role])["data"]
            self.assertEqual("provider-binary-upload" in p["links"], want, role)

    # -- one permission per action (item 4) --
    def test_run_attributes_need_the_rights_of_their_action(self):
        count = lambda: self.node.api("GET", f"/api/v2/workspaces/{self.auto_ws['id']}/runs")[
            "meta"]["pagination"]["total-count"]

        def create(role, **attrs):
            return self.node.request("POST", "/api/v2/runs", {"data": {
                "type": "runs", "attributes": attrs, "relationships": {"workspace": {"data": {
                    "type": "workspaces", "id": self.auto_ws["id"]}}}}},
                token=self.tokens[role])

        before = count()
        for attrs, pointer in (({"auto-apply": True}, "auto-apply"),
                               ({"allow-empty-apply": True}, "allow-empty-apply"),
                               ({"is-destroy": True}, None)):
            status, answer, _ = create("planner", **attrs)
            self.assertEqual(status, 403, (attrs, answer))
            if pointer:
                self.assertEqual(answer["errors"][0]["source"]["pointer"],
                                 f"/data/attributes/{pointer}")
        self.assertEqual(count(), before)
        # the legitimate paths: a plan of the planner's waits for someone who may apply
        status, answer, _ = create("planner", message="plan only")
        self.assertEqual(status, 201, answer)
        self.assertFalse(answer["data"]["attributes"]["auto-apply"])
        self.node.api("POST", f"/api/v2/runs/{answer['data']['id']}/actions/cancel", {},
                      expect=(202, 409))
        status, answer, _ = create("writer", **{"auto-apply": True})
        self.assertEqual(status, 201, answer)
        self.assertTrue(answer["data"]["attributes"]["auto-apply"])
        self.node.api("POST", f"/api/v2/runs/{answer['data']['id']}/actions/cancel", {},
                      expect=(202, 409))

    def test_terraform_of_a_member_who_may_only_plan(self):
        """The legitimate path with the real CLI: plan works; terraform itself reads
        can-queue-apply and refuses apply before making a run (the API's own refusal is
        test_run_attributes_need_the_rights_of_their_action)."""
        tf = Terraform.initialized(self.sandbox, self.node, "auto", token=self.tokens["planner"])
        self.assertIn("Plan:", tf.run("plan", "-input=false").stdout)
        runs = lambda: self.node.api("GET", f"/api/v2/workspaces/{self.auto_ws['id']}/runs")[
            "meta"]["pagination"]["total-count"]
        before = runs()
        p = tf.run("apply", "-auto-approve", "-input=false", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("Insufficient rights to apply changes", p.stdout + p.stderr)
        self.assertEqual(runs(), before)
        self.assertIsNone(self.node.api("GET", f"/api/v2/workspaces/{self.auto_ws['id']}")[
            "data"]["relationships"]["current-state-version"]["data"])

    def test_includes_answer_only_what_the_caller_may_read(self):
        path = f"/api/v2/workspaces/{self.ws['id']}?include=current-state-version,outputs"
        included = self.node.api("GET", path, token=self.tokens["custom"]).get("included", [])
        self.assertEqual(included, [])
        types = {r["type"] for r in self.node.api("GET", path, token=self.tokens["reader"])[
            "included"]}
        self.assertEqual(types, {"state-versions", "state-version-outputs"})
        status, _, _ = self.node.request("GET", f"/api/v2/state-versions/{self.sv['id']}/download",
                                         token=self.tokens["custom"])
        self.assertEqual(status, 403)

    def test_owners_team_changed_only_by_owners(self):
        n, tok = self.node, self.tokens["membership"]
        owners = f"/api/v2/teams/{self.owners['id']}"
        members = lambda: sorted(u["attributes"]["username"] for u in n.api(
            "GET", f"{owners}?include=users")["included"])
        before = members()
        status, answer, _ = n.request("POST", f"{owners}/relationships/users", {
            "data": [{"type": "users", "id": "membership"}]}, token=tok)
        self.assertEqual(status, 403, answer)
        status, answer, _ = n.request("POST", f"{owners}/relationships/organization-memberships", {
            "data": [{"type": "organization-memberships",
                      "id": self.memberships[self.users["membership"]["id"]]}]}, token=tok)
        self.assertEqual(status, 403, answer)
        status, answer, _ = n.request("POST", f"{owners}/authentication-token",
                                      doc("authentication-tokens"), token=tok)
        self.assertEqual(status, 403, answer)
        status, answer, _ = n.request(
            "DELETE", f"/api/v2/organization-memberships/"
            f"{self.memberships[self.users['boss']['id']]}", token=tok)
        self.assertEqual(status, 403, answer)
        self.new_user("recruit")
        status, answer, _ = n.request("POST", "/api/v2/organizations/acme/organization-memberships", {
            "data": {"type": "organization-memberships",
                     "attributes": {"email": "recruit@example.test"},
                     "relationships": {"teams": {"data": [
                         {"type": "teams", "id": self.owners["id"]}]}}}}, token=tok)
        self.assertEqual(status, 403, answer)
        self.assertEqual(members(), before)
        status, _, _ = n.request("POST", "/api/v2/organization/authentication-token", None,
                                 token=tok)
        self.assertIn(status, (404, 405))
        # the legitimate paths: membership of other teams, and the owners' own changes
        team = f"/api/v2/teams/{self.teams['reader']['id']}/relationships/users"
        n.api("POST", team, {"data": [{"type": "users", "id": "recruit"}]}, token=tok)
        n.api("DELETE", team, {"data": [{"type": "users", "id": "recruit"}]}, token=tok)
        n.api("POST", f"{owners}/relationships/users",
              {"data": [{"type": "users", "id": "writer"}]}, token=self.tokens["boss"])
        n.api("DELETE", f"{owners}/relationships/users",
              {"data": [{"type": "users", "id": "writer"}]}, token=self.tokens["boss"])
        self.assertEqual(members(), before)

    def test_ssh_keys_assigned_only_by_who_manages_them(self):
        n, w = self.node, self.ws["id"]
        body = doc("workspaces", id=self.key["id"])
        path = f"/api/v2/workspaces/{w}/relationships/ssh-key"
        for role, want in (("wsadmin", 403), ("vcs", 404), ("writer", 403)):
            status, answer, _ = n.request("PATCH", path, body, token=self.tokens[role])
            self.assertEqual(status, want, (role, answer))
            self.assertIsNone(n.api("GET", f"/api/v2/workspaces/{w}")["data"]["relationships"][
                "ssh-key"]["data"], role)
        # an admin of the workspace who also manages VCS settings may
        self.join(self.teams["vcs"]["id"], "wsadmin")
        try:
            n.api("PATCH", path, body, token=self.tokens["wsadmin"])
            self.assertEqual(n.api("GET", f"/api/v2/workspaces/{w}")["data"]["relationships"][
                "ssh-key"]["data"]["id"], self.key["id"])
        finally:
            n.api("PATCH", path, doc("workspaces", id=None))
            n.api("DELETE", f"/api/v2/teams/{self.teams['vcs']['id']}/relationships/users",
                  {"data": [{"type": "users", "id": "wsadmin"}]})


if __name__ == "__main__":
    main()
