"""Run notifications, delivered for real: a generic webhook to a local HTTP receiver that checks
TFE's HMAC-SHA512 signature and answers 500 twice before accepting (the delivery is retried
with back-off and its history kept), Slack's form, an email to a local SMTP sink through the
admin SMTP settings, the verify action, and bad configurations refused."""
import hashlib
import hmac
import http.server
import json
import socketserver
import threading
import time

from harness import NodeTest, Sandbox, main, make_slug

TOKEN = "webhook-secret"


class Receiver(http.server.ThreadingHTTPServer):
    """Records every POST; a path's first `fail[path]` requests answer 500."""

    def __init__(self):
        self.requests = []
        self.fail = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append((self.path, dict(self.headers), body,
                                              time.monotonic()))
                    left = receiver.fail.get(self.path, 0)
                    receiver.fail[self.path] = max(0, left - 1)
                self.send_response(500 if left else 200)
                self.end_headers()
                self.wfile.write(b"busy" if left else b"ok")

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def at(self, path):
        with self.lock:
            return [r for r in self.requests if r[0] == path]


class SMTPSink(socketserver.ThreadingTCPServer):
    """Just enough SMTP to take a message: the envelope and the data, kept."""
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        self.messages = []
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                rcpt, data = [], None
                self.wfile.write(b"220 sink ready\r\n")
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    cmd = line.decode().strip()
                    up = cmd.upper()
                    if up.startswith(("EHLO", "HELO")):
                        self.wfile.write(b"250 sink\r\n")
                    elif up.startswith("MAIL FROM"):
                        self.wfile.write(b"250 ok\r\n")
                    elif up.startswith("RCPT TO"):
                        rcpt.append(cmd.split(":", 1)[1].strip(" <>"))
                        self.wfile.write(b"250 ok\r\n")
                    elif up == "DATA":
                        self.wfile.write(b"354 go on\r\n")
                        chunks = []
                        while True:
                            l = self.rfile.readline()
                            if l in (b".\r\n", b""):
                                break
                            chunks.append(l)
                        data = b"".join(chunks).decode()
                        sink.messages.append((rcpt, data))
                        self.wfile.write(b"250 queued\r\n")
                    elif up == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 ok\r\n")

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def wait_for(fn, timeout=60, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class NotificationsTest(NodeTest):
    sandbox_name = "notify"

    @classmethod
    def setUpClass(cls):
        # the receivers listen on loopback, which destinations reach only where a site admin
        # allows it (test_hostile_network.py checks the refusal)
        cls.sandbox = Sandbox(cls.sandbox_name)
        cls.node = cls.sandbox.node(settings={"allowed_internal_cidrs": "127.0.0.0/8"})
        cls.node.create_org("acme")
        cls.receiver = Receiver()
        cls.sink = SMTPSink()
        cls.base = f"http://127.0.0.1:{cls.receiver.server_address[1]}"

    @classmethod
    def tearDownClass(cls):
        cls.receiver.shutdown()
        cls.sink.shutdown()
        super().tearDownClass()

    def config(self, ws, expect=201, **attrs):
        status, doc, _ = self.node.request(
            "POST", f"/api/v2/workspaces/{ws['id']}/notification-configurations",
            {"data": {"type": "notification-configurations", "attributes": attrs}})
        self.assertEqual(status, expect, doc)
        return doc

    def plan(self, ws):
        """Uploads a configuration and runs a plan; returns the run id once it finished."""
        n = self.node
        cv = n.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions", {"data": {
            "type": "configuration-versions", "attributes": {"auto-queue-runs": False}}})["data"]
        path = cv["attributes"]["upload-url"].split(n.settings["hostname"], 1)[1]
        status, _, _ = n.request("PUT", path, body=make_slug({"main.tf": b'output "x" {\n  value = 1\n}\n'}),
                                 token=False,
                                 headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(status, 200)
        run = n.api("POST", "/api/v2/runs", {"data": {
            "type": "runs", "attributes": {"plan-only": True}, "relationships": {
                "workspace": {"data": {"type": "workspaces", "id": ws["id"]}}}}})["data"]
        wait_for(lambda: n.api("GET", f"/api/v2/runs/{run['id']}")["data"]["attributes"][
            "status"] in ("planned_and_finished", "errored"), what="the plan")
        return run["id"]

    def check_signature(self, headers, body):
        want = hmac.new(TOKEN.encode(), body, hashlib.sha512).hexdigest()
        self.assertEqual(headers.get("X-TFE-Notification-Signature"), want)

    def test_generic_webhook_signed_and_retried(self):
        ws = self.node.create_workspace("acme", "hooks")
        made = self.config(ws, name="ci", **{"destination-type": "generic"}, url=self.base + "/ok",
                           token=TOKEN, enabled=True,
                           triggers=["run:created", "run:planning", "run:completed"])["data"]
        self.assertIsNone(made["attributes"]["token"])  # write-only
        self.assertEqual(made["relationships"]["subscribable"]["data"]["id"], ws["id"])
        self.receiver.fail["/flaky"] = 2
        self.config(ws, name="flaky", **{"destination-type": "generic"},
                    url=self.base + "/flaky", token=TOKEN, enabled=True,
                    triggers=["run:created"])
        self.config(ws, name="off", **{"destination-type": "generic"}, url=self.base + "/off",
                    enabled=False, triggers=["run:created"])
        run_id = self.plan(ws)
        got = wait_for(lambda: len(self.receiver.at("/ok")) >= 3 and self.receiver.at("/ok"),
                       what="three notifications")
        triggers = []
        for _, headers, body, _ in got:
            self.check_signature(headers, body)
            p = json.loads(body)
            self.assertEqual((p["payload_version"], p["run_id"], p["workspace_name"],
                              p["organization_name"], p["notification_configuration_id"]),
                             (1, run_id, "hooks", "acme", made["id"]))
            self.assertIn(f"/app/acme/workspaces/hooks/runs/{run_id}", p["run_url"])
            triggers.append(p["notifications"][0]["trigger"])
        self.assertEqual(sorted(triggers), ["run:completed", "run:created", "run:planning"])
        # the flaky receiver answered 500 twice: the third attempt, after back-off, is accepted
        flaky = wait_for(lambda: len(self.receiver.at("/flaky")) >= 3 and
                         self.receiver.at("/flaky"), what="three attempts")
        self.assertEqual(len({r[2] for r in flaky}), 1)  # the same message each time
        gaps = [b[3] - a[3] for a, b in zip(flaky, flaky[1:])]
        self.assertTrue(gaps[0] >= 0.9 and gaps[1] >= 1.9, gaps)  # 1 s, then 2 s
        listed = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/notification-configurations")
        (flaky_cfg,) = [c for c in listed["data"] if c["attributes"]["name"] == "flaky"]
        history = flaky_cfg["attributes"]["delivery-responses"]
        self.assertEqual([(h["code"], h["successful"]) for h in history],
                         [("200", True), ("500", False), ("500", False)])
        time.sleep(1.5)
        self.assertEqual(len(self.receiver.at("/flaky")), 3)  # delivered once, not again
        self.assertEqual(self.receiver.at("/off"), [])

    def test_verify_and_slack(self):
        ws = self.node.create_workspace("acme", "verify")
        cfg = self.config(ws, name="v", **{"destination-type": "generic"},
                          url=self.base + "/verify", token=TOKEN, enabled=True)["data"]
        after = self.node.api("POST",
                              f"/api/v2/notification-configurations/{cfg['id']}/actions/verify")
        (resp,) = after["data"]["attributes"]["delivery-responses"]
        self.assertEqual((resp["code"], resp["successful"], resp["body"]), ("200", True, "ok"))
        (req,) = self.receiver.at("/verify")
        self.check_signature(req[1], req[2])
        p = json.loads(req[2])
        self.assertEqual(p["notifications"][0]["trigger"], "verification")
        self.assertIsNone(p["run_id"])
        slack = self.config(ws, name="s", **{"destination-type": "slack"},
                            url=self.base + "/slack", enabled=True)["data"]
        self.node.api("POST", f"/api/v2/notification-configurations/{slack['id']}/actions/verify")
        (req,) = self.receiver.at("/slack")
        self.assertIn("Verification of s", json.loads(req[2])["text"])
        # an unreachable destination is recorded as a failed attempt, not an error
        dead = self.config(ws, name="dead", **{"destination-type": "generic"},
                           url="http://127.0.0.1:9/", enabled=True)["data"]
        after = self.node.api("POST",
                              f"/api/v2/notification-configurations/{dead['id']}/actions/verify")
        (resp,) = after["data"]["attributes"]["delivery-responses"]
        self.assertEqual((resp["code"], resp["successful"]), ("0", False))

    def test_email_through_smtp(self):
        status, _, _ = self.node.request("PATCH", "/api/v2/admin/smtp-settings", {"data": {
            "type": "smtp-settings", "attributes": {"enabled": True, "host": "", "port": 25}}})
        self.assertEqual(status, 422)
        smtp = self.node.api("PATCH", "/api/v2/admin/smtp-settings", {"data": {
            "type": "smtp-settings", "attributes": {
                "enabled": True, "host": "127.0.0.1", "port": self.sink.server_address[1],
                "sender": "strata@example.test", "auth": "none", "password": "unused"}}})
        self.assertNotIn("password", smtp["data"]["attributes"])
        ws = self.node.create_workspace("acme", "mail")
        me = self.node.api("GET", "/api/v2/account/details")["data"]
        self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/notification-configurations", {
            "data": {"type": "notification-configurations", "attributes": {
                "name": "mail", "destination-type": "email", "enabled": True,
                "triggers": ["run:completed"], "email-addresses": ["ops@example.test"]},
                "relationships": {"users": {"data": [{"type": "users", "id": me["id"]}]}}}})
        self.plan(ws)
        rcpt, data = wait_for(lambda: self.sink.messages and self.sink.messages[-1],
                              what="an email")
        self.assertEqual(sorted(rcpt), ["admin@example.test", "ops@example.test"])
        self.assertIn("Subject: [Strata] Run Completed in mail", data)
        self.assertIn("/app/acme/workspaces/mail/runs/run-", data)

    def test_bad_configurations_are_refused(self):
        ws = self.node.create_workspace("acme", "bad")
        for attrs, pointer in (
                ({"name": "x", "destination-type": "pager"}, "destination-type"),
                ({"name": "x", "destination-type": "generic"}, "url"),
                ({"name": "x", "destination-type": "generic", "url": "ftp://h/"}, "url"),
                ({"name": "x", "destination-type": "generic", "url": "http://h/",
                  "triggers": ["run:exploded"]}, "triggers"),
                ({"name": "x", "destination-type": "email", "email-addresses": ["not-mail"]},
                 "email-addresses"),
                ({"destination-type": "generic", "url": "http://h/"}, "name")):
            doc = self.config(ws, expect=422, **attrs)
            self.assertEqual(doc["errors"][0]["source"]["pointer"],
                             f"/data/attributes/{pointer}", attrs)
        listed = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/notification-configurations")
        self.assertEqual(listed["data"], [])
        # another organization's user sees nothing
        status, _, _ = self.node.request(
            "GET", f"/api/v2/workspaces/{ws['id']}/notification-configurations", token=False)
        self.assertEqual(status, 401)


if __name__ == "__main__":
    main()
