"""Remote runs: the real terraform CLI with a cloud block against a workspace in remote
execution mode; Strata's workers run terraform and stream the logs back."""
import http.server
import io
import json
import os
import signal
import tarfile
import threading
import time

from harness import SIMPLE_CONFIG, NodeTest, Sandbox, Terraform, free_port, main

SLOW_APPLY = SIMPLE_CONFIG + '''
resource "terraform_data" "slow" {
  input = var.n
  provisioner "local-exec" {
    command = "sleep 3"
  }
}
'''


class SlowStateServer(http.server.BaseHTTPRequestHandler):
    """An HTTP state backend that answers after a long pause: a plan that reads it is long."""
    def do_GET(self):
        time.sleep(30)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *a):
        pass


class RemoteRunTest(NodeTest):
    sandbox_name = "remote"

    @classmethod
    def setUpClass(cls):
        # the slow state server listens on the node's loopback: runs reach it through
        # run_host_ports only
        cls.slow_port = free_port()
        cls.sandbox = Sandbox(cls.sandbox_name)
        cls.node = cls.sandbox.node(settings={"run_host_ports": str(cls.slow_port)})
        cls.node.create_org("acme")

    def tf(self, name, config=SIMPLE_CONFIG, **kw):
        return Terraform.initialized(self.sandbox, self.node, name, config=config, **kw)

    def runs(self, ws_name):
        ws = self.node.api("GET", f"/api/v2/organizations/acme/workspaces/{ws_name}")["data"]
        return self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/runs")["data"], ws

    def wait_status(self, run_id, statuses, timeout=90):
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.node.api("GET", f"/api/v2/runs/{run_id}")["data"]
            if r["attributes"]["status"] in statuses:
                return r
            time.sleep(0.2)
        self.fail(f"run {run_id} still {r['attributes']['status']}")

    def test_plan_then_apply_auto_approve(self):
        tf = self.tf("basic")
        plan = tf.run("plan", "-input=false")
        self.assertIn("Plan: 1 to add, 0 to change, 0 to destroy", plan.stdout)
        runs, ws = self.runs("basic")
        self.assertEqual(runs[0]["attributes"]["status"], "planned_and_finished")
        self.assertFalse(ws["attributes"]["locked"])
        applied = tf.run("apply", "-auto-approve", "-input=false")
        self.assertIn("Apply complete! Resources: 1 added", applied.stdout)
        runs, ws = self.runs("basic")
        self.assertEqual(runs[0]["attributes"]["status"], "applied")
        plan_doc = self.node.api("GET", f"/api/v2/plans/{runs[0]['relationships']['plan']['data']['id']}")
        self.assertEqual(plan_doc["data"]["attributes"]["resource-additions"], 1)
        apply_doc = self.node.api("GET", f"/api/v2/applies/{runs[0]['relationships']['apply']['data']['id']}")
        self.assertEqual(apply_doc["data"]["attributes"]["status"], "finished")
        for doc in (plan_doc, apply_doc):
            ts = doc["data"]["attributes"]["status-timestamps"]
            self.assertLessEqual(ts["queued-at"], ts["started-at"])
            self.assertLessEqual(ts["started-at"], ts["finished-at"])
            self.assertNotIn("errored-at", ts)
        self.assertLessEqual(plan_doc["data"]["attributes"]["status-timestamps"]["finished-at"],
                             apply_doc["data"]["attributes"]["status-timestamps"]["queued-at"])
        self.assertIsNone(runs[0]["attributes"]["force-cancel-available-at"])
        self.assertFalse(any(runs[0]["attributes"]["actions"].values()))
        self.assertEqual(apply_doc["data"]["attributes"]["resource-additions"], 1)
        # the state was written through the API by the run itself
        cur = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/current-state-version")
        self.assertEqual(cur["data"]["attributes"]["serial"], 1)
        self.assertEqual(json.loads(tf.run("output", "-json").stdout)["n"]["value"], "1")
        self.assertFalse(ws["attributes"]["locked"])
        # the finished log is kept (sealed) and still readable
        url = plan_doc["data"]["attributes"]["log-read-url"]
        status, body, _ = self.node.request("GET", url.split(self.node.settings["hostname"])[1],
                                            token=False, raw=True)
        self.assertEqual(status, 200)
        self.assertTrue(body.startswith(b"\x02") and body.endswith(b"\x03"))

    def test_run_token_is_scoped_and_blobs_go_with_the_workspace(self):
        tf = self.tf("scoped")
        tf.run("apply", "-auto-approve", "-input=false")
        runs, ws = self.runs("scoped")
        # a run token (made here the way the runner makes one) reads its workspace and writes its
        # state, and nothing else
        from harness import free_port  # noqa: F401
        self.assertTrue(self.node.blob_keys("logs"))
        self.assertTrue([k for k in self.node.blob_keys("configuration-versions")
                         if k.endswith("/slug")])
        self.node.api("DELETE", f"/api/v2/workspaces/{ws['id']}")
        keys = set(self.node.blob_keys())
        for r in runs:
            for rel in ("plan", "apply"):
                self.assertNotIn(f"logs/{r['relationships'][rel]['data']['id']}", keys)
            self.assertNotIn(f"runs/{r['id']}/plan", keys)
        cv = r["relationships"]["configuration-version"]["data"]["id"]
        self.assertFalse(self.node.blob_keys(f"configuration-versions/{cv}"))

    def test_saved_plan_applied_later(self):
        tf = self.tf("saved")
        planned = tf.run("plan", "-input=false", "-out=tfplan")
        self.assertIn("Plan: 1 to add", planned.stdout)
        runs, ws = self.runs("saved")
        self.assertEqual(runs[0]["attributes"]["status"], "planned_and_saved")
        self.assertFalse(ws["attributes"]["locked"])
        applied = tf.run("apply", "-input=false", "tfplan")
        self.assertIn("Apply complete! Resources: 1 added", applied.stdout)
        runs, ws = self.runs("saved")
        self.assertEqual(runs[0]["attributes"]["status"], "applied")
        self.assertFalse(ws["attributes"]["locked"])
        self.assertEqual(json.loads(tf.run("output", "-json").stdout)["n"]["value"], "1")

    def test_apply_prompt_yes_and_no(self):
        tf = self.tf("prompt")
        yes = tf.run("apply", input="yes\n")
        self.assertIn("Apply complete!", yes.stdout)
        no = tf.run("apply", "-var", "n=2", input="no\n", check=False)
        self.assertEqual(no.returncode, 1)
        self.assertIn("Apply discarded", no.stdout + no.stderr)
        runs, ws = self.runs("prompt")
        self.assertEqual([r["attributes"]["status"] for r in runs[:2]], ["discarded", "applied"])
        self.assertFalse(ws["attributes"]["locked"])

    def test_destroy_refresh_only_and_targets(self):
        tf = self.tf("lifecycle")
        tf.run("apply", "-auto-approve", "-input=false")
        refresh = tf.run("apply", "-refresh-only", "-auto-approve", "-input=false")
        self.assertIn("No changes", refresh.stdout)
        runs, _ = self.runs("lifecycle")
        self.assertTrue(runs[0]["attributes"]["refresh-only"])
        target = tf.run("plan", "-input=false", "-target=terraform_data.a", "-var", "n=9")
        self.assertIn("# terraform_data.a will be updated in-place", target.stdout)
        self.assertIn("Resource targeting is in effect", target.stdout)
        gone = tf.run("apply", "-destroy", "-auto-approve", "-input=false")
        self.assertIn("Resources: 0 added, 0 changed, 1 destroyed", gone.stdout)
        runs, _ = self.runs("lifecycle")
        self.assertTrue(runs[0]["attributes"]["is-destroy"])

    def test_variables_and_sensitive_values(self):
        config = SIMPLE_CONFIG + '''
variable "secret" {}
variable "shown" {}
resource "terraform_data" "echo" {
  input = var.shown
  provisioner "local-exec" {
    command = "echo SECRET=${var.secret} SHOWN=${var.shown} ENV=$STRATA_TEST_ENV"
  }
}
'''
        tf = self.tf("vars", config)
        ws = self.node.api("GET", "/api/v2/organizations/acme/workspaces/vars")["data"]
        def var(key, value, category="terraform", sensitive=False, hcl=False):
            return self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/vars", {"data": {
                "type": "vars", "attributes": {"key": key, "value": value, "category": category,
                                               "sensitive": sensitive, "hcl": hcl}}})["data"]
        secret = var("secret", "hunter22-very-secret", sensitive=True)
        self.assertIsNone(secret["attributes"]["value"])
        var("shown", "visible-value")
        var("STRATA_TEST_ENV", "from-env", category="env")
        var("n", '"from-hcl"', hcl=True)
        listed = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/vars")["data"]
        self.assertEqual(len(listed), 4)
        out = tf.run("apply", "-auto-approve", "-input=false")
        text = out.stdout + out.stderr
        self.assertIn("SHOWN=visible-value", text)
        self.assertIn("ENV=from-env", text)
        self.assertNotIn("hunter22-very-secret", text)
        self.assertIn("SECRET=" + "*" * len("hunter22-very-secret"), text)
        self.assertEqual(json.loads(tf.run("output", "-json").stdout)["n"]["value"], "from-hcl")
        # -var on the CLI reaches the remote run
        cli = tf.run("plan", "-input=false", "-var", "n=from-cli")
        self.assertIn('"from-hcl" -> "from-cli"', cli.stdout)
        # secrets never leave: not on disk in the clear, and a sensitive var stays sensitive
        status, doc, _ = self.node.request("PATCH", f"/api/v2/workspaces/{ws['id']}/vars/{secret['id']}",
                                           {"data": {"type": "vars", "attributes": {"sensitive": False}}})
        self.assertEqual(status, 422)
        self.assertNotIn(b"hunter22-very-secret", self.node.database_bytes())

    def test_failing_config_errors_the_run(self):
        tf = self.tf("broken", SIMPLE_CONFIG)
        tf.write(SIMPLE_CONFIG + 'output "bad" {\n  value = var.does_not_exist\n}\n')
        p = tf.run("plan", "-input=false", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("Reference to undeclared input variable", p.stdout + p.stderr)
        runs, ws = self.runs("broken")
        self.assertEqual(runs[0]["attributes"]["status"], "errored")
        self.assertFalse(ws["attributes"]["locked"])

    def test_ctrl_c_cancels_the_plan(self):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.slow_port), SlowStateServer)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            config = SIMPLE_CONFIG + f'''
data "terraform_remote_state" "slow" {{
  backend = "http"
  config = {{
    address = "http://127.0.0.1:{server.server_address[1]}/state"
  }}
}}
'''
            tf = self.tf("cancel", config)
            import subprocess
            # `terraform apply` cancels the remote run on Ctrl-C during its plan (after asking,
            # so input must be possible); `terraform plan` only stops streaming
            p = subprocess.Popen([tf_bin(), "apply"], cwd=tf.dir, env=tf.env,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
            # Ctrl-C once the CLI streams the plan log (before that it has no run to cancel)
            seen = []
            reader = threading.Thread(target=lambda: seen.extend(iter(p.stdout.readline, "")),
                                      daemon=True)
            reader.start()
            deadline = time.time() + 60
            while not any("slow: Reading..." in l or "slow: Refreshing..." in l for l in seen) \
                    and time.time() < deadline:
                time.sleep(0.1)
            runs, _ = self.runs("cancel")
            run = runs[0]
            self.assertEqual(run["attributes"]["status"], "planning", "".join(seen))
            p.send_signal(signal.SIGINT)
            time.sleep(0.5)
            p.stdin.write("yes\n")
            p.stdin.close()
            p.wait(60)
            reader.join(10)
            out = "".join(seen)
            self.assertIn("successfully cancelled", out)
            done = self.wait_status(run["id"], ("canceled", "force_canceled"), timeout=60)
            self.assertEqual(done["attributes"]["status"], "canceled")
        finally:
            server.shutdown()
            server.server_close()

    def test_two_applies_on_one_workspace_queue(self):
        a = self.tf("queue", SLOW_APPLY)
        b = Terraform(self.sandbox, self.node, "queue-b", "acme", workspace="queue")
        b.write(SLOW_APPLY)
        b.run("init", "-input=false")
        first = a.popen("apply", "-auto-approve", "-input=false", "-var", "n=1")
        for _ in range(300):  # the second starts once the first holds the workspace
            runs, _ = self.runs("queue")
            if runs and runs[0]["attributes"]["status"] in ("planning", "planned", "apply_queued",
                                                            "applying"):
                break
            time.sleep(0.1)
        second = b.run("apply", "-auto-approve", "-input=false", "-var", "n=2")
        out_a, _ = first.communicate(timeout=120)
        self.assertEqual(first.returncode, 0, out_a)
        self.assertIn("Apply complete!", second.stdout)
        self.assertIn("Waiting for 1 run(s) to finish before being queued", second.stdout)
        runs, ws = self.runs("queue")
        self.assertEqual([r["attributes"]["status"] for r in runs[:2]], ["applied", "applied"])
        first_done = runs[1]["attributes"]["status-timestamps"]["applied-at"]
        second_start = runs[0]["attributes"]["status-timestamps"]["plan-queued-at"]
        self.assertLessEqual(first_done, second_start)
        self.assertFalse(ws["attributes"]["locked"])
        state = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/current-state-version-outputs")
        self.assertEqual(state["data"][0]["attributes"]["value"], "2")

    def test_missing_terraform_version_errors_with_reason(self):
        tf = self.tf("oldtf")
        ws = self.node.api("GET", "/api/v2/organizations/acme/workspaces/oldtf")["data"]
        status, _, _ = self.node.request("PATCH", f"/api/v2/workspaces/{ws['id']}", {"data": {
            "type": "workspaces", "attributes": {"terraform-version": "0.12.31"}}})
        self.assertEqual(status, 422)  # unknown here; pinned before a site admin disabled it:
        tv = self.node.api("POST", "/api/v2/admin/terraform-versions", {"data": {
            "type": "terraform-versions", "attributes": {"version": "0.12.31", "path": "/x/tf"}}})
        self.node.api("PATCH", f"/api/v2/workspaces/{ws['id']}", {"data": {
            "type": "workspaces", "attributes": {"terraform-version": "0.12.31"}}})
        self.node.api("PATCH", f"/api/v2/admin/terraform-versions/{tv['data']['id']}", {"data": {
            "type": "terraform-versions", "attributes": {"enabled": False}}})
        p = tf.run("plan", "-input=false", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("terraform 0.12.31 is not installed", p.stdout + p.stderr)

    def test_registered_terraform_versions(self):
        import hashlib
        import shutil
        import zipfile
        from harness import TERRAFORM
        admin_api = "/api/v2/admin/terraform-versions"
        def register(**attrs):
            return self.node.request("POST", admin_api, {"data": {
                "type": "terraform-versions", "attributes": attrs}})
        # only site admins see the admin API
        org_tok = self.node.api("POST", "/api/v2/organizations/acme/authentication-token",
                                {"data": {"type": "authentication-tokens"}})["data"]
        status, _, _ = self.node.request("GET", admin_api, token=org_tok["attributes"]["token"])
        self.assertEqual(status, 404)
        self.assertEqual(register(version="1.99.0", path="relative/terraform")[0], 422)
        self.assertEqual(register(version="1.99.0", url="https://example.test/tf.zip")[0], 422)
        self.assertEqual(register(version="1.99.0", path=TERRAFORM)[0], 201)
        zpath = os.path.join(self.sandbox.root, "terraform_1.98.0_linux_amd64.zip")
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_STORED) as z:
            z.write(TERRAFORM, "terraform")
        with open(zpath, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        self.assertEqual(register(version="1.98.0", url="file://" + zpath, sha=sha)[0], 201)
        self.assertEqual(register(version="1.97.0", url="file://" + zpath, sha="0" * 64)[0], 201)
        self.assertEqual(register(version="1.96.0", path="/bin/false")[0], 201)
        listed = self.node.api("GET", admin_api)["data"]
        # (another test of the class leaves 0.12.31 registered and disabled)
        self.assertEqual(sorted(v["attributes"]["version"] for v in listed
                                if v["attributes"]["version"].startswith("1.9")),
                         ["1.96.0", "1.97.0", "1.98.0", "1.99.0"])
        for version, ok in (("1.99.0", True), ("1.98.0", True), ("1.97.0", False),
                            ("1.96.0", False)):
            name = "pinned-" + version.replace(".", "-")
            tf = self.tf(name)
            ws = self.node.api("GET", f"/api/v2/organizations/acme/workspaces/{name}")["data"]
            self.node.api("PATCH", f"/api/v2/workspaces/{ws['id']}", {"data": {
                "type": "workspaces", "attributes": {"terraform-version": version}}})
            p = tf.run("plan", "-input=false", check=ok)
            if ok:
                self.assertIn("Plan: 1 to add", p.stdout)
            elif version == "1.97.0":
                self.assertIn("SHA-256", p.stdout + p.stderr)
            else:
                self.assertIn("terraform init failed (exit code 1) using /bin/false",
                              p.stdout + p.stderr)
        cached = os.path.join(self.node.settings["disk_path"], "tools", "terraform", "1.98.0",
                              "terraform")
        self.assertTrue(os.access(cached, os.X_OK))

    def test_cancel_and_force_cancel_through_the_api(self):
        tf = self.tf("apicancel", SLOW_APPLY.replace("sleep 3", "sleep 60"))
        ws = self.node.api("GET", "/api/v2/organizations/acme/workspaces/apicancel")["data"]
        p = tf.popen("apply", "-auto-approve", "-input=false")
        run = None
        for _ in range(300):
            runs, _ = self.runs("apicancel")
            if runs and runs[0]["attributes"]["status"] == "applying":
                run = runs[0]
                break
            time.sleep(0.1)
        self.assertIsNotNone(run)
        status, _, _ = self.node.request("POST", f"/api/v2/runs/{run['id']}/actions/force-cancel")
        self.assertEqual(status, 409)  # force-cancel follows a cancel
        asked = time.time()
        self.node.api("POST", f"/api/v2/runs/{run['id']}/actions/cancel")
        # TFE's cool-off: force-cancel opens 10 s after the cancel, and the run says when
        r = self.node.api("GET", f"/api/v2/runs/{run['id']}")["data"]
        if r["attributes"]["status"] == "applying":
            a = r["attributes"]
            self.assertIsNotNone(a["force-cancel-available-at"])
            self.assertFalse(a["actions"]["is-cancelable"])
            self.assertFalse(a["actions"]["is-force-cancelable"])
            status, doc, _ = self.node.request(
                "POST", f"/api/v2/runs/{run['id']}/actions/force-cancel")
            self.assertEqual(status, 409)
            self.assertIn("force-cancel is available at", json.dumps(doc))
        done = self.wait_status(run["id"], ("force_canceled", "canceled", "errored"), timeout=30)
        self.assertEqual(done["attributes"]["status"], "canceled")  # terraform stopped at SIGINT
        self.assertLess(time.time() - asked, 10)
        self.assertFalse(done["attributes"]["actions"]["is-force-cancelable"])
        apply_id = done["relationships"]["apply"]["data"]["id"]
        ts = self.node.api("GET", f"/api/v2/applies/{apply_id}")["data"]["attributes"]
        self.assertEqual(ts["status"], "canceled")
        self.assertLessEqual(ts["status-timestamps"]["started-at"],
                             ts["status-timestamps"]["canceled-at"])
        p.kill()
        p.communicate()
        w = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}")["data"]
        self.assertFalse(w["attributes"]["locked"])
        status, _, _ = self.node.request("POST", f"/api/v2/runs/{run['id']}/actions/apply")
        self.assertEqual(status, 409)

    def test_malicious_archives_are_refused(self):
        ws = self.node.create_workspace("acme", "tarballs")
        def upload(entries):
            cv = self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions",
                               {"data": {"type": "configuration-versions",
                                         "attributes": {"auto-queue-runs": False}}})["data"]
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w:gz") as t:
                for name, kind, data in entries:
                    info = tarfile.TarInfo(name)
                    if kind == "link":
                        info.type, info.linkname = tarfile.SYMTYPE, data
                        t.addfile(info)
                    elif kind == "hard":
                        info.type, info.linkname = tarfile.LNKTYPE, data
                        t.addfile(info)
                    else:
                        info.size = len(data)
                        t.addfile(info, io.BytesIO(data))
            path = cv["attributes"]["upload-url"].split(self.node.settings["hostname"])[1]
            status, doc, _ = self.node.request("PUT", path, body=buf.getvalue(), token=False)
            after = self.node.api("GET", f"/api/v2/configuration-versions/{cv['id']}")["data"]
            return status, doc, after["attributes"]
        ok = [("main.tf", "file", b'output "x" { value = 1 }\n')]
        for bad, needle in [
            ([("../escape.tf", "file", b"x")], "leaves the tree"),
            ([("/etc/evil.tf", "file", b"x")], "absolute path"),
            ([("a/b/../../../x", "file", b"x")], "leaves the tree"),
            ([("lnk", "link", "/etc/passwd")], "absolute"),
            ([("d/lnk", "link", "../../outside")], "out of the tree"),
            ([("h", "hard", "../../etc/passwd")], "out of the tree"),
        ]:
            status, doc, attrs = upload(ok + bad)
            self.assertEqual(status, 422, (bad, doc))
            self.assertIn(needle, doc["errors"][0]["detail"])
            self.assertEqual(attrs["status"], "errored")
        status, doc, _ = self.node.request("PUT", "/_archivist/slug/forged.token", body=b"x",
                                           token=False)
        self.assertEqual(status, 404)
        status, _, attrs = upload(ok + [("d/lnk", "link", "../main.tf")])
        self.assertEqual((status, attrs["status"]), (200, "uploaded"))


def tf_bin():
    from harness import TERRAFORM
    return TERRAFORM


if __name__ == "__main__":
    main()
