"""The HTTP layer against clients that misbehave: garbage, oversized headers, pipelining,
chunked bodies, a client that vanishes mid-upload, slow drips. The node must answer what it can
and keep serving everyone else."""
import os
import socket
import ssl
import time

from harness import NodeTest, main


class HTTPTest(NodeTest):
    sandbox_name = "http"

    def raw(self, data, read=True, timeout=10):
        ctx = ssl.create_default_context(cafile=self.sandbox.ca.cert)
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", self.node.port), timeout=timeout),
                            server_hostname="localhost")
        s.sendall(data)
        out = b""
        if read:
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    out += chunk
            except (socket.timeout, ssl.SSLError, ConnectionResetError):
                pass
        s.close()
        return out

    def alive(self):
        status, _, _ = self.node.request("GET", "/_health_check", token=False)
        self.assertEqual(status, 200)

    def test_garbage_gets_400_and_the_node_lives(self):
        out = self.raw(b"HELLO THERE\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 400"), out[:80])
        self.alive()

    def test_oversized_header_is_refused(self):
        out = self.raw(b"GET /api/v2/ping HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 +
                       b"\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 4"), out[:80])
        self.alive()

    def test_pipelined_requests_are_answered_in_order(self):
        req = b"GET /api/v2/ping HTTP/1.1\r\nHost: x\r\n\r\n"
        last = b"GET /.well-known/terraform.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        out = self.raw(req + req + last)
        self.assertEqual(out.count(b"HTTP/1.1 204"), 2)
        # the last answer, the discovery document, comes last and whole
        self.assertTrue(out.rstrip().endswith(b'"providers.v1":"/api/registry/v1/providers/"}'),
                        out[-80:])

    def test_chunked_json_body(self):
        body = (b'{"data":{"type":"organizations","attributes":{"name":"chunky",'
                b'"email":"a@b.c"}}}')
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 10]), body[i:i + 10])
                          for i in range(0, len(body), 10)) + b"0\r\n\r\n"
        out = self.raw(b"POST /api/v2/organizations HTTP/1.1\r\nHost: x\r\nAuthorization: "
                       b"Bearer " + self.node.token.encode() + b"\r\nTransfer-Encoding: chunked\r\n"
                       b"Content-Type: application/vnd.api+json\r\nConnection: close\r\n\r\n" + chunks)
        self.assertTrue(out.startswith(b"HTTP/1.1 201"), out[:200])

    def test_client_vanishing_mid_upload_leaves_nothing(self):
        ws = self.node.create_workspace(self.org(), "vanish")
        self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/actions/lock", {})
        sv = self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/state-versions", {"data": {
            "type": "state-versions", "attributes": {"serial": 1, "md5": "0" * 32}}})["data"]
        path = sv["attributes"]["hosted-state-upload-url"].split(self.node.settings["hostname"])[1]
        self.raw(b"PUT " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"
                 + b"x" * 5000, read=False)
        time.sleep(0.5)
        self.alive()
        status, _, _ = self.node.request("GET", f"/api/v2/workspaces/{ws['id']}/current-state-version")
        self.assertEqual(status, 404)
        self.assertNotIn("ERROR", self.node.read_log())
        self.assertFalse([k for k in self.node.blob_keys() if ".tmp-" in k or "state-versions" in k])

    def test_many_connections_at_once(self):
        ctx = ssl.create_default_context(cafile=self.sandbox.ca.cert)
        socks = [ctx.wrap_socket(socket.create_connection(("127.0.0.1", self.node.port)),
                                 server_hostname="localhost") for _ in range(100)]
        for s in socks:
            s.sendall(b"GET /api/v2/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answered = sum(s.recv(100).startswith(b"HTTP/1.1 204") for s in socks)
        for s in socks:
            s.close()
        self.assertEqual(answered, 100)
        self.alive()

    def org(self):
        if not getattr(self, "_org", None):
            self.node.create_org("http-org")
            HTTPTest._org = "http-org"
        return "http-org"


if __name__ == "__main__":
    main()
