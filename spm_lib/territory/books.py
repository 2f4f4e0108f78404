"""Books: the active reps and the balance of their potential within each pool."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.territory.potential import as_of_date


def _gini(values: np.ndarray) -> float:
    values = np.sort(np.asarray(values, float))
    n = len(values)
    if n == 0 or values.sum() == 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1) @ values / (n * values.sum()))


def active_reps(ds: Dataset, as_of=None) -> pd.DataFrame:
    """Reps employed at ``as_of`` (no end date, or one after it)."""
    end = as_of_date(ds, as_of)
    reps = ds.reps
    return reps[reps["end_date"].isna() | (reps["end_date"] > end)]


def balance(
    ds: Dataset,
    assignment: pd.Series,
    potential: pd.Series,
    as_of=None,
    pools: pd.Series | None = None,
) -> pd.DataFrame:
    """Per active rep: pool, accounts, potential, open_pipeline (of the assigned accounts' open
    deals) and share_of_pool_mean (potential / mean potential of the rep's pool).

    ``assignment`` maps account_id -> rep_id, ``potential`` is aligned with it; ``pools`` maps
    rep_id -> the pool of reps who compete for the same accounts (all reps in one pool without
    it). ``attrs``: cv = standard deviation / mean of share_of_pool_mean (the plain coefficient
    of variation of potential with a single pool) and gini of the same shares.
    """
    reps = active_reps(ds, as_of)["rep_id"]
    frame = pd.DataFrame(
        {
            "rep_id": assignment.to_numpy(dtype=object),
            "potential": potential.to_numpy(dtype=float),
            "account_id": assignment.index.to_numpy(dtype=object),
        }
    )
    opps = ds.opportunities
    open_amount = opps[~opps["is_closed"]].groupby("account_id")["amount"].sum()
    frame["open_pipeline"] = frame["account_id"].map(open_amount).fillna(0.0)
    out = (
        frame.groupby("rep_id")
        .agg(
            accounts=("account_id", "size"),
            potential=("potential", "sum"),
            open_pipeline=("open_pipeline", "sum"),
        )
        .astype({"accounts": int, "potential": float, "open_pipeline": float})
        .reindex(reps, fill_value=0)
    )
    pool = reps.map(pools) if pools is not None else pd.Series("all", index=reps.index)
    pool = pool.fillna("all")
    out.insert(0, "pool", pool.to_numpy())
    mean = out.groupby("pool")["potential"].transform("mean")
    out["share_of_pool_mean"] = (out["potential"] / mean.where(mean > 0)).fillna(0.0)
    shares = out["share_of_pool_mean"].to_numpy(float)
    out.attrs["cv"] = float(shares.std() / shares.mean()) if shares.mean() else float("nan")
    out.attrs["gini"] = _gini(shares)
    return out.rename_axis("rep_id").reset_index()
