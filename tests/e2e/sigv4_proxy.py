"""sigv4_proxy.py — stands in front of the S3-compatible test server, which does not check
signatures, and checks every request's AWS Signature Version 4 with botocore's signer
(Debian's python3-botocore) before passing it on. A request whose signature botocore does not
compute the same way gets S3's SignatureDoesNotMatch (403) and is counted, so every test that
runs nodes on S3 also proves our signing.

usage: sigv4_proxy.py LISTEN_PORT UPSTREAM_PORT ACCESS_KEY SECRET_KEY STATS_FILE
"""
import os
import http.client
import http.server
import re
import sys
import threading
from urllib.parse import urlsplit

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

LISTEN, UPSTREAM = int(sys.argv[1]), int(sys.argv[2])
ACCESS, SECRET, STATS = sys.argv[3], sys.argv[4], sys.argv[5]
AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,\s*"
                  r"SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$")
lock = threading.Lock()
stats = {"verified": 0, "refused": 0, "denied": 0}


def record(key, detail=""):
    with lock:
        stats[key] += 1
        # a new file renamed over the old one: a reader never sees it half written
        with open(STATS + ".tmp", "w") as f:
            f.write(f"verified {stats['verified']}\nrefused {stats['refused']}\n{detail}\n")
        os.replace(STATS + ".tmp", STATS)


def expected_signature(method, path, headers, region, signed):
    """What botocore computes for this request, signed with the secret we expect."""
    hdrs = {name: headers[name] for name in signed}
    split = urlsplit(path)
    req = AWSRequest(method=method, url=f"http://{headers['host']}{split.path}"
                     + (f"?{split.query}" if split.query else ""), headers=hdrs)
    auth = S3SigV4Auth(Credentials(ACCESS, SECRET), "s3", region)
    req.context["timestamp"] = headers["x-amz-date"]
    canonical = auth.canonical_request(req)
    return auth.signature(auth.string_to_sign(req, canonical), req), canonical


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def refuse(self, why, kind="refused"):
        record(kind, why)
        body = (f"<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code>"
                f"<Message>{why}</Message></Error>").encode()
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(403)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        headers = {k.lower(): v.strip() for k, v in self.headers.items()}
        m = AUTH.match(headers.get("authorization", ""))
        if not m:
            return self.refuse("no SigV4 Authorization header")
        access, date, region, service, signed, signature = m.groups()
        signed = signed.split(";")
        if access != ACCESS:
            return self.refuse("unknown access key", "denied")  # S3's InvalidAccessKeyId
        if service != "s3" or not headers.get("x-amz-date", "").startswith(date):
            return self.refuse("wrong credential scope")
        if "host" not in signed or any(h not in headers for h in signed):
            return self.refuse(f"signed headers {signed} missing from the request")
        want, canonical = expected_signature(self.command, self.path, headers, region, signed)
        if want != signature:
            return self.refuse(f"botocore computes {want} for:\n{canonical}\n"
                               f"request: {self.command} {self.path}\n{self.headers}")
        record("verified")
        length = int(headers.get("content-length") or 0)
        up = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=120)
        up.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            up.putheader(k, v)
        up.endheaders()
        left = length
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                break
            up.send(chunk)
            left -= len(chunk)
        resp = up.getresponse()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "keep-alive", "date", "server"):
                self.send_header(k, v)
        body_len = resp.getheader("Content-Length")
        if body_len is None and self.command != "HEAD":
            data = resp.read()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            self.end_headers()
            while self.command != "HEAD":
                chunk = resp.read(1 << 20)
                if not chunk:
                    break
                self.wfile.write(chunk)
        up.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


try:  # a proxy started again goes on counting
    with open(STATS) as f:
        lines = f.read().split("\n")
    stats = {"verified": int(lines[0].split()[1]), "refused": int(lines[1].split()[1])}
except OSError:
    with open(STATS, "w") as f:
        f.write("verified 0\nrefused 0\n")
server = http.server.ThreadingHTTPServer(("127.0.0.1", LISTEN), Proxy)
server.daemon_threads = True
server.serve_forever()
