"""A throwaway PostgreSQL cluster from Debian's binaries, for tests and benchmarks: initdb in a temporary
folder, served on a free loopback port, run as an unprivileged user when we are root (PostgreSQL refuses
to run as root, and CI runs as root), removed afterwards."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

UNPRIVILEGED_USER = "nobody"
SUPERUSER = "medbridge"


def postgres_bin_dir() -> Path:
    """The newest Debian PostgreSQL server binaries (``apt-get install postgresql``)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError("PostgreSQL server binaries are missing: apt-get install postgresql (./run test does it)")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    def __init__(self) -> None:
        self.bin = postgres_bin_dir()
        # Not under pytest's tmp_path: that is private to root, and the server user must reach its folder.
        self.folder = Path(tempfile.mkdtemp(prefix="medbridge-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam(UNPRIVILEGED_USER)
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self._as_user = ["runuser", "-u", UNPRIVILEGED_USER, "--"]

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self._as_user, *args], capture_output=True, text=True, cwd=self.folder)
        if result.returncode:
            raise RuntimeError(f"{Path(args[0]).name} failed: {(result.stderr or result.stdout).strip()[-2000:]}")

    def init(self) -> "PostgresCluster":
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                  "--encoding=UTF8", "--no-locale", "--no-instructions")
        return self

    def start(self, durable: bool = False) -> "PostgresCluster":
        """Tests run without durability (a test cluster is thrown away, and fsync on a shared disk only slows
        every test); benchmarks ask for ``durable`` so they measure what a server would pay."""
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.data}"
                   " -c max_connections=200")
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        """``mode='immediate'`` is a crash: every backend killed, no checkpoint, recovery on the next start."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        try:
            self.stop()
        except RuntimeError:
            pass  # already stopped
        shutil.rmtree(self.folder, ignore_errors=True)

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self) -> str:
        """A fresh, empty database; returns its DSN."""
        import psycopg  # here, so that importing this module (conftest does) needs no driver

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)
