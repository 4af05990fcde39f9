"""deploy/: the Terraform examples are `terraform fmt`-clean, and the templates every example
renders (settings, installer file, the node's boot script) render with the real terraform CLI
(no provider needed) into files Strata accepts. `terraform validate` of the examples themselves
needs their providers, which cannot be downloaded here."""
# services: embedded only (files only)
import json
import os
import subprocess
import tempfile
import unittest

from harness import STRATA_BIN, TERRAFORM, main

DEPLOY = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "deploy"))

RENDER = '''
locals {
  t = "%s/templates"
  settings = templatefile("${local.t}/ptfe-settings.json.tpl", {
    hostname = "tfe.example.com", enc_password = "a long enc password", pg_netloc = "db:5432",
    pg_dbname = "strata", pg_user = "strata", pg_password = "pg pass", s3_bucket = "bucket",
    s3_region = "eu-west-1", s3_endpoint = "", s3_access_key_id = "AKID", s3_secret_access_key = "SK",
    s3_sse = "AES256", redis_host = "redis.internal", redis_port = "6380",
    redis_password = "redis pass", redis_ca_cert = var.redis_ca_cert,
    trusted_proxies = "10.0.1.0/24"
  })
}
variable "redis_ca_cert" {
  type = string
}
output "settings" {
  value = local.settings
}
output "replicated_conf" {
  value = templatefile("${local.t}/replicated.conf.tpl", { release_sequence = 1 })
}
output "user_data" {
  value = templatefile("${local.t}/user-data.sh.tpl", {
    settings = local.settings, replicated_conf = "{}", tls_cert = "CERT", tls_key = "KEY",
    redis_ca_cert = var.redis_ca_cert, terraform_version = "1.11.4",
    strata_repository = "https://example.com/strata.git", strata_ref = "main"
  })
}
'''


class DeployTest(unittest.TestCase):
    def tf(self, folder, *args):
        env = dict(os.environ, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
        p = subprocess.run([TERRAFORM, *args], cwd=folder, capture_output=True, text=True,
                           env=env, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p.stdout

    def test_examples_are_fmt_clean(self):
        for cloud in ("aws", "gcp", "azure"):
            self.assertTrue(os.path.exists(os.path.join(DEPLOY, cloud, "main.tf")), cloud)
        self.tf(DEPLOY, "fmt", "-check", "-recursive", "-diff")

    def test_templates_render_into_settings_strata_accepts(self):
        for ca in ("", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"):
            with tempfile.TemporaryDirectory() as d:
                with open(os.path.join(d, "main.tf"), "w") as f:
                    f.write(RENDER % DEPLOY)
                self.tf(d, "init", "-input=false")
                self.tf(d, "apply", "-auto-approve", "-input=false", f"-var=redis_ca_cert={ca}")
                settings = self.tf(d, "output", "-raw", "settings")
                doc = json.loads(settings)
                self.assertEqual(doc["enable_active_active"], {"value": "1"})
                self.assertEqual(doc["trusted_proxies"], {"value": "10.0.1.0/24"})
                self.assertEqual(doc["redis_ca_cert_file"]["value"],
                                 "/etc/strata/redis-ca.pem" if ca else "")
                path = os.path.join(d, "ptfe-settings.json")
                with open(path, "w") as f:
                    f.write(settings)
                p = subprocess.run([STRATA_BIN, "config", "check", "--config", path],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("production_type external", p.stdout)
                conf = json.loads(self.tf(d, "output", "-raw", "replicated_conf"))
                self.assertEqual((conf["ImportSettingsFrom"], conf["ReleaseSequence"]),
                                 ("/etc/ptfe-settings.json", 1))
                script = self.tf(d, "output", "-raw", "user_data")
                subprocess.run(["bash", "-n"], input=script, text=True, check=True)
                self.assertIn("install.sh disable-replicated-ui", script)
                self.assertEqual("/etc/strata/redis-ca.pem" in script, bool(ca))


if __name__ == "__main__":
    main()
