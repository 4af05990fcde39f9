"""Each external service against its real server: PostgreSQL (several nodes migrating at once, a
schema newer than the binary, a restart under a running node), S3 (a state larger than one
multipart part, every request's signature checked by botocore), Redis (password, TLS with our
CA, a wrong password, Redis Cluster refused, Sentinel failover during runs), and the checks a node
makes at start before it touches shared data."""
import hashlib
import json
import os
import subprocess
import time
import unittest

import services
from harness import CA, STRATA_BIN, Node, Sandbox, Terraform, main, settings_doc


def refused(node, timeout=60):
    """Starts node, expects it to stop at once; returns what it said."""
    node.write_settings()
    p = subprocess.run([STRATA_BIN, "server", "--config", node.config], capture_output=True,
                       text=True, timeout=timeout)
    assert p.returncode != 0, p.stdout + p.stderr
    return p.stderr


def apply_once(sandbox, node, name, org="acme"):
    tf = Terraform.initialized(sandbox, node, name, org)
    return tf.run("apply", "-auto-approve", "-input=false").stdout


class PostgresTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sandbox = Sandbox("pgsvc", external=True)

    @classmethod
    def tearDownClass(cls):
        cls.sandbox.close()

    def test_nodes_starting_together_migrate_once(self):
        pg = self.sandbox.postgres()
        common = pg.settings("together")
        nodes = [Node(self.sandbox, f"t{i}", dict(common)) for i in range(3)]
        self.sandbox.nodes.extend(nodes)
        for n in nodes:
            n.start(wait=False)
        for n in nodes:
            n.wait_healthy()
        versions = pg.psql("SELECT version, COUNT(*) FROM schema_migrations GROUP BY version "
                           "ORDER BY version", "together").split("\n")
        self.assertGreaterEqual(len(versions), 8)
        self.assertTrue(all(v.endswith("|1") for v in versions), versions)
        self.assertEqual(pg.psql("SELECT COUNT(*) FROM keyring", "together"), "1")
        for n in nodes:  # (running nodes heart-beat: the dump below must stand still)
            n.stop()
        # a node with another enc_password cannot open the shared keyring: it stops untouched
        bad = Node(self.sandbox, "t9", dict(common, enc_password="not the cluster's password"))
        before = pg.dump("together")
        self.assertIn("enc_password", refused(bad))
        self.assertEqual(pg.dump("together"), before)
        # a schema a newer Strata contracted: this binary says so and stops (an expanded one
        # it runs on: test_cluster_upgrade.py)
        pg.psql("INSERT INTO schema_migrations VALUES (999, 'future', 'now')", "together")
        pg.psql("INSERT INTO schema_contracts VALUES (999)", "together")
        try:
            out = refused(Node(self.sandbox, "t8", dict(common)))
            self.assertIn("schema is at version 999", out)
            self.assertIn("migration 999 removed what this release", out)
        finally:
            pg.psql("DELETE FROM schema_migrations WHERE version = 999", "together")
            pg.psql("DELETE FROM schema_contracts WHERE version = 999", "together")

    def test_database_restart_under_a_running_node(self):
        node = self.sandbox.node("restarts")
        node.create_org("acme")
        pg = self.sandbox.postgres()
        pg.stop()
        status, doc = node.health_until(503)
        self.assertEqual(status, 503)
        self.assertNotEqual(doc["components"]["database"], "ok")
        started = time.time()
        pg.start()
        deadline = time.time() + 20
        while time.time() < deadline:
            if node.request("GET", "/_health_check", token=False)[0] == 200:
                break
            time.sleep(0.1)
        print(f"serving again {time.time() - started:.2f} s after PostgreSQL came back",
              flush=True)
        self.assertIn("Apply complete!", apply_once(self.sandbox, node, "after-pg"))


    def test_the_janitor_cleans_up(self):
        node = self.sandbox.node("cleaner")
        pg, db = self.sandbox.postgres(), node.settings["pg_dbname"]
        day_ago_ms = int((time.time() - 2 * 86400) * 1000)
        pg.psql("INSERT INTO nodes VALUES ('gone:1', 'x', 'v', 'stopped', 'then', "
                f"{day_ago_ms}), ('gone:2', 'x', 'v', 'active', 'now', {int(time.time() * 1000)})",
                db)
        pg.psql("INSERT INTO tokens (id, kind, hash, created_at, expires_at) VALUES "
                "('old-run', 'run', 'h1', 'then', 1), ('old-user', 'user', 'h2', 'then', 1)", db)
        node.stop()
        node.start()  # a new janitor cleans up at its first pass, then once a minute
        deadline = time.time() + 10
        while time.time() < deadline and pg.psql(
                "SELECT COUNT(*) FROM tokens WHERE id = 'old-run'", db) != "0":
            time.sleep(0.2)
        self.assertEqual(pg.psql("SELECT id FROM tokens WHERE id LIKE 'old-%' ORDER BY id", db),
                         "old-user")  # a user's expired token stays listed, as on TFE
        self.assertEqual(pg.psql("SELECT name FROM nodes WHERE name LIKE 'gone:%'", db), "gone:2")

    def test_tls_as_pg_extra_params_ask(self):
        cert, key = self.sandbox.ca.server_cert("pg")
        pg = services.Postgres(os.path.join(self.sandbox.root, "pgtls"), tls=(cert, key))
        self.sandbox.services["pgtls"] = pg
        settings = pg.settings("tlsdb")
        settings.update(pg_netloc=f"localhost:{pg.port}",
                        pg_extra_params=f"sslmode=verify-full&sslrootcert={self.sandbox.ca.cert}")
        node = self.sandbox.node("pgtls", settings)
        # the node's connections (application_name strata) are encrypted, and only those
        ssl = pg.psql("SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid "
                      "WHERE a.application_name = 'strata'", "tlsdb").split()
        self.assertTrue(ssl and all(v == "t" for v in ssl), ssl)
        node.stop()
        # a server certificate the given CA did not sign: refused at start, naming the settings
        other = CA(os.path.join(self.sandbox.root, "pgotherca"))
        bad = Node(self.sandbox, "pgbadca", dict(settings, pg_extra_params=(
            f"sslmode=verify-full&sslrootcert={other.cert}")))
        out = refused(bad)
        self.assertIn("pg_extra_params", out)
        self.assertIn("certificate verify failed", out)


