#!/usr/bin/env python3
"""remote_apply.py — the same trivial configuration (10 terraform_data resources) applied by
terraform locally and applied remotely through Strata, in one run: prints both times and their
ratio. When the project brief's recording mock is beside the checkout
(../shared/tools/trace-mock-remote.py) it also prints the CLI's own floor: the same remote apply
against a server that finishes every run at once.

usage: python3 bench/remote_apply.py [--rounds 5] [--bin build/strata]"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
import harness  # noqa: E402

CONFIG = '''
variable "n" {
  default = "1"
}
resource "terraform_data" "r" {
  count = 10
  input = "${var.n}-${count.index}"
}
'''


def timed(cmd, cwd, env):
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - t


def local_rounds(root, rounds):
    d = os.path.join(root, "local")
    os.makedirs(d)
    with open(os.path.join(d, "main.tf"), "w") as f:
        f.write(CONFIG)
    env = dict(os.environ, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
    subprocess.run([harness.TERRAFORM, "init", "-input=false"], cwd=d, env=env, check=True,
                   capture_output=True)
    return [timed([harness.TERRAFORM, "apply", "-auto-approve", "-input=false", "-var",
                   f"n={i}"], d, env) for i in range(rounds)]


def unsandboxed_path():
    """A PATH like this one without bwrap: a node started with it runs terraform unsandboxed
    (allow_unsandboxed_runs), the reference the sandbox's cost is read against."""
    d = tempfile.mkdtemp(prefix="strata-bench-path-")
    os.chmod(d, 0o755)
    for folder in os.environ.get("PATH", "/usr/bin:/bin").split(":"):
        if not os.path.isdir(folder):
            continue
        for name in os.listdir(folder):
            if name != "bwrap" and not os.path.exists(os.path.join(d, name)):
                os.symlink(os.path.join(folder, name), os.path.join(d, name))
    return d


def strata_rounds(sb, rounds, sandboxed=True):
    name = "remote" if sandboxed else "unsandboxed"
    node = sb.node(name, settings=None if sandboxed else {"allow_unsandboxed_runs": "1"},
                   start=False)
    path = None if sandboxed else unsandboxed_path()
    if path:
        node.env = {"PATH": path}
    node.start()
    node.create_admin()
    node.create_org("bench")
    tf = harness.Terraform(sb, node, name, "bench", workspace=name)
    tf.write(CONFIG)
    tf.run("init", "-input=false")
    out = []
    for i in range(rounds):
        t = time.perf_counter()
        tf.run("apply", "-auto-approve", "-input=false", "-var", f"n={i}")
        out.append(time.perf_counter() - t)
    node.stop()
    if path:
        shutil.rmtree(path)
    return out


def floor_rounds(sb, rounds):
    mock = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "tools",
                        "trace-mock-remote.py")
    if not os.path.exists(mock):
        return None
    d = os.path.join(sb.root, "floor")
    os.makedirs(d)
    cert, key = sb.ca.server_cert()
    shutil.copy(cert, os.path.join(d, "server.pem"))
    shutil.copy(key, os.path.join(d, "server.key"))
    port = harness.free_port()
    proc = subprocess.Popen([sys.executable, os.path.abspath(mock), str(port),
                             os.path.join(d, "trace.log"), f"localhost:{port}"], cwd=d,
                            env=dict(os.environ, INSTANT="1"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        node = harness.Node(sb, "floor-node", port=port)  # only for the Terraform helper
        node.token = "mock"
        tf = harness.Terraform(sb, node, "floor", "o", workspace="r")
        tf.write(CONFIG)
        tf.run("init", "-input=false")
        out = []
        for i in range(rounds):
            t = time.perf_counter()
            tf.run("apply", "-auto-approve", "-input=false")
            out.append(time.perf_counter() - t)
        return out
    finally:
        proc.terminate()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "build", "strata"))
    args = ap.parse_args()
    harness.STRATA_BIN = os.path.abspath(args.bin)
    sb = harness.Sandbox("bench-remote")
    try:
        local = local_rounds(sb.root, args.rounds)
        remote = strata_rounds(sb, args.rounds)
        bare = strata_rounds(sb, args.rounds, sandboxed=False)
        floor = floor_rounds(sb, args.rounds)
    finally:
        sb.close()
    med = statistics.median
    print(f"terraform apply -auto-approve of 10 terraform_data, {args.rounds} rounds (median, min, max s)")
    print(f"  {'local execution':32}{med(local):7.2f}{min(local):7.2f}{max(local):7.2f}")
    if floor:
        print(f"  {'CLI floor (instant mock server)':32}{med(floor):7.2f}{min(floor):7.2f}{max(floor):7.2f}")
    else:
        print("  CLI floor: the recording mock is not beside this checkout; skipped")
    print(f"  {'remote, Strata without sandbox':32}{med(bare):7.2f}{min(bare):7.2f}{max(bare):7.2f}")
    print(f"  {'remote through Strata (sandbox)':32}{med(remote):7.2f}{min(remote):7.2f}{max(remote):7.2f}")
    print(f"  sandbox cost {med(remote) - med(bare):+.2f} s per apply;"
          f" ratio remote/local {med(remote) / med(local):.1f}x"
          + (f", remote/floor {med(remote) / med(floor):.2f}x" if floor else ""))


if __name__ == "__main__":
    main()
