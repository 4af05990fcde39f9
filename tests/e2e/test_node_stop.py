"""A node stops within a bound whatever it waits on (issue 29): a dependency that accepts
connections and never answers (S3 here, frozen with SIGSTOP) holds a probe of the health monitor,
and the stop that joins it; past the bound the node exits on its own, naming what did not end,
rather than being killed by its service manager with no word of why."""
# services: embedded only (the test makes its own external services, whatever the mode)
import os
import signal
import time
import unittest

from harness import Sandbox, main

STOP_MAX = 20  # src/cmd/server.c, STOP_MAX_MS


class NodeStopTest(unittest.TestCase):
    def setUp(self):
        self.sandbox = Sandbox("stop", external=True)

    def tearDown(self):
        self.sandbox.close()

    def test_a_frozen_dependency_does_not_hold_the_stop(self):
        node = self.sandbox.node()
        proxy = self.sandbox.s3().proxy  # what the node reaches S3 by
        os.kill(proxy.pid, signal.SIGSTOP)
        try:
            # the monitor's blob probe is in flight and hangs (the kernel accepts, nobody answers)
            status, doc = node.health_until(503)
            self.assertEqual(status, 503, doc)
            self.assertNotEqual(doc["components"]["blob-storage"], "ok")
            t0 = time.monotonic()
            node.proc.send_signal(signal.SIGTERM)
            try:
                node.proc.wait(STOP_MAX + 40)
            except Exception:
                node.proc.kill()
            took = time.monotonic() - t0
        finally:
            os.kill(proxy.pid, signal.SIGCONT)
        log = node.read_log()
        code = node.stop()  # already ended: closes its log; the sandbox does not ask again
        # the grace period (2 s without traffic, health_until probed) and the bound, with margin
        self.assertLess(took, STOP_MAX + 8, log)
        self.assertEqual(code, 1, log)
        self.assertIn("stopping: the health monitor did not end within the stop's bound", log)


if __name__ == "__main__":
    main()
