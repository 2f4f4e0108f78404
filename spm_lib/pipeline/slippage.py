"""Slippage: how often deals' close dates move out, and what that says about winning them.

- **Pushes** of a deal: the close-date changes in ``opportunity_history`` that move it later
  (``days_pushed`` = the days added, summed); pull-ins move it earlier. The first value of a
  deal is its creation state, not a change.
- **Slipped share** of a period: of the open pipeline due in the period at its start (the
  window pipeline of :mod:`spm_lib.pipeline.movement`), the share that was pushed out of it by its
  end: slipped_pct = pushed-out amount / starting amount (by value; ``slipped_deal_share`` by count,
  with its Wilson 90% interval and the deals behind it), by rep, stage or forecast category at
  the start.
- **Win rate by pushes**: won / (won + lost) of the deals closed by a date, by the number of
  pushes they had, with Wilson 90% intervals.
- **Close-date changes by outcome**: mean changes (pushes and pull-ins) per closed deal, won
  and lost apart, with an exact Poisson 90% interval (a rate per deal).
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd
from scipy.stats import chi2
from statsmodels.stats.proportion import proportion_confint

from spm_lib.dataset import Dataset
from spm_lib.periods import Period
from spm_lib.pipeline import movement
from spm_lib.pipeline.as_of import derived_from, history_states

LEVEL = 0.90
PUSH_BANDS = ("0", "1", "2", "3+")
MOVE_COLUMNS = ["opportunity_id", "changed_at", "close_from", "close_to", "days"]


_MOVES: dict[int, tuple[weakref.ref, pd.DataFrame]] = {}


def close_date_moves(ds: Dataset) -> pd.DataFrame:
    """Every change of a deal's close date after its first value: :data:`MOVE_COLUMNS`
    (``days`` = to - from, positive for a push). Kept while the history table lives."""
    states = history_states(ds)
    if states is None:
        return pd.DataFrame(columns=MOVE_COLUMNS)
    return derived_from(_MOVES, states, _moves)


def pushes_by(ds: Dataset, date: pd.Timestamp) -> pd.Series:
    """opportunity_id -> close-date pushes written by the end of ``date`` (deals with one or
    more; others have none)."""
    moves = close_date_moves(ds)
    moves = moves[
        (moves["days"] > 0)
        & (moves["changed_at"] < pd.Timestamp(date).normalize() + pd.Timedelta(days=1))
    ]
    return moves.groupby("opportunity_id").size()


def _moves(states: pd.DataFrame) -> pd.DataFrame:
    before = states.groupby("opportunity_id", sort=False)["close_date"].shift()
    moved = before.notna() & states["close_date"].notna() & (states["close_date"] != before)
    out = states.loc[moved, ["opportunity_id", "changed_at"]].copy()
    out["close_from"] = before[moved]
    out["close_to"] = states.loc[moved, "close_date"]
    out["days"] = (out["close_to"] - out["close_from"]).dt.days
    return out.reset_index(drop=True)[MOVE_COLUMNS]


def pushes(ds: Dataset, until: pd.Timestamp | None = None) -> pd.DataFrame:
    """Per deal (every opportunity): ``pushes``, ``days_pushed``, ``pull_ins`` and ``changes``
    written by the end of ``until`` (all, when None), with rep_id, amount, and ``outcome``
    (won, lost or open, today's)."""
    moves = close_date_moves(ds)
    if until is not None:
        moves = moves[moves["changed_at"] < pd.Timestamp(until).normalize() + pd.Timedelta(days=1)]
    g = moves.assign(
        push=moves["days"] > 0, pull=moves["days"] < 0, pushed=moves["days"].clip(lower=0)
    ).groupby("opportunity_id")
    opps = ds.opportunities.set_index("opportunity_id")
    out = pd.DataFrame({"rep_id": opps["rep_id"], "amount": opps["amount"]})
    out["pushes"] = g["push"].sum().reindex(out.index, fill_value=0).astype(int)
    out["days_pushed"] = g["pushed"].sum().reindex(out.index, fill_value=0).astype(int)
    out["pull_ins"] = g["pull"].sum().reindex(out.index, fill_value=0).astype(int)
    out["changes"] = out["pushes"] + out["pull_ins"]
    out["outcome"] = np.where(opps["is_won"], "won", np.where(opps["is_closed"], "lost", "open"))
    return out.rename_axis("opportunity_id").reset_index()


def push_band(count: pd.Series) -> pd.Series:
    """0, 1, 2 or 3+ pushes."""
    return count.clip(upper=3).astype(int).astype(str).replace({"3": "3+"})


def _wilson(successes: np.ndarray, trials: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s, n = np.asarray(successes, float), np.asarray(trials, float)
    lower, upper = np.full(len(n), np.nan), np.full(len(n), np.nan)
    ok = n > 0
    if ok.any():
        lo, hi = proportion_confint(s[ok], n[ok], alpha=1 - LEVEL, method="wilson")
        lower[ok], upper[ok] = lo, hi
    return lower, upper


def win_rate_by_pushes(ds: Dataset, deals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Closed deals by pushes band: pushes, won, lost, deals, win_rate, lower, upper (Wilson
    90%). ``deals``: :func:`pushes` already computed."""
    deals = pushes(ds) if deals is None else deals
    closed = deals[deals["outcome"] != "open"]
    band = push_band(closed["pushes"])
    g = closed.assign(
        band=band, won=closed["outcome"].eq("won"), lost=closed["outcome"].eq("lost")
    ).groupby("band")
    out = (
        pd.DataFrame({"won": g["won"].sum(), "lost": g["lost"].sum()})
        .reindex(list(PUSH_BANDS), fill_value=0)
        .astype(int)
    )
    out["deals"] = out["won"] + out["lost"]
    out["win_rate"] = out["won"] / out["deals"].where(out["deals"] > 0)
    out["lower"], out["upper"] = _wilson(out["won"], out["deals"])
    return out.rename_axis("pushes").reset_index()


def changes_by_outcome(deals: pd.DataFrame) -> pd.DataFrame:
    """Mean close-date changes per closed deal, by outcome: outcome, deals, changes,
    per_deal, lower, upper (exact Poisson 90% interval of the rate per deal)."""
    closed = deals[deals["outcome"] != "open"]
    g = closed.groupby("outcome")
    out = pd.DataFrame({"deals": g.size(), "changes": g["changes"].sum()})
    out["per_deal"] = out["changes"] / out["deals"]
    alpha = 1 - LEVEL
    k, n = out["changes"].to_numpy(float), out["deals"].to_numpy(float)
    low = np.where(k > 0, chi2.ppf(alpha / 2, 2 * k) / 2, 0.0)
    high = chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2
    out["lower"], out["upper"] = low / n, high / n
    return out.rename_axis("outcome").reset_index()


def slipped_share(
    ds: Dataset, period: Period, by: str | None = None, flows: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The pipeline due in ``period`` at its start and the part pushed out of it by its end,
    per group (``by``: rep, team, region, stage or forecast_category at the start; None: the
    company): deals, slipped_deals, amount, slipped_amount, slipped_pct (by value),
    slipped_deal_share, lower, upper (Wilson 90% on the deal share). ``flows``: the period's
    window flows of :func:`spm_lib.pipeline.movement.period_movement`, when already computed."""
    flows = movement.period_movement(ds, period, window=True) if flows is None else flows
    start = flows[flows["in_start"]].copy()
    start["slipped"] = start["exit"] == "pushed out"
    start["slipped_amount"] = start["start_amount"].where(start["slipped"], 0.0)
    if by is None:
        key = pd.Series("All", index=start.index)
    elif by == "rep":
        key = start["rep_id"]
    elif by == "stage":
        key = start["stage_from"]
    elif by == "forecast_category":
        key = start["category_from"].fillna("(none)")
    else:
        key = start["rep_id"].map(ds.reps.set_index("rep_id")[by]).fillna("(no rep)")
    column = by or "group"
    g = start.groupby(key.to_numpy())
    out = pd.DataFrame(
        {
            "deals": g.size(),
            "slipped_deals": g["slipped"].sum(),
            "amount": g["start_amount"].sum(),
            "slipped_amount": g["slipped_amount"].sum(),
        }
    )
    out["slipped_pct"] = out["slipped_amount"] / out["amount"].where(out["amount"] > 0)
    out["slipped_deal_share"] = out["slipped_deals"] / out["deals"]
    out["lower"], out["upper"] = _wilson(out["slipped_deals"], out["deals"])
    out = out.rename_axis(column).reset_index()
    return out.sort_values("amount", ascending=False, ignore_index=True)


def repeat_slippers(
    ds: Dataset, deals: pd.DataFrame | None = None, minimum: int = 3, open_only: bool = True
) -> pd.DataFrame:
    """Deals pushed ``minimum`` or more times (open ones by default), the largest first:
    opportunity_id, owner, stage, close_date, amount, pushes, days_pushed."""
    deals = pushes(ds) if deals is None else deals
    rows = deals[deals["pushes"] >= minimum]
    if open_only:
        rows = rows[rows["outcome"] == "open"]
    opps = ds.opportunities.set_index("opportunity_id")
    names = ds.reps.set_index("rep_id")["name"]
    rows = rows.assign(
        owner=names.reindex(rows["rep_id"]).fillna(rows["rep_id"]).to_numpy(),
        stage=opps["stage"].reindex(rows["opportunity_id"]).to_numpy(),
        close_date=opps["close_date"].reindex(rows["opportunity_id"]).to_numpy(),
    )
    columns = ["opportunity_id", "owner", "stage", "close_date", "amount", "pushes", "days_pushed"]
    return rows.sort_values("amount", ascending=False)[columns].reset_index(drop=True)


__all__ = [
    "LEVEL",
    "MOVE_COLUMNS",
    "PUSH_BANDS",
    "changes_by_outcome",
    "close_date_moves",
    "push_band",
    "pushes",
    "pushes_by",
    "repeat_slippers",
    "slipped_share",
    "win_rate_by_pushes",
]
