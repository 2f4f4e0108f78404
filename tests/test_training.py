"""Training gaps: the planted stage weaknesses are found (and little else); small samples are
never flagged; recommendations and training effects behave."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.pages.training_gaps import development_plans, recommendation_reasons
from spm_lib.sample import write_sample
from spm_lib.training import (
    recommendations,
    skill_gaps,
    stage_outcomes,
    training_effects,
    two_way_effect,
)

SEEDS = (42, 1, 4, 5)  # the default seed and three others (see the closing note for more)


def _recovery(folder):
    ds = load_dataset(folder)
    truth = json.loads((folder / "ground_truth.json").read_text())
    planted = {(w["rep_id"], w["stage"]) for w in truth["stage_weaknesses"]}
    gaps = skill_gaps(ds)
    flagged = set(
        zip(gaps.loc[gaps["flagged"], "rep_id"], gaps.loc[gaps["flagged"], "stage"], strict=True)
    )
    hits = len(flagged & planted)
    precision = hits / len(flagged) if flagged else 0.0
    recall = hits / len(planted)
    planted_reps = {rep for rep, _ in planted}
    clean = gaps[~gaps["rep_id"].isin(planted_reps)]
    return precision, recall, float(clean["flagged"].mean()), ds, gaps


@pytest.mark.parametrize("seed", SEEDS)
def test_planted_weaknesses_are_recovered(seed, tmp_path):
    folder = write_sample(tmp_path / f"s{seed}", seed=seed)
    precision, recall, false_rate, _, _ = _recovery(folder)
    assert precision >= 0.8, (seed, precision)
    assert recall >= 0.8, (seed, recall)
    assert false_rate < 0.05, (seed, false_rate)


def test_a_rep_with_two_opportunities_is_never_flagged(default_sample, tmp_path):
    folder = tmp_path / "copy"
    folder.mkdir()
    for path in default_sample.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    reps = pd.read_csv(folder / "reps.csv", dtype=str, keep_default_na=False)
    opps = pd.read_csv(folder / "opportunities.csv", dtype=str, keep_default_na=False)
    history = pd.read_csv(folder / "stage_history.csv", dtype=str, keep_default_na=False)
    new = reps.iloc[[0]].assign(rep_id="R9999", name="Two Deals", end_date="")
    deals = opps[opps["stage"] == "Closed Lost"].tail(2).copy()
    ids = dict(zip(deals["opportunity_id"], ["X1", "X2"], strict=True))
    deals = deals.assign(rep_id="R9999", opportunity_id=deals["opportunity_id"].map(ids))
    steps = history[history["opportunity_id"].isin(ids)].copy()
    steps["opportunity_id"] = steps["opportunity_id"].map(ids)
    pd.concat([reps, new]).to_csv(folder / "reps.csv", index=False)
    pd.concat([opps, deals]).to_csv(folder / "opportunities.csv", index=False)
    pd.concat([history, steps]).to_csv(folder / "stage_history.csv", index=False)
    gaps = skill_gaps(load_dataset(folder))
    mine = gaps[gaps["rep_id"] == "R9999"]
    assert len(mine) > 0 and (mine["raw_rate"] == 0).any()  # both lost: a raw rate of 0
    assert not mine["flagged"].any()


def test_gap_table_is_consistent(default_sample):
    gaps = skill_gaps(load_dataset(default_sample))
    assert (gaps["converted"] <= gaps["entered"]).all()
    flagged = gaps[gaps["flagged"]]
    assert (flagged["p_below"] >= 0.9).all() and (flagged["gap"] > 0).all()
    assert (flagged["revenue_at_stake"] > 0).all()
    assert (gaps.loc[gaps["gap"] <= 0, "revenue_at_stake"] == 0).all()
    # ranked: flagged first, by revenue at stake
    assert flagged["revenue_at_stake"].is_monotonic_decreasing


def test_recommendations_follow_the_catalogue(default_sample):
    ds = load_dataset(default_sample)
    gaps = skill_gaps(ds)
    plan = recommendations(ds, gaps)
    catalogue = {m: spec["stage"] for m, spec in ds.config.training_catalogue.items()}
    assert len(plan) >= gaps["flagged"].sum()
    for row in plan.itertuples(index=False):
        assert row.module == "coaching" or catalogue[row.module] == row.stage
    effects = training_effects(ds)
    plans = development_plans(ds, gaps, plan, effects)
    assert set(plans["rep_id"]) == set(gaps.loc[gaps["flagged"], "rep_id"])
    # a target only where the module's effect is measured (the sample's are), no horizon
    assert plans["plan"].str.contains("sets a target of|no target").all()
    assert not plans["plan"].str.contains("within two quarters").any()
    lifted = development_plans(ds, gaps, plan, effects.assign(relative_effect=0.2))
    assigned = plan["module"].ne("coaching").any()
    assert lifted["plan"].str.contains(r"\(\+20% on conversion\) sets a target").any() == assigned
    without = development_plans(ds, gaps, plan)  # nothing measured: no target anywhere
    assert not without["plan"].str.contains("sets a target of").any()


def test_a_module_that_cannot_help_is_not_assigned(default_sample):
    """A module whose measured 90% interval rules out a 2% gain is replaced by coaching, with
    the interval in the reason; one whose interval allows it is still assigned."""
    ds = load_dataset(default_sample)
    gaps = skill_gaps(ds)
    flagged = gaps[gaps["flagged"]]
    stage = flagged["stage"].iloc[0]
    module = next(m for m, spec in ds.config.training_catalogue.items() if spec["stage"] == stage)
    effects = pd.DataFrame(
        [
            {
                "module": module,
                "relative_effect": -0.034,
                "relative_lower": -0.086,
                "relative_upper": 0.017,
            }
        ]
    )
    plan = recommendations(ds, gaps, effects=effects)
    mine = plan[plan["stage"] == stage]
    assert (mine["module"] != module).all()
    assert mine["reason_code"].eq("effect_ruled_out").any()
    assert (mine["considered"] == module).all() and mine["relative_upper"].eq(0.017).any()
    reasons = recommendation_reasons(mine)  # the page's words
    assert reasons.str.contains("rules out a useful gain").any()
    assert reasons.str.contains("-8.6% to +1.7%", regex=False).any()
    helpful = effects.assign(relative_effect=0.2, relative_lower=0.1, relative_upper=0.3)
    assert (
        recommendations(ds, gaps, effects=helpful).query("stage == @stage")["module"] == module
    ).any()


def test_stage_outcomes_by_hand(make_dataset):
    history = [
        {"opportunity_id": "O1", "stage": "Prospecting", "entered_date": "2025-01-05"},
        {"opportunity_id": "O1", "stage": "Proposal", "entered_date": "2025-01-20"},
        {"opportunity_id": "O2", "stage": "Prospecting", "entered_date": "2025-01-10"},
        {"opportunity_id": "O3", "stage": "Prospecting", "entered_date": "2025-02-01"},
    ]
    out = stage_outcomes(load_dataset(make_dataset(stage_history=history)))
    out = out.set_index(["opportunity_id", "stage"])
    assert out.loc[("O1", "Prospecting"), "converted"] and out.loc[("O1", "Proposal"), "converted"]
    assert out.loc[("O2", "Prospecting"), "lost"]
    assert not out.loc[("O3", "Prospecting"), "decided"]


def test_training_effects_report_not_enough_data(make_dataset):
    effects = training_effects(
        load_dataset(make_dataset(yaml="training_catalogue: {A: {stage: Proposal}}\n"))
    )
    assert effects["evidence"].isin(["no_history", "too_little"]).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_way_effect_equals_the_dummy_regression(seed):
    """The within-rep computation gives the coefficient and the clustered standard error of
    statsmodels' converted ~ treated + C(rep) + C(quarter) on an unbalanced panel with a
    planted effect of +0.15 (and a rep with a single entry)."""
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(seed)
    n = 900
    rep = rng.choice([f"R{i}" for i in range(25)], n, p=np.r_[np.full(24, 0.999 / 24), 0.001])
    rep[0] = "solo"
    quarter = rng.integers(8084, 8096, n)  # year x 4 + quarter
    treated = (rng.random(n) < 0.3) & (np.char.str_len(rep.astype(str)) == 2)
    base = 0.3 + 0.02 * (quarter - 8084) / 12 + 0.1 * pd.factorize(rep)[0] / 25
    converted = (rng.random(n) < base + 0.15 * treated).astype(float)
    data = pd.DataFrame(
        {"y": converted, "t": treated.astype(float), "rep": rep, "q": quarter.astype(str)}
    )
    full = smf.ols("y ~ t + C(rep) + C(q)", data=data).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(data["rep"])[0]}
    )
    effect, se = two_way_effect(converted, treated, rep, quarter)
    assert effect == pytest.approx(full.params["t"], abs=1e-10)
    assert se == pytest.approx(full.bse["t"], rel=1e-8)
    assert abs(effect - 0.15) < 3 * se  # the planted effect, within its noise


def test_training_effect_intervals_contain_the_planted_effects(default_sample):
    """Every module of the sample has enough data; each 90% interval holds the planted effect
    (on the trained deals that reached the stage), and null modules' intervals hold zero."""
    effects = training_effects(load_dataset(default_sample)).set_index("module")
    truth = json.loads((default_sample / "ground_truth.json").read_text())["training_effects"]
    assert len(truth) == len(effects) and (effects["evidence"] == "measured").all()
    for item in truth:
        row = effects.loc[item["module"]]
        planted = item["effective_relative_effect"]
        assert row["relative_lower"] <= planted <= row["relative_upper"], (item["module"], row)
        if item["conversion_multiplier"] == 1.0:
            assert planted == 0.0


