"""services.py — the external services a cluster stands on, started by the tests themselves on
loopback with their own data folders (never the system's instances): PostgreSQL, Redis (with a
password, with TLS, with Sentinel), the S3-compatible server and HAProxy. Each class starts its
server in __init__ and stops it in stop(); ports are free ones chosen at start.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

PG_BIN = "/usr/lib/postgresql/15/bin"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.join(HERE, "..", "..")
S3RVER = os.path.join(REPO, "tests", "services", "node_modules", ".bin", "s3rver")


def free_port():
    """A port free on IPv4 and IPv6 alike (a dual-stack bind), so that no program holds it on
    one of them while a server of the test takes the other."""
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.bind(("::", 0))
            return s.getsockname()[1]
    except OSError:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


def wait_port(port, proc=None, timeout=20, what="server"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{what} not listening on {port} in time")


def as_owner(cmd):
    """PostgreSQL refuses to run as root: as root, run its programs as the postgres account."""
    return ["runuser", "-u", "postgres", "--"] + cmd if os.geteuid() == 0 else cmd


class Postgres:
    """A PostgreSQL 15 cluster with password authentication and one database."""

    def __init__(self, folder, user="strata", password="pg secret 'quoted'", dbname="strata",
                 tls=None):
        """tls=(cert, key): the server also speaks TLS (clients choose with sslmode)."""
        self.folder = folder
        self.tls = tls
        self.user, self.password, self.dbname = user, password, dbname
        os.makedirs(folder, exist_ok=True)
        self.data = os.path.join(folder, "data")
        pwfile = os.path.join(folder, "pw")
        with open(pwfile, "w") as f:
            f.write(password + "\n")
        if os.geteuid() == 0:
            # the postgres account must reach its folder through the test's private root
            p = folder
            while p not in ("/", "/tmp"):
                os.chmod(p, os.stat(p).st_mode | 0o011)
                p = os.path.dirname(p)
            shutil.chown(folder, "postgres")
            shutil.chown(pwfile, "postgres")
        subprocess.run(as_owner([f"{PG_BIN}/initdb", "-D", self.data, "-A", "scram-sha-256",
                                 "-U", user, f"--pwfile={pwfile}"]),
                       check=True, capture_output=True)
        self.ssl_opts = ""
        if tls:  # PostgreSQL wants its key owned by itself and private
            for src, name in zip(tls, ("server.crt", "server.key")):
                dst = os.path.join(self.data, name)
                shutil.copyfile(src, dst)
                os.chmod(dst, 0o600)
                if os.geteuid() == 0:
                    shutil.chown(dst, "postgres")
            self.ssl_opts = " -c ssl=on"
        self.port = free_port()
        self.start()
        self.databases = set()

    def start(self):
        subprocess.run(as_owner([f"{PG_BIN}/pg_ctl", "-D", self.data, "-l",
                                 os.path.join(self.folder, "log"), "-w", "-o",
                                 f"-k {self.folder} -p {self.port} -c listen_addresses=127.0.0.1 "
                                 "-c fsync=off -c max_connections=200" + self.ssl_opts,
                                 "start"]),
                       check=True, capture_output=True, cwd="/")

    def stop(self, mode="fast"):
        subprocess.run(as_owner([f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"]),
                       capture_output=True, cwd="/")

    def client(self, tool, *args):
        """Runs a PostgreSQL client program against this server as its user; its output."""
        return subprocess.run([f"{PG_BIN}/{tool}", "-h", "127.0.0.1", "-p", str(self.port), "-U",
                               self.user, *args], check=True, capture_output=True, text=True,
                              env=dict(os.environ, PGPASSWORD=self.password)).stdout

    def database(self, name):
        """Creates the database name once."""
        if name not in self.databases:
            self.client("createdb", name)
            self.databases.add(name)
        return name

    def settings(self, dbname=None):
        return {"pg_netloc": f"127.0.0.1:{self.port}", "pg_user": self.user,
                "pg_password": self.password, "pg_dbname": self.database(dbname or self.dbname),
                "pg_extra_params": "sslmode=disable&connect_timeout=5"}

    def dump(self, dbname):
        """The database as pg_dump writes it (every row, as text)."""
        out = self.client("pg_dump", dbname)
        # pg_dump 15.14+ frames its output with a random \restrict key
        return "\n".join(l for l in out.split("\n") if not l.startswith(("\\restrict",
                                                                          "\\unrestrict")))

    def psql(self, sql, dbname=None):
        return self.client("psql", "-d", dbname or self.dbname, "-At", "-c", sql).strip()


class S3:
    """The S3-compatible server (s3rver, from npm) with one bucket, behind the SigV4-checking
    proxy: settings() points nodes at the proxy, direct_settings() at the server itself."""

    def __init__(self, folder, bucket="strata", access="S3RVER", secret="S3RVER"):
        self.folder, self.bucket, self.access, self.secret = folder, bucket, access, secret
        self.data = os.path.join(folder, "data")
        os.makedirs(self.data, exist_ok=True)
        self.port = free_port()
        self.log = open(os.path.join(folder, "s3rver.log"), "ab")
        self.proc = subprocess.Popen([S3RVER, "-d", self.data, "-a", "127.0.0.1", "-p",
                                      str(self.port), "--configure-bucket", bucket, "--silent"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.proxy_port = free_port()
        self.stats = os.path.join(folder, "sigv4-stats")
        wait_port(self.port, self.proc, what="s3rver")
        self._start_proxy()

    def _start_proxy(self):
        self.proxy = subprocess.Popen([sys.executable, os.path.join(HERE, "sigv4_proxy.py"),
                                       str(self.proxy_port), str(self.port), self.access,
                                       self.secret, self.stats],
                                      stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.proxy_port, self.proxy, what="sigv4 proxy")

    def pause(self):
        """Makes the storage unreachable (its address refuses connections)."""
        self.proxy.terminate()
        self.proxy.wait()

    def resume(self):
        self._start_proxy()

    def settings(self):
        return {"s3_bucket": self.bucket, "s3_region": "us-east-1",
                "s3_endpoint": f"http://127.0.0.1:{self.proxy_port}",
                "aws_access_key_id": self.access, "aws_secret_access_key": self.secret}

    def direct_settings(self):
        return dict(self.settings(), s3_endpoint=f"http://127.0.0.1:{self.port}")

    def signatures(self):
        """(verified, refused, last refusal) counted by the proxy."""
        with open(self.stats) as f:
            lines = f.read().split("\n", 2)
        return int(lines[0].split()[1]), int(lines[1].split()[1]), lines[2].strip()

    def files(self):
        """Every file the server stores (objects and their metadata)."""
        out = []
        for root, _, names in os.walk(self.data):
            out += [os.path.join(root, n) for n in names]
        return out

    def stop(self):
        for p in (self.proxy, self.proc):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        self.log.close()


class Redis:
    """redis-server with a password; with tls=(cert, key, ca) it speaks only TLS on its port.
    replica_of=(port) makes it a replica (for Sentinel)."""

    def __init__(self, folder, password="redis secret", tls=None, replica_of=None, port=None):
        self.folder, self.password, self.tls = folder, password, tls
        os.makedirs(folder, exist_ok=True)
        self.port = port or free_port()
        self.replica_of = replica_of
        self.start()

    def args(self):
        a = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self.folder,
             "--daemonize", "no"]
        if self.password:
            a += ["--requirepass", self.password, "--masterauth", self.password]
        if self.tls:
            cert, key, ca = self.tls
            a += ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", cert,
                  "--tls-key-file", key, "--tls-ca-cert-file", ca, "--tls-auth-clients", "no",
                  "--tls-protocols", "TLSv1.2 TLSv1.3", "--tls-replication", "yes"]
        else:
            a += ["--port", str(self.port)]
        if self.replica_of:
            a += ["--replicaof", "127.0.0.1", str(self.replica_of)]
        return a

    def start(self):
        self.log = open(os.path.join(self.folder, "redis.log"), "ab")
        self.proc = subprocess.Popen(["redis-server"] + self.args(), stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_port(self.port, self.proc, what="redis-server")

    def stop(self, kill=False):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            self.proc.wait(timeout=20)
        self.log.close()

    def restart_empty(self):
        """Stops Redis and starts it again with nothing in it (no persistence)."""
        self.stop()
        self.start()

    def cli(self, *args):
        cmd = ["redis-cli", "-p", str(self.port), "--no-auth-warning"]
        if self.password:
            cmd += ["-a", self.password]
        if self.tls:
            cmd += ["--tls", "--cacert", self.tls[2]]
        return subprocess.run(cmd + list(args), capture_output=True, text=True,
                              check=True).stdout.strip()

    def settings(self):
        s = {"redis_host": "127.0.0.1" if not self.tls else "localhost",
             "redis_port": str(self.port), "redis_use_password_auth": "1" if self.password else "0",
             "redis_pass": self.password or "", "redis_use_tls": "1" if self.tls else "0"}
        if self.tls:
            s["redis_ca_cert_file"] = self.tls[2]
        return s


class Sentinels:
    """A leader, a replica and three sentinels watching them under the name "strata"."""

    def __init__(self, folder, password="redis secret"):
        self.folder, self.password = folder, password
        self.leader = Redis(os.path.join(folder, "a"), password)
        self.replica = Redis(os.path.join(folder, "b"), password, replica_of=self.leader.port)
        self.procs, self.ports = [], []
        for i in range(3):
            port = free_port()
            conf = os.path.join(folder, f"sentinel{i}.conf")
            with open(conf, "w") as f:
                f.write(f"port {port}\nbind 127.0.0.1\ndir {folder}\n"
                        f"sentinel monitor strata 127.0.0.1 {self.leader.port} 2\n"
                        f"sentinel auth-pass strata \"{password}\"\n"
                        "sentinel down-after-milliseconds strata 1000\n"
                        "sentinel failover-timeout strata 5000\n")
            log = open(os.path.join(folder, f"sentinel{i}.log"), "ab")
            self.procs.append(subprocess.Popen(["redis-sentinel", conf], stdout=log,
                                               stderr=subprocess.STDOUT))
            self.ports.append(port)
            wait_port(port, self.procs[-1], what="redis-sentinel")

    def leader_port(self):
        out = subprocess.run(["redis-cli", "-p", str(self.ports[0]), "SENTINEL",
                              "get-master-addr-by-name", "strata"], capture_output=True,
                             text=True, check=True).stdout.split()
        return int(out[1])

    def settings(self):
        return {"redis_sentinel_enabled": "1",
                "redis_sentinel_hosts": ",".join(f"127.0.0.1:{p}" for p in self.ports),
                "redis_sentinel_leader_name": "strata", "redis_use_password_auth": "1",
                "redis_pass": self.password}

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=20)
        for r in (self.leader, self.replica):
            r.stop()


class HAProxy:
    """HAProxy in front of nodes on the given ports (a port with no node is simply down). It
    connects to them from SOURCE, the address their trusted_proxies lists: the tests' own
    connections straight to a node (from 127.0.0.1) are then a client's, not a balancer's."""

    SOURCE = "127.0.0.9"

    def __init__(self, folder, node_ports, port=None):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        self.port = port or free_port()
        self.config = os.path.join(folder, "haproxy.cfg")
        # the documented configuration (deploy/haproxy.cfg), on loopback ports
        with open(os.path.join(REPO, "deploy", "haproxy.cfg")) as f:
            cfg = [line for line in f.read().split("\n") if not line.strip().startswith("server ")]
        cfg = "\n".join(cfg).replace("bind :443", f"bind 127.0.0.1:{self.port}").rstrip()
        cfg += "\n" + "\n".join(f"    server n{i} 127.0.0.1:{p} source {self.SOURCE}" for i, p in enumerate(node_ports))
        with open(self.config, "w") as f:
            f.write(cfg + "\n")
        self.log = open(os.path.join(folder, "haproxy.log"), "ab")
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", self.config], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_port(self.port, self.proc, what="haproxy")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()
