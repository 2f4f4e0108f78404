"""Territory assignment on the sample data: better than today and than random balanced books,
planted industry strengths rewarded, constraints held exactly, infeasibility explained."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.exceptions import InfeasibleAssignment
from spm_lib.pages.territory_assignment import move_reasons
from spm_lib.territory.assignment import (
    REASON_CODES,
    optimize_assignment,
    optimize_with_relaxation,
)
from spm_lib.territory.books import active_reps, balance
from spm_lib.territory.potential import account_potential, account_segments
from spm_lib.territory.profile import rep_profile, rep_summary, skill_factors


@pytest.fixture(scope="module")
def ds(default_sample):
    return load_dataset(default_sample)


@pytest.fixture(scope="module")
def result(ds):
    return optimize_assignment(ds)


def _expected(ds, owners: np.ndarray, accounts: pd.DataFrame) -> float:
    """Expected bookings a year: potential (bookings with today's owner) scaled by the new
    rep's win rate over today's owner's (the mean rate where today's owner is not active); a
    rate from fewer than 15 closed deals in the cell is the rep's overall shrunk rate times the
    recorded skill's factor."""
    profile = rep_profile(ds)
    floor = (profile["rep_rate"] * profile["skill_factor"]).clip(upper=0.99)
    profile["rate"] = profile["win_rate"].where(profile["closed"] >= 15, floor)
    rates = profile.set_index(["rep_id", "industry", "segment"])["rate"]

    def rate(reps):
        keys = pd.MultiIndex.from_arrays([reps, accounts["industry"], accounts["segment"]])
        return rates.reindex(keys).to_numpy()

    today = accounts["from_rep"].to_numpy()
    base = np.where(np.isin(today, active_reps(ds)["rep_id"]), rate(today), np.nan)
    base = np.where(np.isnan(base), np.nanmean(rates.to_numpy()), base)
    return float((accounts["potential"].to_numpy() * rate(owners) / base).sum())


def test_beats_today_and_random_balanced_assignments(ds, result):
    figures = result.figures
    assert figures["expected_revenue_after"] > figures["expected_revenue_before"]
    accounts = result.assignment
    reps = active_reps(ds)
    pool_of = reps["region"] + " / " + reps["segment"]
    rng = np.random.default_rng(0)
    best_random = 0.0
    for _ in range(20):  # random books of equal size within each pool
        owners = np.empty(len(accounts), dtype=object)
        for pool, index in accounts.groupby("group").groups.items():
            members = reps.loc[pool_of == pool, "rep_id"].to_numpy()
            order = rng.permutation(len(index))
            owners[np.asarray(index)[order]] = members[np.arange(len(index)) % len(members)]
        best_random = max(best_random, _expected(ds, owners, accounts))
    assert figures["expected_revenue_after"] > best_random
    assert _expected(ds, accounts["to_rep"].to_numpy(), accounts) == pytest.approx(
        figures["expected_revenue_after"]
    )
    assert _expected(ds, accounts["from_rep"].to_numpy(), accounts) == pytest.approx(
        figures["expected_revenue_before"]
    )


def test_planted_industry_strengths_are_rewarded(ds, result, default_sample):
    truth = json.loads((default_sample / "ground_truth.json").read_text())["industry_strengths"]
    accounts = result.assignment
    before = after = 0
    for item in truth:
        mine = accounts["industry"] == item["industry"]
        before += int((mine & (accounts["from_rep"] == item["rep_id"])).sum())
        after += int((mine & (accounts["to_rep"] == item["rep_id"])).sum())
    assert after > before


def _cv(frame: pd.DataFrame) -> float:
    """The CV the report prints, recomputed from the books: of potential / pool mean."""
    share = frame["potential"] / frame.groupby("pool")["potential"].transform("mean")
    return share.std(ddof=0) / share.mean()


def _holds_balance(result) -> None:
    """Each rep within 20% of the pool's mean or no further from it than today, and the CV
    of potential no higher than today's."""
    after = result.after.set_index("rep_id")
    before = result.before.set_index("rep_id")
    mean = after.groupby("pool")["potential"].transform("mean")
    allowed = np.maximum(0.2 * mean, (before["potential"] - mean).abs())
    assert ((after["potential"] - mean).abs() <= allowed + 1e-3).all()
    assert _cv(after) <= _cv(before) + 1e-9
    assert result.figures["potential_cv_after"] == pytest.approx(_cv(after))


