"""The deployed topology on one machine: PostgreSQL, Redis, two app processes, nginx.

Everything listens on 127.0.0.1 with throwaway data in one temporary directory, and is
started from the files in deploy/ themselves: nginx from deploy/nginx/tandem.conf
(rendered as envsubst would), Redis from deploy/redis/tandem.conf, the app processes and
the migration from the ExecStart lines of deploy/systemd/*.service, with these
substitutions (deploy/README.md, "How the test uses these files"):

- ``%i`` becomes the instance's port; ``${VAR}`` comes from the unit's ``Environment=``
  lines, then from the environment given here (as ``EnvironmentFile=`` would);
- ``/opt/tandem/.venv/bin/`` becomes the running interpreter's bin directory;
- ``User=``, sandboxing and ``WorkingDirectory=`` are systemd's business and are not
  imitated (the working directory is the topology's temporary directory).

Used by tests/deploy/test_topology.py and bench/load. ``Topology`` is a context manager:
leaving it, normally or by an exception, stops every process it started.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
INSTALL_BIN = "/opt/tandem/.venv/bin/"


class TopologyUnavailable(RuntimeError):
    """A server binary the topology needs is not installed."""


@dataclass(frozen=True)
class Ports:
    """Fixed ports in the range this project's deploy work uses (18100-18199)."""

    https: int = 18143
    http: int = 18180
    app_a: int = 18101
    app_b: int = 18102
    redis: int = 18179
    postgres: int = 18154


# Rendering the templates


def render(template: str, values: dict[str, str]) -> str:
    """What ``envsubst '${A} ${B}'`` does: replace the named variables, leave the rest."""
    for name, value in values.items():
        template = template.replace("${" + name + "}", value)
    left = sorted(set(re.findall(r"\$\{(TANDEM_[A-Z_]+)\}", template)))
    if left:
        raise ValueError(f"no value for {', '.join(left)}")
    return template


@dataclass
class Unit:
    path: Path
    environment: dict[str, str] = field(default_factory=dict)
    exec_start: str = ""

    @classmethod
    def read(cls, path: Path) -> Unit:
        unit = cls(path)
        section = ""
        for raw in path.read_text().splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line
                continue
            if section != "[Service]":
                continue
            key, _, value = line.partition("=")
            if key == "Environment":
                for assignment in shlex.split(value):
                    name, _, setting = assignment.partition("=")
                    unit.environment[name] = setting
            elif key == "ExecStart":
                unit.exec_start = value
        if not unit.exec_start:
            raise ValueError(f"{path} has no ExecStart")
        return unit

    def command(self, environment: dict[str, str], instance: str = "") -> list[str]:
        """ExecStart as systemd would run it, with the substitutions in this module's doc."""
        env = {**self.environment, **environment}
        line = self.exec_start.replace("%i", instance).replace("%%", "%")

        def expand(match: re.Match[str]) -> str:
            return env[match.group(1)]

        line = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", expand, line)
        argv = shlex.split(line)
        if argv[0].startswith(INSTALL_BIN):
            argv[0] = str(Path(sys.executable).parent / argv[0].removeprefix(INSTALL_BIN))
        return argv

    def env(self, environment: dict[str, str]) -> dict[str, str]:
        return {**os.environ, **self.environment, **environment}


# Processes


