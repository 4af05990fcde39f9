"""Upgrades without downtime: a running three-node cluster is upgraded to the next release one
node at a time (drain, wait for standby, stop, start the new binary) while terraform applies and
API reads go on through the balancer, and nothing fails. The next release's migration expands
the schema, so nodes of both releases serve side by side, and a node of the older release still
starts on it; a migration that contracts the schema stops older releases from starting."""
import subprocess
import threading
import time
import unittest

from harness import STRATA_BIN, STRATA_NEXT_BIN, Terraform, main
from test_cluster import Cluster


class RollingUpgrade(unittest.TestCase):
    def test_node_by_node_while_runs_go_on(self):
        c = Cluster("upgrade", nodes=3)
        stop = threading.Event()
        applies, failures, reads = [], [], [0]
        threads = []
        try:
            c.front.create_org("acme")
            tf = Terraform.initialized(c.sandbox, c.front, "steady")

            def apply_loop():
                i = 0
                while not stop.is_set():
                    i += 1
                    p = tf.run("apply", "-auto-approve", "-input=false", f"-var=n=u{i}",
                               check=False)
                    (applies if p.returncode == 0 else failures).append(
                        f"apply {i}: {p.returncode} {p.stdout[-300:]} STDERR {p.stderr[-1500:]}")

            def read_loop():
                while not stop.is_set():
                    try:
                        status, _, _ = c.front.request(
                            "GET", "/api/v2/organizations/acme/workspaces/steady")
                    except OSError as e:
                        status = str(e)
                    if status == 200:
                        reads[0] += 1
                    else:
                        failures.append(f"read: {status}")
                    time.sleep(0.05)

            threads += [threading.Thread(target=apply_loop), threading.Thread(target=read_loop)]
            for t in threads:
                t.start()
            time.sleep(3)
            listed = self.nodes(c)

            def drain(node):  # as an operator does before stopping a node: its runs finish
                name = next(n for n in listed if n.endswith(f":{node.port}"))
                p = subprocess.run([STRATA_BIN, "node", "drain", "--node", name, "--wait",
                                    "--config", node.config], capture_output=True, text=True,
                                   timeout=300)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("standby", p.stdout)

            for i, node in enumerate(c.nodes):
                drain(node)
                self.assertEqual(node.stop(), 0)
                node.binary = STRATA_NEXT_BIN
                node.start()
                if i == 0:
                    # the older release beside the newer schema: a node of it restarts fine
                    old = c.nodes[1]
                    drain(old)
                    self.assertEqual(old.stop(), 0)
                    old.start()
                    self.assertIn("a newer Strata expanded the schema", old.read_log())
                time.sleep(2)  # runs go on between steps
            time.sleep(3)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=300)
        try:
            self.maxDiff = None
            self.assertEqual(failures, [])
            self.assertGreaterEqual(len(applies), 3, applies)
            self.assertGreater(reads[0], 50)
            versions = c.sql("SELECT DISTINCT version FROM nodes WHERE state = 'active'")
            self.assertEqual(versions, "v202612-1")
            self.assertEqual(c.sql("SELECT MAX(version) FROM schema_migrations"), "900")
            # a contracting migration stops the older release from starting
            c.sql("INSERT INTO schema_migrations (version, name, applied_at) VALUES "
                  "(901, 'drops_something', '2026-12-01T00:00:00Z')")
            c.sql("INSERT INTO schema_contracts (version) VALUES (901)")
            old = c.add_node_stopped()
            p = subprocess.run([STRATA_BIN, "server", "--config", old.config],
                               capture_output=True, text=True, timeout=60)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("migration 901 removed what this release", p.stderr)
        finally:
            c.close()

    def nodes(self, c):
        return [n.split("|")[0] for n in c.sql("SELECT name FROM nodes").split("\n") if n]


if __name__ == "__main__":
    main()
