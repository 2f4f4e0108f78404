"""Rates: the win rate each rep would bring to each account, on evidence or on a stated prior."""

from __future__ import annotations

import numpy as np
import pandas as pd


def base_rates(rates: pd.Series, accounts: pd.DataFrame, active: np.ndarray) -> np.ndarray:
    """The win rate an account's potential already embodies: its owner's in its industry and
    segment (potential is what the account is expected to book with its owner), the mean rate
    where the owner has left or there is none."""
    owner = accounts["owner_rep_id"].to_numpy()
    own = rates_for(rates, owner, accounts)
    fallback = float(np.nanmean(rates.to_numpy())) if len(rates) else 1.0
    base = np.where(np.isin(owner, active) & (own > 0), own, fallback)
    return np.where(base > 0, base, 1.0)


def rate_grid(rates: pd.Series, rep_ids: np.ndarray, accounts: pd.DataFrame) -> np.ndarray:
    """accounts x reps: :func:`rates_for` of every rep for every account, looked up once per
    distinct (industry, segment) of the accounts rather than once per pair."""
    industry = accounts["industry"].fillna("(unknown)")  # as rates_for keys it
    codes = (
        accounts.groupby([industry, accounts["segment"]], dropna=False, sort=False)
        .ngroup()
        .to_numpy()
    )
    first = np.unique(codes, return_index=True)[1]  # an account of each cell, in code order
    cells = accounts.iloc[np.repeat(first, len(rep_ids))]
    by_cell = rates_for(rates, np.tile(rep_ids, len(first)), cells)
    return by_cell.reshape(len(first), len(rep_ids))[codes]


def rates_for(rates: pd.Series, rep_ids: np.ndarray, accounts: pd.DataFrame) -> np.ndarray:
    """The shrunk win rate of each rep in the matching account's (industry, segment); cells
    absent from the profile take the mean rate."""
    keys = pd.MultiIndex.from_arrays(
        [
            rep_ids,
            accounts["industry"].fillna("(unknown)").to_numpy(),
            accounts["segment"].to_numpy(),
        ]
    )
    win = rates.reindex(keys).to_numpy(dtype=float)
    fallback = float(np.nanmean(rates.to_numpy())) if len(rates) else 0.0
    return np.where(np.isnan(win), fallback, win)


def rates_used(profile: pd.DataFrame, min_evidence: int) -> tuple[pd.Series, pd.Series]:
    """The win rate the assignment uses per row of :func:`rep_profile`, and its basis: the
    cell's shrunk rate (``"industry"``) where the rep closed at least ``min_evidence`` deals
    in the cell, else the rep's overall shrunk rate, times a recorded skill's factor
    (``"overall"``): the evidence floor."""
    prior = np.minimum(profile["rep_rate"] * profile["skill_factor"], 0.99)
    enough = profile["closed"] >= min_evidence
    return (
        profile["win_rate"].where(enough, prior),
        pd.Series(np.where(enough, "industry", "overall"), index=profile.index),
    )
