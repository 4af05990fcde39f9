"""harness.py — the end-to-end test kit every later issue reuses: a test CA and certificates,
settings files, Strata nodes on free loopback ports, health waits, the IACT flow, a small
JSON:API client and the real terraform CLI wired to a node (TLS through SSL_CERT_FILE, the
token through TF_CLI_CONFIG_FILE). Nothing here mocks Strata: it drives the built binary.

Conventions: each test file makes a Sandbox (a temporary folder removed at the end unless
STRATA_KEEP=1) and asks it for what it needs; failures raise AssertionError with the node's log.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import services

STRATA_BIN = os.environ.get("STRATA_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "strata")
# the same source built as the next release (CMake target strata_next), for upgrade tests
STRATA_NEXT_BIN = os.environ.get("STRATA_NEXT_BIN") or os.path.join(
    os.path.dirname(STRATA_BIN), "strata_next")
TERRAFORM = shutil.which("terraform") or "/usr/local/bin/terraform"
EXTERNAL = os.environ.get("STRATA_TEST_SERVICES") == "external"


# A configuration every state test can apply: one terraform_data fed by a variable, one output.
SIMPLE_CONFIG = '''
variable "n" {
  default = "1"
}
resource "terraform_data" "a" {
  input = var.n
}
output "n" {
  value = terraform_data.a.output
}
'''


def sandbox_support():
    """Why this host cannot give runs a bubblewrap sandbox ("" when it can): a chroot refuses
    user namespaces, for one. Nodes on such a host run unsandboxed (allow_unsandboxed_runs) so
    every other test still runs; the isolation tests skip with this reason."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return "bubblewrap is not installed"
    cmd = [bwrap, "--unshare-user", "--unshare-pid", "--ro-bind", "/usr", "/usr", "--symlink",
           "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin",
           "--proc", "/proc", "--dev", "/dev", "/usr/bin/true"]
    if os.geteuid() == 0:
        cmd = ["setpriv", "--reuid", "1899999999", "--regid", "1899999999", "--clear-groups"] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True)
    return "" if p.returncode == 0 else "bubblewrap cannot make a sandbox here: " + p.stderr.strip()


NO_SANDBOX = sandbox_support()
if NO_SANDBOX:
    print(f"harness: {NO_SANDBOX}; nodes run terraform unsandboxed, isolation tests skip",
          file=sys.stderr)


def run_network_support():
    """Why this host cannot give runs a network of their own ("" when it can): pasta (passt)
    missing, or a /dev/net/tun the run accounts may not open (scripts/setup.sh fixes both)."""
    if NO_SANDBOX:
        return NO_SANDBOX
    if not shutil.which("pasta"):
        return "pasta is not installed (apt-get install passt)"
    if not os.path.exists("/dev/net/tun") or os.stat("/dev/net/tun").st_mode & 0o006 != 0o006:
        return "/dev/net/tun is not usable by the run accounts (chmod 0666, as udev makes it)"
    return ""


NO_RUN_NETWORK = run_network_support()
if NO_RUN_NETWORK and not NO_SANDBOX:
    print(f"harness: {NO_RUN_NETWORK}; runs share the node's network, network tests skip",
          file=sys.stderr)


def make_slug(files):
    """A configuration's tar.gz from {name: bytes}."""
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def strip_ansi(text):
    return re.sub(r"\x1b\[[0-9;]*m", "", text or "")


free_port = services.free_port  # a port free on IPv4 and IPv6 alike


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


