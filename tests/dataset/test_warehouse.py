"""Vendor objects as connectors land them in a warehouse (spm.yaml ``source:`` beside
``database:``): Fivetran's own test seeds, and the Data Export fixture in snake_case, in DuckDB
and in the PostgreSQL server the tests start."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.exceptions import DataError
from spm_lib.importers import import_export
from tests.dataset import salesforce_export as sf
from tests.dataset.seeds import (
    SF_SEEDS,
    duckdb_file,
    needs_seeds,
    seed_frames,
    vendor_config,
)


@needs_seeds
def test_fivetran_salesforce_seeds_every_row_has_its_reason(tmp_path):
    frames = seed_frames(SF_SEEDS)
    db = duckdb_file(tmp_path / "sf.duckdb", frames)
    ds = load_dataset(vendor_config(tmp_path / "ds", str(db), "salesforce"))
    recon = ds.reconciliation().set_index("table")
    assert recon["reconciles"].all()
    opp = frames["opportunity"]
    assert recon.loc["opportunities", "rows_read"] == len(opp) == 10
    # every seed opportunity is deleted (is_deleted true): each is quarantined as such
    deleted = opp["is_deleted"].str.lower().eq("true")
    q = ds.quarantine
    mine = q[q["table"] == "opportunities"]
    assert (mine["check"] == "excluded").sum() == int(deleted.sum()) == 10
    assert mine["reason"].str.contains("deleted in the CRM").all()
    # users: deleted (_fivetran_deleted) or an earlier version (_fivetran_active false)
    user = frames["user"]
    gone = user["_fivetran_deleted"].str.lower().eq("true") | user[
        "_fivetran_active"
    ].str.lower().eq("false")
    reps = q[q["table"] == "reps"]
    assert len(reps) == int(gone.sum()) == 6 and set(reps["check"]) == {"excluded"}
    # the 4 live users have an obfuscated (so non-standard) UserType and own nothing that
    # resolves: not reps, left out and counted by the import, not listed as rows
    people = ds.config.imported_from["people"]
    assert recon.loc["reps", "rows_used"] == 0 and people["reps"] == 0
    assert people["left_out"] == {"an automated, integration or non-standard user": 4}
    # the history-mode table of Account is not read beside the current one
    assert recon.loc["accounts", "rows_read"] == len(frames["account"])
    # obfuscated owners do not resolve: unknown owners, named as such
    tasks = q[(q["table"] == "activities") & (q["check"] == "orphan_rep_id")]
    assert tasks["reason"].str.contains("is not in reps").all() and len(tasks) == 20
    allowed = {
        "excluded",
        "orphan_rep_id",
        "orphan_opportunity_id",
        "orphan_owner_rep_id",
        "duplicate_key",
    }
    assert set(q["check"]) <= allowed, set(q["check"])


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _export_as_warehouse(folder: Path) -> dict[str, pd.DataFrame]:
    """The Data Export fixture as a connector lands it: snake_case tables and columns."""
    frames = {}
    for path in folder.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, encoding="latin-1")
        frame.columns = [_snake(c).replace("i_d", "id") for c in frame.columns]
        frames[_snake(path.stem)] = frame
    return frames


def test_one_mapping_serves_exports_and_warehouses(tmp_path):
    export = sf.write(tmp_path / "export")
    from_files = load_dataset(import_export("salesforce", [export], tmp_path / "files"))
    db = duckdb_file(tmp_path / "crm.duckdb", _export_as_warehouse(export), schema="salesforce")
    folder = vendor_config(tmp_path / "wh", str(db), "salesforce", "  schema: salesforce\n")
    from_warehouse = load_dataset(folder)
    for table in ("opportunities", "opportunity_history", "stage_history", "reps", "leads"):
        a = from_files[table].reset_index(drop=True)
        b = from_warehouse[table].reset_index(drop=True)
        pd.testing.assert_frame_equal(a[list(a.columns)], b[list(a.columns)], check_dtype=False)
    assert from_files.as_of == from_warehouse.as_of
    assert from_files.quarantine["check"].tolist() == from_warehouse.quarantine["check"].tolist()


def test_spm_yaml_rules_add_to_the_vendor_mapping(tmp_path):
    export = sf.write(tmp_path / "export")
    db = duckdb_file(tmp_path / "crm.duckdb", _export_as_warehouse(export))
    rule = "mapping:\n  tables:\n    opportunities:\n      where: {lead_source: Partner}\n"
    ds = load_dataset(vendor_config(tmp_path / "wh", str(db), "salesforce", rule))
    q = ds.quarantine[ds.quarantine["table"] == "opportunities"]
    # the vendor's own rule (deleted rows) still applies beside spm.yaml's
    assert len(ds.opportunities) == 0 and q["row"].nunique() == len(sf.OPPORTUNITIES)
    excluded = q[q["check"] == "excluded"]
    assert excluded["row"].nunique() == len(sf.OPPORTUNITIES)
    assert excluded["reason"].str.contains("keeps only lead_source = 'Partner'|deleted").all()


def _postgres_schema(postgres_url: str, schema: str, frames: dict[str, pd.DataFrame]):
    """The schema ``schema`` of the test server, made afresh of ``frames``; the engine."""
    import sqlalchemy as sa

    from spm_lib.dataset.urls import connect_url

    engine = sa.create_engine(connect_url(postgres_url))
    with engine.begin() as con:
        con.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        con.execute(sa.text(f"CREATE SCHEMA {schema}"))
        for name, frame in frames.items():
            frame.to_sql(name, con, schema=schema, index=False, method="multi")
    return engine


def test_warehouse_in_postgresql(postgres_url, tmp_path):

    export = sf.write(tmp_path / "export")
    # PostgreSQL text cannot hold a NUL byte, so a warehouse there has none
    frames = {n: f.replace("\x00", "", regex=True) for n, f in _export_as_warehouse(export).items()}
    _postgres_schema(postgres_url, "salesforce", frames)
    folder = vendor_config(tmp_path / "pg", postgres_url, "salesforce", "  schema: salesforce\n")
    ds = load_dataset(folder)
    from_files = load_dataset(import_export("salesforce", [export], tmp_path / "files"))
    assert ds.reconciliation().equals(from_files.reconciliation())
    assert ds.opportunities["amount"].sum() == pytest.approx(
        from_files.opportunities["amount"].sum()
    )


@needs_seeds
def test_every_report_renders_on_the_seeds_where_nothing_is_usable(tmp_path):
    import json

    from tests.helpers import spm

    db = duckdb_file(tmp_path / "sf.duckdb", seed_frames(SF_SEEDS))
    folder = vendor_config(tmp_path / "ds", str(db), "salesforce")
    result = spm(
        "run",
        "--data",
        str(folder),
        "--period",
        "2019-Q1",
        "--out",
        str(tmp_path / "o"),
        "--jobs",
        "2",
        "--quiet",
    )
    manifest = json.loads((tmp_path / "o" / "2019-Q1" / "all" / "manifest.json").read_text())
    failed = {n["name"]: n["error"] for n in manifest["notebooks"] if n["status"] != "ok"}
    assert not failed and result.returncode == 0, failed
    figures = {n["name"]: n["key_figures"] for n in manifest["notebooks"]}
    assert figures["data_quality"]["rows_quarantined"] == 57
    assert figures["rep_performance"]["bookings"] == 0


HOSTILE = ["x\"; COPY (SELECT 1) TO 'PWNED.txt'; --", 'a\'; DROP TABLE "user"; --']


def _hostile_tables(export: Path) -> dict[str, pd.DataFrame]:
    """The Data Export fixture as a warehouse, plus tables whose names are SQL."""
    frames = _export_as_warehouse(export)
    frames[HOSTILE[0]] = pd.DataFrame({"x": ["1"]})
    frames[HOSTILE[1]] = pd.DataFrame({"y": ["2"]})
    return frames


def test_table_names_are_data_never_sql_in_duckdb(tmp_path, monkeypatch):
    """A table named like an injection is read as a table of that name (and not used: it is
    no object); no file is written, the other tables are as they were."""
    monkeypatch.chdir(tmp_path)
    export = sf.write(tmp_path / "export")
    db = duckdb_file(tmp_path / "crm.duckdb", _hostile_tables(export))
    ds = load_dataset(vendor_config(tmp_path / "wh", str(db), "salesforce"))
    assert not list(tmp_path.rglob("PWNED*"))
    from_files = load_dataset(import_export("salesforce", [export], tmp_path / "files"))
    assert ds.reconciliation().equals(from_files.reconciliation())
    used = ds.config.imported_from["files"]
    assert not set(HOSTILE) & set(used)


def test_table_names_are_data_never_sql_in_postgresql(postgres_url, tmp_path, monkeypatch):
    import sqlalchemy as sa

    monkeypatch.chdir(tmp_path)
    export = sf.write(tmp_path / "export")
    frames = {n: f.replace("\x00", "", regex=True) for n, f in _hostile_tables(export).items()}
    engine = _postgres_schema(postgres_url, "hostile", frames)
    folder = vendor_config(tmp_path / "pg", postgres_url, "salesforce", "  schema: hostile\n")
    ds = load_dataset(folder)
    from_files = load_dataset(import_export("salesforce", [export], tmp_path / "files"))
    assert ds.reconciliation().equals(from_files.reconciliation())
    with engine.connect() as con:  # every table is still there
        names = set(sa.inspect(con).get_table_names(schema="hostile"))
    assert set(frames) <= names and not list(tmp_path.rglob("PWNED*"))


def test_a_query_is_one_statement_and_identifiers_are_quoted():
    from spm_lib.dataset.database import one_statement, quoted

    assert quoted('a"b') == '"a""b"'
    with pytest.raises(DataError, match="control character"):
        quoted("a\nb")
    one_statement("SELECT * FROM t WHERE x = 'a;b';", "db")  # a ; in a string, one at the end
    with pytest.raises(DataError, match="not one statement"):
        one_statement("SELECT 1; DROP TABLE t", "db")
