"""Sample data: deterministic, loads cleanly, and the planted effects are really in the data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.sample import OPEN_STAGES, generate, ramp, write_sample
from spm_lib.suite.cli import main


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_gives_byte_identical_files(tmp_path):
    a = write_sample(tmp_path / "a", seed=3, reps=12, years=2)
    b = write_sample(tmp_path / "b", seed=3, reps=12, years=2)
    c = write_sample(tmp_path / "c", seed=4, reps=12, years=2)
    files_a = _files(a)
    assert set(files_a) >= {"reps.csv", "opportunities.csv", "spm.yaml", "ground_truth.json"}
    assert files_a == _files(b)
    assert files_a["opportunities.csv"] != _files(c)["opportunities.csv"]


def test_cli_writes_the_sample(tmp_path, capsys):
    assert (
        main(
            [
                "sample-data",
                "--out",
                str(tmp_path / "s"),
                "--seed",
                "5",
                "--reps",
                "12",
                "--years",
                "1",
            ]
        )
        == 0
    )
    assert "Sample dataset written" in capsys.readouterr().out
    assert (tmp_path / "s" / "ground_truth.json").exists()


def test_default_sample_shape(default_sample):
    ds = load_dataset(default_sample)
    assert ds.quarantine.empty
    assert set(ds.tables) == {
        "reps",
        "accounts",
        "opportunities",
        "stage_history",
        "quotas",
        "activities",
        "trainings",
        "rep_skills",
        "opportunity_splits",
        "leads",
        "opportunity_history",
        "forecast_calls",
    }
    sdrs = ds["reps"][ds["reps"]["role"] == "SDR"]
    assert len(sdrs) == 6 and set(ds["leads"]["owner_rep_id"]) == set(sdrs["rep_id"])
    assert 40_000 < len(ds["leads"]) < 150_000
    skills = ds["rep_skills"]
    assert skills["level"].between(1, 5).all() and skills["rep_id"].nunique() == 60
    reps = ds.reps
    assert len(reps) == 60 and reps["region"].nunique() == 3 and reps["team"].nunique() == 6
    assert reps["end_date"].notna().sum() >= 3  # reps who left
    history_start = pd.Timestamp(
        json.loads((default_sample / "ground_truth.json").read_text())["history_start"]
    )
    assert (reps["hire_date"] > history_start).sum() >= 10  # new hires during the history
    opps = ds.opportunities
    assert 15_000 < len(opps) < 40_000
    assert (~opps["is_closed"]).sum() > 200  # open pipeline at the end date
    assert opps["account_id"].isna().any()  # a few deals without an account
    closed = opps[opps["is_closed"]]
    assert 0.15 < closed["is_won"].mean() < 0.35
    assert str(ds.as_of) == "2026-09-30"
    assert ds.period("latest").label == "2026-Q3"
    assert set(ds["trainings"]["module"]) <= set(ds.config.training_catalogue)
    assert set(ds.config.commission_plans) == {"enterprise", "commercial"}
    won = opps[opps["is_won"]]
    cancelled = won["cancelled_date"].notna().mean()
    assert 0.005 < cancelled < 0.03  # about 2% of won deals, before the end date
    assert (
        won["cancelled_date"].dropna() > won.loc[won["cancelled_date"].notna(), "close_date"]
    ).all()
    splits = ds["opportunity_splits"]
    assert splits.groupby("opportunity_id")["share"].sum().sub(1).abs().max() < 1e-9


def test_ground_truth_lists_the_planted_effects(default_sample):
    truth = json.loads((default_sample / "ground_truth.json").read_text())
    rep_ids = set(pd.read_csv(default_sample / "reps.csv")["rep_id"])
    assert len(truth["stage_weaknesses"]) >= 3
    assert all(
        w["rep_id"] in rep_ids and w["stage"] in OPEN_STAGES and w["conversion_multiplier"] < 1
        for w in truth["stage_weaknesses"]
    )
    assert all(s["win_rate_multiplier"] > 1 for s in truth["industry_strengths"])
    effects = {t["module"]: t["conversion_multiplier"] for t in truth["training_effects"]}
    assert any(v > 1 for v in effects.values()) and any(v == 1 for v in effects.values())
    assert truth["ramp"]["months_to_80pct"] == 6
    assert truth["ramp"]["productivity_by_month"]["0"] == pytest.approx(float(ramp(0)), abs=1e-4)
    index = truth["seasonal_profile"]["bookings_index_by_month"]
    assert set(index) == {str(m) for m in range(1, 13)}
    assert np.mean(list(index.values())) == pytest.approx(1.0, abs=1e-3)


def _stage_conversion(ds) -> pd.DataFrame:
    """Per (rep, stage): deals that entered the stage and reached a later one (or won)."""
    order = {s: i for i, s in enumerate(ds.config.stage_names)}
    sh = ds["stage_history"].merge(ds.opportunities[["opportunity_id", "rep_id", "is_won"]])
    sh["rank"] = sh["stage"].map(order)
    deepest = sh.groupby("opportunity_id")["rank"].max()
    entered = sh[sh["stage"].isin(OPEN_STAGES)].copy()
    entered["deepest"] = entered["opportunity_id"].map(deepest)
    entered["converted"] = (entered["deepest"] > entered["rank"]) & ~(
        (entered["deepest"] == order["Closed Lost"])
        & (entered["rank"] == entered.groupby("opportunity_id")["rank"].transform("max"))
    )
    closed = entered["opportunity_id"].isin(
        ds.opportunities.loc[ds.opportunities.is_closed, "opportunity_id"]
    )
    reached_next = entered[closed | entered["converted"]]
    return reached_next.groupby(["rep_id", "stage"])["converted"].agg(["sum", "count"])


def test_planted_stage_weaknesses_show_in_stage_conversion(default_sample):
    ds = load_dataset(default_sample)
    truth = json.loads((default_sample / "ground_truth.json").read_text())
    conv = _stage_conversion(ds)
    ratios = []
    for w in truth["stage_weaknesses"]:
        stage_rows = conv.xs(w["stage"], level="stage")
        peers = stage_rows.drop(index=w["rep_id"])
        peer_rate = peers["sum"].sum() / peers["count"].sum()
        mine = stage_rows.loc[w["rep_id"]]
        ratios.append((mine["sum"] / mine["count"]) / peer_rate)
    assert np.mean(ratios) < 0.8, ratios  # planted 0.6; peers include other noise


def test_planted_industry_strengths_show_in_win_rates(default_sample):
    ds = load_dataset(default_sample)
    truth = json.loads((default_sample / "ground_truth.json").read_text())
    opps = ds.opportunities[ds.opportunities["is_closed"]].merge(
        ds["accounts"][["account_id", "industry"]], on="account_id"
    )
    lifts = []
    for s in truth["industry_strengths"]:
        mine = opps[opps["rep_id"] == s["rep_id"]]
        inside = mine[mine["industry"] == s["industry"]]["is_won"].mean()
        outside = mine[mine["industry"] != s["industry"]]["is_won"].mean()
        lifts.append(inside / outside)
    assert np.mean(lifts) > 1.25, lifts  # planted 1.6


def test_new_hires_ramp_as_planted():
    data = generate(seed=11, reps=120, years=3)
    reps = data.tables["reps"].assign(hire=lambda r: pd.to_datetime(r["hire_date"]))
    opps = data.tables["opportunities"].merge(reps[["rep_id", "hire"]])
    created = pd.to_datetime(opps["created_date"])
    opps["tenure_month"] = (created.dt.year - opps["hire"].dt.year) * 12 + (
        created.dt.month - opps["hire"].dt.month
    )
    start = pd.Timestamp(data.ground_truth["history_start"])
    new = opps[opps["hire"] > start]
    per_month = new.groupby("tenure_month").size() / new.groupby("tenure_month")["rep_id"].nunique()
    early = per_month.loc[1:2].mean() / per_month.loc[12:18].mean()
    planted = float(np.mean(ramp(np.array([1, 2])))) / float(np.mean(ramp(np.arange(12, 19))))
    assert early == pytest.approx(planted, abs=0.15)


def test_quarter_end_push_shows_in_bookings(default_sample):
    opps = load_dataset(default_sample).opportunities
    won = opps[opps["is_won"]]
    by_month = won.groupby(won["close_date"].dt.month)["amount"].sum()
    for quarter_end in (3, 6, 12):
        assert by_month[quarter_end] > by_month[quarter_end + 1 if quarter_end < 12 else 1]


def test_a_bundled_sample_of_another_format_is_rewritten(tmp_path, monkeypatch):
    from spm_lib import sample
    from spm_lib.sample import bundled

    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "spm.yaml").write_text("currency: USD\n")
    (folder / "ground_truth.json").write_text('{"format": 1}')
    monkeypatch.setattr(bundled, "write_sample", lambda out: calls.append(out) or out)
    monkeypatch.setenv("SPM_SAMPLE_DIR", str(folder))
    calls: list = []
    assert sample.bundled_sample() == folder and calls == [folder]
    (folder / "ground_truth.json").write_text(json.dumps({"format": sample.SAMPLE_FORMAT}))
    sample.bundled_sample()
    assert calls == [folder]  # current format: kept
