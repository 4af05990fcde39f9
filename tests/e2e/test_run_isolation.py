"""Runs are isolated from each other and from the node: two organizations' runs overlap and the
attacker's provisioner hunts for the victim's secrets; limits (processes, memory, time) end the
run that hits them and nothing else; a node that cannot sandbox refuses runs and says why."""
import hashlib
import json
import os
import time
import unittest

from harness import NO_SANDBOX, TERRAFORM, Sandbox, main, make_slug

# The attacker's provisioner: prints everything a run can see of the host and of other runs.
ATTACK = r'''
import os, sys
node_pid, disk_path, settings = sys.argv[1:4]
pids = [p for p in os.listdir("/proc") if p.isdigit()]
print("PIDS", len(pids), "UID", os.getuid())
def dump(path):
    try:
        with open(path, "rb") as f:
            return f.read(65536).replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError as e:
        return "<%s>" % e.strerror
for p in pids:
    print("PROC", p, dump(f"/proc/{p}/environ"), dump(f"/proc/{p}/cmdline"))
print("NODE ENV", dump(f"/proc/{node_pid}/environ"))
print("SETTINGS", dump(settings))
for top in ("/tmp", "/var/tmp", "/dev/shm", "/run", "/home", "/root", disk_path,
            os.path.dirname(settings), os.path.dirname(disk_path)):
    for root, dirs, files in os.walk(top):
        for name in files:
            path = os.path.join(root, name)
            print("FILE", path, dump(path)[:4096])
print("ATTACK DONE")
'''

VICTIM = '''
variable "secret_tf" {
  type      = string
  sensitive = true
}
resource "terraform_data" "victim" {
  provisioner "local-exec" {
    command = "echo ENV=$(printf %s \\"$AWS_SECRET_ACCESS_KEY\\" | sha256sum | cut -c1-16) TF=$(printf %s \\"$TFVAR\\" | sha256sum | cut -c1-16); sleep 25"
    environment = {
      TFVAR = nonsensitive(var.secret_tf)
    }
  }
}
'''

ATTACKER = '''
resource "terraform_data" "attacker" {
  provisioner "local-exec" {
    command = "python3 attack.py NODE_PID DISK_PATH SETTINGS"
  }
}
'''


def messages(log):
    """A log as lines of text: terraform's JSON lines (structured run output) by their
    "@message", everything else as it is."""
    out = []
    for line in log.splitlines():
        try:
            out.append(json.loads(line)["@message"])
        except (ValueError, KeyError, TypeError):
            out.append(line)
    return "\n".join(out)


