#!/usr/bin/env python3
"""run_queue.py — starts 50 runs on 50 workspaces at once (API-driven: an upload queues each
run, auto-apply on) and prints how long runs waited in the queue (p50/p99, from creation to the
start of planning), how long each took, and runs per minute at the node's capacity_concurrency.

usage: python3 bench/run_queue.py [--runs 50] [--concurrency 10] [--bin build/strata]"""
import argparse
import datetime
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
import harness  # noqa: E402

CONFIG = b'resource "terraform_data" "r" {\n  input = "x"\n}\n'


def ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--concurrency", type=int, default=10)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "build", "strata"))
    args = ap.parse_args()
    harness.STRATA_BIN = os.path.abspath(args.bin)
    sb = harness.Sandbox("bench-queue")
    try:
        node = sb.node(settings={"capacity_concurrency": str(args.concurrency)})
        node.create_org("bench")
        body = harness.make_slug({"main.tf": CONFIG})
        uploads = []
        for i in range(args.runs):
            ws = node.create_workspace("bench", f"w{i}", **{"auto-apply": True})
            cv = node.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions",
                          {"data": {"type": "configuration-versions"}})["data"]
            uploads.append((ws, cv["attributes"]["upload-url"].split(node.settings["hostname"])[1]))
        t0 = time.time()
        for ws, path in uploads:  # each upload queues a run
            status, doc, _ = node.request("PUT", path, body=body, token=False)
            assert status == 200, doc
        runs = []
        while True:
            runs = [node.api("GET", f"/api/v2/workspaces/{ws['id']}/runs")["data"][0]
                    for ws, _ in uploads]
            if all(r["attributes"]["status"] in ("applied", "errored") for r in runs):
                break
            assert time.time() - t0 < 1200, "runs did not finish"
            time.sleep(0.5)
        wall = time.time() - t0
        errored = sum(r["attributes"]["status"] == "errored" for r in runs)
        waits, durations = [], []
        for r in runs:
            a = r["attributes"]
            st = a["status-timestamps"]
            waits.append(ts(st["planning-at"]) - ts(a["created-at"]))
            durations.append(ts(st["applied-at"]) - ts(st["planning-at"]))
        print(f"{args.runs} runs on {args.runs} workspaces, capacity_concurrency {args.concurrency}"
              f" ({os.cpu_count()} cores); {errored} errored")
        print(f"  queue wait (created -> planning)  p50 {pct(waits, 50):6.2f} s   p99 {pct(waits, 99):6.2f} s")
        print(f"  run time (planning -> applied)    p50 {pct(durations, 50):6.2f} s   p99 {pct(durations, 99):6.2f} s")
        print(f"  all done in {wall:.1f} s: {args.runs / wall * 60:.0f} runs per minute"
              f" (one run alone: {statistics.median(durations):.2f} s)")
    finally:
        sb.close()


if __name__ == "__main__":
    main()
