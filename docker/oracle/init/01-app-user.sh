#!/bin/bash
# memrepo application user for gvenzl/oracle-free (mounted or copied into
# /container-entrypoint-initdb.d). The image runs these scripts once, after the first database
# creation, after its own APP_USER handling and before it prints "DATABASE IS READY TO USE!"
# (which is what Testcontainers waits for). *.sql files there run as `sqlplus / as sysdba` in
# the CDB root and cannot read the environment, hence a shell script.
#
# Image flavour: gvenzl/oracle-free:23 (regular) or 23-full. NOT 23-slim: its image
# documentation (ImageDetails.md) says Oracle Text is uninstalled there, so there is no CTXSYS
# user, no CTXAPP role and no CTXSYS.CONTEXT indextype, and memrepo's schema cannot be created.
#
# Fails loudly: any SQL or OS error stops sqlplus with a non-zero status (WHENEVER ... EXIT
# FAILURE; SQL.SQLCODE would be taken modulo 256 by the shell, and ORA-01536 is 6 * 256), this
# script then exits (or, when sourced, returns) non-zero, which stops the image's entrypoint
# (`set -e`) before it reports the database ready, and the healthcheck marker is not written.
# Oracle Text and VECTOR support are checked first, with a message that says what to change.
#
# Environment (the image's own variables, so one setting serves both):
#   APP_USER           (default memrepo)  created by the image when set; created here otherwise
#   APP_USER_PASSWORD  (default memrepo)  must not contain a double quote
#   MEMREPO_PDB        (default FREEPDB1) the pluggable database the application uses
#   MEMREPO_VECTOR_MEMORY_SIZE (default 256M; 0 = leave alone) vector pool for HNSW indexes
#
# Privileges, least first (Oracle Database 23ai):
#   CREATE SESSION, CREATE TABLE, CREATE SEQUENCE, CREATE VIEW, CREATE PROCEDURE, CREATE TRIGGER,
#   CREATE TYPE   - own schema objects (migrations, Alembic's version table).
#   UNLIMITED TABLESPACE - row storage (the image's APP_USER only gets a quota on USERS; text
#                   and vector indexes create segments too).
#   CTXAPP role + EXECUTE ON CTXSYS.CTX_DDL - Oracle Text: any user may create a CONTEXT/SEARCH
#                   index and query CONTAINS; CTXAPP is needed to create preferences and use the
#                   CTX_* packages, and EXECUTE on the package must be granted explicitly (a role
#                   is not enough for definer's-rights PL/SQL). See "Oracle Text Users and Roles"
#                   in the Oracle Text Application Developer's Guide.
#   EXECUTE ON SYS.DBMS_LOCK - migrations serialise concurrent migrators with a named lock.
# (The image's APP_USER also gets DB_DEVELOPER_ROLE, which includes most of the above; they are
# granted explicitly so the user works the same when created here.)
#
# Tenant schemas: deliberately NO "ANY" privileges (CREATE ANY TABLE, ALTER ANY TABLE, CREATE
# USER...). Those would let the application user write into every schema of the PDB. Tests that
# need another schema create it through a privileged connection (SYSTEM, whose password is
# ORACLE_PASSWORD; tests/providers.py exposes it as Provider.admin_url) and grant what the test
# needs on it, e.g. the tenant user's own CREATE privileges or object grants to memrepo.

memrepo_init_marker() {
    echo "${ORACLE_BASE:-/opt/oracle}/oradata/.memrepo-init-done"
}