def wait_for_port(port: int, timeout: float, process: subprocess.Popen[bytes] | None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process on port {port} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Process:
    """A server started by the topology, in a session of its own so it can be killed whole."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log
        self._log: IO[bytes] | None = None
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self, cwd: Path) -> None:
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(  # noqa: S603 - argv built from deploy/'s own files
            self.argv,
            env=self.env,
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid if self.popen is not None else 0

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill9(self) -> None:
        """What a crash looks like: no shutdown, no close frames."""
        if self.popen is None:
            raise RuntimeError(f"{self.name} was never started")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)
        self.stop()

    def stop(self, timeout: float = 10) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None


def find_binary(name: str, *candidates: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in candidates:
        if Path(candidate).exists():
            return candidate
    raise TopologyUnavailable(f"{name} is not installed (apt-get install {name})")


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 so nginx terminates real TLS in the test."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "tls.crt"
    key_path = directory / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


class Topology:
    """PostgreSQL, Redis, app processes A and B, nginx in front; see the module's doc."""

    def __init__(
        self,
        ports: Ports | None = None,
        app_env: dict[str, str] | None = None,
        base: Path | None = None,
        *,
        single: bool = False,
    ) -> None:
        # single: PostgreSQL and app process A alone, no Redis, no nginx (the comparison
        # the load run makes; the in-process broker fans out).
        self.single = single
        self.ports = ports or Ports()
        self.app_env_extra = app_env or {}
        self._own_base = base is None
        self.base = base or Path(tempfile.mkdtemp(prefix="tandem-topology-"))
        self.cluster: object | None = None
        self.redis: Process | None = None
        self.apps: dict[str, Process] = {}
        self.nginx: Process | None = None
        self.cert: Path | None = None
        self.database_url = ""
        self.app_unit = Unit.read(DEPLOY / "systemd" / "tandem@.service")
        self.migrate_unit = Unit.read(DEPLOY / "systemd" / "tandem-migrate.service")

    # URLs

    @property
    def url(self) -> str:
        return self.app_url("a") if self.single else f"https://127.0.0.1:{self.ports.https}"

    @property
    def ws_url(self) -> str:
        if self.single:
            return f"ws://127.0.0.1:{self.ports.app_a}/ws"
        return f"wss://127.0.0.1:{self.ports.https}/ws"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.ports.redis}/0"

    def app_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.app_port(name)}"

    def app_port(self, name: str) -> int:
        return {"a": self.ports.app_a, "b": self.ports.app_b}[name]

    def ssl_context(self) -> ssl.SSLContext | None:
        if self.single:
            return None
        if self.cert is None:
            raise RuntimeError("nginx has not started: there is no certificate yet")
        return ssl.create_default_context(cafile=str(self.cert))

    def log(self, name: str) -> Path:
        return self.base / f"{name}.log"

    # Life cycle

    def __enter__(self) -> Topology:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        busy = [p for p in vars(self.ports).values() if not port_is_free(p)]
        if busy:
            raise RuntimeError(f"ports already in use: {busy}; is another topology running?")
        self.start_postgres()
        if not self.single:
            self.start_redis()
        self.migrate()
        self.start_app("a")
        if not self.single:
            self.start_app("b")
            self.start_nginx()

    def stop(self) -> None:
        """Stop everything started, in reverse order; never raises."""
        for process in [self.nginx, *self.apps.values(), self.redis]:
            if process is not None:
                with contextlib.suppress(Exception):
                    process.stop()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.stop()  # type: ignore[attr-defined]
            self.cluster = None
        if self._own_base and os.environ.get("TANDEM_TOPOLOGY_KEEP") != "1":
            shutil.rmtree(self.base, ignore_errors=True)

    def start_postgres(self) -> None:
        from tests.postgres_cluster import ClusterUnavailable, start_cluster

        try:
            cluster = start_cluster(port=self.ports.postgres)
        except ClusterUnavailable as exc:
            raise TopologyUnavailable(str(exc)) from exc
        self.cluster = cluster
        import psycopg

        with psycopg.connect(cluster.url().replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("CREATE DATABASE tandem")
        self.database_url = cluster.url("tandem")

    def start_redis(self) -> None:
        binary = find_binary("redis-server", "/usr/bin/redis-server")
        directory = self.base / "redis"
        directory.mkdir(exist_ok=True)
        argv = [
            binary,
            str(DEPLOY / "redis" / "tandem.conf"),
            "--port",
            str(self.ports.redis),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(directory),
        ]
        if self.redis is not None:
            self.redis.stop()
        self.redis = Process("redis", argv, dict(os.environ), self.log("redis"))
        self.redis.start(self.base)
        wait_for_port(self.ports.redis, 10, self.redis.popen)

    def stop_redis(self) -> None:
        if self.redis is not None:
            self.redis.stop()

    def app_environment(self) -> dict[str, str]:
        return {
            "TANDEM_DATABASE_URL": self.database_url,
            "TANDEM_REDIS_URL": "" if self.single else self.redis_url,
            # Shared by every process: sealed identities and cards need the same keys.
            "TANDEM_SECRET_KEY_FILE": str(self.base / "keys" / "secret.key"),
            "TANDEM_METRICS_ENABLED": "true",
            "TANDEM_LOG_FORMAT": "json",
            # The drill and the load run register and post far faster than people do, all
            # from 127.0.0.1: lift the abuse bounds (docs/decisions/0003) for them only.
            "TANDEM_RATE_LIMIT_REGISTRATION": "100000/hour",
            "TANDEM_RATE_LIMIT_MESSAGES": "100000/minute",
            "TANDEM_RATE_LIMIT_REPORTS": "100000/hour",
            "TANDEM_RATE_LIMIT_REFERRALS": "100000/day",
            **self.app_env_extra,
        }

    def migrate(self) -> None:
        (self.base / "keys").mkdir(exist_ok=True)
        env = self.app_environment()
        result = subprocess.run(  # noqa: S603 - the unit's own command
            self.migrate_unit.command(env),
            env=self.migrate_unit.env(env),
            cwd=self.base,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"tandem migrate failed: {result.stderr[-2000:]}")

    def start_app(self, name: str) -> Process:
        if name in self.apps:
            self.apps[name].stop()
        port = self.app_port(name)
        env = self.app_environment()
        argv = self.app_unit.command(env, instance=str(port))
        process = Process(f"app-{name}", argv, self.app_unit.env(env), self.log(f"app-{name}"))
        process.start(self.base)
        self.apps[name] = process
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if not process.running:
                raise RuntimeError(f"app {name} exited; see {self.log(f'app-{name}')}")
            try:
                if httpx.get(f"{self.app_url(name)}/readyz", timeout=1).status_code == 200:
                    return process
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"app {name} was not ready within 30 s")

    def start_nginx(self) -> None:
        binary = find_binary("nginx", "/usr/sbin/nginx")
        directory = self.base / "nginx"
        (directory / "logs").mkdir(parents=True, exist_ok=True)
        self.cert, key = self_signed_certificate(directory)
        conf = render(
            (DEPLOY / "nginx" / "tandem.conf").read_text(),
            {
                "TANDEM_SERVER_NAME": "127.0.0.1",
                "TANDEM_NGINX_ADDRESS": "127.0.0.1",
                "TANDEM_HTTP_PORT": str(self.ports.http),
                "TANDEM_HTTPS_PORT": str(self.ports.https),
                "TANDEM_TLS_CERT": str(self.cert),
                "TANDEM_TLS_KEY": str(key),
                "TANDEM_APP_A": f"127.0.0.1:{self.ports.app_a}",
                "TANDEM_APP_B": f"127.0.0.1:{self.ports.app_b}",
                "TANDEM_NGINX_LOG_DIR": str(directory / "logs"),
            },
        )
        (directory / "tandem.conf").write_text(conf)
        # What Debian's /etc/nginx/nginx.conf provides around the included file.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (directory / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {directory}/nginx.pid;\n"
            f"error_log {directory}/logs/error.log warn;\n"
            "events { worker_connections 4096; }\n"
            "http {\n"
            f"  client_body_temp_path {directory}/client_body;\n"
            f"  proxy_temp_path {directory}/proxy;\n"
            f"  include {directory}/tandem.conf;\n"
            "}\n"
        )
        test = subprocess.run(  # noqa: S603 - fixed binary, our own conf
            [binary, "-t", "-p", str(directory), "-c", str(directory / "nginx.conf")],
            capture_output=True,
            text=True,
            check=False,
        )
        if test.returncode != 0:
            raise RuntimeError(f"nginx -t refused the configuration: {test.stderr}")
        self.nginx = Process(
            "nginx",
            [binary, "-p", str(directory), "-c", str(directory / "nginx.conf")],
            dict(os.environ),
            self.log("nginx"),
        )
        self.nginx.start(self.base)
        wait_for_port(self.ports.https, 10, self.nginx.popen)


if __name__ == "__main__":
    # Bring the topology up by hand and leave it running until Ctrl-C.
    with Topology() as topology:
        print(f"up at {topology.url} (base {topology.base}); Ctrl-C stops it")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
