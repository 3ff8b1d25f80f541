#!/bin/bash
# memrepo application user for gvenzl/oracle-free (mounted or copied into
# /container-entrypoint-initdb.d). The image runs these scripts once, after the first database
# creation, after its own APP_USER handling and before it prints "DATABASE IS READY TO USE!"
# (which is what Testcontainers waits for). *.sql files there run as `sqlplus / as sysdba` in
# the CDB root and cannot read the environment, hence a shell script. It may be executed or
# sourced (the entrypoint sources non-executable *.sh), so it defines a function and never exits.
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
# (The image's APP_USER also gets DB_DEVELOPER_ROLE, which includes most of the above; they are
# granted explicitly so the user works the same when created here.)
#
# Tenant schemas: deliberately NO "ANY" privileges (CREATE ANY TABLE, ALTER ANY TABLE, CREATE
# USER...). Those would let the application user write into every schema of the PDB. Tests that
# need another schema create it through a privileged connection (SYSTEM, whose password is
# ORACLE_PASSWORD; tests/providers.py exposes it as Provider.admin_url) and grant what the test
# needs on it, e.g. the tenant user's own CREATE privileges or object grants to memrepo.
memrepo_create_app_user() {
    local user="${APP_USER:-memrepo}"
    local password="${APP_USER_PASSWORD:-memrepo}"
    local pdb="${MEMREPO_PDB:-FREEPDB1}"
    local vector_memory="${MEMREPO_VECTOR_MEMORY_SIZE:-256M}"

    echo "memrepo: preparing application user ${user} in ${pdb}"
    sqlplus -s / as sysdba <<EOF
WHENEVER SQLERROR EXIT SQL.SQLCODE
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
ALTER USER ${user} DEFAULT TABLESPACE users;
exit;
EOF
    # Marker for healthchecks (docker/compose.yaml): the grants above are in place.
    touch "${ORACLE_BASE:-/opt/oracle}/oradata/.memrepo-init-done" 2>/dev/null || true
    echo "memrepo: application user ${user} ready"
}

memrepo_create_app_user