class CA:
    """A private certificate authority and a server certificate for localhost/127.0.0.1."""

    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        self.cert = os.path.join(folder, "ca.pem")
        key = os.path.join(folder, "ca.key")
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", key, "-out", self.cert, "-days", "2", "-subj", "/CN=Strata Test CA"])
        self.key = key

    def pem(self):
        with open(self.cert) as f:
            return f.read()

    def server_cert(self, name="localhost"):
        """Returns (cert, key) paths of a certificate signed by this CA."""
        cert = os.path.join(self.folder, name + ".pem")
        key = os.path.join(self.folder, name + ".key")
        csr = os.path.join(self.folder, name + ".csr")
        ext = os.path.join(self.folder, name + ".ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n"
                    "extendedKeyUsage=serverAuth\n")
        run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", key, "-out", csr, "-subj", "/CN=" + name])
        run(["openssl", "x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key,
             "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext])
        return cert, key


def settings_doc(values):
    """A ptfe-settings.json document: every value {"value": "<string>"}."""
    return {k: {"value": v} for k, v in values.items()}


class APIError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body[:400]!r}")
        self.status = status
        self.body = body


class Node:
    """One `strata server` process."""

    def __init__(self, sandbox, name="node", settings=None, port=None):
        self.sandbox = sandbox
        self.folder = os.path.join(sandbox.root, name)
        os.makedirs(self.folder, exist_ok=True)
        self.port = port or free_port()
        cert, key = sandbox.ca.server_cert()
        self.settings = {
            "hostname": f"localhost:{self.port}",
            "https_port": str(self.port),
            "tls_cert_file": cert,
            "tls_key_file": key,
            "production_type": "disk",
            "disk_path": os.path.join(self.folder, "data"),
            "enc_password": "test enc password 0123456789",
            # runs call back into the node, whose certificate this CA signed
            "ca_certs": sandbox.ca.pem(),
        }
        if NO_SANDBOX:
            self.settings["allow_unsandboxed_runs"] = "1"
        if NO_RUN_NETWORK:
            self.settings["allow_shared_run_network"] = "1"
        if sandbox.external:
            self.settings.update(sandbox.external_settings(name))
        self.settings.update(settings or {})
        self.config = os.path.join(self.folder, "settings.json")
        self.write_settings()
        self.proc = None
        self.log_path = os.path.join(self.folder, "node.log")
        self.token = None
        self.env = {}  # added to the node's environment (PATH, say)
        self.binary = None  # another strata binary than STRATA_BIN (the next release, say)

    def database_bytes(self):
        """Everything the node's database holds, as stored (SQLite file or pg_dump)."""
        if self.sandbox.external:
            return self.sandbox.postgres().dump(self.settings["pg_dbname"]).encode()
        out = b""
        for name in ("strata.db", "strata.db-wal"):  # rows not yet checkpointed are in the WAL
            path = os.path.join(self.settings["disk_path"], name)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    out += f.read()
        return out

    def blob_root(self):
        if self.sandbox.external:
            s3 = self.sandbox.s3()
            return os.path.join(s3.data, s3.bucket)
        return os.path.join(self.settings["disk_path"], "blobs")

    def blob_file(self, key):
        """The file that holds blob key's (sealed) bytes, on disk or in the S3 server."""
        suffix = "._S3rver_object" if self.sandbox.external else ""
        return os.path.join(self.blob_root(), key) + suffix

    def blob_keys(self, prefix=""):
        """Keys of the stored blobs under prefix."""
        root, out = self.blob_root(), []
        for folder, _, names in os.walk(os.path.join(root, prefix)):
            for n in names:
                if self.sandbox.external:
                    if not n.endswith("._S3rver_object"):
                        continue
                    n = n[:-len("._S3rver_object")]
                out.append(os.path.relpath(os.path.join(folder, n), root))
        return out

    @property
    def url(self):
        return f"https://{self.settings['hostname']}"

    def write_settings(self, doc=None):
        with open(self.config, "w") as f:
            json.dump(doc if doc is not None else settings_doc(self.settings), f, indent=1)

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.binary or STRATA_BIN, "server", "--config", self.config],
                                     env=dict(os.environ, STRATA_LOG=os.environ.get("STRATA_LOG", "debug"),
                                              **self.env),
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_healthy()
        return self

    def wait_healthy(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"node exited with {self.proc.returncode}:\n{self.read_log()}")
            try:
                # short attempts: one that hangs must not use up the whole wait
                conn = self.connection(timeout=3)
                conn.request("GET", "/_health_check")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("node not healthy in time:\n" + self.read_log())

    def health_until(self, status, path="/_health_check", timeout=10):
        """Asks path until it answers status: health is the monitor's latest round, probed once
        a second, so a dependency that went away is seen within a round or two (or when its
        probe has hung for 2 s). Returns (status, body) of the answer that matched."""
        deadline = time.time() + timeout
        while True:
            got, body, _ = self.request("GET", path, token=False)
            if got == status or time.time() > deadline:
                return got, body
            time.sleep(0.1)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)  # a loaded CI machine: sanitizers, three nodes, services
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
            code = self.proc.returncode
            self.proc = None
            return code

    def read_log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return ""

    # -- HTTP --
    def connection(self, timeout=60):
        ctx = ssl.create_default_context(cafile=self.sandbox.ca.cert)
        return http.client.HTTPSConnection("localhost", self.port, context=ctx, timeout=timeout)

    def request(self, method, path, body=None, token=None, headers=None, raw=False):
        """Returns (status, parsed JSON or text/bytes, headers). token=None uses the node's
        admin token, False sends none."""
        conn = self.connection()
        h = {"Accept": "application/vnd.api+json"}
        tok = self.token if token is None else token
        if tok:
            h["Authorization"] = "Bearer " + tok
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h["Content-Type"] = "application/vnd.api+json"
        h.update(headers or {})
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if raw:
            return resp.status, data, resp.headers
        text = data.decode("utf-8", "replace")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return resp.status, parsed, resp.headers

    def api(self, method, path, body=None, token=None, expect=(200, 201, 202, 204)):
        status, doc, _ = self.request(method, path, body, token)
        if status not in expect:
            raise APIError(status, json.dumps(doc) if not isinstance(doc, str) else doc)
        return doc

    # -- flows --
    def create_admin(self, username="admin", email="admin@example.test",
                     password="a long admin password"):
        status, iact, _ = self.request("GET", "/admin/retrieve-iact", token=False)
        assert status == 200, (status, iact)
        status, doc, _ = self.request(
            "POST", f"/admin/initial-admin-user?token={iact}",
            body=json.dumps({"username": username, "email": email, "password": password}),
            token=False, headers={"Content-Type": "application/json"})
        assert status == 201 and doc["status"] == "created", (status, doc)
        self.token = doc["token"]
        return self.token

    def create_org(self, name, token=None):
        return self.api("POST", "/api/v2/organizations", {"data": {
            "type": "organizations", "attributes": {"name": name, "email": f"ops@{name}.test"}}},
            token=token)["data"]

    def create_workspace(self, org, name, token=None, **attrs):
        a = {"name": name}
        a.update(attrs)
        return self.api("POST", f"/api/v2/organizations/{org}/workspaces",
                        {"data": {"type": "workspaces", "attributes": a}}, token=token)["data"]