def test_balance_and_move_limit_hold_exactly(ds, result):
    _holds_balance(result)
    moved = (result.assignment["from_rep"] != result.assignment["to_rep"]).sum()
    assert 0 < moved <= np.floor(0.15 * len(result.assignment))
    assert len(result.moves) == moved
    assert result.moves["reason_code"].isin(REASON_CODES).all()
    assert move_reasons(result.moves).str.len().gt(0).all()
    reps = ds.reps.set_index("rep_id")
    proposed = result.assignment
    # accounts stay in their region and segment
    assert (proposed["to_rep"].map(reps["region"]) == proposed["region"]).all()
    assert (proposed["to_rep"].map(reps["segment"]) == proposed["segment"]).all()


def test_without_the_balance_guard_the_optimum_trades_balance_for_revenue(ds, result):
    free = optimize_assignment(ds, no_worse_balance=False)
    assert free.figures["expected_revenue_after"] >= result.figures["expected_revenue_after"] * (
        1 - 0.01
    )
    assert free.figures["accounts_moved_pct"] <= 0.15


def test_infeasible_constraints_say_what_to_relax(small_sample):
    small = load_dataset(small_sample)  # the diagnosis re-solves; a small case keeps it quick
    with pytest.raises(InfeasibleAssignment, match="relax max_accounts"):
        optimize_assignment(small, max_accounts=1, time_limit=5)


def test_no_active_rep_is_raised_at_once_with_nothing_relaxed(ds):
    """No relaxation can give accounts to nobody: no tolerance is widened on the way."""
    reps = ds["reps"]
    gone = reps.loc[reps["end_date"] < pd.Timestamp("2024-01-01"), "rep_id"].iloc[0]
    with pytest.raises(InfeasibleAssignment) as info:
        optimize_with_relaxation(ds.narrow(f"rep_id={gone}"), as_of=ds.period("latest").end)
    assert str(info.value) == "no active rep to assign accounts to"


def test_potential_model_tracks_history(ds):
    potential = account_potential(ds)
    assert potential.attrs["fit"]["correlation"] > 0.2
    assert (potential["potential"] > 0).all()
    big = potential["employees"] > potential["employees"].median()
    assert potential.loc[big, "potential"].mean() > potential.loc[~big, "potential"].mean()


def test_potential_rises_with_an_accounts_own_past_bookings(ds):
    potential = account_potential(ds)
    booked = potential["bookings_per_year"] > 0
    assert potential.loc[booked, "potential"].mean() > potential.loc[~booked, "potential"].mean()
    assert set(potential["segment"]) == {"Enterprise", "Commercial"}


# --- rep profile, by hand on the small fixture ---------------------------------------------
# closed deals: O1 R1 A1 (Retail) won 1,000; O2 R1 A2 (Energy) lost; O4 R3 A1 won 9,000.
# company rate 2/3, average won deal 5,000; both accounts owned by Commercial reps.


def test_rep_profile_by_hand(make_dataset):
    ds = load_dataset(make_dataset())
    profile = rep_profile(ds, as_of="2025-06-30").set_index(["rep_id", "industry", "segment"])
    assert set(profile.index.get_level_values("segment")) == {"Commercial"}
    retail, energy = (
        profile.loc[("R1", "Retail", "Commercial")],
        profile.loc[("R1", "Energy", "Commercial")],
    )
    # rep rate = (1 + 20 x 2/3) / (2 + 20); cell = (won + 20 x rep rate) / (closed + 20)
    assert retail["rep_rate"] == pytest.approx(0.651515, abs=1e-6)
    assert retail["win_rate"] == pytest.approx(0.668110, abs=1e-6)
    assert energy["win_rate"] == pytest.approx(0.620491, abs=1e-6)
    # deal size: rep = (1,000 + 5 x 5,000) / (1 + 5); cell = (1,000 + 5 x rep) / (1 + 5)
    assert retail["rep_deal_size"] == pytest.approx(4333.333, abs=1e-3)
    assert retail["deal_size"] == pytest.approx(3777.778, abs=1e-3)
    assert energy["deal_size"] == pytest.approx(4333.333, abs=1e-3)
    # no deals at all: the company's figures
    r2 = profile.loc[("R2", "Retail", "Commercial")]
    assert r2["win_rate"] == pytest.approx(2 / 3) and r2["deal_size"] == pytest.approx(5000)
    assert retail["tenure_months"] == pytest.approx(17.5)  # 2024-01-15 to 2025-06-30
    assert (profile["skill_factor"] == 1).all()


