"""Rep profiles: each rep's shrunk win rate and deal size per industry and segment; skill
levels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.territory.potential import account_segments, as_of_date

PRIOR_DEALS = 20.0  # pseudo-deals of shrinkage toward the rep's overall win rate
STRONGEST_MIN_CLOSED = 5  # closed deals for an industry to count as a rep's strongest
PRIOR_WON_DEALS = 5.0  # pseudo-won-deals of shrinkage toward the rep's average deal


def skill_factors(cells: pd.DataFrame) -> pd.Series:
    """How the enablement system's skill level predicts win rates, learnt from history.

    ``cells`` has won, closed, rep_rate and skill_level (NaN where no skill is recorded) per
    (rep, industry, segment). Per level (rounded; and one class for no recorded skill):
    factor = (sum won + k) / (sum closed x rep_rate + k), k = :data:`PRIOR_DEALS` x the company
    rate, the observed wins over those expected at the reps' overall rates, shrunk toward 1.
    A level that predicts nothing gets a factor near 1.
    """
    level = _level_labels(cells["skill_level"])
    expected = cells["closed"] * cells["rep_rate"]
    won = cells["won"].groupby(level).sum()
    exp = expected.groupby(level).sum()
    k = PRIOR_DEALS * (cells["won"].sum() / cells["closed"].sum() if cells["closed"].sum() else 0)
    return (won + k) / (exp + k) if k else won * 0 + 1.0


def rep_profile(ds: Dataset, as_of=None, months: int = 24) -> pd.DataFrame:
    """Each rep's record per (industry, segment) of the accounts, over the trailing ``months``.

    One row per rep (all reps) x industry x segment (those of the accounts) with won, closed,
    won_amount, and:

    - rep_rate = (rep's won + m x company rate) / (rep's closed + m), m = :data:`PRIOR_DEALS`;
    - skill_level from ``rep_skills`` (a skill named like the industry, else like the segment;
      case-insensitive) and skill_factor (:func:`skill_factors`, 1 without the table);
    - win_rate = (won + m x prior) / (closed + m), prior = min(rep_rate x skill_factor, 0.99):
      the cell's rate shrunk toward the rep's overall rate, adjusted by the recorded skill;
    - deal_size = (won_amount + d x rep_deal_size) / (won + d), d = :data:`PRIOR_WON_DEALS`,
      rep_deal_size = (rep's won amount + d x company average won deal) / (rep's won + d);
    - tenure_months at ``as_of`` (NaN without a hire date).
    """
    end = as_of_date(ds, as_of)
    start = end - pd.DateOffset(months=months)
    opps = ds.opportunities
    closed = opps[opps["is_closed"] & (opps["close_date"] > start) & (opps["close_date"] <= end)]
    segments = account_segments(ds)
    industry_of = ds["accounts"].set_index("account_id")["industry"]
    closed = closed.assign(
        industry=closed["account_id"].map(industry_of),
        segment=closed["account_id"].map(segments),
        won_amount=closed["amount"].where(closed["is_won"], 0.0),
    )
    company_rate = float(closed["is_won"].mean()) if len(closed) else 0.0
    company_deal = (
        float(closed["won_amount"].sum() / closed["is_won"].sum()) if closed["is_won"].any() else 0
    )
    overall = closed.groupby("rep_id").agg(
        rep_won=("is_won", "sum"), rep_closed=("is_won", "size"), rep_amount=("won_amount", "sum")
    )
    overall["rep_rate"] = (overall["rep_won"] + PRIOR_DEALS * company_rate) / (
        overall["rep_closed"] + PRIOR_DEALS
    )
    overall["rep_deal_size"] = (overall["rep_amount"] + PRIOR_WON_DEALS * company_deal) / (
        overall["rep_won"] + PRIOR_WON_DEALS
    )
    keys = ["rep_id", "industry", "segment"]
    cells = (
        closed.dropna(subset=["industry"])
        .groupby(keys)
        .agg(won=("is_won", "sum"), closed=("is_won", "size"), won_amount=("won_amount", "sum"))
    )
    industries = ds["accounts"]["industry"].fillna("(unknown)").unique()
    grid = pd.MultiIndex.from_product(
        [ds.reps["rep_id"], industries, segments.unique()], names=keys
    )
    cells = cells.reindex(grid, fill_value=0).reset_index()
    cells = cells.join(overall[["rep_rate", "rep_deal_size"]], on="rep_id")
    cells["rep_rate"] = cells["rep_rate"].fillna(company_rate)
    cells["rep_deal_size"] = cells["rep_deal_size"].fillna(company_deal)
    cells["skill_level"] = _skill_levels(ds, cells)
    factors = skill_factors(cells) if ds.has("rep_skills") else None
    if factors is None:
        cells["skill_factor"] = 1.0
    else:
        level = _level_labels(cells["skill_level"])
        cells["skill_factor"] = level.map(factors).astype(float).to_numpy()
    prior = np.minimum(cells["rep_rate"] * cells["skill_factor"], 0.99)
    cells["win_rate"] = (cells["won"] + PRIOR_DEALS * prior) / (cells["closed"] + PRIOR_DEALS)
    cells["deal_size"] = (cells["won_amount"] + PRIOR_WON_DEALS * cells["rep_deal_size"]) / (
        cells["won"] + PRIOR_WON_DEALS
    )
    hire = cells["rep_id"].map(ds.reps.set_index("rep_id")["hire_date"])
    cells["tenure_months"] = ((end - hire).dt.days / 30.4375).round(1)
    return cells


def _skill_levels(ds: Dataset, cells: pd.DataFrame) -> pd.Series:
    """The recorded level of each cell's industry skill, else its segment skill, else NaN."""
    if not ds.has("rep_skills"):
        return pd.Series(np.nan, index=cells.index)
    skills = ds["rep_skills"]
    level = skills.set_index([skills["rep_id"], skills["skill"].str.casefold()])["level"]
    level = level[~level.index.duplicated()]

    def lookup(column: str) -> np.ndarray:
        keys = pd.MultiIndex.from_arrays([cells["rep_id"], cells[column].str.casefold()])
        return level.reindex(keys).to_numpy(dtype=float)

    return pd.Series(
        np.where(np.isnan(by := lookup("industry")), lookup("segment"), by), index=cells.index
    )


