"""Configuration only by files: both forms start a node, every bad setting stops it with a
message naming the key, the node makes its own certificate when none is configured, and the
IACT answers only to iact_subnet_list."""
import json
import os
import ssl
import subprocess
import unittest

from harness import STRATA_BIN, Node, Sandbox, main, settings_doc


class ConfigTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sandbox = Sandbox("config")

    @classmethod
    def tearDownClass(cls):
        cls.sandbox.close()

    def check(self, node, doc=None):
        node.write_settings(doc)
        return subprocess.run([STRATA_BIN, "config", "check", "--config", node.config],
                              capture_output=True, text=True, timeout=30)

    def refuse(self, node, doc, *needles):
        node.write_settings(doc)
        p = subprocess.run([STRATA_BIN, "server", "--config", node.config], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 2, p.stderr)
        for n in needles:
            self.assertIn(n, p.stderr)
        self.assertFalse(os.path.exists(node.settings["disk_path"]), "data touched")

    def test_bad_settings_stop_the_node_naming_the_key(self):
        node = Node(self.sandbox, "bad")
        base = settings_doc(node.settings)
        cases = [
            ({"https_port": {"value": 8443}}, ["\"https_port\"", "string"]),
            ({"enable_active_active": {"value": "true"}}, ["enable_active_active", "\"1\" or \"0\""]),
            ({"production_type": {"value": "cloud"}}, ["production_type"]),
            ({"iact_subnet_list": {"value": "not-a-cidr"}}, ["iact_subnet_list", "CIDR"]),
            ({"hostname": "tfe.example.com"}, ["\"hostname\"", "{\"value\""]),
            ({"enc_password": {"value": ""}}, ["enc_password", "required"]),
        ]
        for change, needles in cases:
            doc = dict(base)
            doc.update(change)
            self.refuse(node, doc, *needles)
            self.assertEqual(self.check(node, doc).returncode, 1)
        self.refuse(node, "{not json", "not valid JSON")

    def test_tfe_environment_variables(self):
        """TFE's Flexible Deployment variables configure a node with no file, override a file's
        keys, and a bad one is named in the error."""
        node = Node(self.sandbox, "env")
        clean = {k: v for k, v in os.environ.items() if not k.startswith("TFE_")}
        env = dict(clean, TFE_HOSTNAME=f"localhost:{node.port}", TFE_HTTPS_PORT=str(node.port),
                   TFE_OPERATIONAL_MODE="disk", TFE_DISK_PATH=node.settings["disk_path"],
                   TFE_ENCRYPTION_PASSWORD="env enc password 0123456789",
                   TFE_TLS_CERT_FILE=node.settings["tls_cert_file"],
                   TFE_TLS_KEY_FILE=node.settings["tls_key_file"],
                   TFE_TLS_CA_BUNDLE_FILE=self.sandbox.ca.cert, TFE_CAPACITY_CONCURRENCY="3",
                   TFE_LICENSE="ignored")
        p = subprocess.run([STRATA_BIN, "config", "check"], env=env, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"hostname localhost:{node.port}, production_type disk", p.stdout)
        self.assertIn("TFE_LICENSE ignored", p.stderr)
        proc = subprocess.Popen([STRATA_BIN, "server"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            node.proc = proc
            node.log = open(os.devnull, "ab")
            node.wait_healthy()
        finally:
            self.assertEqual(node.stop(), 0)
        self.assertTrue(os.path.exists(os.path.join(node.settings["disk_path"], "strata.db")))
        cases = [
            ({"TFE_CAPACITY_CONCURRENCY": "lots"},
             ["environment variable TFE_CAPACITY_CONCURRENCY", "\"capacity_concurrency\""]),
            ({"TFE_REDIS_USE_TLS": "maybe"}, ["TFE_REDIS_USE_TLS", "true or false"]),
            ({"TFE_OPERATIONAL_MODE": "cluster"}, ["TFE_OPERATIONAL_MODE", "active-active"]),
            ({"TFE_OPERATIONAL_MODE": "active-active"}, ["\"pg_netloc\"", "\"s3_bucket\""]),
            ({"TFE_OBJECT_STORAGE_TYPE": "azure"}, ["TFE_OBJECT_STORAGE_TYPE", "S3"]),
            ({"TFE_TLS_CA_BUNDLE_FILE": "/nonexistent.pem"}, ["TFE_TLS_CA_BUNDLE_FILE"]),
        ]
        for extra, needles in cases:
            # over a valid file too (disk mode, whatever services this run has): the variable
            # wins, and is the one named
            node.write_settings(settings_doc({k: v for k, v in node.settings.items() if k in (
                "hostname", "https_port", "tls_cert_file", "tls_key_file", "disk_path",
                "enc_password")}))
            for args in (["config", "check"], ["config", "check", "--config", node.config]):
                p = subprocess.run([STRATA_BIN, *args], env=dict(env, **extra),
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, 1, (extra, p.stdout))
                for n in needles:
                    self.assertIn(n, p.stderr, extra)
        # TFE_REDIS_HOST carries the port: a bad one is named as redis_port from the variable
        p = subprocess.run([STRATA_BIN, "config", "check"], env=dict(
            env, TFE_REDIS_HOST="redis.internal:63x0"), capture_output=True, text=True,
            timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn('environment variable TFE_REDIS_HOST: setting "redis_port"', p.stderr)
        self.assertIn('"63x0"', p.stderr)

    def test_installer_file_form(self):
        node = Node(self.sandbox, "installer")
        app_settings = dict(node.settings)
        cert, key = app_settings.pop("tls_cert_file"), app_settings.pop("tls_key_file")
        app_path = os.path.join(node.folder, "ptfe-settings.json")
        with open(app_path, "w") as f:
            json.dump(settings_doc(dict(app_settings, some_future_key="x")), f)
        installer = {"ImportSettingsFrom": app_path, "ReleaseSequence": 1,
                     "TlsBootstrapType": "server-path", "TlsBootstrapCert": cert,
                     "TlsBootstrapKey": key, "BypassPreflightChecks": True}
        # a pin on another release refuses to start
        self.refuse(node, dict(installer, ReleaseSequence=504), "ReleaseSequence", "504")
        self.refuse(node, dict(installer, ReleaseSequence="1"), "ReleaseSequence", "integer")
        node.write_settings(installer)
        node.start()
        try:
            node.create_admin()
            self.assertEqual(node.api("GET", "/api/v2/account/details")["data"]["attributes"][
                "username"], "admin")
            self.assertIn("unknown key \"some_future_key\"", node.read_log())
        finally:
            node.stop()

    def test_self_signed_certificate_when_none_configured(self):
        node = Node(self.sandbox, "selfsigned")
        del node.settings["tls_cert_file"], node.settings["tls_key_file"]
        node.write_settings()
        node.proc = subprocess.Popen([STRATA_BIN, "server", "--config", node.config],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            lines = []
            while not any("is running at" in l for l in lines):
                lines.append(node.proc.stdout.readline())
                self.assertTrue(lines[-1], "".join(lines))
            self.assertIn(f"is running at https://localhost:{node.port}", lines[-1])
            cert = os.path.join(node.settings["disk_path"], "tls-cert.pem")
            ctx = ssl.create_default_context(cafile=cert)
            import http.client
            conn = http.client.HTTPSConnection("localhost", node.port, context=ctx, timeout=10)
            conn.request("GET", "/_health_check")
            self.assertEqual(conn.getresponse().status, 200)
        finally:
            node.proc.terminate()
            node.proc.wait(10)
            node.proc.stdout.close()
            node.proc = None

    def test_iact_only_for_listed_subnets(self):
        node = Node(self.sandbox, "iact", settings={"iact_subnet_list": "10.0.0.0/8"})
        node.start()
        try:
            status, body, _ = node.request("GET", "/admin/retrieve-iact", token=False)
            self.assertEqual(status, 403)
            self.assertIn("iact_subnet_list", body)
        finally:
            node.stop()
        node.settings["iact_subnet_list"] = "127.0.0.0/8,::1/128"
        node.write_settings()
        node.start()
        try:
            status, token, _ = node.request("GET", "/admin/retrieve-iact", token=False)
            self.assertEqual(status, 200)
            bad = node.request("POST", "/admin/initial-admin-user?token=wrong",
                               body=json.dumps({"username": "a", "email": "a@b.c",
                                                "password": "0123456789"}), token=False)
            self.assertEqual(bad[0], 401)
            weak = node.request("POST", f"/admin/initial-admin-user?token={token}",
                                body=json.dumps({"username": "a", "email": "a@b.c",
                                                 "password": "short"}), token=False)
            self.assertEqual(weak[0], 422)
            node.create_admin()
        finally:
            node.stop()


if __name__ == "__main__":
    main()