class S3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sandbox = Sandbox("s3svc", external=True)
        cls.node = cls.sandbox.node()
        cls.node.create_org("acme")

    @classmethod
    def tearDownClass(cls):
        cls.sandbox.close()

    def test_large_state_goes_up_in_parts_and_comes_back_whole(self):
        ws = self.node.api("POST", "/api/v2/organizations/acme/workspaces", {"data": {
            "type": "workspaces", "attributes": {"name": "big"}}})["data"]
        state = json.dumps({"version": 4, "terraform_version": "1.11.4", "serial": 1,
                            "lineage": "big-lineage", "outputs": {"blob": {
                                "value": os.urandom(10 * 1024 * 1024).hex(),
                                "type": "string"}}, "resources": []}).encode()
        self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/actions/lock", {})
        sv = self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/state-versions", {"data": {
            "type": "state-versions", "attributes": {
                "serial": 1, "md5": hashlib.md5(state).hexdigest(),
                "lineage": "big-lineage"}}})["data"]
        host = self.node.settings["hostname"]
        up = sv["attributes"]["hosted-state-upload-url"].split(host, 1)[1]
        status, _, _ = self.node.request("PUT", up, body=state, token=False,
                                         headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(status, 200)
        cur = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/current-state-version")["data"]
        down = cur["attributes"]["hosted-state-download-url"].split(host, 1)[1]
        status, body, _ = self.node.request("GET", down, token=False, raw=True)
        self.assertEqual(status, 200)
        self.assertEqual(hashlib.sha256(body).hexdigest(), hashlib.sha256(state).hexdigest())
        verified, refused_n, why = self.sandbox.s3().signatures()
        self.assertEqual(refused_n, 0, why)
        self.assertGreater(verified, 3)

    def test_a_wrong_secret_key_is_refused_at_start(self):
        n = Node(self.sandbox, "badkey", {"aws_access_key_id": "AKIAWRONG",
                                          "aws_secret_access_key": "not the secret"})
        out = refused(n)
        self.assertIn("s3_bucket", out)
        self.assertIn("aws_secret_access_key", out)


class RedisTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sandbox = Sandbox("redissvc", external=True)

    @classmethod
    def tearDownClass(cls):
        cls.sandbox.close()

    def redis(self, name, **kw):
        r = services.Redis(os.path.join(self.sandbox.root, name), **kw)
        self.sandbox.services[name] = r
        return r

    def test_tls_with_our_ca(self):
        cert, key = self.sandbox.ca.server_cert("redis")
        r = self.redis("tls", tls=(cert, key, self.sandbox.ca.cert))
        node = self.sandbox.node("tlsnode", r.settings())
        self.assertIn("redis: connected to localhost:", node.read_log())
        node.create_org("acme")
        self.assertIn("Apply complete!", apply_once(self.sandbox, node, "over-tls"))
        # a Redis whose certificate our CA did not sign is refused
        other = CA(os.path.join(self.sandbox.root, "otherca"))
        n = Node(self.sandbox, "wrongca", dict(r.settings(), redis_ca_cert_file=other.cert))
        out = refused(n)
        self.assertIn("TLS with Redis", out)
        self.assertIn("certificate", out)
        self.assertIn("redis_ca_cert_file", out)

    def test_wrong_password_and_cluster_are_refused(self):
        r = self.redis("pw", password="right password")
        n = Node(self.sandbox, "wrongpw", dict(r.settings(), redis_pass="wrong password"))
        out = refused(n)
        self.assertIn("redis_pass", out)
        self.assertIn("WRONGPASS", out)
        folder = os.path.join(self.sandbox.root, "rc")
        os.makedirs(folder)
        port = services.free_port()
        proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                 "--cluster-enabled", "yes",
                                 # the bus port defaults to port + 10000, past 65535 for some
                                 "--cluster-port", str(services.free_port()),
                                 "--cluster-config-file",
                                 os.path.join(folder, "nodes.conf"), "--dir", folder,
                                 "--save", ""], stdout=open(os.path.join(folder, "log"), "w"))
        try:
            services.wait_port(port, proc)
            n = Node(self.sandbox, "cluster", {"redis_host": "127.0.0.1", "redis_port": str(port),
                                               "redis_use_password_auth": "0", "redis_pass": ""})
            self.assertIn("Redis Cluster", refused(n))
        finally:
            proc.terminate()
            proc.wait()

    def test_sentinel_failover_during_runs(self):
        s = services.Sentinels(os.path.join(self.sandbox.root, "sentinels"))
        self.sandbox.services["sentinels"] = s
        settings = dict(s.settings(), redis_host="")
        node = self.sandbox.node("watched", settings)
        node.create_org("acme")
        self.assertIn("Apply complete!", apply_once(self.sandbox, node, "before-failover"))
        old = s.leader_port()
        killed = time.time()
        (s.leader if s.leader.port == old else s.replica).stop(kill=True)
        # runs asked for during the failover complete once the replica is promoted
        out = apply_once(self.sandbox, node, "during-failover")
        self.assertIn("Apply complete!", out)
        self.assertNotEqual(s.leader_port(), old)
        print(f"failover: a run asked for at the leader's death applied "
              f"{time.time() - killed:.1f} s later", flush=True)


