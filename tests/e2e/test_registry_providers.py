"""The private provider registry: a GPG key (its key id computed as gpg computes it), a provider
published through TFE's registry-providers API (version, SHA256SUMS and its signature, a
platform's zip checked against its declared SHA-256), and `terraform init` installing it from
`<host>/<org>/<name>` through the providers.v1 protocol, the lock file holding its hashes."""
import base64
import hashlib
import io
import json
import os
import platform
import re
import subprocess
import tarfile
import tempfile
import unittest
import zipfile

from harness import Sandbox, Terraform, main, registry_node

ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def gpg(home, *args, input=None):
    return subprocess.run(["gpg", "--homedir", home, "--batch", "--yes", *args], input=input,
                          capture_output=True, check=True).stdout


class ProviderRegistryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # terraform wants a dot in a registry's host name: the node answers as 127.0.0.1
        cls.sandbox = Sandbox("providers")
        cls.node = registry_node(cls.sandbox)
        cls.node.create_org("acme")
        cls.gnupg = tempfile.mkdtemp(dir=cls.sandbox.root)
        os.chmod(cls.gnupg, 0o700)
        gpg(cls.gnupg, "--passphrase", "", "--quick-gen-key", "Strata Test <t@example.test>",
            "ed25519", "sign", "never")
        listing = gpg(cls.gnupg, "--with-colons", "--list-keys").decode()
        cls.key_id = next(l.split(":")[4] for l in listing.splitlines() if l.startswith("pub:"))
        cls.armor = gpg(cls.gnupg, "--armor", "--export", cls.key_id).decode()
        cls.key = cls.node.api("POST", "/api/registry/private/v2/gpg-keys", {"data": {
            "type": "gpg-keys", "attributes": {"namespace": "acme",
                                               "ascii-armor": cls.armor}}})["data"]

    @classmethod
    def tearDownClass(cls):
        cls.sandbox.close()

    base = "/api/v2/organizations/acme/registry-providers"

    def publish(self, name, version, zips, signer=None):
        """Creates the version, uploads its sums, their signature (by signer's keyring, ours
        by default) and each platform's zip."""
        n = self.node
        v = n.api("POST", f"{self.base}/private/acme/{name}/versions", {"data": {
            "type": "registry-provider-versions", "attributes": {
                "version": version, "key-id": self.key_id, "protocols": ["5.0"]}}})["data"]
        sums = "".join(f"{hashlib.sha256(z).hexdigest()}  {f}\n" for (_, _, f, z) in zips).encode()
        sig = gpg(signer or self.gnupg, "--detach-sign", "--output", "-", input=sums)
        for link, body in (("shasums-upload", sums), ("shasums-sig-upload", sig)):
            self.put(v["links"][link], body)
        for os_, arch, filename, z in zips:
            p = n.api("POST", f"{self.base}/private/acme/{name}/versions/{version}/platforms", {
                "data": {"type": "registry-provider-version-platforms", "attributes": {
                    "os": os_, "arch": arch, "filename": filename,
                    "shasum": hashlib.sha256(z).hexdigest()}}})["data"]
            self.put(p["links"]["provider-binary-upload"], z)
        return v

    def put(self, url, body, expect=200):
        path = url.split(self.node.settings["hostname"], 1)[1]
        status, doc, _ = self.node.request("PUT", path, body=body, token=False,
                                           headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(status, expect, doc)
        return doc

    @staticmethod
    def provider_zip(name, version):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            info = zipfile.ZipInfo(f"terraform-provider-{name}_v{version}")
            info.external_attr = 0o755 << 16
            z.writestr(info, "#!/bin/sh\necho a provider\n")
        return buf.getvalue()

    def test_gpg_key_and_refusals(self):
        n = self.node
        # the key id Strata computed is the one gpg shows
        self.assertEqual(self.key["attributes"]["key-id"], self.key_id)
        self.assertEqual(self.key["attributes"]["ascii-armor"], self.armor)
        status, doc, _ = n.request("POST", "/api/registry/private/v2/gpg-keys", {"data": {
            "type": "gpg-keys", "attributes": {"namespace": "acme", "ascii-armor": "nope"}}})
        self.assertEqual(status, 422, doc)
        keys = n.api("GET", "/api/registry/private/v2/gpg-keys?filter%5Bnamespace%5D=acme")
        self.assertEqual([k["attributes"]["key-id"] for k in keys["data"]], [self.key_id])
        n.api("POST", self.base, {"data": {"type": "registry-providers",
                                           "attributes": {"name": "refused"}}})
        versions = f"{self.base}/private/acme/refused/versions"
        for attrs, pointer in (({"version": "1.0", "key-id": self.key_id, "protocols": ["5.0"]},
                                "version"),
                               ({"version": "1.0.0", "key-id": "0123456789ABCDEF",
                                 "protocols": ["5.0"]}, "key-id"),
                               ({"version": "1.0.0", "key-id": self.key_id}, "protocols")):
            status, doc, _ = n.request("POST", versions, {"data": {
                "type": "registry-provider-versions", "attributes": attrs}})
            self.assertEqual(status, 422, attrs)
            self.assertEqual(doc["errors"][0]["source"]["pointer"], f"/data/attributes/{pointer}")
        n.api("POST", versions, {"data": {"type": "registry-provider-versions", "attributes": {
            "version": "1.0.0", "key-id": self.key_id, "protocols": ["5.0"]}}})
        good = self.provider_zip("refused", "1.0.0")
        p = n.api("POST", f"{versions}/1.0.0/platforms", {"data": {
            "type": "registry-provider-version-platforms", "attributes": {
                "os": "linux", "arch": "amd64", "filename": "refused_1.0.0_linux_amd64.zip",
                "shasum": hashlib.sha256(good).hexdigest()}}})["data"]
        # bytes other than the declared ones are refused and nothing is kept
        doc = self.put(p["links"]["provider-binary-upload"], good + b"tampered", expect=422)
        self.assertIn("SHA-256", doc["errors"][0]["detail"])
        got = n.api("GET", f"{versions}/1.0.0/platforms/linux/amd64")["data"]["attributes"]
        self.assertFalse(got["provider-binary-uploaded"])
        self.put(p["links"]["provider-binary-upload"], good)
        self.put(p["links"]["provider-binary-upload"], good, expect=409)  # written once
        # incomplete (no sums yet): terraform is offered nothing
        listed = n.api("GET", "/api/registry/v1/providers/acme/refused/versions")
        self.assertEqual(listed["versions"], [])
        # another organization sees nothing; deleting removes the files
        n.create_org("other")
        tok = n.api("POST", "/api/v2/organizations/other/authentication-token",
                    {"data": {"type": "authentication-tokens"}})["data"]["attributes"]["token"]
        for path in (self.base, "/api/registry/v1/providers/acme/refused/versions"):
            self.assertEqual(n.request("GET", path, token=tok)[0], 404, path)
        before = len(n.blob_keys("registry/providers"))
        n.api("DELETE", f"{self.base}/private/acme/refused")
        self.assertEqual(len(n.blob_keys("registry/providers")), before - 1)

    def test_terraform_init_installs_it(self):
        n = self.node
        n.api("POST", self.base, {"data": {"type": "registry-providers",
                                           "attributes": {"name": "hello"}}})
        zips = []
        for version in ("1.0.0", "1.1.0", "2.0.0"):
            z = self.provider_zip("hello", version)
            zips.append((version, ("linux", ARCH, f"terraform-provider-hello_{version}_linux_{ARCH}.zip", z)))
            self.publish("hello", version, [zips[-1][1]])
        listed = n.api("GET", "/api/registry/v1/providers/acme/hello/versions")
        self.assertEqual(sorted(v["version"] for v in listed["versions"]),
                         ["1.0.0", "1.1.0", "2.0.0"])
        self.assertEqual(listed["versions"][0]["platforms"], [{"os": "linux", "arch": ARCH}])
        host = n.settings["hostname"]
        tf = Terraform(self.sandbox, n, "providers", "acme", workspace="unused")
        tf.write(f'terraform {{\n  required_providers {{\n    hello = {{\n'
                 f'      source  = "{host}/acme/hello"\n      version = "~> 1.0"\n    }}\n  }}\n}}\n',
                 filename="versions.tf")
        p = tf.run("init", "-input=false")
        self.assertIn("Installed", p.stdout)
        self.assertIn("1.1.0", p.stdout)
        self.assertIn(self.key_id, p.stdout)  # "signed by a key …"
        with open(os.path.join(tf.dir, ".terraform.lock.hcl")) as f:
            lock = f.read()
        self.assertIn('version     = "1.1.0"', lock)
        zh = "zh:" + hashlib.sha256(dict(zips)["1.1.0"][3]).hexdigest()
        self.assertIn(zh, lock)
        binary = os.path.join(tf.dir, ".terraform", "providers", host, "acme", "hello", "1.1.0",
                              f"linux_{ARCH}", "terraform-provider-hello_v1.1.0")
        self.assertTrue(os.path.exists(binary), binary)
        self.assertTrue(re.match(r"[0-9A-F]{16}$", self.key_id))
        # sums signed by another key than the one the version names: terraform refuses them
        other = tempfile.mkdtemp(dir=self.sandbox.root)
        os.chmod(other, 0o700)
        gpg(other, "--passphrase", "", "--quick-gen-key", "Impostor <i@example.test>", "ed25519",
            "sign", "never")
        z = self.provider_zip("hello", "1.2.0")
        self.publish("hello", "1.2.0",
                     [("linux", ARCH, f"terraform-provider-hello_1.2.0_linux_{ARCH}.zip", z)],
                     signer=other)
        p = tf.run("init", "-input=false", "-upgrade", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("signature", (p.stdout + p.stderr).lower())

    def test_network_mirror_for_local_and_remote_runs(self):
        """A provider no network reaches here (example.com/acme/hello): the site admin uploads
        its mirror layout, and terraform installs it from Strata locally and in a remote run,
        checking its hash."""
        n = self.node
        host = n.settings["hostname"]
        z = self.provider_zip("hello", "1.0.0")
        needs = ('terraform {\n  required_providers {\n    hello = {\n'
                 '      source  = "example.com/acme/hello"\n      version = "~> 1.0"\n    }\n'
                 '  }\n}\n')
        # the packed layout `terraform providers mirror` writes (it can only download from an
        # origin registry, which no network reaches here): the zip, <version>.json naming it
        # with its h1 hash (the lock file's hash of the unpacked files), index.json
        out = os.path.join(self.sandbox.root, "mirror")
        folder = os.path.join(out, "example.com", "acme", "hello")
        os.makedirs(folder)
        zip_name = f"terraform-provider-hello_1.0.0_linux_{ARCH}.zip"
        with open(os.path.join(folder, zip_name), "wb") as f:
            f.write(z)
        with zipfile.ZipFile(io.BytesIO(z)) as zf:
            lines = "".join(f"{hashlib.sha256(zf.read(name)).hexdigest()}  {name}\n"
                            for name in sorted(zf.namelist()))
        h1 = "h1:" + base64.b64encode(hashlib.sha256(lines.encode()).digest()).decode()
        with open(os.path.join(folder, "1.0.0.json"), "w") as f:
            json.dump({"archives": {f"linux_{ARCH}": {"url": zip_name, "hashes": [h1]}}}, f)
        with open(os.path.join(folder, "index.json"), "w") as f:
            json.dump({"versions": {"1.0.0": {}}}, f)
        packed = io.BytesIO()
        with tarfile.open(fileobj=packed, mode="w:gz") as t:
            t.add(out, arcname=".")
        org_token = n.api("POST", "/api/v2/organizations/acme/authentication-token",
                          {"data": {"type": "authentication-tokens"}})["data"]["attributes"]["token"]
        upload = lambda body, **kw: n.request(
            "PUT", "/api/v2/admin/provider-mirror", body=body,
            headers={"Content-Type": "application/octet-stream"}, **kw)
        self.assertEqual(upload(packed.getvalue(), token=org_token)[0], 404)  # site admins only
        status, doc, _ = upload(b"not a tar.gz")
        self.assertEqual(status, 422, doc)
        status, doc, _ = upload(packed.getvalue())
        self.assertEqual(status, 200, doc)
        (entry,) = doc["data"]
        self.assertEqual((entry["id"], entry["attributes"]["versions"]),
                         ("example.com/acme/hello", ["1.0.0"]))
        index = n.api("GET", "/api/provider-mirror/v1/example.com/acme/hello/index.json")
        self.assertEqual(index, {"versions": {"1.0.0": {}}})
        self.assertEqual(n.request("GET", "/api/provider-mirror/v1/example.com/acme/hello/"
                                          "index.json", token=False)[0], 401)
        mirror_block = (f'provider_installation {{\n  network_mirror {{\n'
                        f'    url = "https://{host}/api/provider-mirror/v1/"\n  }}\n}}\n')
        local = Terraform(self.sandbox, n, "mirror-user", "acme", workspace="unused")
        with open(local.rc, "a") as f:
            f.write(mirror_block)
        local.write(needs, filename="versions.tf")
        p = local.run("init", "-input=false")
        self.assertIn("Installed example.com/acme/hello v1.0.0", p.stdout)
        with open(os.path.join(local.dir, ".terraform.lock.hcl")) as f:
            self.assertIn(h1, f.read())
        # a remote run's init takes it from the mirror too (the runner points its CLI
        # configuration there); this provider is no real plugin, so the plan stops at loading it
        n.create_workspace("acme", "airgap")
        remote = Terraform(self.sandbox, n, "airgap", "acme", workspace="airgap")
        with open(remote.rc, "a") as f:
            f.write(mirror_block)
        remote.write(needs)  # beside the cloud block: terraform merges terraform blocks
        remote.run("init", "-input=false")
        p = remote.run("plan", "-input=false", check=False)
        out = p.stdout + p.stderr
        self.assertIn("Terraform runs on Strata", out)
        # installed in the run (example.com itself is unreachable), then started: no plugin
        self.assertIn(f".terraform/providers/example.com/acme/hello/1.0.0/linux_{ARCH}/", out)
        self.assertIn("Failed to load plugin schemas", out)
        self.assertNotIn("Failed to install", out)
        self.assertNotIn("Failed to query available provider packages", out)
        n.api("DELETE", "/api/v2/admin/provider-mirror/example.com/acme/hello")
        self.assertEqual(n.api("GET", "/api/v2/admin/provider-mirror")["data"], [])
        # without it the run has nowhere to install the provider from
        p = remote.run("plan", "-input=false", check=False)
        self.assertIn("example.com", p.stdout + p.stderr)
        self.assertNotIn("Failed to load plugin schemas", p.stdout + p.stderr)


if __name__ == "__main__":
    main()
