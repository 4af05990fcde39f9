"""Client addresses behind the balancer: HAProxy sends each node a PROXY protocol v2 header, and
the nodes (trusted_proxies lists the balancer) take the client's address from it. Wrong
passwords from one client do not lock another out of the same account; the audit trail records
the client. A client that connects straight to a node cannot claim an address with a header of
its own, and a balancer's connection must start with a valid one (raw sockets)."""
import json
import socket
import ssl
import struct
import time
import unittest

import services
from harness import Node, main
from test_cluster import Cluster

PASSWORD = "a long owner password"
BALANCER = services.HAProxy.SOURCE
V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


class From(Node):
    """A client of the balancer (or of a node) whose connections leave from source."""

    def __init__(self, node, source):  # pylint: disable=super-init-not-called
        self.__dict__.update(node.__dict__)
        self.source = source

    def connection(self, timeout=60):
        conn = super().connection(timeout)
        conn.source_address = (self.source, 0)
        return conn


def v2_header(source, command=0x21, family=0x11):
    addr = socket.inet_aton(source) + socket.inet_aton("127.0.0.1") + struct.pack("!HH", 4000, 443)
    return V2_SIG + bytes([command, family]) + struct.pack("!H", len(addr)) + addr


class ClientAddressTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("clientaddr", nodes=2)
        cls.front = cls.c.front
        cls.front.create_org("acme")
        cls.front.api("POST", "/api/v2/admin/users", {"data": {"type": "users", "attributes": {
            "username": "owner", "email": "owner@example.test", "password": PASSWORD}}})

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def sign_in(self, client, password, username="owner"):
        status, pair, headers = client.request("GET", "/session/token", token=False)
        self.assertEqual(status, 200)
        return client.request("POST", "/session", body=json.dumps(
            {"username": username, "password": password}), token=False,
            headers={"Content-Type": "application/json", "X-CSRF-Token": pair["csrf-token"],
                     "Cookie": headers["Set-Cookie"].split(";")[0]})

    def audit_addresses(self):
        doc = self.front.api("GET", "/api/v2/organizations/acme/audit-trail")
        return [e["request"]["address"] for e in doc["data"]]

    def raw(self, source, prefix, path="/_health_check", body=b""):
        """Connects from source straight to a node, sends prefix, then a request over TLS (a
        POST of body when there is one); returns (status, body) or raises OSError when the node
        closes the connection."""
        s = socket.socket()
        s.settimeout(10)
        s.bind((source, 0))
        s.connect(("127.0.0.1", self.c.nodes[0].port))
        if prefix:
            s.sendall(prefix)
        ctx = ssl.create_default_context(cafile=self.c.sandbox.ca.cert)
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            t.sendall(f"{'POST' if body else 'GET'} {path} HTTP/1.1\r\nHost: localhost\r\n"
                      f"Connection: close\r\nContent-Length: {len(body)}\r\n"
                      "Content-Type: application/vnd.api+json\r\n"
                      f"Authorization: Bearer {self.front.token}\r\n\r\n".encode() + body)
            data = b""
            while chunk := t.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        if not head:
            raise ConnectionError("closed without an answer")
        return int(head.split()[1]), body

    def test_one_client_cannot_lock_another_out(self):
        attacker, owner = From(self.front, "127.0.0.2"), From(self.front, "127.0.0.3")
        for _ in range(5):
            self.assertEqual(self.sign_in(attacker, "wrong password")[0], 401)
        status, doc, _ = self.sign_in(attacker, PASSWORD)
        self.assertEqual(status, 429, doc)  # the attacker's address is throttled...
        status, doc, _ = self.sign_in(owner, PASSWORD)
        self.assertEqual(status, 201, doc)  # ...the owner's, behind the same balancer, is not

    def test_audit_trail_records_the_client(self):
        client = From(self.front, "127.0.0.4")
        client.api("POST", "/api/v2/organizations/acme/workspaces",
                   {"data": {"type": "workspaces", "attributes": {"name": "from-four"}}})
        self.assertIn("127.0.0.4", self.audit_addresses())
        self.assertFalse([a for a in self.audit_addresses() if BALANCER in a])

    def test_a_trusted_balancer_names_the_client(self):
        # what HAProxy does, by hand: v2 and v1 headers from the balancer's address
        for name, header, client in (
                ("v2", v2_header("203.0.113.7"), "203.0.113.7"),
                ("v1", b"PROXY TCP4 203.0.113.8 127.0.0.1 4000 443\r\n", "203.0.113.8"),
                ("v1-6", b"PROXY TCP6 2001:db8::8 ::1 4000 443\r\n", "2001:db8::8")):
            body = json.dumps({"data": {"type": "workspaces", "attributes": {"name": name}}})
            status, answer = self.raw(BALANCER, header, "/api/v2/organizations/acme/workspaces",
                                      body.encode())
            self.assertEqual(status, 201, answer)
            self.assertIn(client, self.audit_addresses())
        self.assertEqual(self.raw(BALANCER, V2_SIG + b"\x20\x00\x00\x00")[0], 200)  # LOCAL

    def test_a_client_cannot_claim_an_address(self):
        direct = "127.0.0.5"
        self.assertEqual(self.raw(direct, b"")[0], 200)  # a client may reach a node directly
        for forged in (v2_header("203.0.113.9"),
                       b"PROXY TCP4 203.0.113.9 127.0.0.1 4000 443\r\n"):
            with self.assertRaises(OSError):
                self.raw(direct, forged)

    def test_a_balancer_must_send_a_valid_header(self):
        bad = {
            "none": b"",
            "too long": b"PROXY TCP4 " + b"1" * 120 + b"\r\n",
            "bad signature": b"\r\n\r\n\x00\r\nQUIZ\n\x21\x11\x00\x0c" + bytes(12),
            "wrong family": b"PROXY TCP4 2001:db8::1 127.0.0.1 4000 443\r\n",
            "wrong v2 family": v2_header("203.0.113.9", family=0x41),
            "UDP": v2_header("203.0.113.9", family=0x12),
            "bad v2 version": v2_header("203.0.113.9", command=0x11),
        }
        for name, prefix in bad.items():
            with self.subTest(name), self.assertRaises(OSError):
                self.raw(BALANCER, prefix)

    def test_a_slow_header_is_closed_without_stalling_the_node(self):
        s = socket.create_connection(("127.0.0.1", self.c.nodes[0].port), timeout=15,
                                     source_address=(BALANCER, 0))
        started = time.time()
        s.sendall(b"PROXY TCP4 ")
        # meanwhile the node answers others at once
        self.assertEqual(self.raw("127.0.0.6", b"")[0], 200)
        self.assertLess(time.time() - started, 2)
        # a byte a second does not extend the time limit (5 s for the whole header)
        s.settimeout(1)
        closed = False
        while not closed and time.time() - started < 12:
            try:
                closed = s.recv(1) == b""
            except socket.timeout:
                s.sendall(b"1")
            except ConnectionResetError:
                closed = True
        self.assertTrue(closed)
        self.assertLess(time.time() - started, 7)
        s.close()

if __name__ == "__main__":
    main()
