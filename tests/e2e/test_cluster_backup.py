"""Backup and restore: an embedded node with runs, state, outputs and variables is backed up
into one password-sealed archive and restored into an empty three-node cluster on PostgreSQL,
S3 and Redis (the seed's way from one node to active/active); the cluster answers the same
state, outputs, variables and run logs, and runs on. The cluster's own backup restores into a
new embedded node. Wrong passwords, altered archives and non-empty targets are refused."""
import json
import os
import subprocess
import unittest

from harness import SIMPLE_CONFIG, STRATA_BIN, Sandbox, Terraform, main
from test_cluster import Cluster

CONFIG = SIMPLE_CONFIG + '''
variable "secret" {
  sensitive = true
}
output "secret" {
  value     = var.secret
  sensitive = true
}
'''


def strata(*args, password="backup password 0123", env=None):
    return subprocess.run([STRATA_BIN, *args], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, STRATA_BACKUP_PASSWORD=password, **(env or {})))


def snapshot(node, token=None):
    """What a user reads back: state bytes, outputs, variables, the runs' plan logs."""
    tok = token or node.token
    ws = node.api("GET", "/api/v2/organizations/acme/workspaces/moved", token=tok)["data"]
    cur = node.api("GET", f"/api/v2/workspaces/{ws['id']}/current-state-version",
                   token=tok)["data"]["attributes"]
    status, state, _ = node.request(
        "GET", cur["hosted-state-download-url"].split(node.settings["hostname"])[1],
        token=False, raw=True)
    assert status == 200
    outs = node.api("GET", f"/api/v2/workspaces/{ws['id']}/current-state-version-outputs",
                    token=tok)["data"]
    outputs = {o["attributes"]["name"]: (o["attributes"]["value"], o["attributes"]["sensitive"])
               for o in outs}
    varz = node.api("GET", f"/api/v2/workspaces/{ws['id']}/vars", token=tok)["data"]
    variables = {v["attributes"]["key"]: (v["attributes"]["value"], v["attributes"]["sensitive"],
                                          v["attributes"]["category"]) for v in varz}
    runs = node.api("GET", f"/api/v2/workspaces/{ws['id']}/runs", token=tok)["data"]
    logs = {}
    for r in runs:
        plan = node.api("GET", f"/api/v2/plans/{r['relationships']['plan']['data']['id']}",
                        token=tok)["data"]["attributes"]
        status, body, _ = node.request(
            "GET", plan["log-read-url"].split(node.settings["hostname"])[1], token=False,
            raw=True)
        assert status == 200
        logs[r["id"]] = body
    return {"serial": cur["serial"], "state": state, "outputs": outputs,
            "variables": variables, "logs": logs, "runs": sorted(logs)}


class BackupRestore(unittest.TestCase):
    def test_embedded_to_cluster_and_back(self):
        src = Sandbox("backup-src", external=False)
        archive = os.path.join(src.root, "strata.backup")
        try:
            node = src.node()
            node.create_org("acme")
            node.api("POST", "/api/v2/organizations/acme/workspaces", {"data": {
                "type": "workspaces", "attributes": {"name": "moved"}}})
            ws = node.api("GET", "/api/v2/organizations/acme/workspaces/moved")["data"]
            for key, value, sensitive in (("secret", "s3cr3t value", True), ("n", "7", False)):
                node.api("POST", f"/api/v2/workspaces/{ws['id']}/vars", {"data": {
                    "type": "vars", "attributes": {"key": key, "value": value,
                                                   "category": "terraform",
                                                   "sensitive": sensitive}}})
            tf = Terraform.initialized(src, node, "moved", config=CONFIG)
            tf.run("apply", "-auto-approve", "-input=false")
            before = snapshot(node)
            self.assertEqual(before["outputs"]["n"], ("7", False))
            self.assertEqual(len(before["runs"]), 1)

            p = strata("backup", "--config", node.config, "--output", archive)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("blobs", p.stdout)
            with open(archive, "rb") as f:
                sealed = f.read()
            self.assertTrue(sealed.startswith(b"STBK1"))
            for secret in (b"s3cr3t value", b"moved", b"acme"):
                self.assertNotIn(secret, sealed, "the archive is sealed")
            self.assertNotEqual(strata("backup", "--config", node.config, "--output",
                                       archive).returncode, 0, "never overwrites")
            self.assertNotEqual(strata("backup", "--config", node.config, "--output",
                                       archive + "2", password="short").returncode, 0)

            # a non-empty target is refused, and so is a wrong password
            p = strata("restore", "--config", node.config, "--input", archive)
            self.assertEqual(p.returncode, 1)
            self.assertIn("already holds data", p.stderr)

            def restore(setup):
                p = strata("restore", "--config", setup.config, "--input", archive,
                           password="not the password")
                self.assertEqual(p.returncode, 1)
                self.assertIn("password does not open", p.stderr)
                altered = archive + ".altered"
                with open(altered, "wb") as f:
                    f.write(sealed[:len(sealed) // 2] + bytes([sealed[len(sealed) // 2] ^ 1]) +
                            sealed[len(sealed) // 2 + 1:])
                p = strata("restore", "--config", setup.config, "--input", altered)
                self.assertEqual(p.returncode, 1)
                self.assertIn("altered or cut short", p.stderr)
                # the target's own enc_password wraps the data key from now on
                self.assertNotEqual(setup.settings["enc_password"], node.settings["enc_password"])
                p = strata("restore", "--config", setup.config, "--input", archive)
                self.assertEqual(p.returncode, 0, p.stderr)

            cluster_pw = {"enc_password": "the cluster's own enc password 42"}
            c = Cluster("backup-dst", nodes=3, extra=cluster_pw, before_start=restore,
                        token=node.token)
            try:
                for n in c.nodes + [c.front]:
                    after = snapshot(n, token=node.token)
                    self.assertEqual(after, before, f"{n.folder} answers the same data")
                # and the workspace runs on, on the cluster
                tf2 = Terraform(c.sandbox, c.front, "moved-on", "acme", workspace="moved",
                                token=node.token)
                tf2.write(CONFIG)
                tf2.run("init", "-input=false")
                tf2.run("apply", "-auto-approve", "-input=false", "-var", "n=8")
                self.assertEqual(snapshot(c.front, token=node.token)["serial"],
                                 before["serial"] + 1)
                # the cluster's backup (PostgreSQL, S3) into a new embedded node
                back = os.path.join(src.root, "cluster.backup")
                p = strata("backup", "--config", c.nodes[1].config, "--output", back)
                self.assertEqual(p.returncode, 0, p.stderr)
                clustered = snapshot(c.front, token=node.token)
            finally:
                c.close()
            dst = Sandbox("backup-dst2", external=False)
            try:
                fresh = dst.node(start=False)
                p = strata("restore", "--config", fresh.config, "--input", back)
                self.assertEqual(p.returncode, 0, p.stderr)
                fresh.start()
                self.assertEqual(snapshot(fresh, token=node.token), clustered)
                ws2 = fresh.api("GET", "/api/v2/organizations/acme/workspaces/moved",
                                token=node.token)["data"]
                self.assertIsInstance(ws2["attributes"]["auto-apply"], bool)
            finally:
                dst.close()
        finally:
            src.close()


if __name__ == "__main__":
    main()
