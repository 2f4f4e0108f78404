"""A role tree three deep, read through spm.yaml ``hierarchy``: a team named like its region and
a team named like a rep. Every report renders and the forecast's sums by hierarchy hold."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd

from spm_lib import load_dataset
from spm_lib.forecasting.coherent import coherent_forecast
from tests.helpers import spm


def _role_tree(small_sample, folder):
    shutil.copytree(small_sample, folder)
    reps = pd.read_csv(folder / "reps.csv", dtype=str)
    first_east = reps.index[reps["region"] == "East"][0]
    a_name = reps.loc[reps["region"] == "West", "name"].iloc[0]
    team = reps["team"].where(reps["region"] != "East", "East")  # a team named like its region
    team = team.where(reps["team"] != team[reps["region"] == "West"].iloc[0], a_name)  # a rep's
    reps["role_path"] = "CEO > " + reps["region"] + " > " + team + " > AE"
    reps.loc[first_east, "role_path"] = "CEO"  # a rep at the top of the tree: no region or team
    reps["region"], reps["team"] = "stale", "stale"  # the levels decide, not these columns
    reps.to_csv(folder / "reps.csv", index=False)
    config = folder / "spm.yaml"
    config.write_text(config.read_text() + "hierarchy: {region: 2, team: 3}\n")
    return folder, a_name


def test_every_report_renders_and_the_forecast_adds_up(small_sample, tmp_path):
    folder, a_name = _role_tree(small_sample, tmp_path / "tree")
    ds = load_dataset(folder)
    reps = ds["reps"]
    assert "stale" not in set(reps["region"].dropna()) | set(reps["team"].dropna())
    assert {"East", a_name} <= set(reps["team"].dropna()) and reps["region"].isna().sum() == 1
    fc = coherent_forecast(ds, ds.period("latest").end)
    names = [n.name for n in fc.nodes]
    assert "East / East" in names and len(names) == len(set(names))
    pivot = fc.monthly.pivot_table(index="period", columns="series", values="mean", aggfunc="sum")
    regions = [n.name for n in fc.nodes if n.level == "region"]
    teams = [n.name for n in fc.nodes if n.level == "team"]
    assert np.allclose(pivot[regions].sum(axis=1), pivot["Company"], atol=0.01)
    assert np.allclose(pivot[teams].sum(axis=1), pivot["Company"], atol=0.01)
    out = tmp_path / "out"
    result = spm("run", "--data", str(folder), "--out", str(out), "--jobs", "2", "--quiet")
    packs = list(out.glob("*/all/manifest.json"))
    manifest = json.loads(packs[0].read_text())
    failed = {n["name"]: n["error"] for n in manifest["notebooks"] if n["status"] != "ok"}
    assert not failed and result.returncode == 0, failed
    for page in packs[0].parent.glob("*.html"):
        text = page.read_text()
        assert "Traceback" not in text and "Error:" not in text, page.name
