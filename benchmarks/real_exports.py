"""Every real dataset in ../shared/data through the suite, as a new user would take it.

For each: the import (`spm import`, or the mapping, or a warehouse of the connector's seeds),
the load, then `spm run` of every report. Prints per dataset the reps (selling), accounts,
activities, the open pipeline at the data's as-of date (as the history replays it), the period
reported and the seconds of each report. Usage:
    .venv/bin/python benchmarks/real_exports.py [--shared ../shared/data] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from spm_lib import load_dataset
from spm_lib.importers import import_export
from spm_lib.pipeline.as_of import pipeline_as_of

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


def _warehouse(seeds: Path, prefix: str, vendor: str, folder: Path) -> Path:
    """A connector's seeds as a DuckDB warehouse and an spm.yaml that reads it."""
    import duckdb

    folder.mkdir(parents=True)
    db = folder / "crm.duckdb"
    con = duckdb.connect(str(db))
    for path in sorted(seeds.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str)
        con.register("frame", frame)
        con.execute(
            f'CREATE TABLE "{re.sub(rf"^{prefix}|_data$", "", path.stem)}" AS SELECT * FROM frame'
        )
        con.unregister("frame")
    con.close()
    (folder / "spm.yaml").write_text(f"source: {vendor}\ndatabase:\n  url: {db}\n")
    return folder


def datasets(shared: Path, scratch: Path) -> dict[str, Path]:
    """Each real dataset as a folder the suite reads."""
    out = {}
    mit = shared / "salesforce-export-excel-mit"
    if mit.exists():
        out["salesforce-export-excel-mit"] = import_export("salesforce", [mit], scratch / "mit")
    maven = shared / "maven-crm-sales-opportunities"
    if maven.exists():
        out["maven-crm-sales-opportunities"] = import_export("maven", [maven], scratch / "maven")
    olist = shared / "olist-marketing-funnel"
    if olist.exists():  # read in place through the mapping (CC BY-NC-SA: never copied)
        folder = scratch / "olist"
        folder.mkdir()
        config = (ROOT / "examples" / "olist" / "spm.yaml").read_text()
        (folder / "spm.yaml").write_text(config)
        for path in olist.glob("*.csv"):
            (folder / path.name).symlink_to(path)
        out["olist-marketing-funnel"] = folder
    for name, prefix, vendor in (
        ("fivetran-salesforce-seeds", "sf_", "salesforce"),
        ("fivetran-hubspot-seeds", "", "hubspot"),
    ):
        if (shared / name).exists():
            out[name] = _warehouse(shared / name, prefix, vendor, scratch / name)
    return out


def _rows(ds, table: str) -> int:
    frame = ds.get(table)
    return 0 if frame is None else len(frame)


def describe(folder: Path) -> dict:
    ds = load_dataset(folder)
    opps = ds.opportunities
    if ds.has("opportunity_history"):
        pipeline = pipeline_as_of(ds, ds.as_of)["amount"].sum()
    else:
        open_ = ~opps["is_closed"] & (opps["created_date"] <= pd.Timestamp(ds.as_of))
        pipeline = opps.loc[open_, "amount"].sum()
    return {
        "reps": len(ds.reps),
        "accounts": _rows(ds, "accounts"),
        "activities": _rows(ds, "activities"),
        "as_of": ds.as_of.isoformat(),
        "open_pipeline": float(pipeline),
        "currency": ds.config.currency,
    }


def run(folder: Path, out: Path, jobs: int) -> dict:
    started = time.perf_counter()
    command = [
        str(BIN / "spm"),
        "run",
        "--data",
        str(folder),
        "--out",
        str(out),
        "--jobs",
        str(jobs),
        "--quiet",
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    manifests = list(out.glob("*/all/manifest.json"))
    if not manifests:
        return {"wall": wall, "error": done.stderr.strip()[-300:]}
    manifest = json.loads(manifests[0].read_text())
    return {
        "wall": wall,
        "period": manifest["period"],
        "reports": {
            n["name"]: (round(n["seconds"], 1), n["status"]) for n in manifest["notebooks"]
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, folder in datasets(Path(args.shared), Path(tmp)).items():
            facts = describe(folder)
            result = run(folder, Path(tmp) / f"out-{name}", args.jobs)
            print(f"## {name}")
            print(
                f"reps {facts['reps']}, accounts {facts['accounts']}, activities "
                f"{facts['activities']}, open pipeline {facts['open_pipeline']:,.0f} "
                f"{facts['currency']} at {facts['as_of']}"
            )
            if "error" in result:
                print(f"spm run failed ({result['wall']:.0f} s): {result['error']}")
                continue
            shown = ", ".join(
                f"{n} {s} s{'' if status == 'ok' else ' FAILED'}"
                for n, (s, status) in result["reports"].items()
            )
            print(f"period {result['period']}, {result['wall']:.0f} s wall: {shown}")


if __name__ == "__main__":
    main()
