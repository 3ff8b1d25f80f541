"""Oracle's reserved words: names that cannot be unquoted identifiers, aliases or bind names.

The list of the Oracle SQL Language Reference, appendix "Oracle SQL Reserved Words" (the
words `V$RESERVED_WORDS` marks RESERVED = 'Y'; COLUMN_VALUE and NESTED_TABLE_ID are listed
there as pseudocolumn names that are reserved too). SQLAlchemy's Oracle dialect quotes only
the words of its own, shorter list (`sqlalchemy.dialects.oracle.base.RESERVED_WORDS` lacks
ACCESS, ADD, AUDIT, COLUMN, FILE, ROWS, SESSION, SUCCESSFUL and others), so a name such as
`rows` or `session` would reach Oracle unquoted and fail (ORA-00904 / ORA-00936). The
compiled-statement cache rejects such names (repo/sql/cache.py), and the Oracle golden scan
(tests/oracle_scan.py) checks every emitted statement.

On a server: `SELECT keyword FROM v$reserved_words WHERE reserved = 'Y'` lists them.
"""

from __future__ import annotations

_AS_PRINTED = """
    ACCESS ADD ALL ALTER AND ANY AS ASC AUDIT BETWEEN BY CHAR CHECK CLUSTER COLUMN
    COLUMN_VALUE COMMENT COMPRESS CONNECT CREATE CURRENT DATE DECIMAL DEFAULT DELETE DESC
    DISTINCT DROP ELSE EXCLUSIVE EXISTS FILE FLOAT FOR FROM GRANT GROUP HAVING IDENTIFIED
    IMMEDIATE IN INCREMENT INDEX INITIAL INSERT INTEGER INTERSECT INTO IS LEVEL LIKE LOCK
    LONG MAXEXTENTS MINUS MLSLABEL MODE MODIFY NESTED_TABLE_ID NOAUDIT NOCOMPRESS NOT NOWAIT
    NULL NUMBER OF OFFLINE ON ONLINE OPTION OR ORDER PCTFREE PRIOR PRIVILEGES PUBLIC RAW
    RENAME RESOURCE REVOKE ROW ROWID ROWNUM ROWS SELECT SESSION SET SHARE SIZE SMALLINT
    START SUCCESSFUL SYNONYM SYSDATE TABLE THEN TO TRIGGER UID UNION UNIQUE UPDATE USER
    VALIDATE VALUES VARCHAR VARCHAR2 VIEW WHENEVER WHERE WITH
"""
ORACLE_RESERVED_WORDS: frozenset[str] = frozenset(_AS_PRINTED.split())

#: Reserved words per dialect name, for checks that are not dialect-specific code.
RESERVED_WORDS: dict[str, frozenset[str]] = {"oracle": ORACLE_RESERVED_WORDS}


def is_reserved(dialect: str, name: str) -> bool:
    """Whether `name`, unquoted, is a reserved word of `dialect`."""
    return name.upper() in RESERVED_WORDS.get(dialect, frozenset())
