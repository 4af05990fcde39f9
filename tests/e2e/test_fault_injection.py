"""Fault injection (base/fault.h), as SQLite tests itself: a request's header X-Strata-Fault
("store N", "blob N", "bus N") makes the Nth call of that interface fail, counted from that
request on across the node. N walks over three flows — create a workspace, upload a state
version, queue and apply a run through the API with a slug — and after each step, with no fault
armed, the test checks that the answer was a clean JSON:API error (never SQL text), that
nothing is half-written (the failed workspace is absent or whole, a current state version
downloads its bytes, a run reaches an end and the workspace is unlocked) and that the node
keeps answering its health check. Needs a test build (STRATA_FAULT_INJECTION compiled in).
"""
import hashlib
import json
import os
import time

from harness import Sandbox, make_slug, main
import unittest

SQL_WORDS = ("sql", "sqlite", "constraint", "insert ", "select ", "update ", "syntax", "libpq")
END_STATUSES = ("applied", "errored", "canceled", "force_canceled", "discarded",
                "planned_and_finished")
STATE = {"version": 4, "terraform_version": "1.11.4", "serial": 1,
         "lineage": "fa017000-2222-3333-4444-555555555555",
         "outputs": {"o": {"value": "v", "type": "string"}}, "resources": []}


class FaultInjectionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sandbox = Sandbox("fault")
        cls.node = cls.sandbox.node(start=False)
        cls.node.env["STRATA_FAULT_INJECTION"] = "1"
        cls.node.start()
        cls.node.create_admin()
        cls.node.create_org("acme")

    @classmethod
    def tearDownClass(cls):
        cls.sandbox.close()

    # -- helpers --
    def fired(self):
        """How many faults the node has injected so far (it logs each)."""
        with open(self.node.log_path, errors="replace") as f:
            return f.read().count("fault injected: ")

    def call(self, method, path, body=None, fault=None, token=None, headers=None):
        """A request; fault arms the node's next fault ("store 3"), "off" disarms it."""
        h = {"X-Strata-Fault": fault} if fault else {}
        h.update(headers or {})
        return self.node.request(method, path, body, token=token, headers=h)

    def assert_clean(self, status, doc, what):
        """A success, or a refusal as a JSON:API error naming no SQL."""
        if status < 400:
            return
        self.assertIsInstance(doc, dict, f"{what}: {status} without a JSON:API body: {doc!r}")
        self.assertTrue(doc.get("errors"), f"{what}: {status} {doc}")
        text = json.dumps(doc).lower()
        for w in SQL_WORDS:
            self.assertNotIn(w, text, f"{what}: the answer names SQL: {doc}")

    def assert_healthy(self):
        t0 = time.time()
        conn = self.node.connection(timeout=5)
        conn.request("GET", "/_health_check")
        status = conn.getresponse().status
        conn.close()
        self.assertEqual(status, 200, self.node.read_log())
        self.assertLess(time.time() - t0, 2.0)

    def walk(self, kinds, step, check, limit=400):
        """Calls step(fault) with N = 1, 2, ... for each kind until a step ends without the
        fault firing (the flow has fewer calls than N), and check() after each with no fault
        armed. Returns how many faults were tried."""
        tried = 0
        for kind in kinds:
            for n in range(1, limit + 1):
                before = self.fired()
                step(f"{kind} {n}")
                fired = self.fired() > before
                self.call("GET", "/api/v2/account/details", fault="off")  # disarm what did not fire
                self.assert_healthy()
                check()
                if not fired:
                    break
                tried += 1
            else:
                self.fail(f"{kind}: the flow still reached a fault after {limit} calls")
        return tried

    # -- flows --
    def test_create_workspace(self):
        names, last = [], {}

        def step(fault):
            name = f"ws-{len(names)}"
            names.append(name)
            status, doc, _ = self.call("POST", "/api/v2/organizations/acme/workspaces",
                                       {"data": {"type": "workspaces",
                                                 "attributes": {"name": name,
                                                                "tag-names": ["t1", "t2"]}}},
                                       fault=fault)
            self.assert_clean(status, doc, f"create workspace with {fault}")
            last.update(name=name, status=status, fault=fault)

        def check():
            name, status, fault = last["name"], last["status"], last["fault"]
            status2, got, _ = self.call("GET", f"/api/v2/organizations/acme/workspaces/{name}")
            if status == 201:
                self.assertEqual(status2, 200, (fault, got))
            else:
                # refused: nothing of it remains (a retry with the same name must work)
                self.assertEqual(status2, 404, f"{fault}: refused with {status} yet exists")
            if status2 == 200:  # whole: its tags, and its owner (the owners team) can use it
                wid = got["data"]["id"]
                tags = self.node.api("GET", f"/api/v2/workspaces/{wid}/relationships/tags")
                self.assertEqual(sorted(t["attributes"]["name"] for t in tags["data"]),
                                 ["t1", "t2"], fault)
                self.assertEqual(self.call("POST", f"/api/v2/workspaces/{wid}/actions/lock",
                                           {"reason": "check"})[0], 200, fault)
                self.assertEqual(self.call("POST", f"/api/v2/workspaces/{wid}/actions/unlock")[0],
                                 200, fault)
        self.assertGreater(self.walk(("store", "bus", "blob"), step, check), 0)

    def test_upload_state(self):
        ws = self.node.create_workspace("acme", "state-faults")
        serial = [0]

        def step(fault):
            serial[0] += 1
            data = json.dumps(dict(STATE, serial=serial[0])).encode()
            attrs = {"serial": serial[0], "md5": hashlib.md5(data).hexdigest(),
                     "lineage": STATE["lineage"]}
            status, doc, _ = self.call("POST", f"/api/v2/workspaces/{ws['id']}/state-versions",
                                       {"data": {"type": "state-versions", "attributes": attrs}},
                                       fault=fault)
            self.assert_clean(status, doc, f"create state version with {fault}")
            if status == 201:
                url = doc["data"]["attributes"]["hosted-state-upload-url"]
                path = url.split(self.node.settings["hostname"], 1)[1]
                # the walk goes on into the upload: the fault is process-wide until it fires
                s2, d2, _ = self.call("PUT", path, data, token=False,
                                      headers={"Content-Type": "application/octet-stream"})
                self.assert_clean(s2, d2, f"upload state with {fault}")

        def check():
            self.check_states(ws)
        self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/actions/lock", {"reason": "t"})
        self.assertGreater(self.walk(("store", "blob", "bus"), step, check), 0)

    def check_states(self, ws):
        """Every state version the workspace lists as finalized downloads its bytes whole."""
        status, doc, _ = self.call("GET", f"/api/v2/workspaces/{ws['id']}/current-state-version")
        self.assertIn(status, (200, 404), doc)
        listed = self.node.api("GET", f"/api/v2/state-versions?filter%5Bworkspace%5D%5Bname%5D="
                                      f"{ws['attributes']['name']}&filter%5Borganization%5D%5Bname"
                                      f"%5D=acme&page%5Bsize%5D=100")["data"]
        for sv in listed:
            if sv["attributes"].get("status") != "finalized":
                continue
            s, body, _ = self.node.request("GET", f"/api/v2/state-versions/{sv['id']}/download",
                                           raw=True)
            self.assertEqual(s, 200, f"{sv['id']} listed finalized but its blob does not read")
            self.assertEqual(json.loads(body)["serial"], sv["attributes"]["serial"])

    def test_queue_and_apply_run(self):
        ws = self.node.create_workspace("acme", "run-faults", **{"auto-apply": True})
        cv = self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions",
                           {"data": {"type": "configuration-versions",
                                     "attributes": {"auto-queue-runs": False}}})["data"]
        url = cv["attributes"]["upload-url"].split(self.node.settings["hostname"])[1]
        slug = make_slug({"main.tf": b'resource "terraform_data" "x" {\n  input = timestamp()\n}\n'})
        self.assertEqual(self.node.request("PUT", url, body=slug, token=False)[0], 200)
        for _ in range(50):
            if self.node.api("GET", f"/api/v2/configuration-versions/{cv['id']}")["data"][
                    "attributes"]["status"] == "uploaded":
                break
            time.sleep(0.1)
        # a run makes hundreds of store calls: N samples them, within a time budget
        budget = time.time() + float(os.environ.get("STRATA_FAULT_RUN_SECONDS", "60"))
        seen = 0
        for kind, ns in (("store", [*range(1, 12), *range(12, 600, 7)]),
                         ("bus", range(1, 40)), ("blob", range(1, 40))):
            for n in ns:
                if time.time() > budget:
                    break
                before = self.fired()
                runs_before = self.run_ids(ws)
                status, doc, _ = self.call("POST", "/api/v2/runs", {"data": {
                    "type": "runs", "attributes": {"message": f"{kind} {n}"},
                    "relationships": {"workspace": {"data": {"type": "workspaces",
                                                             "id": ws["id"]}}}}},
                    fault=f"{kind} {n}")
                self.assert_clean(status, doc, f"queue a run with {kind} {n}")
                if status == 201:
                    self.wait_run_end(doc["data"]["id"], f"{kind} {n}")
                self.call("GET", "/api/v2/account/details", fault="off")
                if status >= 400:  # refused: no run was made behind its creator's back
                    self.assertEqual(self.run_ids(ws), runs_before, f"{kind} {n}: {doc}")
                self.assert_healthy()
                self.assert_workspace_free(ws, f"{kind} {n}")
                if self.fired() == before:
                    break  # the run ended with fewer calls than N
                seen += 1
        self.assertGreater(seen, 0)
        # with faults off the workspace still applies
        run = self.node.api("POST", "/api/v2/runs", {"data": {"type": "runs", "relationships": {
            "workspace": {"data": {"type": "workspaces", "id": ws["id"]}}}}})["data"]
        self.assertEqual(self.wait_run_end(run["id"], "no fault"), "applied")

    def run_ids(self, ws):
        doc = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/runs?page%5Bsize%5D=100")
        return sorted(r["id"] for r in doc["data"])

    def wait_run_end(self, rid, what, timeout=90):
        deadline = time.time() + timeout
        while time.time() < deadline:
            status, doc, _ = self.call("GET", f"/api/v2/runs/{rid}")
            self.assert_clean(status, doc, f"read run ({what})")
            if status == 200:
                st = doc["data"]["attributes"]["status"]
                if st in END_STATUSES:
                    return st
            time.sleep(0.2)
        self.fail(f"run {rid} ({what}) did not end: {doc}\n{self.node.read_log()}")

    def assert_workspace_free(self, ws, what):
        """The run's end released the workspace: no lock left behind, nothing waiting."""
        deadline = time.time() + 15
        while time.time() < deadline:
            attrs = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}")["data"]["attributes"]
            if not attrs["locked"]:
                return
            time.sleep(0.2)
        self.fail(f"{what}: the workspace stayed locked after its run ended")


if __name__ == "__main__":
    main()
