"""Hostile archives and runs (issue 22 items 1-2, issue 29 item 3), as an attacker would try them
with real tar.gz files: a link chain (`a -> .`, then `x -> a/a/…/../../…/<node file>`) as a
module's README.md pointing at the node's settings file, and as a configuration's
zzz_strata.auto.tfvars pointing at a file the node would then write; a run that, after its
plan, leaves links where the node reads back plan.json, schemas, the redacted plan and the
plan file; a module archive of 100,000 entries. Each must read, write and queue nothing, with a
clear refusal; links that stay inside a configuration keep working."""
import io
import os
import tarfile
import time
import unittest

from harness import TERRAFORM, main, registry_node, Sandbox
from test_run_isolation import Runs

SIMPLE = b'resource "terraform_data" "a" {\n  input = "x"\n}\noutput "o" {\n  value = 1\n}\n'


def tar_gz(entries):
    """A tar.gz from (name, kind, data): kind "file" (bytes), "link" or "hard" (a target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, kind, data in entries:
            info = tarfile.TarInfo(name)
            if kind in ("link", "hard"):
                info.type = tarfile.SYMTYPE if kind == "link" else tarfile.LNKTYPE
                info.linkname = data
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def chain_to(path, depth=40):
    """With `a -> .` unpacked first: a target that, read as text, climbs exactly as far as it
    descends (the old check passed it), but resolves to the absolute path."""
    return "a/" * depth + "../" * depth + path.lstrip("/")


def read(path):
    with open(path, "rb") as f:
        return f.read()


class HostileArchivesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sandbox = Sandbox("hostile")
        cls.node = registry_node(cls.sandbox)
        cls.node.create_org("acme")
        cls.runs = Runs(cls.node)

    @classmethod
    def tearDownClass(cls):
        cls.sandbox.close()

    def setUp(self):
        # a file of the node's host that no test may change
        self.victim = os.path.join(self.sandbox.root, f"victim-{self._testMethodName}.txt")
        with open(self.victim, "w") as f:
            f.write("untouched\n")

    def tearDown(self):
        self.assertEqual(read(self.victim), b"untouched\n", "the node wrote outside")

    # -- registry modules ---------------------------------------------------------------------
    def module(self, name):
        self.node.api("POST", "/api/v2/organizations/acme/registry-modules", {"data": {
            "type": "registry-modules", "attributes": {"name": name, "provider": "null"}}})
        return f"/api/v2/organizations/acme/registry-modules/private/acme/{name}/null"

    def publish(self, base, version, archive):
        v = self.node.api("POST", base + "/versions", {"data": {
            "type": "registry-module-versions", "attributes": {"version": version}}})
        upload = v["data"]["links"]["upload"].split(self.node.settings["hostname"])[1]
        started = time.monotonic()
        status, body, _ = self.node.request("PUT", upload, archive, token=False,
                                            headers={"Content-Type": "application/octet-stream"})
        took = time.monotonic() - started
        got = self.node.api("GET", f"{base}/version?module_version={version}")["data"]
        return status, body, got["attributes"], took

    def test_module_readme_link_chain_to_the_settings_file_is_refused(self):
        base = self.module("hostile")
        settings = read(self.node.config)
        self.assertIn(b"enc_password", settings)
        for version, entries in (
                ("1.0.1", [("a", "link", "."), ("README.md", "link", chain_to(self.node.config)),
                           ("main.tf", "file", SIMPLE)]),
                ("1.0.2", [("main.tf", "file", SIMPLE), ("README.md", "link", "main.tf")]),
                ("1.0.3", [("main.tf", "file", SIMPLE), ("README.md", "hard", "main.tf")])):
            status, body, attrs, _ = self.publish(base, version, tar_gz(entries))
            self.assertEqual(status, 422, body)
            self.assertIn("takes no links", body["errors"][0]["detail"])
            self.assertEqual(attrs["status"], "reg_ingress_failed")
            status, doc, _ = self.node.request(
                "GET", f"/api/registry/v1/modules/acme/hostile/null/{version}")
            self.assertEqual(status, 404, doc)
        # a module without links is shown with its README and inputs
        status, body, attrs, _ = self.publish(base, "2.0.0", tar_gz([
            ("README.md", "file", b"# hostile\n"), ("main.tf", "file",
                                                     b'variable "v" {\n  default = 1\n}\n')]))
        self.assertEqual((status, attrs["status"]), (200, "ok"), body)
        doc = self.node.api("GET", "/api/registry/v1/modules/acme/hostile/null/2.0.0")
        self.assertEqual(doc["root"]["readme"], "# hostile\n")
        self.assertEqual([i["name"] for i in doc["root"]["inputs"]], ["v"])
        for v in doc.values():
            self.assertNotIn("enc_password", str(v))

    def test_module_of_100000_entries_is_refused_quickly(self):
        base = self.module("huge")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as t:
            for i in range(100000):
                info = tarfile.TarInfo(f"f{i}.tf")
                info.size = 2
                t.addfile(info, io.BytesIO(b"#\n"))
        status, body, attrs, took = self.publish(base, "1.0.0", buf.getvalue())
        self.assertEqual(status, 422, body)
        self.assertIn("at most 10000 entries", body["errors"][0]["detail"])
        self.assertLess(took, 5, "the scan must stop at the entry cap")
        # under the cap, the scan reads only the root's .tf files and README: fast too
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as t:
            for i in range(9000):
                info = tarfile.TarInfo(f"examples/e{i}/main.tf")
                info.size = 2
                t.addfile(info, io.BytesIO(b"#\n"))
            info = tarfile.TarInfo("main.tf")
            info.size = len(SIMPLE)
            t.addfile(info, io.BytesIO(SIMPLE))
        status, body, attrs, took = self.publish(base, "1.1.0", buf.getvalue())
        self.assertEqual((status, attrs["status"]), (200, "ok"), body)
        self.assertLess(took, 5)

    # -- configurations -----------------------------------------------------------------------
    def upload_config(self, name, entries):
        ws = self.node.create_workspace("acme", name, **{"auto-apply": True})
        cv = self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions",
                           {"data": {"type": "configuration-versions"}})["data"]
        path = cv["attributes"]["upload-url"].split(self.node.settings["hostname"])[1]
        status, body, _ = self.node.request("PUT", path, body=tar_gz(entries), token=False)
        cv = self.node.api("GET", f"/api/v2/configuration-versions/{cv['id']}")["data"]
        return ws, status, body, cv["attributes"]

    def test_configuration_tfvars_link_chain_is_refused(self):
        ws, status, body, attrs = self.upload_config("tfvars-chain", [
            ("main.tf", "file", SIMPLE), ("a", "link", "."),
            ("zzz_strata.auto.tfvars", "link", chain_to(self.victim))])
        self.assertEqual(status, 422, body)
        self.assertIn("zzz_strata.auto.tfvars", body["errors"][0]["detail"])
        self.assertEqual(attrs["status"], "errored")
        self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/vars", {"data": {
            "type": "vars", "attributes": {"key": "x", "value": "* * * * * root evil\n",
                                           "category": "terraform"}}})
        status, _, _ = self.node.request("POST", "/api/v2/runs", {"data": {
            "type": "runs", "relationships": {"workspace": {"data": {
                "type": "workspaces", "id": ws["id"]}}}}})
        self.assertEqual(status, 422, "no run without an uploaded configuration")
        # the same trick with a folder that points up, then a path through it
        _, status, body, _ = self.upload_config("tfvars-up", [
            ("main.tf", "file", SIMPLE), ("d/keep.tf", "file", b""), ("d/up", "link", ".."),
            ("zzz_strata.auto.tfvars", "link", "d/up/" + chain_to(self.victim, 1))])
        self.assertEqual(status, 422, body)

    def test_links_inside_a_configuration_keep_working(self):
        module = b'output "greeting" {\n  value = "hi"\n}\n'
        ws, status, body, attrs = self.upload_config("inside-links", [
            ("modules/m/main.tf", "file", module), ("m", "link", "modules/m"),
            ("shared.tf", "link", "modules/../modules/m/../../main.tf.txt"),
            ("main.tf.txt", "file", b"# not terraform\n"),
            ("main.tf", "file", b'module "m" {\n  source = "./m"\n}\n'
                                b'output "o" {\n  value = module.m.greeting\n}\n')])
        self.assertEqual((status, attrs["status"]), (200, "uploaded"), body)
        run = self.runs.wait(ws, ("applied", "errored"), timeout=240)
        self.assertEqual(run["attributes"]["status"], "applied", self.runs.log(run, "plan")[1])

    # -- what a run leaves in its folder ------------------------------------------------------
    def pinned_wrapper(self, version):
        """A registered terraform that, after `terraform plan`, leaves links where the node reads
        back — as any code a run executes (a provider it downloads) could."""
        wrapper = os.path.join(self.sandbox.root, f"terraform-{version}")
        with open(wrapper, "w") as f:
            f.write(f'''#!/bin/sh
"{TERRAFORM}" "$@"
rc=$?
if [ "$1" = plan ]; then
  root=$(dirname "$(pwd)")
  for f in plan.json schemas.json plan-redacted.json init.log; do
    rm -f "$root/$f"; ln -s "{self.victim}" "$root/$f"
  done
  if [ -e replace-plan-file ]; then
    rm -f "$root/plan.bin"; ln -s "{self.node.config}" "$root/plan.bin"
  fi
fi
exit $rc
''')
        os.chmod(wrapper, 0o755)
        self.node.api("POST", "/api/v2/admin/terraform-versions", {"data": {
            "type": "terraform-versions", "attributes": {"version": version, "path": wrapper}}})
        return version

    def queue_wrapped(self, name, version, files, structured):
        self.pinned_wrapper(version)
        ws = self.node.create_workspace("acme", name, **{
            "auto-apply": True, "terraform-version": version,
            "structured-run-output-enabled": structured})
        cv = self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions",
                           {"data": {"type": "configuration-versions"}})["data"]
        path = cv["attributes"]["upload-url"].split(self.node.settings["hostname"])[1]
        status, body, _ = self.node.request(
            "PUT", path, body=tar_gz([(k, "file", v) for k, v in files.items()]), token=False)
        self.assertEqual(status, 200, body)
        return ws

    def test_links_a_run_leaves_for_read_backs_are_not_followed(self):
        # links at plan.json, schemas.json, plan-redacted.json: the node captures elsewhere
        ws = self.queue_wrapped("readback-json", "1.99.7", {"main.tf": SIMPLE}, True)
        run = self.runs.wait(ws, ("applied", "errored"), timeout=240)
        self.assertEqual(run["attributes"]["status"], "applied", self.runs.log(run, "plan")[1])
        status, _, _ = self.node.request(
            "GET", f"/api/v2/plans/{run['relationships']['plan']['data']['id']}"
                   "/json-output-redacted")
        self.assertEqual(status, 200)

    def test_a_plan_file_replaced_by_a_link_is_not_stored(self):
        ws = self.queue_wrapped("readback-plan", "1.99.8",
                                {"main.tf": SIMPLE, "replace-plan-file": b""}, False)
        run = self.runs.wait(ws, ("applied", "errored", "planned_and_finished"), timeout=240)
        _, log = self.runs.log(run, "plan")
        self.assertEqual(run["attributes"]["status"], "errored", log)
        self.assertIn("the plan file is not a regular file", log)


if __name__ == "__main__":
    main()
