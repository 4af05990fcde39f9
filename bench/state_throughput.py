#!/usr/bin/env python3
"""state_throughput.py — uploads and downloads a 100 MB state file through Strata's API (the
hosted URLs terraform uses) and prints the throughput beside a plain file copy on the same disk,
and the node's memory before and after (VmRSS at rest, VmHWM peak): it must stay flat, since
bodies are streamed, never buffered.

usage: python3 bench/state_throughput.py [--size-mb 100] [--rounds 5] [--s3] [--bin build/strata]
Build first (bash scripts/run.sh builds build/strata in Release, or cmake --build build)."""
import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
import harness  # noqa: E402


def vm(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def make_state(path, size):
    """A valid state file of about size bytes; returns its MD5."""
    md5 = hashlib.md5()
    head = json.dumps({"version": 4, "terraform_version": "1.11.4", "serial": 1,
                       "lineage": "bench-0000-0000-0000-000000000000", "outputs": {}})[:-1]
    head += ', "resources": [{"mode": "managed", "type": "terraform_data", "name": "big", ' \
            '"provider": "provider[\\"terraform.io/builtin/terraform\\"]", "instances": ' \
            '[{"schema_version": 0, "attributes": {"id": "x", "input": {"value": "'
    tail = '", "type": "string"}}}]}]}\n'
    chunk = ("0123456789abcdef" * 4096).encode()
    with open(path, "wb") as f:
        for part in (head.encode(),):
            f.write(part)
            md5.update(part)
        left = size - len(head) - len(tail)
        while left > 0:
            piece = chunk[:min(len(chunk), left)]
            f.write(piece)
            md5.update(piece)
            left -= len(piece)
        f.write(tail.encode())
        md5.update(tail.encode())
    return md5.hexdigest()


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "build", "strata"))
    ap.add_argument("--s3", action="store_true",
                    help="blobs in the S3-compatible test server (PostgreSQL, Redis) instead of disk")
    args = ap.parse_args()
    harness.STRATA_BIN = os.path.abspath(args.bin)
    os.environ["STRATA_LOG"] = "info"
    size = args.size_mb * 1024 * 1024
    sb = harness.Sandbox("bench", external=args.s3)
    try:
        # straight to the S3 server: the signature-checking proxy of the tests is not measured
        node = sb.node(settings=sb.s3().direct_settings() if args.s3 else None)
        pid = node.proc.pid
        node.create_org("bench")
        ws = node.create_workspace("bench", "big")
        node.api("POST", f"/api/v2/workspaces/{ws['id']}/actions/lock", {"reason": "bench"})
        src = os.path.join(sb.root, "state.json")
        md5 = make_state(src, size)
        rss_idle = vm(pid, "VmRSS")
        hwm_idle = vm(pid, "VmHWM")

        base = f"https://localhost:{node.port}"
        copy = os.path.join(sb.root, "copy.json")
        back = os.path.join(sb.root, "back.json")

        def read_all(path):
            with open(path, "rb") as f:
                while f.read(1 << 20):
                    pass

        # curl as the client: a client in Python would measure Python's TLS and copies
        def upload(url):
            code = subprocess.run(["curl", "-sS", "--cacert", sb.ca.cert, "-X", "PUT", "-T", src,
                                   "-H", "Content-Type: application/octet-stream",
                                   "-o", "/dev/null", "-w", "%{http_code}", url],
                                  capture_output=True, text=True, check=True).stdout
            assert code == "200", code

        def download(url, dest):
            subprocess.run(["curl", "-sS", "--fail", "--cacert", sb.ca.cert, "-o", dest, url],
                           check=True)

        # each figure is the median of several rounds: one 100 MB transfer lasts a tenth of a
        # second, where a single sample of the machine's noise would decide the ratio
        t_copy, t_read, t_up, t_down = [], [], [], []
        for serial in range(1, args.rounds + 1):
            # reference: a plain copy and a plain read of the same file on the same disk
            t_copy.append(timed(lambda: (shutil.copyfile(src, copy),
                                         os.fsync(os.open(copy, os.O_RDONLY)))))
            t_read.append(timed(lambda: read_all(copy)))
            sv = node.api("POST", f"/api/v2/workspaces/{ws['id']}/state-versions", {"data": {
                "type": "state-versions", "attributes": {
                    "serial": serial, "md5": md5,
                    "lineage": "bench-0000-0000-0000-000000000000"}}})["data"]["attributes"]
            t_up.append(timed(lambda: upload(base + sv["hosted-state-upload-url"].split(
                node.settings["hostname"])[1])))
            cur = node.api("GET", f"/api/v2/workspaces/{ws['id']}/current-state-version")
            down = base + cur["data"]["attributes"]["hosted-state-download-url"].split(
                node.settings["hostname"])[1]
            # timed into /dev/null, as terraform keeps a state in memory: the client writing
            # the file to disk would take the cores the node needs; the last round's is verified
            t_down.append(timed(lambda: download(down, "/dev/null")))
        t_copy, t_read, t_up, t_down = (statistics.median(t) for t in (t_copy, t_read, t_up,
                                                                        t_down))
        download(down, back)
        got = hashlib.md5()
        with open(back, "rb") as f:
            while True:
                b = f.read(1 << 20)
                if not b:
                    break
                got.update(b)
        assert got.hexdigest() == md5, "downloaded state differs"
        hwm = vm(pid, "VmHWM")
        t_s3_up = t_s3_down = None
        if args.s3:  # the S3 server alone, the same file in one PUT and one GET with curl
            s3 = sb.s3()
            url = f"http://127.0.0.1:{s3.port}/{s3.bucket}/reference"
            sig = ["--aws-sigv4", "aws:amz:us-east-1:s3", "--user", f"{s3.access}:{s3.secret}",
                   "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-sS", "--fail"]
            t_s3_up = timed(lambda: subprocess.run(["curl", *sig, "-T", src, url, "-o",
                                                    "/dev/null"], check=True))
            t_s3_down = timed(lambda: subprocess.run(["curl", *sig, url, "-o", "/dev/null"],
                                                     check=True))
        mb = size / (1024 * 1024)
        print(f"state file: {mb:.0f} MiB, md5 verified on download; blobs on "
              f"{'S3 (s3rver, loopback)' if args.s3 else 'disk'}; medians of {args.rounds} rounds")
        print(f"{'':34}{'seconds':>9}{'MiB/s':>10}")
        print(f"{'plain copy (same disk, fsync)':34}{t_copy:9.2f}{mb / t_copy:10.1f}")
        print(f"{'plain read (same disk)':34}{t_read:9.2f}{mb / t_read:10.1f}")
        if t_s3_up:
            print(f"{'S3 server alone: curl PUT':34}{t_s3_up:9.2f}{mb / t_s3_up:10.1f}")
            print(f"{'S3 server alone: curl GET':34}{t_s3_down:9.2f}{mb / t_s3_down:10.1f}")
        print(f"{'strata upload (TLS, sealed, md5)':34}{t_up:9.2f}{mb / t_up:10.1f}")
        print(f"{'strata download (TLS, verified)':34}{t_down:9.2f}{mb / t_down:10.1f}")
        print(f"upload throughput {t_copy / t_up:.2f} of the plain copy's, download "
              f"{t_copy / t_down:.2f} of the plain copy's ({t_read / t_down:.2f} of the plain read's)")
        print(f"node memory: RSS at rest {rss_idle:.1f} MiB, peak before {hwm_idle:.1f} MiB, "
              f"peak after upload+download {hwm:.1f} MiB (growth {hwm - hwm_idle:.1f} MiB "
              f"for a {mb:.0f} MiB state)")
    finally:
        sb.close()


if __name__ == "__main__":
    main()
