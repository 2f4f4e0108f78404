"""Honest ranking: win rates shrunk toward the group with an empirical-Bayes beta prior.

For each rep, won ~ Binomial(won + lost, p) and p ~ Beta(a, b). The prior (a, b) is fitted to
all reps by maximising the beta-binomial likelihood; each rep's posterior is Beta(a + won,
b + lost). A rep with three deals stays near the group's rate with a wide interval, so the
board is ranked by the posterior mean and shows the interval, never the raw rate alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from spm_lib.dataset import Dataset
from spm_lib.measures.roster import COUNTED, rep_status
from spm_lib.periods import Period

TRAILING_MONTHS = 12


def fit_beta_prior(won: np.ndarray, trials: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood (a, b) of a beta-binomial over groups with ``won`` of ``trials``.

    Falls back to a weak prior at the pooled rate (a + b = 2) when there are fewer than three
    groups with trials or the fit does not converge.
    """
    won, trials = np.asarray(won, float), np.asarray(trials, float)
    keep = trials > 0
    won, trials = won[keep], trials[keep]
    pooled = (won.sum() + 0.5) / (trials.sum() + 1.0)
    fallback = (2 * pooled, 2 * (1 - pooled))
    if len(won) < 3:
        return fallback

    def negative_log_likelihood(params: np.ndarray) -> float:
        a, b = np.exp(params)
        return -float(np.sum(special.betaln(won + a, trials - won + b) - special.betaln(a, b)))

    start = np.log([max(pooled * 10, 1e-3), max((1 - pooled) * 10, 1e-3)])
    result = optimize.minimize(
        negative_log_likelihood,
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 2000},
    )
    a, b = np.exp(result.x)
    if not result.success or not np.isfinite([a, b]).all():
        return fallback
    if a + b > 1e6:  # no detectable spread between reps: a very strong prior at the pooled rate
        return pooled * 1e6, (1 - pooled) * 1e6
    return float(a), float(b)


def shrunk_rates(won: pd.Series, lost: pd.Series, level: float = 0.9) -> pd.DataFrame:
    """Posterior mean and ``level`` equal-tailed interval of each group's rate."""
    a, b = fit_beta_prior(won.to_numpy(), (won + lost).to_numpy())
    post_a, post_b = a + won.to_numpy(float), b + lost.to_numpy(float)
    tail = (1 - level) / 2
    return pd.DataFrame(
        {
            "shrunk_rate": post_a / (post_a + post_b),
            "lower": stats.beta.ppf(tail, post_a, post_b),
            "upper": stats.beta.ppf(1 - tail, post_a, post_b),
        },
        index=won.index,
    ).assign(prior_a=a, prior_b=b)


MIN_CLOSED_TO_RANK = 5  # closed deals in the window below which a rep is listed, not ranked


def win_rate_board(
    ds: Dataset,
    period: Period,
    months: int = TRAILING_MONTHS,
    level: float = 0.9,
    min_closed: int = MIN_CLOSED_TO_RANK,
) -> pd.DataFrame:
    """Reps ranked by shrunk win rate (count) over the ``months`` months to the period end.

    Columns: rank, rep_id, name, team, region, status, won, lost, raw_rate, shrunk_rate,
    lower, upper. Only counted reps (:mod:`spm_lib.measures.roster`: active or ramping) are ranked;
    those who left by the period's end keep their rates (their deals inform the prior) and
    come after, without a rank. Counted reps with fewer than ``min_closed`` closed deals in
    the window are listed after the ranked ones, without a rank (their shrunk rate is mostly
    the prior's: ranking them would rank the prior).
    """
    end = pd.Timestamp(period.end) + pd.Timedelta(days=1)
    start = end - pd.DateOffset(months=months)
    opps = ds.opportunities
    closed = opps[opps["is_closed"] & (opps["close_date"] >= start) & (opps["close_date"] < end)]
    counts = closed.groupby("rep_id")["is_won"].agg(won="sum", closed="size")
    reps = ds.reps.set_index("rep_id")
    counts = counts.reindex(reps.index, fill_value=0)
    counts["lost"] = counts["closed"] - counts["won"]
    rates = shrunk_rates(counts["won"], counts["lost"], level)
    board = counts.join(rates)
    board["raw_rate"] = board["won"] / board["closed"].where(board["closed"] > 0)
    board = board.join(reps[[c for c in ("name", "team", "region") if c in reps]])
    status = rep_status(ds, period).set_index("rep_id")
    board["status"] = status["status"].reindex(board.index).fillna("active")
    counted = board["status"].isin(COUNTED)
    board["_ranked"] = counted & board["closed"].ge(min_closed)
    board["_counted"] = counted
    board = board.sort_values(["_ranked", "_counted", "shrunk_rate", "closed"], ascending=False)
    ranks = np.arange(1, len(board) + 1, dtype=float)
    board["rank"] = pd.array(np.where(board["_ranked"], ranks, np.nan), dtype="Int64")
    board = board.drop(columns=["_ranked", "_counted"]).rename_axis("rep_id").reset_index()
    cols = [
        "rank",
        "rep_id",
        "name",
        "team",
        "region",
        "status",
        "won",
        "lost",
        "raw_rate",
        "shrunk_rate",
        "lower",
        "upper",
    ]
    return board[[c for c in cols if c in board]]
