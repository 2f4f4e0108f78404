"""The sample's forecast calls: planted sandbaggers and over-committers.

About 7% of the account executives (at least two) sandbag and as many over-commit, chosen
among those employed through the whole data and hired two years before its end. Their bias
is written twice, as a pipeline review would meet it:

- in ``forecast_calls`` (every account executive's weekly submissions of each quarter they
  worked whole, with bookings in it): Commit = bookings x (1 + bias) x exp(e_quarter + e_week),
  e_quarter ~ N(0, 0.10), e_week ~ N(0, 0.15 shrinking to 0.02 by the quarter's end), both
  centred so that the noise has mean 1; Best Case = Commit x U(1.1, 1.4); amounts to $100;
- in ``opportunity_history`` (:mod:`spm_lib.sample.history`): a sandbagger keeps deals in
  Negotiation at Best Case (never Commit), an over-committer puts deals in Discovery and
  Proposal at Commit.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

SANDBAG = (-0.30, -0.20)  # bias range of sandbaggers
OVERCOMMIT = (0.20, 0.35)  # bias range of over-committers
SHARE = 0.07


def pick_callers(seed: int, reps: pd.DataFrame, end_date: dt.date) -> dict[str, float]:
    """rep_id -> planted bias (negative: sandbagging), see the module docstring."""
    rng = np.random.default_rng([seed, 23])
    end = pd.Timestamp(end_date)
    hire = pd.to_datetime(reps["hire_date"])
    eligible = reps[
        (reps["role"] == "AE") & reps["end_date"].eq("") & (hire <= end - pd.Timedelta(days=730))
    ]["rep_id"].to_numpy()
    n = min(max(2, round(SHARE * len(reps))), len(eligible) // 3)
    chosen = rng.permutation(eligible)[: 2 * n]
    low = rng.uniform(*SANDBAG, n)
    high = rng.uniform(*OVERCOMMIT, n)
    biases = np.round(np.concatenate([low, high]), 3)
    return dict(sorted(zip(chosen.tolist(), biases.tolist(), strict=True)))


def generate_calls(
    seed: int,
    opportunities: pd.DataFrame,
    reps: pd.DataFrame,
    callers: dict[str, float],
    start_date: dt.date,
    end_date: dt.date,
) -> pd.DataFrame:
    """``forecast_calls`` of the sample (module docstring): owner_id, period, category, amount,
    submitted_at."""
    rng = np.random.default_rng([seed, 29])
    o = opportunities[opportunities["is_won"].eq("true")]
    close = pd.to_datetime(o["close_date"])
    quarters = pd.period_range(pd.Timestamp(start_date), pd.Timestamp(end_date), freq="Q")
    quarters = [
        q for q in quarters if q.start_time.date() >= start_date and q.end_time.date() <= end_date
    ]
    aes = reps[reps["role"] == "AE"]
    hire = pd.to_datetime(aes["hire_date"])
    leave = pd.to_datetime(aes["end_date"].replace("", None))
    rows = []
    for q in quarters:
        lo, hi = q.start_time.normalize(), q.end_time.normalize()
        booked = o[(close >= lo) & (close <= hi)].groupby("rep_id")["amount"].sum()
        whole = aes[(hire <= lo).to_numpy() & (leave.isna() | (leave >= hi)).to_numpy()]
        label = f"{q.year}-Q{q.quarter}"
        weeks = pd.date_range(lo + pd.Timedelta(days=6), hi, freq="7D")
        if weeks[-1] < hi:
            weeks = weeks.append(pd.DatetimeIndex([hi]))
        k = np.arange(len(weeks))
        sd_week = 0.15 * (1 - k / max(len(weeks) - 1, 1)) + 0.02
        for rep_id in whole["rep_id"]:
            actual = float(booked.get(rep_id, 0.0))
            if actual <= 0:
                continue
            bias = callers.get(rep_id, 0.0)
            e_q = rng.normal(0.0, 0.10) - 0.10**2 / 2
            e_w = rng.normal(0.0, sd_week) - sd_week**2 / 2
            commit = np.round(actual * (1 + bias) * np.exp(e_q + e_w) / 100) * 100
            best = np.round(commit * rng.uniform(1.1, 1.4, len(weeks)) / 100) * 100
            hour = rng.integers(9 * 3600, 17 * 3600, len(weeks))
            at = (weeks + pd.to_timedelta(hour, unit="s")).strftime("%Y-%m-%d %H:%M:%S")
            for category, amount in (("Commit", commit), ("Best Case", best)):
                rows.append(
                    pd.DataFrame(
                        {
                            "owner_id": rep_id,
                            "period": label,
                            "category": category,
                            "amount": amount.astype("int64"),
                            "submitted_at": at,
                        }
                    )
                )
    if not rows:
        return pd.DataFrame(columns=["owner_id", "period", "category", "amount", "submitted_at"])
    return pd.concat(rows, ignore_index=True)


__all__ = ["OVERCOMMIT", "SANDBAG", "SHARE", "generate_calls", "pick_callers"]