memrepo_create_app_user() {
    local user="${APP_USER:-memrepo}"
    local password="${APP_USER_PASSWORD:-memrepo}"
    local pdb="${MEMREPO_PDB:-FREEPDB1}"
    local vector_memory="${MEMREPO_VECTOR_MEMORY_SIZE:-256M}"

    echo "memrepo: preparing application user ${user} in ${pdb}"
    sqlplus -s / as sysdba <<EOF
WHENEVER SQLERROR EXIT FAILURE ROLLBACK
WHENEVER OSERROR EXIT FAILURE ROLLBACK
SET SERVEROUTPUT ON FEEDBACK OFF

-- HNSW (in-memory neighbor graph) vector indexes live in the vector pool, which is 0 by
-- default; the size can be changed dynamically at the CDB level. Best effort: a failure only
-- means HNSW index creation will fail later (IVF indexes do not need the pool).
BEGIN
    IF '${vector_memory}' <> '0' THEN
        EXECUTE IMMEDIATE 'ALTER SYSTEM SET vector_memory_size = ${vector_memory} SCOPE = BOTH';
    END IF;
EXCEPTION
    WHEN OTHERS THEN
        DBMS_OUTPUT.PUT_LINE('memrepo: WARNING: vector_memory_size unchanged: ' || SQLERRM);
END;
/

ALTER SESSION SET CONTAINER = ${pdb};

-- What the schema needs from the image, checked before anything is granted.
DECLARE
    n PLS_INTEGER;
    d BINARY_DOUBLE;
BEGIN
    SELECT COUNT(*) INTO n FROM dba_users WHERE username = 'CTXSYS';
    IF n = 0 THEN
        RAISE_APPLICATION_ERROR(-20001, 'memrepo: Oracle Text is not installed (no CTXSYS '
            || 'user); the -slim image flavours remove it: use gvenzl/oracle-free:23 or 23-full');
    END IF;
    SELECT COUNT(*) INTO n FROM dba_indextypes
        WHERE owner = 'CTXSYS' AND indextype_name = 'CONTEXT';
    IF n = 0 THEN
        RAISE_APPLICATION_ERROR(-20002, 'memrepo: the CTXSYS.CONTEXT indextype is missing: '
            || 'Oracle Text is incomplete in this image: use gvenzl/oracle-free:23 or 23-full');
    END IF;
    EXECUTE IMMEDIATE q'~SELECT VECTOR_DISTANCE(TO_VECTOR('[1,2,3]'), TO_VECTOR('[1,2,5]'),
        EUCLIDEAN) FROM dual~' INTO d;
    IF d <> 2 THEN
        RAISE_APPLICATION_ERROR(-20003, 'memrepo: VECTOR_DISTANCE returned ' || d);
    END IF;
EXCEPTION
    WHEN OTHERS THEN
        IF SQLCODE BETWEEN -20003 AND -20001 THEN
            RAISE;
        END IF;
        RAISE_APPLICATION_ERROR(-20004, 'memrepo: VECTOR is not supported (Oracle Database '
            || '23ai is needed): ' || SQLERRM);
END;
/

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM dba_users WHERE username = UPPER('${user}');
    IF n = 0 THEN
        EXECUTE IMMEDIATE q'~CREATE USER ${user} IDENTIFIED BY "${password}"~'
            || ' DEFAULT TABLESPACE users QUOTA UNLIMITED ON users';
        DBMS_OUTPUT.PUT_LINE('memrepo: created user ${user}');
    END IF;
END;
/

GRANT CREATE SESSION, CREATE TABLE, CREATE SEQUENCE, CREATE VIEW, CREATE PROCEDURE,
      CREATE TRIGGER, CREATE TYPE TO ${user};
GRANT UNLIMITED TABLESPACE TO ${user};
GRANT CTXAPP TO ${user};
GRANT EXECUTE ON CTXSYS.CTX_DDL TO ${user};
GRANT EXECUTE ON SYS.DBMS_LOCK TO ${user};
ALTER USER ${user} DEFAULT TABLESPACE users;
exit;
EOF
}

memrepo_init() {
    local marker
    marker="$(memrepo_init_marker)"
    rm -f "${marker}"
    if ! memrepo_create_app_user; then
        echo "memrepo: FAILED: the application user is not ready (see the sqlplus output" \
            "above); the database must not be used for memrepo" >&2
        return 1
    fi
    # Marker for healthchecks (docker/compose.yaml): the checks and grants above succeeded.
    if ! touch "${marker}"; then
        echo "memrepo: FAILED: cannot write the readiness marker ${marker}" >&2
        return 1
    fi
    echo "memrepo: application user ${APP_USER:-memrepo} ready"
}

# Executed: exit with the status. Sourced (the entrypoint sources non-executable *.sh under
# `set -e`): return it, which stops the entrypoint on failure.
if [[ "${BASH_SOURCE[0]}" == "${0}" ]]; then
    memrepo_init
    exit $?
fi
memrepo_init || return 1
