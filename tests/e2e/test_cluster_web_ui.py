"""The web UI in headless Chromium (Debian's chromium, driven by playwright-core) against two nodes
behind the balancer, which spreads requests without stickiness: sign in, open a workspace,
start a run, watch its log stream to the end, confirm it, see the new state version and its
outputs, browse the registry, sign out. A <script> in a workspace description and a CSRF
attempt both fail; sign-in is throttled. Screenshots of the main pages are kept in the
sandbox's screenshots folder."""
import http.server
import json
import os
import shutil
import subprocess
import threading
import time
import unittest

from harness import main, make_slug
from test_cluster import Cluster

HERE = os.path.dirname(os.path.abspath(__file__))
PASSWORD = "a long admin password"
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
CONFIG = '''
variable "n" {
  default = "web"
}
resource "terraform_data" "a" {
  input = var.n
}
output "greeting" {
  value = "hello ${terraform_data.a.output}"
}
'''


MODULE = '''
variable "cidr" {
  description = "The network's range"
}
output "id" {
  value = var.cidr
}
'''
README = "# network\n\nA network.\n\n## Usage\n\n```hcl\nmodule \"n\" {}\n```\n"


def tarball(text, readme=None):
    files = {"main.tf": text.encode()}
    if readme is not None:
        files["README.md"] = readme.encode()
    return make_slug(files)


def evil_site(target):
    """Another site: its page posts a form to Strata as soon as it loads."""
    page = (f'<!doctype html><form method="POST" enctype="text/plain" action="{target}">'
            f'<input name=\'{{"data":{{"type":"workspaces","attributes":{{"name":"evil","x":"\' '
            f'value=\'"}}}}}}\'></form><script>document.forms[0].submit()</script>').encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@unittest.skipUnless(shutil.which("chromium") and os.path.isdir(
    os.path.join(HERE, "..", "services", "node_modules", "playwright-core")),
    "needs chromium and playwright-core (bash scripts/setup.sh --tests)")
