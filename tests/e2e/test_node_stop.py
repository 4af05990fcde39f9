"""A node stops within a bound whatever it waits on (issue 29): a dependency that accepts
connections and never answers (frozen with SIGSTOP) holds a probe of the health monitor, and the
stop that joins it. S3's probe has a bound of its own, so the node stops cleanly; a query to a
frozen PostgreSQL has none, and past the stop's bound the node exits on its own, naming what did
not end, rather than being killed by its service manager with no word of why."""
# services: embedded only (the test makes its own external services, whatever the mode)
import os
import signal
import time
import unittest

from harness import Sandbox, main

STOP_MAX = 20  # src/cmd/server.c, STOP_MAX_MS


def postgres_pids(pg):
    """The postmaster and its children (the backends serving the node's connections)."""
    with open(os.path.join(pg.data, "postmaster.pid")) as f:
        root = int(f.readline())
    pids = [root]
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == root:
                    pids.append(int(name))
        except (OSError, ValueError):
            pass
    return pids


class NodeStopTest(unittest.TestCase):
    def setUp(self):
        self.sandbox = Sandbox("stop", external=True)

    def tearDown(self):
        self.sandbox.close()

    def stop_frozen(self, pids, component):
        """Freezes pids until the node's probe of component hangs, then stops the node:
        (seconds the stop took, exit code, log)."""
        node = self.sandbox.node()
        for p in pids():
            os.kill(p, signal.SIGSTOP)
        try:
            # the kernel still accepts connections; nobody answers the probe in flight
            status, doc = node.health_until(503)
            self.assertEqual(status, 503, doc)
            self.assertNotEqual(doc["components"][component], "ok")
            t0 = time.monotonic()
            node.proc.send_signal(signal.SIGTERM)
            try:
                node.proc.wait(STOP_MAX + 60)
            except Exception:
                node.proc.kill()
            took = time.monotonic() - t0
        finally:
            for p in pids():
                os.kill(p, signal.SIGCONT)
        log = node.read_log()
        return took, node.stop(), log  # stop: already ended, closes its log

    def test_frozen_object_storage_does_not_hold_the_stop(self):
        s3 = self.sandbox.s3()
        took, code, log = self.stop_frozen(lambda: [s3.proxy.pid], "blob-storage")
        # the grace period (2 s without traffic, health_until probed) and the probe's 5 s
        self.assertLess(took, 12, log)
        self.assertEqual(code, 0, log)

    def test_frozen_database_ends_the_stop_at_its_bound(self):
        pg = self.sandbox.postgres()
        took, code, log = self.stop_frozen(lambda: postgres_pids(pg), "database")
        self.assertLess(took, STOP_MAX + 8, log)
        self.assertEqual(code, 1, log)
        # the stage is whichever thread's query was in flight (the monitor's, the notifier's)
        self.assertRegex(log, r"stopping: the [a-z ]+ did not end within the stop's bound", log)


if __name__ == "__main__":
    main()
