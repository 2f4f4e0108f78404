"""`spm run --segment-by`: a pack per audience, each holding nothing of another audience, with
its own forecast history; the index of every period lists them."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import spm


def _names_of(sample: Path, region: str | None) -> dict[str, set[str]]:
    """Rep names, managers, rep ids and account names of ``region`` (None: everyone); an
    account belongs to the reps that own it or have a deal on it."""
    reps = pd.read_csv(sample / "reps.csv")
    opps = pd.read_csv(sample / "opportunities.csv", usecols=["rep_id", "account_id"])
    accounts = pd.read_csv(sample / "accounts.csv")
    mine = reps if region is None else reps[reps["region"] == region]
    ids = set(mine["rep_id"])
    dealt = set(opps.loc[opps["rep_id"].isin(ids), "account_id"])
    held = accounts[accounts["owner_rep_id"].isin(ids) | accounts["account_id"].isin(dealt)]
    return {"rep": set(mine["name"]) | set(mine["manager"].dropna()), "id": ids,
            "account": set(held["name"])}  # fmt: skip


def _texts(pack: Path) -> dict[str, str]:
    return {str(p.relative_to(pack)): p.read_text(encoding="utf-8", errors="replace")
            for p in pack.rglob("*") if p.is_file()}  # fmt: skip


def test_each_region_pack_holds_nothing_of_another_region(by_region, small_sample):
    regions = sorted(pd.read_csv(small_sample / "reps.csv")["region"].dropna().unique())
    everyone = _names_of(small_sample, None)
    assert len(regions) >= 2
    for region in regions:
        pack = by_region / "2026-Q3" / f"region-{region}"
        texts = _texts(pack)
        assert {"index.html", "manifest.json", "rep_performance.html",
                "executed/rep_performance.ipynb", "executed/rep_performance.log"} <= set(texts)
        assert not list(pack.rglob("*.parquet"))  # the company's data stays in .spm
        mine = _names_of(small_sample, region)
        theirs = {kind: everyone[kind] - mine[kind] for kind in everyone}
        assert theirs["rep"] and theirs["account"]
        for path, text in texts.items():
            for kind in ("rep", "account"):
                for name in theirs[kind]:
                    for shown in {name, html.escape(name), json.dumps(name)[1:-1]}:
                        assert shown not in text, (region, path, kind, name)
            leaked = {i for i in theirs["id"] if re.search(rf"\b{i}\b", text)}
            assert not leaked, (region, path, leaked)
        manifest = json.loads(texts["manifest.json"])
        assert manifest["segment"] == f"region={region}"
        assert manifest["audience"] != "All"


def test_the_company_pack_and_the_index_of_every_period(by_region, small_sample):
    company = json.loads((by_region / "2026-Q3" / "all" / "manifest.json").read_text())
    assert company["segment"] == "" and company["folder"] == "all"
    index = (by_region / "index.html").read_text()
    regions = sorted(pd.read_csv(small_sample / "reps.csv")["region"].dropna().unique())
    links = re.findall(r'href="([^"]+)"', index)
    assert links[0] == "2026-Q3/all/index.html"
    assert set(links) == {"2026-Q3/all/index.html",
                          *(f"2026-Q3/region-{r}/index.html" for r in regions)}
    for link in links:
        assert (by_region / link).is_file()


def test_regions_add_up_to_the_company(by_region, small_sample):
    """Every rep has a region here, so the regions' bookings are the company's."""
    def bookings(folder: str) -> float:
        manifest = json.loads((by_region / "2026-Q3" / folder / "manifest.json").read_text())
        return {n["name"]: n for n in manifest["notebooks"]}["rep_performance"][
            "key_figures"]["bookings"]

    regions = sorted(pd.read_csv(small_sample / "reps.csv")["region"].dropna().unique())
    assert sum(bookings(f"region-{r}") for r in regions) == pytest.approx(bookings("all"))


def test_one_audience_never_changes_another_audiences_figures(by_region, small_sample, tmp_path):
    """The forecast history is kept per audience: after the regions' runs, the company's run
    again gives the company's figures as they were (it said -66% instead of -3.8% when the
    audiences shared one history)."""
    out = tmp_path / "out"
    shutil.copytree(by_region, out, symlinks=True)
    state = out / ".spm" / "state"
    assert (state / "all" / "forecast_history.csv").read_text() != (
        state / "region-West" / "forecast_history.csv").read_text()

    def forecast(folder: str) -> dict:
        manifest = json.loads((out / "2026-Q3" / folder / "manifest.json").read_text())
        return {n["name"]: n for n in manifest["notebooks"]}["forecasting"]["key_figures"]

    first, west = forecast("all"), forecast("region-West")
    assert west["forecast_next_quarter"] < first["forecast_next_quarter"]
    result = spm("run", "--data", str(small_sample), "--out", str(out), "--notebooks",
                 "forecasting", "--quiet")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert forecast("all") == first
    assert forecast("region-West") == west  # the West pack was left as it was


def test_segment_by_a_column_reps_do_not_have_is_an_error(small_sample, tmp_path):
    result = spm("run", "--data", str(small_sample), "--out", str(tmp_path), "--segment-by",
                 "planet", "--quiet")  # fmt: skip
    assert result.returncode == 2
    assert "reps has no column 'planet'" in result.stderr and "region" in result.stderr
    assert not (tmp_path / "2026-Q3").exists()
