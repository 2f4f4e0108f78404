"""Databases hold the canonical tables: DuckDB and SQLite files and a PostgreSQL server give
the same dataset as the folder they were filled from; credentials never show."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.dataset.database import masked, secrets_of
from spm_lib.exceptions import DataError
from tests.helpers import spm


def _frames(folder):
    return {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False) for p in folder.glob("*.csv")}


def _copy(table, conn, keys, data_iter) -> int:
    """pandas ``to_sql`` method: the rows through PostgreSQL's COPY (pg8000's ``stream``),
    50x faster than INSERTs of many rows."""
    import csv
    import io

    buffer = io.StringIO()
    rows = list(data_iter)
    csv.writer(buffer, quoting=csv.QUOTE_ALL).writerows(rows)  # "" stays "", not NULL
    buffer.seek(0)
    columns = ", ".join(f'"{k}"' for k in keys)
    cursor = conn.connection.driver_connection.cursor()
    cursor.execute(f'COPY "{table.name}" ({columns}) FROM STDIN WITH (FORMAT csv)', stream=buffer)
    return len(rows)


def _same(a, b):
    assert a.rows_read == b.rows_read
    for name in a.tables:
        assert len(a[name]) == len(b[name]), name
    assert a.opportunities["amount"].sum() == pytest.approx(b.opportunities["amount"].sum())
    assert set(a.opportunities["opportunity_id"]) == set(b.opportunities["opportunity_id"])
    assert a.as_of == b.as_of


def test_duckdb_and_sqlite_files_load_like_the_folder(small_sample, tmp_path):
    import duckdb
    import sqlalchemy as sa

    folder = load_dataset(small_sample)
    duck = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(duck))
    for name, frame in _frames(small_sample).items():
        con.register("frame", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
        con.unregister("frame")
    con.close()
    shutil.copy(small_sample / "spm.yaml", tmp_path / "spm.yaml")  # found beside the file
    _same(load_dataset(duck), folder)
    lite = tmp_path / "crm.sqlite"
    engine = sa.create_engine(f"sqlite:///{lite}")
    with engine.begin() as con:
        for name, frame in _frames(small_sample).items():
            frame.to_sql(name, con, index=False)
    _same(load_dataset(lite), folder)
    assert load_dataset(lite).fingerprint == load_dataset(lite).fingerprint


def test_queries_in_spm_yaml_select_the_rows(small_sample, tmp_path):
    import sqlalchemy as sa

    lite = tmp_path / "crm.sqlite"
    engine = sa.create_engine(f"sqlite:///{lite}")
    with engine.begin() as con:
        for name, frame in _frames(small_sample).items():
            frame.rename(columns={"rep_id": "owner"} if name == "reps" else {}).to_sql(
                f"crm_{name}", con, index=False
            )
    folder = tmp_path / "ds"
    folder.mkdir()
    config = (
        (small_sample / "spm.yaml").read_text()
        + f"""
database:
  url: sqlite:///{lite}
  tables:
    opportunities: SELECT * FROM crm_opportunities WHERE rep_id <> 'R0001'
    reps: SELECT owner AS rep_id, * FROM crm_reps
    quotas: crm_quotas
