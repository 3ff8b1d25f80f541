"""A real PgBouncer (Debian's `pgbouncer`) started on loopback in front of a test database."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url


class PgBouncerUnavailable(Exception):
    """PgBouncer cannot run here (the reason says why)."""


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or next(
        (p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if os.path.exists(p)), None
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as(socket_dir: str | None) -> str | None:
    """PgBouncer refuses to run as root: run it as the owner of the server's socket
    directory (so it may connect there), else as `postgres`."""
    if os.geteuid() != 0:
        return None
    if socket_dir:
        return pwd.getpwuid(os.stat(socket_dir).st_uid).pw_name
    return "postgres"


@contextlib.contextmanager
def pgbouncer(url: str, *, pool_mode: str = "transaction", pool_size: int = 2) -> Iterator[str]:
    """Start PgBouncer in front of `url` (a PostgreSQL URL, TCP or Unix socket); yield the
    URL that reaches the same database through it."""
    binary = pgbouncer_binary()
    if binary is None:
        raise PgBouncerUnavailable("pgbouncer is not installed (apt-get install pgbouncer)")
    target = make_url(url)
    socket_dir = target.query.get("host")
    host = str(socket_dir) if socket_dir else (target.host or "127.0.0.1")
    user = target.username or "postgres"
    database = target.database or "postgres"
    port = _free_port()
    owner = _run_as(str(socket_dir) if socket_dir else None)
    with tempfile.TemporaryDirectory(prefix="memrepo-pgbouncer-") as tmp:
        root = Path(tmp)
        server = f"host={host} port={target.port or 5432} dbname={database} user={user}"
        if target.password:
            server += f" password={target.password}"
        (root / "users.txt").write_text(f'"{user}" ""\n')
        (root / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"{database} = {server}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {root / 'users.txt'}\n"
            f"pool_mode = {pool_mode}\n"
            f"default_pool_size = {pool_size}\n"
            "max_client_conn = 200\n"
            "ignore_startup_parameters = extra_float_digits\n"
            f"logfile = {root / 'pgbouncer.log'}\n"
            f"pidfile = {root / 'pgbouncer.pid'}\n"
        )
        if owner is not None:
            shutil.chown(root, user=owner)
            for f in root.iterdir():
                shutil.chown(f, user=owner)
        cmd = [binary, *(["-u", owner] if owner else []), str(root / "pgbouncer.ini")]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            for _ in range(200):  # until it listens (bounded)
                if proc.poll() is not None:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    log = root / "pgbouncer.log"
                    raise PgBouncerUnavailable(
                        f"pgbouncer exited: {out} {log.read_text() if log.exists() else ''}"
                    )
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                    break
                time.sleep(0.05)
            else:
                raise PgBouncerUnavailable("pgbouncer did not start listening")
            yield f"postgresql://{user}@127.0.0.1:{port}/{database}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout:
                proc.stdout.close()