class SettingsTest(unittest.TestCase):
    def test_active_active_needs_the_shared_services(self):
        sandbox = Sandbox("aa", external=False)
        try:
            n = Node(sandbox, "disk", {"enable_active_active": "1"})
            out = refused(n)
            for key in ("production_type", "pg_netloc", "s3_bucket", "redis_host"):
                self.assertIn(key, out)
            n = Node(sandbox, "nos3", {"production_type": "external", "pg_netloc": "db:5432",
                                       "pg_user": "u", "pg_dbname": "d"})
            out = refused(n)
            self.assertIn('"s3_bucket", "aws_access_key_id", "aws_secret_access_key"', out)
            n.settings.update({"s3_bucket": "b", "aws_access_key_id": "a",
                               "aws_secret_access_key": "s", "enable_active_active": "1"})
            self.assertIn("needs Redis", refused(n))
            n.settings.update({"redis_host": "r", "redis_use_password_auth": "1"})
            self.assertIn('"redis_pass": required', refused(n))
            n.settings.update({"redis_pass": "x", "redis_sentinel_enabled": "1"})
            self.assertIn("redis_sentinel_hosts", refused(n))
            doc = settings_doc(dict(n.settings, redis_password="alias"))
            del doc["redis_pass"]
            n.write_settings(doc)
            p = subprocess.run([STRATA_BIN, "config", "check", "--config", n.config],
                               capture_output=True, text=True)
            self.assertNotIn("redis_pass", p.stderr)  # the alias filled it
        finally:
            sandbox.close()


if __name__ == "__main__":
    main()