"""
    )
    (folder / "spm.yaml").write_text(config)
    ds = load_dataset(folder)
    assert "R0001" not in set(ds.opportunities["rep_id"]) and len(ds.reps) == 24
    assert set(ds.tables) == {"reps", "opportunities", "quotas"}


def test_postgresql_server(postgres_url, small_sample, tmp_path, monkeypatch):
    import sqlalchemy as sa

    from spm_lib.dataset.urls import connect_url

    engine = sa.create_engine(connect_url(postgres_url))
    with engine.begin() as con:
        for name, frame in _frames(small_sample).items():
            frame.to_sql(name, con, index=False, if_exists="replace", method=_copy)
    config = tmp_path / "spm.yaml"
    shutil.copy(small_sample / "spm.yaml", config)
    ds = load_dataset(postgres_url, config=config)
    _same(ds, load_dataset(small_sample))
    password = "s3cret-for-tests"
    assert password not in ds.source and "${SPM_TEST_PG_PASSWORD}" not in ds.source
    # a wrong password: an error that names the database but not the password
    monkeypatch.setenv("SPM_TEST_PG_PASSWORD", "wrong-password")
    with pytest.raises(DataError) as info:
        load_dataset(postgres_url, config=config)
    assert "wrong-password" not in str(info.value) and "127.0.0.1" in str(info.value)
    monkeypatch.setenv("SPM_TEST_PG_PASSWORD", password)
    # end to end: the reports render from the server, and nothing stores the password
    out = tmp_path / "out"
    result = spm(
        "run",
        "--data",
        postgres_url,
        "--config",
        str(config),
        "--out",
        str(out),
        "--notebooks",
        "data_quality,rep_performance",
        "--quiet",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((out / "2026-Q3" / "all" / "manifest.json").read_text())
    assert [n["status"] for n in manifest["notebooks"]] == ["ok", "ok"]
    for path in out.rglob("*"):
        if path.is_file():
            assert password not in path.read_text(errors="ignore"), path
    literal = postgres_url.replace("${SPM_TEST_PG_PASSWORD}", password)
    in_query = postgres_url.replace(":${SPM_TEST_PG_PASSWORD}@", "@") + f"?password={password}"
    no_user = postgres_url.replace("spm:${SPM_TEST_PG_PASSWORD}@", f":{password}@")
    for written in (literal, in_query, no_user):
        refused = spm("run", "--data", written, "--config", str(config), "--out", str(out))
        assert refused.returncode == 2 and password not in refused.stderr + refused.stdout
        assert "environment variable" in refused.stderr
    # the password as a query parameter from the environment: read, and stored nowhere
    from_query = postgres_url.replace(":${SPM_TEST_PG_PASSWORD}@", "@") + (
        "?password=${SPM_TEST_PG_PASSWORD}"
    )
    query_out = tmp_path / "query-out"
    result = spm(
        "run",
        "--data",
        from_query,
        "--config",
        str(config),
        "--out",
        str(query_out),
        "--notebooks",
        "data_quality",
        "--quiet",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert password not in result.stdout + result.stderr
    for path in query_out.rglob("*"):
        if path.is_file():
            assert password not in path.read_text(errors="ignore"), path
    page = (query_out / "2026-Q3" / "all" / "data_quality.html").read_text()
    assert "data spm · fingerprint" in page  # forwarded pages name the data, not the server


def test_masked_urls_and_missing_variables(monkeypatch):
    assert masked("postgresql://me:pa55@h/db") == "postgresql://me:***@h/db"
    assert masked("postgresql://me@h/db") == "postgresql://me@h/db"
    assert masked("postgresql://:pa55@h/db") == "postgresql://:***@h/db"
    assert masked("postgresql://me@h/db?sslmode=require&password=pa55") == (
        "postgresql://me@h/db?sslmode=require&password=***"
    )
    assert masked("mssql://h/db?PWD=pa55;token=t0k") == "mssql://h/db?PWD=***"
    assert secrets_of("postgresql://me:a@h/db?password=b&apikey=c") == ["a", "b", "c"]
    with pytest.raises(DataError, match="environment variable") as refused:
        load_dataset("postgresql://me@127.0.0.1:1/db?password=pa55")
    assert "pa55" not in str(refused.value)
    monkeypatch.delenv("NOPE_PW", raising=False)
    with pytest.raises(DataError, match="environment variable NOPE_PW is not set"):
        load_dataset("postgresql://me:${NOPE_PW}@127.0.0.1:1/db")
    with pytest.raises(DataError, match="no such database file"):
        load_dataset("/nonexistent/crm.duckdb")