class Terraform:
    """The real terraform CLI in a working folder, pointed at a node."""

    def __init__(self, sandbox, node, name, org, workspace=None, tags=None, token=None):
        self.dir = os.path.join(sandbox.root, "tf-" + name)
        os.makedirs(self.dir, exist_ok=True)
        self.node = node
        self.rc = os.path.join(self.dir, "cli.tfrc")
        with open(self.rc, "w") as f:
            f.write(f'credentials "{node.settings["hostname"]}" {{\n'
                    f'  token = "{token or node.token}"\n}}\n')
        ws = f'name = "{workspace}"' if workspace else "tags = [" + ", ".join(
            f'"{t}"' for t in tags) + "]"
        self.cloud = (f'terraform {{\n  cloud {{\n    hostname = "{node.settings["hostname"]}"\n'
                      f'    organization = "{org}"\n    workspaces {{\n      {ws}\n    }}\n  }}\n}}\n')
        self.env = dict(os.environ, SSL_CERT_FILE=node.sandbox.ca.cert, TF_CLI_CONFIG_FILE=self.rc,
                        TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", NO_COLOR="1")
        self.env.pop("TF_LOG", None)

    def write(self, body, filename="main.tf"):
        with open(os.path.join(self.dir, filename), "w") as f:
            f.write((self.cloud if filename == "main.tf" else "") + body)

    def run(self, *args, check=True, input=None, timeout=300):
        """Runs terraform ARGS; stdout/stderr come back without colour codes."""
        p = subprocess.run([TERRAFORM, *args], cwd=self.dir, env=self.env, capture_output=True,
                           text=True, input=input, timeout=timeout)
        p.stdout, p.stderr = strip_ansi(p.stdout), strip_ansi(p.stderr)
        if check and p.returncode != 0:
            raise AssertionError(f"terraform {' '.join(args)} exited {p.returncode}:\n"
                                 f"{p.stdout}\n{p.stderr}\n--- node log ---\n{self.node.read_log()}")
        return p

    @classmethod
    def initialized(cls, sandbox, node, workspace, org="acme", config=SIMPLE_CONFIG, **kw):
        """The CLI in a folder named after workspace, config written, `terraform init` done."""
        tf = cls(sandbox, node, workspace, org, workspace=workspace, **kw)
        tf.write(config)
        tf.run("init", "-input=false")
        return tf

    def popen(self, *args):
        return subprocess.Popen([TERRAFORM, *args], cwd=self.dir, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


class Sandbox:
    """A temporary folder with a CA, and the nodes started in it (stopped at close)."""

    def __init__(self, name, external=None):
        self.root = tempfile.mkdtemp(prefix=f"strata-{name}-")
        self.ca = CA(os.path.join(self.root, "ca"))
        self.nodes = []
        # STRATA_TEST_SERVICES=external runs every node on PostgreSQL, S3 and Redis
        self.external = EXTERNAL if external is None else external
        self.services = {}

    def postgres(self):
        if "pg" not in self.services:
            self.services["pg"] = services.Postgres(os.path.join(self.root, "pg"))
        return self.services["pg"]

    def external_settings(self, name):
        """Settings of a node on external services; nodes of one name share a database."""
        s = {"production_type": "external"}
        s.update(self.postgres().settings(re.sub(r"[^a-z0-9_]", "_", name.lower())))
        s.update(self.s3().settings())
        s.update(self.redis().settings())
        return s

    def redis(self):
        if "redis" not in self.services:
            self.services["redis"] = services.Redis(os.path.join(self.root, "redis"))
        return self.services["redis"]

    def s3(self):
        if "s3" not in self.services:
            self.services["s3"] = services.S3(os.path.join(self.root, "s3"))
        return self.services["s3"]

    def node(self, name="node", settings=None, start=True, admin=True):
        n = Node(self, name, settings)
        self.nodes.append(n)
        if start:
            n.start()
            if admin:
                n.create_admin()
        return n

    def close(self):
        """Stops every node; a node that exits non-zero (a sanitizer report, a leak, a crash)
        fails the test that owns the sandbox."""
        failed = []
        for n in self.nodes:
            running = n.proc is not None
            code = n.stop()
            if running and code != 0:
                failed.append(f"{n.folder}: exit {code}\n{n.read_log()}")
        for name, svc in self.services.items():
            if name == "s3":
                verified, refused, why = svc.signatures()
                if refused:
                    failed.append(f"S3 signatures refused by botocore's check: {refused}\n{why}")
            svc.stop()
        if os.environ.get("STRATA_KEEP") != "1" and not failed:
            shutil.rmtree(self.root, ignore_errors=True)
        if failed:
            raise AssertionError("node(s) did not exit cleanly:\n" + "\n".join(failed))


class NodeTest(unittest.TestCase):
    """Base class: one sandbox per test class with one started node and its admin."""
    sandbox_name = "e2e"

    @classmethod
    def setUpClass(cls):
        cls.sandbox = Sandbox(cls.sandbox_name)
        cls.node = cls.sandbox.node()

    @classmethod
    def tearDownClass(cls):
        cls.sandbox.close()


def registry_node(sandbox):
    """A started node with its first admin that answers as 127.0.0.1:<port>: terraform wants a
    dot in a registry's host name (localhost does not do)."""
    port = free_port()
    node = Node(sandbox, "node", {"hostname": f"127.0.0.1:{port}"}, port=port)
    sandbox.nodes.append(node)
    node.start()
    node.create_admin()
    return node


def main():
    unittest.main(verbosity=2)
