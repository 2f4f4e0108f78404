"""Fivetran's connector test seeds in a warehouse: where they are, and a DuckDB file and an
spm.yaml (``source:`` beside ``database:``) made of them, for the vendor tests."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import SHARED_DATA

SHARED = SHARED_DATA
FALLBACK = Path("/work/shared/data")
SEEDS = next((p for p in (SHARED, FALLBACK) if (p / "fivetran-salesforce-seeds").exists()), SHARED)
SF_SEEDS = SEEDS / "fivetran-salesforce-seeds"
HS_SEEDS = SEEDS / "fivetran-hubspot-seeds"
needs_seeds = pytest.mark.skipif(not SF_SEEDS.exists(), reason=f"no seeds at {SF_SEEDS}")


def seed_frames(folder: Path, prefix: str = "sf_") -> dict[str, pd.DataFrame]:
    """Each seed as Fivetran names its table: sf_opportunity_data.csv -> opportunity."""
    return {
        re.sub(rf"^{prefix}|_data$", "", p.stem): pd.read_csv(p, dtype=str)
        for p in sorted(folder.glob("*.csv"))
    }


def duckdb_file(path: Path, frames: dict[str, pd.DataFrame], schema: str | None = None) -> Path:
    import duckdb

    con = duckdb.connect(str(path))
    catalog = con.execute("SELECT current_database()").fetchall()[0][0]
    if schema:
        con.execute(f'CREATE SCHEMA "{catalog}"."{schema}"')
    for name, frame in frames.items():
        con.register("frame", frame)
        table = '"' + name.replace('"', '""') + '"'  # a hostile name stays a name
        target = f'"{catalog}"."{schema}".{table}' if schema else table
        con.execute(f"CREATE TABLE {target} AS SELECT * FROM frame")
        con.unregister("frame")
    con.close()
    return path


def vendor_config(folder: Path, url: str, vendor: str, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spm.yaml").write_text(f"source: {vendor}\ndatabase:\n  url: {url}\n{extra}")
    return folder
