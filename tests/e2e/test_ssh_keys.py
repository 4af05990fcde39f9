"""SSH keys: write-only and encrypted, assigned to a workspace, and used by its remote runs to
fetch a private module over SSH from a local sshd serving a git repository (the run fails
without the key and applies with it)."""
# services: embedded only (the key reaches the run the same way on any services)
import os
import shutil
import subprocess
import time

from harness import NodeTest, Sandbox, Terraform, main

MODULE = '''variable "x" {
  type = string
}
output "doubled" {
  value = "${var.x}${var.x}"
}
'''


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SSHKeysTest(NodeTest):
    sandbox_name = "sshkeys"

    @classmethod
    def setUpClass(cls):
        # the sshd listens on the node's loopback, which runs reach only through run_host_ports
        cls.port = free_port()
        cls.sandbox = Sandbox(cls.sandbox_name)
        cls.node = cls.sandbox.node(settings={"run_host_ports": str(cls.port)})
        cls.sshd = None
        if os.geteuid() != 0 or not shutil.which("sshd", path="/usr/sbin:/usr/bin"):
            return
        root = os.path.join(cls.sandbox.root, "sshd")
        os.makedirs(root)
        run = lambda *a: subprocess.run(a, check=True, capture_output=True)
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{root}/host_key")
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "strata-test",
            "-f", f"{root}/client_key")
        shutil.copy(f"{root}/client_key.pub", f"{root}/authorized_keys")
        # the module, in a bare repository served over SSH
        work, cls.repo = f"{root}/module", f"{root}/modules.git"
        os.makedirs(work)
        with open(f"{work}/main.tf", "w") as f:
            f.write(MODULE)
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.test",
               "-c", "init.defaultBranch=main"]
        subprocess.run(git + ["init", "-q"], cwd=work, check=True)
        subprocess.run(git + ["add", "."], cwd=work, check=True)
        subprocess.run(git + ["commit", "-qm", "module"], cwd=work, check=True)
        subprocess.run(git + ["clone", "-q", "--bare", work, cls.repo], check=True)
        with open(f"{root}/sshd_config", "w") as f:
            f.write(f"ListenAddress 127.0.0.1\nPort {cls.port}\nHostKey {root}/host_key\n"
                    f"AuthorizedKeysFile {root}/authorized_keys\nPidFile {root}/sshd.pid\n"
                    "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                    "PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n")
        os.makedirs("/run/sshd", exist_ok=True)
        with open(f"{root}/sshd.log", "w") as log:
            cls.sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f",
                                         f"{root}/sshd_config"], stderr=log)
        with open(f"{root}/client_key") as f:
            cls.key = f.read()
        cls.local_ssh = (f"ssh -i {root}/client_key -o IdentitiesOnly=yes -o "
                         f"StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null")
        time.sleep(0.5)

    @classmethod
    def tearDownClass(cls):
        if cls.sshd:
            cls.sshd.terminate()
            cls.sshd.wait()
        super().tearDownClass()

    def test_key_api_is_write_only(self):
        n = self.node
        n.create_org("keys")
        status, doc, _ = n.request("POST", "/api/v2/organizations/keys/ssh-keys", {"data": {
            "type": "ssh-keys", "attributes": {"name": "bad", "value": "not a key"}}})
        self.assertEqual(status, 201, doc)  # stored as given, as TFE does, with a warning
        self.assertIn("does not look like a private key", doc["meta"]["warnings"][0])
        pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
        key = n.api("POST", "/api/v2/organizations/keys/ssh-keys", {"data": {
            "type": "ssh-keys", "attributes": {"name": "deploy", "value": pem}}})["data"]
        self.assertEqual(set(key["attributes"]), {"name", "created-at", "updated-at"})
        listed = n.api("GET", "/api/v2/organizations/keys/ssh-keys")["data"]
        self.assertEqual([k["attributes"]["name"] for k in listed], ["bad", "deploy"])
        self.assertNotIn(b"AAAA", n.database_bytes())  # sealed at rest
        n.api("PATCH", f"/api/v2/ssh-keys/{key['id']}", {"data": {
            "type": "ssh-keys", "attributes": {"name": "renamed"}}})
        ws = n.create_workspace("keys", "k")
        # a key of another organization cannot be assigned
        n.create_org("elsewhere")
        other = n.api("POST", "/api/v2/organizations/elsewhere/ssh-keys", {"data": {
            "type": "ssh-keys", "attributes": {"name": "x", "value": pem}}})["data"]
        status, _, _ = n.request("PATCH", f"/api/v2/workspaces/{ws['id']}/relationships/ssh-key",
                                 {"data": {"type": "workspaces", "attributes": {"id": other["id"]}}})
        self.assertEqual(status, 422)
        got = n.api("PATCH", f"/api/v2/workspaces/{ws['id']}/relationships/ssh-key",
                    {"data": {"type": "workspaces", "attributes": {"id": key["id"]}}})["data"]
        self.assertEqual(got["relationships"]["ssh-key"]["data"]["id"], key["id"])
        # deleting the key unassigns it
        n.api("DELETE", f"/api/v2/ssh-keys/{key['id']}")
        got = n.api("GET", f"/api/v2/workspaces/{ws['id']}")["data"]
        self.assertIsNone(got["relationships"]["ssh-key"]["data"])

    def test_private_module_over_ssh(self):
        if not self.sshd:
            self.skipTest("needs root and openssh-server")
        n = self.node
        n.create_org("acme")
        ws = n.create_workspace("acme", "mods", **{"auto-apply": True})
        source = f"git::ssh://root@127.0.0.1:{self.port}{self.repo}"
        tf = Terraform(self.sandbox, n, "mods", "acme", workspace="mods")
        tf.env["GIT_SSH_COMMAND"] = self.local_ssh  # the CLI's own init fetches it too
        tf.write(f'module "m" {{\n  source = "{source}"\n  x      = "ab"\n}}\n'
                 'output "o" {\n  value = module.m.doubled\n}\n')
        # the run must fetch the module itself: nothing of .terraform is uploaded
        with open(os.path.join(tf.dir, ".terraformignore"), "w") as f:
            f.write(".terraform/\n")
        tf.run("init", "-input=false")
        p = tf.run("apply", "-auto-approve", "-input=false", check=False)
        self.assertNotEqual(p.returncode, 0, "the run fetched a private module without a key")
        self.assertIn("Could not read from remote repository", p.stdout + p.stderr)
        key = n.api("POST", "/api/v2/organizations/acme/ssh-keys", {"data": {
            "type": "ssh-keys", "attributes": {"name": "modules", "value": self.key}}})["data"]
        n.api("PATCH", f"/api/v2/workspaces/{ws['id']}/relationships/ssh-key",
              {"data": {"type": "workspaces", "attributes": {"id": key["id"]}}})
        p = tf.run("apply", "-auto-approve", "-input=false")
        self.assertIn('o = "abab"', p.stdout)
        # the key never appears in a run's log, nor is it left on disk
        runs = n.api("GET", f"/api/v2/workspaces/{ws['id']}/runs")["data"]
        self.assertEqual(runs[0]["attributes"]["status"], "applied")
        body = self.key.split("\n")[1]
        import glob
        places = [n.settings["disk_path"]] + glob.glob("/tmp/strata-runs-*")
        leftovers = subprocess.run(["grep", "-rl", body, *places], capture_output=True, text=True)
        self.assertEqual(leftovers.stdout, "")


if __name__ == "__main__":
    main()