def test_recorded_skills_adjust_the_prior_by_hand(make_dataset):
    skills = [
        {"rep_id": "R1", "skill": "retail", "level": 5},
        {"rep_id": "R3", "skill": "Commercial", "level": 2},
    ]
    ds = load_dataset(make_dataset(rep_skills=skills))
    profile = rep_profile(ds, as_of="2025-06-30").set_index(["rep_id", "industry", "segment"])
    cell = profile.loc[("R1", "Retail", "Commercial")]
    assert cell["skill_level"] == 5  # matched on the industry, case-insensitively
    assert profile.loc[("R3", "Energy", "Commercial"), "skill_level"] == 2  # on the segment
    # level 5: (1 won + 20 x 2/3) / (0.651515 expected + 20 x 2/3)
    assert cell["skill_factor"] == pytest.approx(14.333333 / 13.984848, abs=1e-6)
    prior = cell["rep_rate"] * cell["skill_factor"]
    assert cell["win_rate"] == pytest.approx((1 + 20 * prior) / 21)


def test_skill_levels_that_predict_wins_are_learnt_and_unrelated_ones_are_not():
    rng = np.random.default_rng(3)
    rows = []
    for rep in range(40):
        for industry in ("A", "B"):
            level = int(rng.integers(1, 6))
            rate = 0.2 + 0.08 * (level - 1) if industry == "A" else 0.3  # A: level predicts
            closed = 60
            rows.append(
                {
                    "rep_id": f"R{rep}",
                    "industry": industry,
                    "segment": "All",
                    "closed": closed,
                    "won": rng.binomial(closed, rate),
                    "rep_rate": 0.3,
                    "skill_level": float(level),
                }
            )
    cells = pd.DataFrame(rows)
    learnt = skill_factors(cells[cells["industry"] == "A"])
    assert learnt["5.0"] > 1.3 > 0.85 > learnt["1.0"]
    flat = skill_factors(cells[cells["industry"] == "B"])
    assert flat.between(0.85, 1.15).all()


def test_account_segments_prefer_the_accounts_own_column(make_dataset):
    accounts = [
        {
            "account_id": "A1",
            "name": "Acme",
            "industry": "Retail",
            "region": "West",
            "employees": "120",
            "annual_revenue": "5000000",
            "owner_rep_id": "R1",
            "segment": "Enterprise",
        },
        {
            "account_id": "A2",
            "name": "Globex",
            "industry": "Energy",
            "region": "West",
            "employees": "4000",
            "annual_revenue": "900000000",
            "owner_rep_id": "R3",
            "segment": "",
        },
        {
            "account_id": "A3",
            "name": "Initech",
            "industry": "Energy",
            "region": "West",
            "employees": "40",
            "annual_revenue": "",
            "owner_rep_id": "",
            "segment": "",
        },
    ]
    ds = load_dataset(make_dataset(accounts=accounts))
    assert account_segments(ds).to_dict() == {"A1": "Enterprise", "A2": "Enterprise", "A3": "(all)"}


def test_balance_by_hand(make_dataset):
    ds = load_dataset(make_dataset())
    books = pd.Series(["R1", "R1", "R2"], index=["A1", "A2", "A9"])
    out = balance(ds, books, pd.Series([30.0, 30.0, 20.0]), as_of="2025-06-30")
    out = out.set_index("rep_id")
    assert out.loc["R1", "potential"] == 60 and out.loc["R2", "potential"] == 20
    assert list(out["share_of_pool_mean"]) == [1.5, 0.5]  # mean 40
    assert out.attrs["cv"] == pytest.approx(0.5)  # sd 0.5 / mean 1
    assert out.attrs["gini"] == pytest.approx(0.25)
    assert out.loc["R2", "open_pipeline"] == 0 and out.loc["R1", "open_pipeline"] == 0


