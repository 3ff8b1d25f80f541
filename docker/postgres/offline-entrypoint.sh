#!/bin/sh
# Entrypoint of the offline image (memrepo/postgres-offline), a small subset of the official
# postgres image's docker-entrypoint.sh, written for dash with no external utilities: the image
# holds only dash, the PostgreSQL binaries and the shared libraries they need.
#
# Runs as the non-root user `postgres` (the image's USER). Understands:
#   POSTGRES_USER (default postgres)      superuser created by initdb
#   POSTGRES_PASSWORD                     its password (required unless the auth method is trust)
#   POSTGRES_DB (default $POSTGRES_USER)  database created at first start
#   POSTGRES_HOST_AUTH_METHOD             pg_hba method for TCP (default scram-sha-256)
#   POSTGRES_INITDB_ARGS                  extra initdb arguments (word-split)
#   POSTGRES_LISTEN_ADDRESSES             listen_addresses (default '*'; use 127.0.0.1 with
#                                         host networking so nothing listens beyond loopback)
#   PGPORT (default 5432)                 TCP port (read by postgres and psql themselves)
#   PGDATA                                data directory
# and runs /docker-entrypoint-initdb.d/*.sql and *.sh once, after the first initdb.
set -eu

: "${PGDATA:=/var/lib/postgresql/data}"
: "${PGPORT:=5432}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
: "${POSTGRES_LISTEN_ADDRESSES:=*}"
export PGDATA PGPORT POSTGRES_USER POSTGRES_DB

# `docker run IMAGE -c fsync=off` means `postgres -c fsync=off`; any other command runs as is.
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
    set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
    exec "$@"
fi
shift

log() { printf '%s\n' "offline-entrypoint: $*" >&2; }

# psql as the superuser over the Unix socket (trusted locally), stopping at the first error.
psql_local() {
    psql -X -q -v ON_ERROR_STOP=1 --no-password --username "$POSTGRES_USER" "$@"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
        log "ERROR: POSTGRES_PASSWORD is not set (or set POSTGRES_HOST_AUTH_METHOD=trust)."
        exit 1
    fi
    log "initializing $PGDATA for user '$POSTGRES_USER', database '$POSTGRES_DB'"
    # shellcheck disable=SC2086
    initdb --username="$POSTGRES_USER" --encoding=UTF8 --locale=C \
        --locale-provider=builtin --builtin-locale=C.UTF-8 \
        --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" \
        ${POSTGRES_INITDB_ARGS:-} >/dev/null
    # initdb only trusts 127.0.0.1/::1; like the official image, accept any address (needed
    # behind a Docker port mapping), still with password authentication.
    printf 'host all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

    # A temporary server on the Unix socket only: clients polling TCP don't see it ready.
    pg_ctl -D "$PGDATA" -w -s -o "-c listen_addresses='' -p $PGPORT" start

    # Variables are interpolated only in scripts read from stdin, hence the printf pipes:
    # :"name" and :'value' quote the identifier and the literal safely.
    if [ -n "${POSTGRES_PASSWORD:-}" ]; then
        printf '%s\n' "ALTER ROLE :\"u\" PASSWORD :'pw';" |
            psql_local --dbname postgres -v u="$POSTGRES_USER" -v pw="$POSTGRES_PASSWORD"
    fi
    if [ "$POSTGRES_DB" != postgres ]; then
        printf '%s\n' 'CREATE DATABASE :"db";' | psql_local --dbname postgres -v db="$POSTGRES_DB"
    fi

    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sql) log "running $f"; psql_local --dbname "$POSTGRES_DB" -f "$f" ;;
            *.sh) log "sourcing $f"; . "$f" ;;
            *) if [ -e "$f" ]; then log "ignoring $f"; fi ;;
        esac
    done

    pg_ctl -D "$PGDATA" -w -s -m fast stop
    log "initialization complete; starting the server"
fi

exec postgres -c listen_addresses="$POSTGRES_LISTEN_ADDRESSES" "$@"
