"""The private module registry: a module published through TFE's registry-modules API (create,
versions, tar.gz uploads to signed URLs), and installed by the real terraform CLI from
`<host>/<org>/<name>/<provider>` with a version constraint through the modules.v1 protocol —
in a local run and in a remote run on the node. Bad versions, names, archives that leave their
tree, second uploads and other organizations' tokens are refused."""
import io
import json
import tarfile
import unittest

from harness import Sandbox, Terraform, main, make_slug, registry_node

MODULE = '''
variable "name" {
  type        = string
  description = "Who to greet"
}
variable "punctuation" {
  default = "!"
}
output "text" {
  description = "The greeting"
  value       = "%s, ${var.name}"
}
resource "terraform_data" "said" {
  input = var.name
}
'''


def tar_gz(files):
    return make_slug({name: body.encode() for name, body in files.items()})


class RegistryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # terraform wants a dot in a module registry's host name: the node answers as 127.0.0.1
        cls.sandbox = Sandbox("registry")
        cls.node = registry_node(cls.sandbox)
        cls.node.create_org("acme")
        base = "/api/v2/organizations/acme/registry-modules"
        cls.module = cls.node.api("POST", base, {"data": {
            "type": "registry-modules", "attributes": {"name": "greeting", "provider": "null"}}})
        for version, word in (("1.0.0", "Hello"), ("1.1.0", "Hi"), ("2.0.0", "Yo")):
            cls.publish(version, tar_gz({"main.tf": MODULE % word,
                                         "README.md": "# greeting\n"}))

    @classmethod
    def tearDownClass(cls):
        cls.sandbox.close()

    @classmethod
    def publish(cls, version, archive, expect=200):
        path = "/api/v2/organizations/acme/registry-modules/private/acme/greeting/null/versions"
        v = cls.node.api("POST", path, {"data": {"type": "registry-module-versions",
                                                 "attributes": {"version": version}}})
        upload = v["data"]["links"]["upload"].split(cls.node.settings["hostname"])[1]
        status, body, _ = cls.node.request("PUT", upload, archive, token=False,
                                           headers={"Content-Type": "application/octet-stream"})
        assert status == expect, (status, body)
        return v, upload

    def test_module_as_the_api_answers_it(self):
        m = self.node.api("GET", "/api/v2/organizations/acme/registry-modules/private/acme/"
                                 "greeting/null")["data"]
        self.assertEqual(m["id"], self.module["data"]["id"])
        a = m["attributes"]
        self.assertEqual((a["name"], a["namespace"], a["provider"], a["registry-name"],
                          a["status"]), ("greeting", "acme", "null", "private", "setup_complete"))
        self.assertEqual({(s["version"], s["status"]) for s in a["version-statuses"]},
                         {("1.0.0", "ok"), ("1.1.0", "ok"), ("2.0.0", "ok")})
        self.assertIsNone(a["vcs-repo"])
        listed = self.node.api("GET", "/api/v2/organizations/acme/registry-modules"
                                      "?filter[provider]=null")
        self.assertEqual([x["id"] for x in listed["data"]], [m["id"]])
        self.assertEqual(listed["meta"]["pagination"]["total-count"], 1)
        v = self.node.api("GET", "/api/v2/organizations/acme/registry-modules/private/acme/"
                                 "greeting/null/version?module_version=1.1.0")["data"]
        self.assertEqual((v["attributes"]["version"], v["attributes"]["status"]), ("1.1.0", "ok"))
        self.assertNotIn("upload", v["links"], "uploaded once: no upload link any more")
        status, doc, _ = self.node.request("GET", "/.well-known/terraform.json", token=False)
        self.assertEqual(doc["modules.v1"], "/api/registry/v1/modules/")
        # what the registry shows of a version: README, inputs, outputs, resources
        d = self.node.api("GET", "/api/registry/v1/modules/acme/greeting/null/1.1.0")
        self.assertEqual((d["id"], d["version"]), ("acme/greeting/null/1.1.0", "1.1.0"))
        root = d["root"]
        self.assertEqual(root["readme"], "# greeting\n")
        self.assertEqual(root["inputs"], [
            {"name": "name", "description": "Who to greet", "required": True},
            {"name": "punctuation", "description": "", "default": '"!"', "required": False}])
        self.assertEqual(root["outputs"], [{"name": "text", "description": "The greeting"}])
        self.assertEqual(root["resources"], [{"type": "terraform_data", "name": "said"}])

    def test_refusals(self):
        base = "/api/v2/organizations/acme/registry-modules"
        for attrs, pointer in (({"name": "bad name", "provider": "null"}, "name"),
                               ({"name": "ok", "provider": "Null"}, "provider"),
                               ({"name": "ok", "provider": "null", "registry-name": "public"},
                                "registry-name"),
                               ({"name": "greeting", "provider": "null"}, "name")):
            status, body, _ = self.node.request("POST", base, {"data": {
                "type": "registry-modules", "attributes": attrs}})
            self.assertEqual(status, 422, attrs)
            self.assertEqual(body["errors"][0]["source"]["pointer"], f"/data/attributes/{pointer}")
        versions = base + "/private/acme/greeting/null/versions"
        for version in ("1.0", "v1.2.3", "1.0.0"):  # the last exists already
            status, _, _ = self.node.request("POST", versions, {"data": {
                "type": "registry-module-versions", "attributes": {"version": version}}})
            self.assertEqual(status, 422, version)
        # an archive that leaves its tree is refused, and the version says why
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as t:
            info = tarfile.TarInfo("../escape.tf")
            info.size = 1
            t.addfile(info, io.BytesIO(b"x"))
        v, upload = self.publish("9.9.9", buf.getvalue(), expect=422)
        got = self.node.api("GET", base + "/private/acme/greeting/null/version"
                                          "?module_version=9.9.9")["data"]["attributes"]
        self.assertEqual(got["status"], "reg_ingress_failed")
        self.assertIn("leaves the tree", got["error"])
        # an uploaded version is written once
        v, upload = self.publish("3.0.0", tar_gz({"main.tf": MODULE % "Hey"}))
        status, _, _ = self.node.request("PUT", upload, tar_gz({"main.tf": "x"}), token=False)
        self.assertEqual(status, 409)
        # another organization's token sees nothing
        self.node.create_org("other")
        tok = self.node.api("POST", "/api/v2/organizations/other/authentication-token",
                            {"data": {"type": "authentication-tokens"}})["data"]["attributes"]["token"]
        for path in (base, "/api/registry/v1/modules/acme/greeting/null/versions"):
            self.assertEqual(self.node.request("GET", path, token=tok)[0], 404, path)
        self.assertEqual(self.node.request("GET", "/api/registry/v1/modules/acme/greeting/null/"
                                                  "versions", token=False)[0], 401)
        # deleting a version, then the module with its archives
        self.node.api("DELETE", base + "/private/acme/greeting/null/3.0.0")
        self.node.api("DELETE", base + "/private/acme/greeting/null/9.9.9")
        doc = self.node.api("GET", "/api/registry/v1/modules/acme/greeting/null/versions")
        self.assertEqual(sorted(v["version"] for v in doc["modules"][0]["versions"]),
                         ["1.0.0", "1.1.0", "2.0.0"])

    def test_terraform_installs_it_locally_and_in_a_remote_run(self):
        host = self.node.settings["hostname"]
        use = f'''
module "greet" {{
  source  = "{host}/acme/greeting/null"
  version = "~> 1.0"
  name    = "registry"
}}
output "said" {{
  value = module.greet.text
}}
'''
        # a local run: no cloud block, the module from the registry
        tf = Terraform(self.sandbox, self.node, "reg-local", "acme", workspace="unused")
        tf.write(use, filename="root.tf")
        out = tf.run("init", "-input=false").stdout
        self.assertIn("1.1.0", out, "~> 1.0 picks the newest 1.x")
        tf.run("apply", "-auto-approve", "-input=false")
        self.assertEqual(json.loads(tf.run("output", "-json").stdout)["said"]["value"],
                         "Hi, registry")
        # a remote run on the node fetches it with the run's own token
        remote = Terraform.initialized(self.sandbox, self.node, "reg-remote", config=use)
        out = remote.run("apply", "-auto-approve", "-input=false").stdout
        self.assertIn("Apply complete!", out)
        self.assertEqual(json.loads(remote.run("output", "-json").stdout)["said"]["value"],
                         "Hi, registry")


if __name__ == "__main__":
    main()