def rep_summary(profile: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """Per rep of ``reps``: tenure_months, closed, win_rate (rep_rate), deal_size
    (rep_deal_size), and their strongest industry (highest shrunk win rate with at least
    :data:`STRONGEST_MIN_CLOSED` closed deals there) with its win rate, closed deals and
    recorded skill level."""
    rows = profile[profile["rep_id"].isin(reps["rep_id"])]
    per_rep = rows.groupby("rep_id").agg(
        tenure_months=("tenure_months", "first"),
        closed=("closed", "sum"),
        win_rate=("rep_rate", "first"),
        deal_size=("rep_deal_size", "first"),
    )
    seen = rows[rows["closed"] >= STRONGEST_MIN_CLOSED].sort_values("win_rate", ascending=False)
    best = seen.drop_duplicates("rep_id").set_index("rep_id")
    per_rep["strongest_industry"] = best["industry"]
    per_rep["strongest_win_rate"] = best["win_rate"]
    per_rep["strongest_closed"] = best["closed"]
    per_rep["strongest_skill_level"] = best["skill_level"]
    return per_rep.reset_index()


def skill_table(profile: pd.DataFrame) -> pd.DataFrame:
    """By recorded skill level (and "none"): cells, closed, won and the learnt factor
    (:func:`skill_factors`) that scales a rep's overall win rate as the prior of a cell."""
    level = _level_labels(profile["skill_level"])
    out = profile.groupby(level).agg(closed=("closed", "sum"), won=("won", "sum"))
    out["factor"] = profile.groupby(level)["skill_factor"].first()
    out.index = [
        f"level {v:g}" if v != "none" else "not recorded"
        for v in out.index.map(lambda v: v if v == "none" else float(v))
    ]
    return out.rename_axis("skill_level").reset_index()


def _level_labels(levels: pd.Series) -> pd.Series:
    """Skill levels rounded to whole levels as text; "none" where no skill is recorded."""
    return levels.round().astype("Float64").astype("str").fillna("none")