def test_rep_summary_finds_the_planted_strengths(ds, result, default_sample):
    truth = json.loads((default_sample / "ground_truth.json").read_text())["industry_strengths"]
    summary = rep_summary(result.profile, active_reps(ds)).set_index("rep_id")
    assert len(summary) == len(active_reps(ds)) and summary["win_rate"].between(0, 1).all()
    found = sum(summary.loc[t["rep_id"], "strongest_industry"] == t["industry"] for t in truth)
    # by chance one in eight industries (0.75 of 6 reps); 4 of 6 found with seed 42
    assert found >= len(truth) // 2


def test_large_problems_are_solved_pool_by_pool_on_candidates_within_the_limits(
    ds, result, monkeypatch
):
    """The path large datasets take (forced here on the sample): pools solved one by one from
    the LP relaxation, each account offered its owner, its pool's best reps for its industry and
    reps spread over the pool. Every constraint still holds exactly, the split move limit adds
    up to the overall one, and the expected bookings stay within 3% of the joint model's (97.7%
    measured with these two-and-two candidates, 98.3% with whole pools)."""
    from spm_lib.territory import solver as territory

    monkeypatch.setattr(territory, "JOINT_MODEL_VARIABLES", 0)
    monkeypatch.setattr(territory, "POOL_MODEL_VARIABLES", 100)
    monkeypatch.setattr(territory, "CANDIDATES_BEST", 2)
    monkeypatch.setattr(territory, "CANDIDATES_SPREAD", 2)
    large = optimize_assignment(ds)
    assert large.solved.pool_by_pool and large.solved.restricted_pools > 0
    assert large.solved.candidates_best == 2 and 0 <= large.solved.pool_gap < 0.05
    assert not result.solved.pool_by_pool and result.solved.pool_gap is None
    _holds_balance(large)
    proposed = large.assignment
    moved = proposed["from_rep"] != proposed["to_rep"]
    assert moved.sum() <= np.floor(0.15 * len(proposed))
    for _pool, accounts in proposed.groupby("group"):  # each pool's share, rounded
        assert (accounts["from_rep"] != accounts["to_rep"]).sum() <= np.ceil(0.15 * len(accounts))
    reps = ds.reps.set_index("rep_id")
    assert (proposed["to_rep"].map(reps["region"]) == proposed["region"]).all()
    joint = result.figures["expected_revenue_after"]
    assert large.figures["expected_revenue_after"] >= 0.97 * joint
    assert large.figures["expected_revenue_after"] > large.figures["expected_revenue_before"]


# --- moves that pay (issue #20 item 1), on five generator seeds ------------------------------


@pytest.fixture(scope="module", params=[1, 2, 3, 4, 5])
def seeded(request, tmp_path_factory):
    from spm_lib.sample import write_sample

    folder = write_sample(
        tmp_path_factory.mktemp(f"seed{request.param}") / "s", seed=request.param, reps=30, years=3
    )
    ds = load_dataset(folder)
    return ds, optimize_assignment(ds)


def test_every_move_pays_after_its_cost_and_rests_on_evidence_or_a_stated_prior(seeded):
    ds, result = seeded
    moves = result.moves[~result.moves["forced"]]
    profile = rep_profile(ds)
    prior = (profile["rep_rate"] * profile["skill_factor"]).clip(upper=0.99)
    profile["rate"] = profile["win_rate"].where(profile["closed"] >= 15, prior)
    cells = profile.set_index(["rep_id", "industry", "segment"])
    segment = account_segments(ds)
    keys = {
        side: pd.MultiIndex.from_arrays(
            [moves[f"{side}_rep"], moves["industry"], moves["account_id"].map(segment)]
        )
        for side in ("from", "to")
    }
    rate = {side: cells["rate"].reindex(k).to_numpy() for side, k in keys.items()}
    net = moves["potential"] * (rate["to"] / rate["from"] - 1) - 0.05 * moves["potential"]
    assert (net > 0).all(), moves.loc[~(net > 0), ["account", "reason_code"]]
    assert net.to_numpy() == pytest.approx(moves["net_gain"].to_numpy())
    closed = cells["closed"].reindex(keys["to"]).to_numpy()
    thin = closed < 15
    assert (moves["evidence"].to_numpy() == closed).all()
    assert moves["to_rate"].to_numpy() == pytest.approx(rate["to"])
    new_rep = move_reasons(moves).str.split(", against ").str[0]  # the evidence for the new rep
    assert new_rep[thin].str.contains("used as the prior").all()
    assert not new_rep[~thin].str.contains("used as the prior").any()
    unproven = closed == 0  # no closed deal in the industry: only with the prior stated
    assert new_rep[unproven].str.contains(r"\(0 closed in ").all()
    f = result.figures
    assert f["expected_revenue_uplift_pct"] >= 0 and f["net_gain"] >= 0
    _holds_balance(result)


