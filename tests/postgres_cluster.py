"""A throwaway PostgreSQL cluster for the test run: initdb in a temp dir, a free port, gone after.

Debian's server binaries live in /usr/lib/postgresql/<version>/bin, outside PATH. initdb
refuses to run as root, so as root the cluster runs as the `postgres` system user.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


class ClusterUnavailable(RuntimeError):
    pass


def _find_bin_dir() -> Path:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    if not candidates:
        raise ClusterUnavailable("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    return candidates[0].parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    bin_dir: Path
    data_dir: Path
    port: int
    user: str | None
    base: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://tandem@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "stop")
        shutil.rmtree(self.base, ignore_errors=True)


def start_cluster(port: int | None = None) -> Cluster:
    bin_dir = _find_bin_dir()
    user: str | None = None
    base = Path(tempfile.mkdtemp(prefix="tandem-pg-"))
    if os.geteuid() == 0:
        try:
            entry = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise ClusterUnavailable("running as root and there is no postgres user") from exc
        user = "postgres"
        os.chown(base, entry.pw_uid, entry.pw_gid)
    cluster = Cluster(bin_dir, base / "data", port or _free_port(), user, base)
    result = cluster._run(
        "initdb",
        "-D",
        str(cluster.data_dir),
        "-U",
        "tandem",
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
        "--no-sync",
    )
    if result.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        raise ClusterUnavailable(f"initdb failed: {result.stderr.strip()[-400:]}")
    options = (
        f"-p {cluster.port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    result = cluster._run(
        "pg_ctl", "-D", str(cluster.data_dir), "-l", str(base / "log"), "-o", options, "-w", "start"
    )
    if result.returncode != 0:
        log = (base / "log").read_text() if (base / "log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        raise ClusterUnavailable(f"pg_ctl start failed: {result.stderr.strip()} {log[-400:]}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", cluster.port), timeout=1).close()
            return cluster
        except OSError:
            time.sleep(0.1)
    cluster.stop()
    raise ClusterUnavailable("PostgreSQL did not accept connections within 30 s")