def test_a_rep_who_has_left_is_never_flagged(default_sample):
    """A rep flagged with a planted weakness is no longer flagged once their end date falls
    before the window's end; their deals still count, so the others' benchmarks do not move."""
    ds = load_dataset(default_sample)
    end = pd.Timestamp("2025-12-31")
    before = skill_gaps(ds, as_of=end)
    rep = before.loc[before["flagged"], "rep_id"].iloc[0]
    reps = ds.tables["reps"].copy()
    reps.loc[reps["rep_id"] == rep, "end_date"] = pd.Timestamp("2025-11-30")
    ds.tables["reps"] = reps
    after = skill_gaps(ds, as_of=end)
    assert rep in set(after["rep_id"]) and not after.loc[after["rep_id"] == rep, "flagged"].any()
    others = before[before["rep_id"] != rep].set_index(["rep_id", "stage"])["benchmark"]
    again = after[after["rep_id"] != rep].set_index(["rep_id", "stage"])["benchmark"]
    assert np.allclose(others.sort_index(), again.reindex(others.index).sort_index())


def test_the_heatmap_shows_the_reps_with_the_most_and_largest_gaps(default_sample, monkeypatch):
    """With more reps than rows, the heatmap keeps the flagged reps first and says so."""
    from spm_lib.pages import training_gaps as page

    ds = load_dataset(default_sample)
    gap_page = page.compute(ds, ds.period("latest"), 12, 0.9)
    drawn, notes = [], []
    monkeypatch.setattr(page.plots, "gap_heatmap", lambda heat, *a: drawn.append(heat))
    monkeypatch.setattr(page.plots, "show", lambda figure: None)
    monkeypatch.setattr(page, "note", notes.append)
    page.heatmap(gap_page)
    reps = gap_page.gaps["rep_id"].nunique()
    assert len(drawn[0]) == reps and not notes  # the sample: every rep
    monkeypatch.setattr(page, "HEATMAP_REPS", 10)
    page.heatmap(gap_page)
    shown = set(drawn[1].index)
    flagged = gap_page.flagged["rep_id"].map(ds.rep_names)
    assert len(shown) == 10
    assert set(flagged) <= shown if flagged.nunique() <= 10 else shown <= set(flagged)
    assert notes and f"10 reps of {reps:,}" in notes[0]


def test_an_audience_in_which_nobody_took_a_module_has_no_effect_and_no_error(default_sample):
    """One rep's audience (``spm run --segment rep_id=...``): the modules nobody in it
    completed leave an empty completion table, which pandas' ``Series.map`` could not take."""
    ds = load_dataset(default_sample)
    trained = set(ds["trainings"]["rep_id"])
    untrained = next(r for r in ds.reps["rep_id"] if r not in trained)
    effects = training_effects(ds.narrow(f"rep_id={untrained}"))
    assert len(effects) == len(ds.config.training_catalogue)
    assert (effects["trained_reps"] == 0).all() and effects["effect"].isna().all()
    assert effects["evidence"].isin(["no_history", "too_little"]).all()
    # and the company, in which reps did take the modules, still gets effects
    whole = training_effects(ds)
    assert (whole["trained_reps"] > 0).any() and whole["effect"].notna().any()