def test_no_move_pays_when_the_cost_exceeds_every_gain(small_sample):
    small = load_dataset(small_sample)
    result = optimize_assignment(small, move_cost_pct=100.0)
    assert result.figures["accounts_moved"] == 0 and result.moves["forced"].all()


def test_a_gain_the_solver_cannot_tell_from_its_gap_proposes_no_move(ds, monkeypatch):
    """Where the bound the solver proves lies further above the gain found than the gain
    itself, even at the tightest gap, the gain is noise: no move, and the result says so."""
    from spm_lib.territory import milp, solver

    solve = milp.solve

    def loose(*args, **kwargs):
        out = solve(*args, **kwargs)
        if out.x is not None and not kwargs.get("relaxed"):
            out["mip_dual_bound"] = 3 * out["fun"]  # a bound three times the gain found
        return out

    monkeypatch.setattr(milp, "solve", loose)  # the pools' solves
    monkeypatch.setattr(solver, "solve", loose)  # and the solver's own (no move, diagnosis)
    result = optimize_assignment(ds, max_moves_pct=0.05)
    assert result.within_tolerance and result.figures["accounts_moved"] == 0


def test_reps_without_a_region_are_assigned_across_the_regions_of_the_accounts(
    small_sample, tmp_path
):
    """Another CRM read through a mapping alone: reps made from the deals' owner ids have no
    region, its accounts have one. The assignment pools what exists and says so."""
    import shutil

    folder = tmp_path / "no-region"
    shutil.copytree(small_sample, folder)
    reps = pd.read_csv(folder / "reps.csv", dtype=str)
    reps["region"] = ""
    reps.to_csv(folder / "reps.csv", index=False)
    ds = load_dataset(folder)
    assert ds["accounts"]["region"].notna().any() and ds.reps["region"].isna().all()
    result = optimize_assignment(ds, time_limit=20)
    assert result.problem.region_pooling.code == "no_region_level"
    assert set(result.assignment["group"]) != {"(no region)"}  # pooled by segment, not region


def test_a_move_is_a_code_and_its_evidence_and_the_page_words_it():
    """The analysis returns the reason as a code with the rates and deals behind it; the page
    words it (hand-made moves: each reason once, a rate on evidence and one on the prior)."""
    moves = pd.DataFrame(
        {
            "account": ["A", "B", "C"],
            "industry": ["Retail", "Energy", "Retail"],
            "from_rep": ["R1", None, "R9"],
            "from_name": ["Ann", None, None],
            "to_rep": ["R2", "R2", "R3"],
            "to_name": ["Bo", "Bo", "Cy"],
            "to_rate": [0.42, 0.3, 0.25],
            "rate_basis": ["industry", "overall", "industry"],
            "evidence": [31, 4, 20],
            "from_rate": [0.2, np.nan, np.nan],
            "from_basis": ["overall", "overall", "overall"],
            "from_evidence": [3, 0, 0],
            "reason_code": ["better_rate", "no_owner", "owner_left"],
        }
    )
    assert move_reasons(moves).tolist() == [
        "Bo wins 42% in Retail (31 closed), against Ann's overall rate 20% used as the prior "
        "(3 closed in Retail, too few to rate alone)",
        "no owner yet; Bo's overall rate 30% used as the prior (4 closed in Energy, too few to "
        "rate alone)",
        "R9 has left or is no selling rep; Cy wins 25% in Retail (20 closed)",
    ]