def sha16(text):
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Runs:
    """API-driven runs on a node: a workspace with auto-apply, an upload that queues the run."""

    def __init__(self, node):
        self.node = node

    def queue(self, org, name, files, variables=()):
        ws = self.node.create_workspace(org, name, **{"auto-apply": True})
        for key, value, category in variables:
            self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/vars", {"data": {
                "type": "vars", "attributes": {"key": key, "value": value, "category": category,
                                               "sensitive": True}}})
        cv = self.node.api("POST", f"/api/v2/workspaces/{ws['id']}/configuration-versions",
                           {"data": {"type": "configuration-versions"}})["data"]
        path = cv["attributes"]["upload-url"].split(self.node.settings["hostname"])[1]
        status, doc, _ = self.node.request("PUT", path, body=make_slug(files), token=False)
        assert status == 200, doc
        return ws

    def run(self, ws):
        runs = []
        for _ in range(100):
            runs = self.node.api("GET", f"/api/v2/workspaces/{ws['id']}/runs")["data"]
            if runs:
                return runs[0]
            time.sleep(0.1)
        raise AssertionError("no run was queued")

    def wait(self, ws, statuses, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            run = self.run(ws)
            if run["attributes"]["status"] in statuses:
                return run
            time.sleep(0.2)
        raise AssertionError(f"run still {run['attributes']['status']}\n{self.node.read_log()}")

    def log(self, run, phase):
        rel = run["relationships"][phase]["data"]["id"]
        doc = self.node.api("GET", f"/api/v2/{'plans' if phase == 'plan' else 'applies'}/{rel}")["data"]
        url = doc["attributes"]["log-read-url"]
        status, text, _ = self.node.request("GET", url.split(self.node.settings["hostname"])[1],
                                            token=False)
        assert status == 200, status
        return rel, messages(text if isinstance(text, str) else str(text))


@unittest.skipIf(NO_SANDBOX, NO_SANDBOX)
class IsolationTest(unittest.TestCase):
    def setUp(self):
        self.sandbox = Sandbox("isolation")

    def tearDown(self):
        self.sandbox.close()

    def test_a_run_cannot_see_another_organizations_run(self):
        node = self.sandbox.node()
        node.create_org("victim")
        node.create_org("attacker")
        runs = Runs(node)
        secret_env, secret_tf = "victim-env-secret-7f3a9c", "victim-tf-secret-41d0e2"
        victim = runs.queue("victim", "app", {"main.tf": VICTIM.encode()}, [
            ("AWS_SECRET_ACCESS_KEY", secret_env, "env"), ("secret_tf", secret_tf, "terraform")])
        runs.wait(victim, ("applying",), timeout=60)
        time.sleep(3)  # its provisioner is sleeping now
        attack = ATTACKER.replace("NODE_PID", str(node.proc.pid)) \
            .replace("DISK_PATH", node.settings["disk_path"]).replace("SETTINGS", node.config)
        attacker = runs.queue("attacker", "probe", {"main.tf": attack.encode(),
                                                    "attack.py": ATTACK.encode()})
        done = runs.wait(attacker, ("applied", "errored"), timeout=90)
        self.assertEqual(runs.run(victim)["attributes"]["status"], "applying")  # they overlapped
        _, seen = runs.log(done, "apply")
        self.assertIn("ATTACK DONE", seen, seen[-3000:])
        self.assertEqual(done["attributes"]["status"], "applied")

        victim_run = runs.wait(victim, ("applied", "errored"))
        self.assertEqual(victim_run["attributes"]["status"], "applied")
        victim_apply, victim_log = runs.log(victim_run, "apply")
        victim_plan, _ = runs.log(victim_run, "plan")
        # the victim's own run sees its variables ...
        self.assertIn(f"ENV={sha16(secret_env)} TF={sha16(secret_tf)}", victim_log)
        # ... and the attacker, hunting through /proc, /tmp, /run, the data and settings, none
        for leak in (secret_env, secret_tf, victim_run["id"], victim_apply, victim_plan,
                     "victim-", "test enc password", "zzz_strata.auto.tfvars\nsecret_tf"):
            self.assertNotIn(leak, seen)
        pids = int(seen.split("PIDS ")[1].split()[0])
        self.assertLessEqual(pids, 6, "the run sees processes that are not its own")
        self.assertIn("NODE ENV <", seen)  # the node's process is not there at all
        self.assertIn("SETTINGS <", seen)
        uid = int(seen.split(" UID ")[1].split()[0])
        self.assertNotEqual(uid, os.geteuid())
        self.assertNotIn(node.settings["disk_path"] + "/strata.db", seen)


@unittest.skipIf(NO_SANDBOX, NO_SANDBOX)
class LimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sandbox = Sandbox("limits")
        cls.node = cls.sandbox.node(settings={"capacity_memory": "256",
                                              "run_phase_timeout": "20"})
        if "memory limit by cgroup, process limit by cgroup" not in cls.node.read_log():
            cls.sandbox.close()
            raise unittest.SkipTest("the node may not make cgroups here (no /sys/fs/cgroup, or "
                                    "not root): limits fall back to rlimits, without a reason "
                                    "in the run's log")
        cls.node.create_org("acme")
        cls.runs = Runs(cls.node)

    @classmethod
    def tearDownClass(cls):
        cls.sandbox.close()

    def provisioner(self, name, command):
        config = ('resource "terraform_data" "x" {\n  provisioner "local-exec" {\n'
                  f'    command = "{command}"\n  }}\n}}\n')
        return self.runs.queue("acme", name, {"main.tf": config.encode()})

    def errored_with(self, ws, message):
        run = self.runs.wait(ws, ("applied", "errored"), timeout=120)
        self.assertEqual(run["attributes"]["status"], "errored")
        _, log = self.runs.log(run, "apply")
        self.assertIn(message, log)

    def test_fork_bomb_memory_hog_and_endless_run_end_alone(self):
        bystander = self.provisioner("bystander", "sleep 8; echo still here")
        bomb = self.provisioner("bomb", "f() { f | f & }; f; sleep 30")
        hog = self.provisioner("hog", "head -c 3000000000 /dev/zero | tail")
        endless = self.provisioner("endless", "sleep 600")
        self.errored_with(bomb, "started more than 1024 processes at once and was stopped")
        self.errored_with(hog, "used more memory than its limit (capacity_memory = 256 MB)")
        started = time.time()
        self.errored_with(endless, "ran longer than its limit of 20 seconds")
        self.assertLess(time.time() - started, 40)
        run = self.runs.wait(bystander, ("applied", "errored"))
        self.assertEqual(run["attributes"]["status"], "applied")
        self.assertIn("still here", self.runs.log(run, "apply")[1])
        status, _, _ = self.node.request("GET", "/_health_check", token=False)
        self.assertEqual(status, 200)
        # a run after them all is served as usual
        after = self.provisioner("after", "echo fine")
        self.assertEqual(self.runs.wait(after, ("applied", "errored"))["attributes"]["status"],
                         "applied")


class NoSandboxTest(unittest.TestCase):
    """A host without bubblewrap: PATH holds terraform and nothing else."""

    def setUp(self):
        self.sandbox = Sandbox("nosandbox")
        self.bin = os.path.join(self.sandbox.root, "bin")
        os.makedirs(self.bin)
        os.symlink(TERRAFORM, os.path.join(self.bin, "terraform"))

    def tearDown(self):
        self.sandbox.close()

    def node(self, settings=None):
        node = self.sandbox.node(settings=settings, start=False)
        node.env = {"PATH": self.bin}
        node.start()
        node.create_admin()
        node.create_org("acme")
        return node

    def test_runs_are_refused_with_the_reason(self):
        node = self.node({"allow_unsandboxed_runs": "0"})
        self.assertIn("remote runs are refused on this node: bubblewrap is not installed",
                      node.read_log())
        runs = Runs(node)
        ws = runs.queue("acme", "app", {"main.tf": b'resource "terraform_data" "x" {}\n'})
        run = runs.wait(ws, ("errored", "applied"))
        self.assertEqual(run["attributes"]["status"], "errored")
        self.assertIn("this node cannot execute runs: bubblewrap is not installed",
                      runs.log(run, "plan")[1])
        # everything else keeps working
        self.assertEqual(node.api("GET", f"/api/v2/workspaces/{ws['id']}")["data"]["id"], ws["id"])

    def test_the_weaker_mode_is_an_explicit_choice(self):
        node = self.node({"allow_unsandboxed_runs": "1"})
        self.assertIn("runs execute WITHOUT a sandbox", node.read_log())
        runs = Runs(node)
        ws = runs.queue("acme", "app", {"main.tf": b'resource "terraform_data" "x" {}\n'})
        run = runs.wait(ws, ("errored", "applied"))
        self.assertEqual(run["attributes"]["status"], "applied", runs.log(run, "plan")[1])


if __name__ == "__main__":
    main()