class WebUITest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("webui", nodes=2)
        cls.front = cls.c.front
        cls.front.create_org("acme")

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def test_browse_run_and_attacks(self):
        n = self.front
        ws = n.create_workspace("acme", "web", description=XSS)
        cv = n.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions", {"data": {
            "type": "configuration-versions", "attributes": {"auto-queue-runs": False}}})["data"]
        path = cv["attributes"]["upload-url"].split(n.settings["hostname"], 1)[1]
        status, _, _ = n.request("PUT", path, body=tarball(CONFIG), token=False,
                                 headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(status, 200)
        n.api("POST", "/api/v2/organizations/acme/registry-modules", {"data": {
            "type": "registry-modules", "attributes": {"name": "network", "provider": "aws"}}})
        v = n.api("POST", "/api/v2/organizations/acme/registry-modules/private/acme/network/aws/"
                          "versions", {"data": {"type": "registry-module-versions",
                                                "attributes": {"version": "1.0.0"}}})["data"]
        path = v["links"]["upload"].split(n.settings["hostname"], 1)[1]
        status, _, _ = n.request("PUT", path, body=tarball(MODULE, README), token=False,
                                 headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(status, 200)
        shots = os.path.join(self.c.sandbox.root, "screenshots")
        os.makedirs(shots, exist_ok=True)
        base = f"https://{n.settings['hostname']}"
        evil = evil_site(f"{base}/api/v2/organizations/acme/workspaces")
        try:
            p = subprocess.run(
                ["node", os.path.join(HERE, "..", "ui", "browse.mjs")], capture_output=True,
                text=True, timeout=400, env=dict(
                    os.environ, STRATA_URL=base, STRATA_USER="admin", STRATA_PASSWORD=PASSWORD,
                    STRATA_ORG="acme", STRATA_WS="web", SHOTS=shots,
                    EVIL_URL=f"http://127.0.0.1:{evil.server_address[1]}/",
                    CHROMIUM=shutil.which("chromium")))
        finally:
            evil.shutdown()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        seen = json.loads(p.stdout.strip().splitlines()[-1])
        self.assertTrue(seen["redirectedToLogin"])
        self.assertTrue(seen["landedOnWorkspace"])
        self.assertEqual(seen["cookie"], {"httpOnly": True, "secure": True, "sameSite": "Strict"})
        self.assertFalse(seen["scriptCanReadCookie"])
        self.assertEqual(seen["description"], XSS)  # shown as text…
        self.assertIsNone(seen["xss"])  # …and nothing of it ran
        self.assertIn("Plan: 1 to add", seen["planLog"])
        self.assertIn("Apply complete! Resources: 1 added", seen["applyLog"])
        self.assertNotIn("null", seen["runPage"])  # nothing absent drawn as a word
        # a run started in the UI says so (source and default message, as TFE answers them)
        self.assertIn("Triggered via UI", seen["runPage"])
        self.assertIn("Source: UI", seen["runPage"])
        run = n.api("GET", f"/api/v2/runs/{seen['runUrl'].rsplit('/', 1)[1]}")["data"]
        self.assertEqual(run["attributes"]["source"], "tfe-ui")
        self.assertNotIn('{"@level"', seen["applyLog"])  # structured output rendered
        self.assertIn("hello web", seen["outputs"])
        self.assertIn("network (aws)", seen["registry"])
        self.assertEqual(seen["csrfInPage"], 403)
        self.assertIn("web", seen["variables"])
        self.assertIn("sensitive — write only", seen["variables"])
        self.assertNotIn("s3cr3t-value", seen["variables"])
        self.assertEqual(seen["moduleReadmeHeading"], "network")
        self.assertIn("The network's range", seen["moduleInputs"])
        # the token made in the browser works for the API
        self.assertEqual(n.request("GET", "/api/v2/account/details", token=seen["newToken"])[0], 200)
        self.assertTrue(seen["signedOut"])
        self.assertEqual(seen["consoleErrors"], [], "the page logged errors")
        # what failed on purpose: the session asked before signing in, the wrong password, the
        # CSRF attempt
        self.assertEqual(sorted(seen["failedRequests"]),
                         ["401 /session", "401 /session",
                          "403 /api/v2/organizations/acme/workspaces/web"], seen["failedRequests"])
        # the form another site posted reached nothing
        names = [w["attributes"]["name"] for w in
                 n.api("GET", "/api/v2/organizations/acme/workspaces")["data"]]
        self.assertNotIn("evil", names)
        ws_now = n.api("GET", f"/api/v2/workspaces/{ws['id']}")["data"]["attributes"]
        self.assertEqual(ws_now["description"], "changed in the browser")  # by the settings page
        runs = n.api("GET", f"/api/v2/workspaces/{ws['id']}/runs")["data"]
        self.assertEqual(runs[0]["attributes"]["status"], "applied")
        for name in ("workspaces", "workspace", "run-planned", "run-applied", "state", "registry",
                     "module", "workspace-settings", "tokens"):
            self.assertTrue(os.path.getsize(os.path.join(shots, f"{name}.png")) > 1000, name)
        # the page and its assets carry the policy that keeps injected script from running
        status, _, headers = n.request("GET", "/app/acme/workspaces", token=False, raw=True)
        self.assertEqual(status, 200)
        self.assertIn("script-src 'self'", headers.get("Content-Security-Policy", ""))
        self.assertNotIn("unsafe-inline", headers.get("Content-Security-Policy", ""))

    def test_sign_in_is_throttled_and_sessions_are_shared(self):
        n = self.front
        n.api("POST", "/api/v2/admin/users", {"data": {"type": "users", "attributes": {
            "username": "slow", "email": "slow@example.test", "password": PASSWORD}}})

        def sign_in(password, username="slow"):
            # the sign-in CSRF pair first: a cookie and the same token in X-CSRF-Token
            status, pair, headers = n.request("GET", "/session/token", token=False)
            self.assertEqual(status, 200)
            return n.request("POST", "/session", body=json.dumps(
                {"username": username, "password": password}), token=False,
                headers={"Content-Type": "application/json", "X-CSRF-Token": pair["csrf-token"],
                         "Cookie": headers["Set-Cookie"].split(";")[0]})

        for _ in range(5):
            self.assertEqual(sign_in("wrong password")[0], 401)
        status, doc, _ = sign_in(PASSWORD)  # even the right one waits now
        self.assertEqual(status, 429, doc)
        self.assertIn("try again", doc["errors"][0]["detail"])
        # an unknown name is answered as a wrong password
        status, doc, _ = sign_in("x", "nobody")
        self.assertEqual((status, doc["errors"][0]["detail"]), (401, "wrong username or password"))
        # a session made through one node is known to the other
        status, doc, headers = sign_in(PASSWORD, "admin")
        self.assertEqual(status, 201, doc)
        cookie = headers["Set-Cookie"].split(";")[0]
        for node in self.c.nodes:
            status, me, _ = node.request("GET", "/session", token=False, headers={"Cookie": cookie})
            self.assertEqual((status, me["user"]["username"]), (200, "admin"))
            status, _, _ = node.request("GET", "/api/v2/organizations/acme", token=False,
                                        headers={"Cookie": cookie})
            self.assertEqual(status, 200)
            status, _, _ = node.request("PATCH", "/api/v2/organizations/acme", {"data": {
                "type": "organizations", "attributes": {"email": "x@acme.test"}}}, token=False,
                headers={"Cookie": cookie})
            self.assertEqual(status, 403)  # no CSRF token
            status, _, _ = node.request("PATCH", "/api/v2/organizations/acme", {"data": {
                "type": "organizations", "attributes": {"email": "x@acme.test"}}}, token=False,
                headers={"Cookie": cookie, "X-CSRF-Token": doc["csrf-token"]})
            self.assertEqual(status, 200)
        status, _, _ = n.request("DELETE", "/session", token=False,
                                 headers={"Cookie": cookie, "X-CSRF-Token": doc["csrf-token"]})
        self.assertEqual(status, 204)
        status, _, _ = n.request("GET", "/session", token=False, headers={"Cookie": cookie})
        self.assertEqual(status, 401)


if __name__ == "__main__":
    main()
