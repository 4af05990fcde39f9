"""install.sh, unattended, from the two files the seed names: it takes the seed's
disable-replicated-ui flag, installs the binary and the unit under a root, starts the node and
returns once `strata app status` says started — in seconds; a bad setting stops it first."""
# services: embedded only (the install does not depend on them)
import json
import os
import signal
import subprocess
import time
import unittest

from harness import NO_SANDBOX, STRATA_BIN, Sandbox, free_port, main

INSTALL = os.path.join(os.path.dirname(__file__), "..", "..", "deploy", "install.sh")


class InstallTest(unittest.TestCase):
    def setUp(self):
        self.sandbox = Sandbox("install")
        self.root = os.path.join(self.sandbox.root, "root")
        os.makedirs(os.path.join(self.root, "etc"))
        self.port = free_port()
        cert, key = self.sandbox.ca.server_cert()
        self.settings = {
            "hostname": f"localhost:{self.port}", "https_port": str(self.port),
            "tls_cert_file": cert, "tls_key_file": key,
            "disk_path": os.path.join(self.root, "var", "lib", "strata"),
            "enc_password": "install test enc password 42",
        }
        if NO_SANDBOX:
            self.settings["allow_unsandboxed_runs"] = "1"
        with open(os.path.join(self.root, "etc", "replicated.conf"), "w") as f:
            json.dump({"ImportSettingsFrom": "ptfe-settings.json", "ReleaseSequence": 0}, f)

    def tearDown(self):
        pidfile = os.path.join(self.root, "var", "log", "strata.pid")
        if os.path.exists(pidfile):
            with open(pidfile) as f:
                pid = int(f.read())
            try:
                os.kill(pid, signal.SIGTERM)
                for _ in range(100):
                    os.kill(pid, 0)
                    time.sleep(0.1)
            except ProcessLookupError:
                pass
        self.sandbox.close()

    def install(self, settings, *flags):
        with open(os.path.join(self.root, "etc", "ptfe-settings.json"), "w") as f:
            json.dump({k: {"value": v} for k, v in settings.items()}, f)
        env = dict(os.environ, STRATA_ROOT=self.root, STRATA_BINARY=STRATA_BIN)
        t = time.time()
        p = subprocess.run(["bash", INSTALL, *flags], capture_output=True, text=True, env=env,
                           timeout=180)
        return p, time.time() - t

    def test_install_to_started(self):
        p, seconds = self.install(self.settings, "disable-replicated-ui",
                                  "private-address=10.0.0.5")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("no admin console to disable", p.stdout)
        self.assertIn('"private-address=10.0.0.5" is a flag of TFE\'s installer', p.stdout)
        self.assertIn('"State": "started"', p.stdout)
        self.assertLess(seconds, 30, "well under a minute")
        self.assertTrue(os.access(os.path.join(self.root, "usr", "local", "bin", "strata"),
                                  os.X_OK))
        with open(os.path.join(self.root, "etc", "systemd", "system", "strata.service")) as f:
            self.assertIn("ExecStart=/usr/local/bin/strata server --config /etc/replicated.conf",
                          f.read())
        out = subprocess.run(["curl", "-sS", "--cacert", self.sandbox.ca.cert,
                              f"https://localhost:{self.port}/_health_check"],
                             capture_output=True, text=True, timeout=30).stdout
        self.assertEqual(json.loads(out)["status"], "ok")

    def test_bad_setting_stops_the_install(self):
        p, _ = self.install(dict(self.settings, https_port="port 443"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('"https_port"', p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.root, "var", "log", "strata.pid")))


if __name__ == "__main__":
    main()
