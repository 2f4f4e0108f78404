"""Canonical tables from a database: PostgreSQL or any SQLAlchemy URL, DuckDB or SQLite files.

Where the tables come from, in ``spm.yaml`` (the dataset folder's, or ``load_dataset``'s
``config``)::

    database:
      url: postgresql://spm:${SPM_DB_PASSWORD}@db.internal:5432/crm   # or a .duckdb/.sqlite file
      tables:                      # canonical table: a table name or a query (default: same name)
        opportunities: SELECT * FROM crm.opportunities WHERE NOT is_deleted
        reps: sales.users

Credentials come from environment variables: ``${NAME}`` in the URL is replaced by the
variable's value when connecting (``PGPASSWORD`` fills a PostgreSQL password left out of the
URL). The URL shown anywhere (``Dataset.source``, errors, reports) has its password masked.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from spm_lib.dataset.urls import (
    SECRET_PARAMETERS,
    connect_url,
    expand,
    masked,
    password_of,
    refuse_written_secrets,
    scrubbed,
    secrets_of,
    secrets_to_scrub,
)
from spm_lib.exceptions import DataError

__all__ = [
    "SECRET_PARAMETERS",
    "masked",
    "password_of",
    "read_tables",
    "refuse_written_secrets",
    "secrets_of",
]

FILE_SUFFIXES = {".duckdb": "duckdb", ".db": "sqlite", ".sqlite": "sqlite", ".sqlite3": "sqlite"}


def is_database(target: str | Path) -> bool:
    """A URL (``scheme://...``) or a DuckDB/SQLite file."""
    text = str(target)
    return "://" in text or Path(text).suffix.lower() in FILE_SUFFIXES


def _kind(target: str) -> tuple[str, object]:
    """(duckdb | sqlalchemy, what to connect to) of a target: a file path, ``duckdb://PATH``,
    or a URL (:func:`~spm_lib.dataset.urls.connect_url`, variables expanded per component)."""
    path = Path(target)
    if "://" not in target:
        kind = FILE_SUFFIXES[path.suffix.lower()]
        if not path.exists():
            raise DataError(
                f"{path}: no such database file",
                path=str(path),
                expected="an existing DuckDB or SQLite file",
            )
        return ("duckdb", str(path)) if kind == "duckdb" else ("sqlalchemy", f"sqlite:///{path}")
    scheme, rest = target.split("://", 1)
    if scheme == "duckdb":
        return "duckdb", expand(rest, masked(target))
    return "sqlalchemy", connect_url(target)


def read_tables(
    target: str, queries: dict[str, str], tables: list[str] | None, schema: str | None = None
) -> tuple[dict[str, pd.DataFrame], str]:
    """Read each of ``tables`` that the database holds (``queries`` override the table name);
    ``tables=None`` reads every table of the ``schema`` (default: the connection's), for a
    vendor's objects as a connector lands them.

    Returns the frames and a fingerprint of their contents. Errors name the masked URL and
    never the password.
    """
    shown = masked(target)
    kind, connectable = _kind(target)
    secrets = secrets_to_scrub(connectable) if not isinstance(connectable, str) else []
    try:
        if kind == "duckdb":
            import duckdb

            con = duckdb.connect(connectable, read_only=True)
            sql_listing = "SELECT table_name FROM information_schema.tables"
            listed = [
                r[0]
                for r in (
                    con.execute(sql_listing + " WHERE table_schema = ?", [schema])
                    if schema
                    else con.execute(sql_listing)
                ).fetchall()
            ]

            def run(sql: str) -> pd.DataFrame:
                if len(con.extract_statements(sql)) != 1:
                    raise DataError(
                        f"database {shown}: {sql[:80]!r} is not one statement",
                        expected="one SELECT per table",
                    )
                return con.execute(sql).df()

            catalog = con.execute("SELECT current_database()").fetchall()[0][0]
            prefix = f"{quoted(catalog)}.{quoted(schema)}." if schema else ""
        else:
            import sqlalchemy as sa

            engine = sa.create_engine(_read_only(connectable))
            con = engine.connect()
            if engine.dialect.name == "postgresql":  # the session reads, never writes
                con.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            inspector = sa.inspect(con)
            listed = list(inspector.get_table_names(schema=schema))

            def run(sql: str) -> pd.DataFrame:
                one_statement(sql, shown)
                return pd.read_sql(sa.text(sql), con)

            prefix = f"{quoted(schema)}." if schema else ""
        available = {n.lower(): n for n in listed}
        frames = {}
        names = list(tables) if tables is not None else sorted(set(available) | set(queries))
        for table in names:
            sql = _table_sql(table, queries.get(table), available, prefix)
            if sql is not None:
                frames[table] = run(sql)
        con.close()
    except DataError:
        raise
    except Exception as exc:  # driver errors: shown without the password
        message = scrubbed(str(exc), secrets)
        raise DataError(
            f"database {shown}: {type(exc).__name__}: {message.splitlines()[0]}",
            path=shown,
            expected="a reachable database holding the canonical tables",
        ) from None
    return frames, _fingerprint(frames)


def _table_sql(table: str, source: str | None, available: dict, prefix: str) -> str | None:
    """The statement that reads ``table``: spm.yaml's query (``source`` with a space), its
    qualified table name, else the table as the database lists it; None when the database
    holds no such table and no query names one."""
    if source is None and table.lower() not in available:
        return None
    if source and " " in source.strip():
        return source  # the query spm.yaml gives, run as one statement
    if source and "." in source:
        return "SELECT * FROM " + ".".join(quoted(part) for part in source.split("."))
    name = available.get((source or table).lower(), source or table)
    return f"SELECT * FROM {prefix}{quoted(name)}"


def _fingerprint(frames: dict[str, pd.DataFrame]) -> str:
    """SHA-256 over the tables' names and contents (as text), in name order."""
    digest = hashlib.sha256()
    for name in sorted(frames):
        digest.update(name.encode())
        digest.update(pd.util.hash_pandas_object(frames[name].astype("str"), index=False).values)
    return digest.hexdigest()


def quoted(name: str) -> str:
    """An SQL identifier as standard SQL quotes it (``"`` doubled inside); a name with a
    control character is refused. A table's name is data: it never becomes SQL."""
    text = str(name)
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise DataError(
            f"database identifier {text[:60]!r} holds a control character",
            expected="a table or schema name without control characters",
        )
    return '"' + text.replace('"', '""') + '"'


def one_statement(sql: str, shown: str) -> None:
    """Refuse a query of more than one statement (a ``;`` outside quotes, but at the end)."""
    body, quote = sql.strip().rstrip(";"), None
    for char in body:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ";":
            raise DataError(
                f"database {shown}: {sql[:80]!r} is not one statement",
                expected="one SELECT per table",
            )


def _read_only(url):
    """A SQLite URL opened read-only (``mode=ro``); other URLs as they are."""
    from sqlalchemy.engine import make_url

    url = make_url(url)
    if url.drivername.startswith("sqlite") and url.database and url.query.get("mode") != "ro":
        return url.set(
            database=f"file:{url.database}", query={**url.query, "mode": "ro", "uri": "true"}
        )
    return url
