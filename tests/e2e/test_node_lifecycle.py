"""A node across restarts: state survives, a wrong enc_password is refused before any data is
touched, a damaged blob is reported instead of served, the health check names what fails."""
import glob
import hashlib
import json
import os
import subprocess
import unittest

from harness import SIMPLE_CONFIG as CONFIG, STRATA_BIN, Sandbox, Terraform, main



def tree_digest(folder):
    """A digest of every data file under folder (names and bytes). The node's status file is
    not data: a node that refuses to start records there why (strata app status shows it)."""
    h = hashlib.sha256()
    for path in sorted(glob.glob(os.path.join(folder, "**"), recursive=True)):
        if os.path.isfile(path) and os.path.basename(path) != "node-status.json":
            h.update(path.encode())
            with open(path, "rb") as f:
                h.update(f.read())
    return h.hexdigest()


class NodeLifecycleTest(unittest.TestCase):
    def setUp(self):
        self.sandbox = Sandbox("lifecycle")
        self.node = self.sandbox.node()
        self.node.create_org("acme")
        self.ws = self.node.create_workspace("acme", "app", **{"execution-mode": "local"})
        self.tf = Terraform(self.sandbox, self.node, "app", "acme", workspace="app")
        self.tf.write(CONFIG)
        self.tf.run("init", "-input=false")
        self.tf.run("apply", "-auto-approve", "-input=false")

    def tearDown(self):
        self.sandbox.close()

    def test_state_survives_restart(self):
        self.assertEqual(self.node.stop(), 0)
        self.node.start()
        self.tf.run("apply", "-auto-approve", "-input=false", "-var", "n=2")
        out = json.loads(self.tf.run("output", "-json").stdout)
        self.assertEqual(out["n"]["value"], "2")
        pulled = json.loads(self.tf.run("state", "pull").stdout)
        self.assertEqual(pulled["serial"], 2)

    def test_wrong_enc_password_is_refused_and_data_intact(self):
        self.node.stop()
        data = self.node.settings["disk_path"]
        before = tree_digest(data)
        good = self.node.settings["enc_password"]
        self.node.settings["enc_password"] = "not the password"
        self.node.write_settings()
        p = subprocess.run([STRATA_BIN, "server", "--config", self.node.config],
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("enc_password", p.stderr)
        self.assertIn("does not open the existing encrypted data", p.stderr)
        self.assertEqual(tree_digest(data), before)
        with open(os.path.join(data, "node-status.json")) as f:
            self.assertIn("does not open the existing encrypted data", json.load(f)["error"])
        self.node.settings["enc_password"] = good
        self.node.write_settings()
        self.node.start()
        pulled = json.loads(self.tf.run("state", "pull").stdout)
        self.assertEqual(pulled["serial"], 1)

    def test_damaged_blob_is_an_error_not_data(self):
        sv = self.node.api("GET", f"/api/v2/workspaces/{self.ws['id']}/current-state-version")
        blob = self.node.blob_file(f"state-versions/{sv['data']['id']}/state")
        with open(blob, "r+b") as f:
            f.seek(40)
            b = f.read(1)
            f.seek(40)
            f.write(bytes([b[0] ^ 1]))
        status, doc, _ = self.node.request(
            "GET", f"/api/v2/state-versions/{sv['data']['id']}/download")
        self.assertEqual(status, 500)
        self.assertEqual(doc["errors"][0]["title"], "integrity check failed")
        url = sv["data"]["attributes"]["hosted-state-download-url"]
        status, _, _ = self.node.request("GET", url.split(self.node.settings["hostname"])[1],
                                         token=False)
        self.assertEqual(status, 500)
        self.assertIn("failed its integrity check", self.node.read_log())

    def test_state_is_encrypted_at_rest(self):
        keys = self.node.blob_keys("state-versions")
        self.assertTrue(keys)
        for path in map(self.node.blob_file, keys):
            with open(path, "rb") as f:
                raw = f.read()
            self.assertNotIn(b"terraform_data", raw)
            self.assertNotIn(b"lineage", raw)
        db = self.node.database_bytes()
        self.assertNotIn(self.node.token.encode(), db)

    def test_health_check_names_the_failing_component(self):
        status, doc, _ = self.node.request("GET", "/_health_check", token=False)
        self.assertEqual(status, 200)
        if self.sandbox.external:
            # the object storage goes away, then comes back: the node follows without a restart
            self.sandbox.s3().pause()
            try:
                status, doc = self.node.health_until(503)
                self.assertEqual(status, 503)
                self.assertNotEqual(doc["components"]["blob-storage"], "ok")
                self.assertEqual(doc["components"]["database"], "ok")
            finally:
                self.sandbox.s3().resume()
            status, doc = self.node.health_until(200, timeout=30)
            self.assertEqual(status, 200, doc)
            return
        blobs = os.path.join(self.node.settings["disk_path"], "blobs")
        os.chmod(blobs, 0o500)
        os.chmod(os.path.join(blobs, "health"), 0o500)
        try:
            if os.geteuid() == 0:
                # root ignores permissions: make the blob folder unusable another way
                os.chmod(blobs, 0o700)
                os.chmod(os.path.join(blobs, "health"), 0o700)
                os.rename(os.path.join(blobs, "health"), os.path.join(blobs, "health.moved"))
                with open(os.path.join(blobs, "health"), "w") as f:
                    f.write("not a folder")
            status, doc = self.node.health_until(503)
            self.assertEqual(status, 503)
            self.assertNotEqual(doc["components"]["blob-storage"], "ok")
            self.assertEqual(doc["components"]["database"], "ok")
        finally:
            os.chmod(blobs, 0o700)


if __name__ == "__main__":
    main()
