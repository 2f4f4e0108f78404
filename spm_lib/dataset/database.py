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
import os
import re
from pathlib import Path

import pandas as pd

from spm_lib.exceptions import DataError

FILE_SUFFIXES = {".duckdb": "duckdb", ".db": "sqlite", ".sqlite": "sqlite", ".sqlite3": "sqlite"}
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def is_database(target: str | Path) -> bool:
    """A URL (``scheme://...``) or a DuckDB/SQLite file."""
    text = str(target)
    return "://" in text or Path(text).suffix.lower() in FILE_SUFFIXES


# the user info of a URL (``user:password@``; the user may be empty) and the query parameters
# that carry a credential
_USER_PASSWORD = re.compile(r"(://[^/?#:@]*:)([^/?#]*)(@)")
SECRET_PARAMETERS = ("password", "passwd", "pwd", "pass", "sslpassword", "secret", "token",
                     "access_token", "api_key", "apikey", "access_key", "secret_key",
                     "client_secret", "auth", "key")  # fmt: skip
_SECRET_QUERY = re.compile(
    r"([?&;](?:" + "|".join(SECRET_PARAMETERS) + r")=)([^&;#]*)", re.IGNORECASE)


def masked(url: str) -> str:
    """The URL with every credential replaced by ``***``: the password of its user info
    (``user:***@``, ``:***@``) and the value of a query parameter that carries one
    (:data:`SECRET_PARAMETERS`, e.g. ``?password=***``). Variables are masked too."""
    text = _USER_PASSWORD.sub(r"\1***\3", str(url))
    return _SECRET_QUERY.sub(r"\1***", text)


def refuse_written_secrets(url: str, where: str = "") -> None:
    """Raise DataError when ``url`` has a credential written in it instead of a ``${NAME}``
    environment variable (user-info password or query parameter, :func:`secrets_of`): run
    outputs keep the data reference, so a written password would be stored with them."""
    written = [s for s in secrets_of(url) if not _VARIABLE.fullmatch(s)]
    if written:
        raise DataError(
            f"{where}{masked(url)}: put the password in an environment variable, e.g. "
            "postgresql://user:${PGPASSWORD}@host/db or ?password=${PGPASSWORD}; run outputs "
            "keep the data reference, so a password written in the URL would be stored with "
            "them",
            path=masked(url), expected="${NAME} instead of the password",
        )  # fmt: skip


def _expand(url: str) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise DataError(f"database URL {masked(url)}: environment variable {name} is not set",
                            expected=f"the environment variable {name}")  # fmt: skip
        return os.environ[name]

    return _VARIABLE.sub(value, url)


def _kind(target: str) -> tuple[str, str]:
    """(duckdb | sqlalchemy, connectable) of a target."""
    path = Path(target)
    if "://" not in target:
        kind = FILE_SUFFIXES[path.suffix.lower()]
        if not path.exists():
            raise DataError(f"{path}: no such database file", path=str(path),
                            expected="an existing DuckDB or SQLite file")  # fmt: skip
        return ("duckdb", str(path)) if kind == "duckdb" else ("sqlalchemy", f"sqlite:///{path}")
    scheme = target.split("://", 1)[0]
    if scheme == "duckdb":
        return "duckdb", target.split("://", 1)[1]
    if scheme in ("postgresql", "postgres"):
        target = "postgresql+pg8000://" + target.split("://", 1)[1]
    return "sqlalchemy", target


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
    url = _expand(target)
    secrets = secrets_of(url)
    kind, connectable = _kind(url)
    try:
        if kind == "duckdb":
            import duckdb

            con = duckdb.connect(connectable, read_only=True)
            sql_listing = "SELECT table_name FROM information_schema.tables"
            listed = [r[0] for r in (
                con.execute(sql_listing + " WHERE table_schema = ?", [schema]) if schema
                else con.execute(sql_listing)).fetchall()]  # fmt: skip

            def run(sql: str) -> pd.DataFrame:
                if len(con.extract_statements(sql)) != 1:
                    raise DataError(f"database {shown}: {sql[:80]!r} is not one statement",
                                    expected="one SELECT per table")  # fmt: skip
                return con.execute(sql).df()

            catalog = con.execute("SELECT current_database()").fetchall()[0][0]
            prefix = f"{quoted(catalog)}.{quoted(schema)}." if schema else ""
        else:
            import sqlalchemy as sa

            engine = sa.create_engine(_read_only(_with_pgpassword(connectable)))
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
            source = queries.get(table)
            if source is None and table.lower() not in available:
                continue
            if source and " " in source.strip():
                sql = source  # the query spm.yaml gives, run as one statement
            elif source and "." in source:
                sql = "SELECT * FROM " + ".".join(quoted(part) for part in source.split("."))
            else:
                name = available.get((source or table).lower(), source or table)
                sql = f"SELECT * FROM {prefix}{quoted(name)}"
            frames[table] = run(sql)
        con.close()
    except DataError:
        raise
    except Exception as exc:  # driver errors: shown without the password
        message = str(exc)
        for secret in secrets:
            message = message.replace(secret, "***")
        raise DataError(f"database {shown}: {type(exc).__name__}: {message.splitlines()[0]}",
                        path=shown, expected="a reachable database holding the "
                        "canonical tables") from None  # fmt: skip
    digest = hashlib.sha256()
    for name in sorted(frames):
        digest.update(name.encode())
        digest.update(pd.util.hash_pandas_object(frames[name].astype("str"), index=False).values)
    return frames, digest.hexdigest()


def quoted(name: str) -> str:
    """An SQL identifier as standard SQL quotes it (``"`` doubled inside); a name with a
    control character is refused. A table's name is data: it never becomes SQL."""
    text = str(name)
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise DataError(f"database identifier {text[:60]!r} holds a control character",
                        expected="a table or schema name without control characters")
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
            raise DataError(f"database {shown}: {sql[:80]!r} is not one statement",
                            expected="one SELECT per table")  # fmt: skip


def _read_only(url: str) -> str:
    """A SQLite URL opened read-only (``mode=ro``); other URLs as they are."""
    if url.startswith("sqlite:///") and "mode=ro" not in url:
        return "sqlite:///file:" + url[len("sqlite:///"):] + "?mode=ro&uri=true"
    return url


def password_of(url: str) -> str | None:
    """The password written in a URL's user info (None without one)."""
    match = _USER_PASSWORD.search(url)
    return match.group(2) if match and match.group(2) else None


def secrets_of(url: str) -> list[str]:
    """Every credential written in a URL: its user-info password and the values of its
    credential query parameters (:data:`SECRET_PARAMETERS`), as written (``${NAME}`` too)."""
    found = [password_of(url)] + [m.group(2) for m in _SECRET_QUERY.finditer(url)]
    return [s for s in found if s]


def _with_pgpassword(url: str) -> str:
    """A PostgreSQL URL without a password takes ``PGPASSWORD`` from the environment."""
    if url.startswith("postgresql") and password_of(url) is None and os.environ.get("PGPASSWORD"):
        from urllib.parse import quote

        return re.sub(r"(://[^:/@]+)@", rf"\1:{quote(os.environ['PGPASSWORD'])}@", url, count=1)
    return url
