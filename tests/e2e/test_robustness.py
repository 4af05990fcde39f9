"""Issue 29's findings, one regression test each: no request stops or stalls a node. A token
holder's request on a missing workspace's tags (it crashed the node), paging numbers that
overflowed, a missing parent answered 500, lenient HTTP parsing (NUL in a path, header fields
not to RFC 9112, over-limit headers and bodies over TLS), and the event loop kept busy by
uploads. Each test ends with the node still healthy; the sandbox fails the class when the node
exits non-zero (a sanitizer report)."""
import io
import json
import socket
import ssl
import statistics
import tarfile
import threading
import time

from harness import NodeTest, main


def big_slug(entries):
    """A configuration tar.gz of many small files: unpacking and checking it takes a while."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        main_tf = b'resource "terraform_data" "a" {}\n'
        info = tarfile.TarInfo("main.tf")
        info.size = len(main_tf)
        t.addfile(info, io.BytesIO(main_tf))
        for i in range(entries):
            data = b"x" * 16
            info = tarfile.TarInfo(f"files/f{i}.txt")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class RobustnessTest(NodeTest):
    sandbox_name = "robust"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.node.create_org("acme")
        cls.ws = cls.node.create_workspace("acme", "app")

    def alive(self):
        status, _, _ = self.node.request("GET", "/_health_check", token=False)
        self.assertEqual(status, 200)

    def raw(self, data, timeout=10):
        """Sends data over TLS and reads until the node closes or goes quiet."""
        ctx = ssl.create_default_context(cafile=self.sandbox.ca.cert)
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", self.node.port),
                                                     timeout=timeout),
                            server_hostname="localhost")
        out = b""
        try:
            s.sendall(data)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except (socket.timeout, ssl.SSLError, ConnectionResetError, BrokenPipeError):
            pass
        s.close()
        return out

    # -- finding 1: a missing workspace's tags crashed the node --
    def test_tags_of_a_missing_workspace_are_404_not_a_crash(self):
        body = {"data": [{"type": "tags", "attributes": {"name": "x"}}]}
        for method in ("POST", "DELETE"):
            for _ in range(20):
                status, doc, _ = self.node.request(
                    method, "/api/v2/workspaces/ws-doesnotexist000/relationships/tags", body)
                self.assertEqual(status, 404, doc)
        self.alive()

    # -- finding 2: arithmetic on paging numbers overflowed --
    def test_paging_numbers_are_bounded_and_overflow_is_refused(self):
        huge = "9223372036854775807"
        # the audit trail answered with a signed overflow (UBSan stopped the node)
        status, doc, _ = self.node.request(
            "GET", f"/api/v2/organizations/acme/audit-trail?page%5Bnumber%5D={huge}")
        self.assertEqual(status, 400, doc)
        self.assertIn("page[number]", doc["errors"][0]["detail"])
        lists = ["/api/v2/organizations/acme/workspaces", "/api/v2/organizations",
                 f"/api/v2/workspaces/{self.ws['id']}/vars",
                 "/api/v2/state-versions?filter%5Bworkspace%5D%5Bname%5D=app&"
                 "filter%5Borganization%5D%5Bname%5D=acme"]
        for path in lists:
            sep = "&" if "?" in path else "?"
            for param, value in (("number", huge), ("number", "0"), ("number", "-1"),
                                 ("number", "x"), ("number", "1.5"), ("number", "%201"),
                                 ("size", "0"), ("size", "99999999999999999999"),
                                 ("size", "+5")):
                status, doc, _ = self.node.request(
                    "GET", f"{path}{sep}page%5B{param}%5D={value}")
                self.assertEqual(status, 422, (path, param, value, doc))
                self.assertIn(f"page[{param}]", doc["errors"][0]["detail"])
            # TFE caps page[size] at 100 and defaults to 20
            status, doc, _ = self.node.request("GET", f"{path}{sep}page%5Bsize%5D=1000")
            self.assertEqual(status, 200, doc)
            self.assertEqual(doc["meta"]["pagination"]["page-size"], 100)
            status, doc, _ = self.node.request("GET", path)
            self.assertEqual(doc["meta"]["pagination"]["page-size"], 20)
            # a page far past the end is empty, not an error
            status, doc, _ = self.node.request("GET", f"{path}{sep}page%5Bnumber%5D=92233720368547758")
            self.assertEqual((status, doc["data"]), (200, []), path)
        self.alive()

    # -- finding 4: a missing parent answered 500 "storage error" (a foreign key) --
    def test_a_missing_parent_is_404_before_any_insert(self):
        def doc(kind, **attrs):
            return {"data": {"type": kind, "attributes": attrs}}
        key = "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n"
        org = "/api/v2/organizations/no-such-org"
        cases = [
            (f"{org}/teams", doc("teams", name="t1")),
            (f"{org}/workspaces", doc("workspaces", name="w1")),
            (f"{org}/ssh-keys", doc("ssh-keys", name="k", value=key)),
            (f"{org}/authentication-token", None),
            (f"{org}/organization-memberships", doc("organization-memberships",
                                                    email="admin@example.test")),
            (f"{org}/registry-modules", doc("registry-modules", name="m", provider="aws",
                                            **{"registry-name": "private"})),
            (f"{org}/registry-providers", doc("registry-providers", name="p",
                                              namespace="no-such-org",
                                              **{"registry-name": "private"})),
            ("/api/v2/users/user-nosuchuser/authentication-tokens",
             doc("authentication-tokens", description="x")),
        ]
        for path, body in cases:
            status, doc_, _ = self.node.request("POST", path, body)  # the site admin's token
            self.assertEqual(status, 404, (path, doc_))
            self.assertIn("not found", doc_["errors"][0]["detail"])
        log = self.node.read_log()
        self.assertNotIn("constraint failed", log)  # refused before the insert
        self.assertNotIn("violates foreign key", log)
        self.alive()

    # -- finding 5: lenient parsing --
    def request_head(self, method, path, *lines):
        head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n"
        head += f"Authorization: Bearer {self.node.token}\r\n"
        return (head + "".join(line + "\r\n" for line in lines) + "\r\n").encode()

    def status_of(self, out):
        self.assertTrue(out.startswith(b"HTTP/1.1 "), out[:200])
        return int(out[9:12])

    def test_control_characters_in_a_path_are_refused(self):
        for bad in ("%00", "%01", "%0a", "%7f"):
            out = self.raw(self.request_head("GET", f"/api/v2/organizations/acme{bad}/workspaces"))
            self.assertEqual(self.status_of(out), 400, bad)
            self.assertIn(b"control character", out)
        out = self.raw(self.request_head("GET", "/api/v2/organizations/acme/workspaces"))
        self.assertEqual(self.status_of(out), 200)

    def test_header_fields_are_read_to_rfc_9112(self):
        chunked_body = "5\r\nhello\r\n0\r\n\r\n"
        cases = {
            "space before the colon": ["Transfer-Encoding : chunked"],
            "obs-fold after an empty value": ["Transfer-Encoding:", " chunked"],
            "obs-fold of a value": ["Transfer-Encoding: gzip,", "\tchunked"],
            "obs-fold of another header": ["X-Note: a", " b", "Content-Length: 0"],
            "content-length and chunked": ["Content-Length: 5", "Transfer-Encoding: chunked"],
            "two content-lengths": ["Content-Length: 5", "Content-Length: 6"],
        }
        for name, lines in cases.items():
            out = self.raw(self.request_head("POST", "/api/v2/organizations", *lines) +
                           chunked_body.encode())
            self.assertEqual(self.status_of(out), 400, (name, out[:300]))
            self.assertIn(b"Connection: close", out, name)
        self.alive()

    def test_over_limit_heads_get_431_over_tls_at_any_size(self):
        for size in (100 << 10, 1 << 20, 8 << 20):
            out = self.raw(self.request_head("GET", "/api/v2/organizations",
                                             "X-Big: " + "a" * size), timeout=60)
            self.assertEqual(self.status_of(out), 431, size)
        for count in (150,):
            out = self.raw(self.request_head("GET", "/api/v2/organizations",
                                             *[f"X-H{i}: v" for i in range(count)]))
            self.assertEqual(self.status_of(out), 431, count)
        self.alive()

    def test_over_limit_bodies_get_413_over_tls_at_any_size(self):
        # /session takes 4 KiB; the API's default is 16 MiB and past 64 MiB the node stops reading
        for path, size in (("/session", 1 << 20), ("/api/v2/organizations", 20 << 20),
                           ("/api/v2/organizations", 80 << 20)):
            head = self.request_head("POST", path, "Content-Type: application/vnd.api+json",
                                     f"Content-Length: {size}")
            out = self.raw(head + b"x" * size, timeout=120)
            self.assertEqual(self.status_of(out), 413, (path, size))
        self.alive()

    # -- finding 3: work on the event loop stalled everyone on it --
    def health_during(self, work, count=4):
        """Runs work(i) in count threads while probing /_health_check on a kept-alive connection
        every 20 ms; returns work's results."""
        probe = "/_health_check"
        results = []
        threads = [threading.Thread(target=lambda i=i: results.append(work(i)))
                   for i in range(count)]
        conn = self.node.connection()
        conn.request("GET", probe)  # TLS set-up is not timed
        conn.getresponse().read()
        for t in threads:
            t.start()
        times = []
        while any(t.is_alive() for t in threads):
            start = time.monotonic()
            conn.request("GET", probe)
            resp = conn.getresponse()
            resp.read()
            times.append((time.monotonic() - start) * 1000)
            self.assertIn(resp.status, (200, 204))
            time.sleep(0.02)
        for t in threads:
            t.join()
        conn.close()
        self.assertGreater(len(times), 3, "the work ended before health was measured")
        ordered = sorted(times)
        p90 = ordered[int(len(ordered) * 0.9) - 1] if len(ordered) >= 10 else ordered[-1]
        print(f"health: {len(times)} probes, median {statistics.median(times):.1f} ms, "
              f"p90 {p90:.1f} ms, max {max(times):.1f} ms")
        # the loop answers within 50 ms; one probe in ten may be late for the machine's sake
        # (the test host's other work competes for its cores), none by the node's
        self.assertLess(p90, 50, times)
        self.assertLess(max(times), 500, times)
        return results

    def test_health_answers_within_50ms_while_uploads_are_checked(self):
        slug = big_slug(40000)
        paths = []
        for _ in range(4):
            cv = self.node.api("POST", f"/api/v2/workspaces/{self.ws['id']}/configuration-versions",
                               {"data": {"type": "configuration-versions",
                                         "attributes": {"auto-queue-runs": False}}})
            url = cv["data"]["attributes"]["upload-url"]
            paths.append(url.split(self.node.settings["hostname"], 1)[1])

        def upload(i):
            return self.node.request("PUT", paths[i], body=slug, token=False,
                                     headers={"Content-Type": "application/octet-stream"})[0]

        self.assertEqual(self.health_during(upload), [200] * 4)

    def test_health_answers_within_50ms_while_5mb_json_values_are_parsed(self):
        # encoded before and not decoded after: the client's own JSON work would hold Python's
        # lock against the probing thread and be timed as the node's
        body = json.dumps({"data": {"type": "workspaces", "attributes": {
            "description": "\u00e9\n\"" * (5 << 18)}}}).encode()

        def patch(i):
            return self.node.request("PATCH", f"/api/v2/workspaces/{self.ws['id']}", body,
                                     headers={"Content-Type": "application/vnd.api+json"},
                                     raw=True)[0]

        self.assertEqual(self.health_during(patch), [200] * 4)


if __name__ == "__main__":
    main()
