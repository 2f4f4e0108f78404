"""Forecast calls, and how far to trust each rep's and manager's.

**A call** for a period is what an owner had in Commit (and Best Case) at each week of it. Week
``k`` of a period ends on day ``7k`` of it (the last week at the period's end); the call at a
week is, as it stood at the end of that day:

- *reconstructed* from ``opportunity_history`` (:func:`reconstructed_calls`): Commit = won so
  far in the period (deals won with a close date in the period up to that day) + open deals in
  the Commit category due in the period; Best Case = Commit + open Best Case deals due in it,
  the cumulative roll-up a CRM's forecast tab shows;
- or *submitted*, from an optional ``forecast_calls`` table (owner_id, period, category,
  amount, submitted_at), the latest submission by the week's end. Where an owner has
  submissions for a period they take precedence over the reconstruction for that period.

A manager's call (the ``manager`` of the reps table) is their own submission, else the sum of
their reps' calls.

**Accuracy**, per owner over every closed period with bookings (:func:`call_accuracy`), from
the Commit call:

- bias = the geometric mean over periods of (mean call over the period's weeks / actual),
  less 1 (actual: the owner's bookings, :func:`spm_lib.measures.metrics.bookings`); below zero is
  sandbagging, above optimism; its interval is a t interval over periods;
- commit conversion = won amount / amount of the open Commit deals due in the period, pooled
  over its weeks (reconstructed calls only: a submission names no deals);
- hit rate = share of periods whose week-1 call was within 10% of the actual (Wilson interval);
- value added = |statistical error| - |call error| of the week-1 call, in shares of the actual,
  where the statistical forecast is the pipeline model's expectation for the owner made at the
  period's start (:func:`spm_lib.pipeline.quarter_ahead.next_quarter`, the run the forecasting
  report's pipeline forecast reads): above zero, the call beat the model; over the last
  :data:`VALUE_PERIODS` quarters.

**Flags** (``sandbagging`` / ``over-committing``) are stated only where the bias's interval
excludes the baseline. Intervals are simultaneous over the owners evaluated (Bonferroni at
:data:`FAMILY_LEVEL`), so an owner without a bias is flagged with probability under 5% in all.
The baseline is 0 for submitted calls (a submission is meant to be the number); for calls
reconstructed from the Commit category it is the company's own mean bias, since the whole
company's Commit early in a period misses the deals created and won later in it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from spm_lib.dataset import Dataset
from spm_lib.measures import metrics
from spm_lib.periods import Period
from spm_lib.pipeline import quarter_ahead
from spm_lib.pipeline.weekly_calls import (
    CALL_COLUMNS,
    CATEGORIES,
    reconstructed_calls,
    submitted_calls,
    week_ends,
)

COMPANY = "company"  # the owner id of the company's call (the sum of the reps')
FAMILY_LEVEL = 0.95
MIN_PERIODS = 4
HIT_TOLERANCE = 0.10
STAT_SIMULATIONS = 2_000  # the model's mean is all value added needs
VALUE_PERIODS = 8  # value added is measured over the last two years of quarters


def managers(ds: Dataset) -> pd.Series:
    """rep_id -> manager (the reps table's ``manager``), for reps that have one."""
    reps = ds.reps
    if "manager" not in reps.columns:
        return pd.Series(dtype=object)
    return reps.set_index("rep_id")["manager"].dropna()


def calls(ds: Dataset, periods: list[Period], rebuilt: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every owner's weekly calls (:data:`CALL_COLUMNS` plus ``level``: rep, manager, or
    company): submissions where an owner has them for a period, else the reconstruction; a
    manager's, their own submission, else the sum of their reps' calls; the company's
    (owner ``company``), the sum of the reps' calls. Reconstructed Commit rows keep
    ``commit_open`` and ``commit_won``. ``rebuilt``: :func:`reconstructed_calls` of
    ``periods``, when already computed."""
    rebuilt = reconstructed_calls(ds, periods) if rebuilt is None else rebuilt
    sent = submitted_calls(ds, periods)
    key = ["owner_id", "period"]
    if len(sent):
        have = pd.MultiIndex.from_frame(sent[key].drop_duplicates())
        rebuilt = rebuilt[~pd.MultiIndex.from_frame(rebuilt[key]).isin(have)]
    rep_ids = set(ds.reps["rep_id"])
    reps = pd.concat([rebuilt, sent[sent["owner_id"].isin(rep_ids)]], ignore_index=True)
    boss = managers(ds)
    rolled = _rolled_up(reps.assign(owner_id=reps["owner_id"].map(boss)))
    own = sent[~sent["owner_id"].isin(rep_ids)]
    if len(own):
        have = pd.MultiIndex.from_frame(own[key].drop_duplicates())
        rolled = rolled[~pd.MultiIndex.from_frame(rolled[key]).isin(have)]
    mgr = pd.concat([rolled, own], ignore_index=True).assign(level="manager")
    company = _rolled_up(reps.assign(owner_id=COMPANY)).assign(level="company")
    return pd.concat([reps.assign(level="rep"), mgr, company], ignore_index=True)


def _rolled_up(frame: pd.DataFrame) -> pd.DataFrame:
    """The sum of the calls of ``frame`` per (owner_id, period, week, category)."""
    frame = frame.dropna(subset=["owner_id"]).astype(
        {"amount": float, "commit_open": float, "commit_won": float}
    )
    return frame.groupby(["owner_id", "period", "week", "category"], as_index=False).agg(
        date=("date", "first"),
        amount=("amount", "sum"),
        commit_open=("commit_open", "sum"),
        commit_won=("commit_won", "sum"),
        source=("source", _joined),
    )


def _joined(values: pd.Series) -> str:
    return "+".join(sorted(set(values.dropna())))


def actuals(ds: Dataset, periods: list[Period]) -> pd.DataFrame:
    """Bookings per owner (rep, manager, and the company) and period: owner_id, level,
    period, actual."""
    rows = []
    boss = managers(ds)
    for period in periods:
        b = metrics.bookings(ds, period, "rep")[["rep_id", "bookings"]]
        rows.append(
            pd.DataFrame(
                {
                    "owner_id": b["rep_id"],
                    "level": "rep",
                    "period": period.label,
                    "actual": b["bookings"],
                }
            )
        )
        team = b.assign(owner_id=b["rep_id"].map(boss)).dropna(subset=["owner_id"])
        team = team.groupby("owner_id", as_index=False)["bookings"].sum()
        rows.append(
            pd.DataFrame(
                {
                    "owner_id": team["owner_id"],
                    "level": "manager",
                    "period": period.label,
                    "actual": team["bookings"],
                }
            )
        )
        total = metrics.bookings(ds, period, None).iloc[0]["bookings"]
        rows.append(
            pd.DataFrame(
                {
                    "owner_id": [COMPANY],
                    "level": "company",
                    "period": period.label,
                    "actual": [total],
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=["owner_id", "level", "period", "actual"])
    return pd.concat(rows, ignore_index=True)


def statistical_forecasts(ds: Dataset, periods: list[Period]) -> pd.DataFrame:
    """The pipeline model's expectation for each period made at its start (the run of
    :func:`spm_lib.pipeline.quarter_ahead.next_quarter` as of the end of the quarter before, the one
    the forecasting report's pipeline forecast reads), per rep, manager (their reps' sum) and the
    company: owner_id, level, period, statistical."""
    boss = managers(ds)
    rows = []
    for period in periods:
        _, run = quarter_ahead.next_quarter(ds, period.previous(), simulations=STAT_SIMULATIONS)
        expect = quarter_ahead.rep_expectations(run)
        if expect.empty:
            continue
        reps = pd.DataFrame(
            {"owner_id": expect["rep_id"], "level": "rep", "statistical": expect["expected"]}
        )
        team = reps.assign(owner_id=reps["owner_id"].map(boss)).dropna(subset=["owner_id"])
        team = team.groupby("owner_id", as_index=False)["statistical"].sum().assign(level="manager")
        company = pd.DataFrame(
            {"owner_id": [COMPANY], "level": "company", "statistical": [float(run.totals.mean())]}
        )
        rows.append(pd.concat([reps, team, company]).assign(period=period.label))
    if not rows:
        return pd.DataFrame(columns=["owner_id", "level", "period", "statistical"])
    return pd.concat(rows, ignore_index=True)[["owner_id", "level", "period", "statistical"]]


def period_scores(
    call_table: pd.DataFrame, actual: pd.DataFrame, statistical: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per (owner, level, period) with a positive actual and a Commit call: actual,
    call_week1, bias (mean over weeks of call / actual - 1), error_week1 (call_week1 / actual
    - 1), hit (|error_week1| <= 10%), commit_open, commit_won (summed over weeks), conversion,
    statistical (the model's expectation made at the period's start, when given: columns
    owner_id, level, period, statistical), value_added, source."""
    commit = call_table[call_table["category"] == "Commit"].astype(
        {"amount": float, "commit_open": float, "commit_won": float}
    )
    key = ["owner_id", "level", "period"]
    g = commit.sort_values("week").groupby(key)
    out = pd.DataFrame(
        {
            "mean_call": g["amount"].mean(),
            "call_week1": g["amount"].first(),
            "commit_open": g["commit_open"].sum(min_count=1),
            "commit_won": g["commit_won"].sum(min_count=1),
            "source": g["source"].first(),
        }
    ).reset_index()
    out = out.merge(actual, on=key, how="inner")
    out = out[out["actual"] > 0].copy()
    out["bias"] = out["mean_call"] / out["actual"] - 1
    out["error_week1"] = out["call_week1"] / out["actual"] - 1
    out["hit"] = out["error_week1"].abs() <= HIT_TOLERANCE
    out["conversion"] = out["commit_won"] / out["commit_open"].where(out["commit_open"] > 0)
    if statistical is not None and len(statistical):
        out = out.merge(statistical[[*key, "statistical"]], on=key, how="left")
        model_error = (out["statistical"] / out["actual"] - 1).abs()
        out["value_added"] = model_error - out["error_week1"].abs()
    else:
        out["statistical"] = np.nan
        out["value_added"] = np.nan
    return out.reset_index(drop=True)


def _t_interval(values: pd.Series, level: float) -> tuple[float, float, float, int]:
    v = values.dropna().to_numpy(float)
    n = len(v)
    if n < 2:
        return (float(v.mean()) if n else np.nan), np.nan, np.nan, n
    mean, se = v.mean(), v.std(ddof=1) / np.sqrt(n)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * se
    return float(mean), float(mean - half), float(mean + half), n


def _wilson(successes: int, trials: int, level: float) -> tuple[float, float]:
    if trials == 0:
        return np.nan, np.nan
    lo, hi = proportion_confint(successes, trials, alpha=1 - level, method="wilson")
    return float(lo), float(hi)


FLAGS = ("sandbagging", "over_committing", "no_clear_bias", "too_few_periods")
BIASED = ("sandbagging", "over_committing")  # the flags of a bias beyond noise

ACCURACY_COLUMNS = [
    "owner_id",
    "level",
    "periods",
    "source",
    "bias",
    "bias_lower",
    "bias_upper",
    "baseline",
    "flag",
    "conversion",
    "conversion_lower",
    "conversion_upper",
    "hit_rate",
    "hit_lower",
    "hit_upper",
    "value_added",
    "value_lower",
    "value_upper",
]


def call_accuracy(scores: pd.DataFrame, min_periods: int = MIN_PERIODS) -> pd.DataFrame:
    """Per owner and level (:data:`ACCURACY_COLUMNS`): the figures of the module docstring
    over the owner's periods, each with its interval (simultaneous over the owners evaluated
    at :data:`FAMILY_LEVEL`), and ``flag``, a code (:data:`FLAGS`): ``sandbagging``,
    ``over_committing``, ``no_clear_bias``, or ``too_few_periods`` (fewer than ``min_periods``).

    bias = exp(mean over periods of log(mean call / actual)) - 1 (the geometric mean of the
    periods' ratios: a multiplicative bias, stable where an actual is small; a call of 0 counts
    as 1% of the actual), with the t interval of the log ratios mapped back. The flag
    compares the log ratio with the baseline's, period by period: 0 for a submission, the
    company's mean log ratio of reconstructed calls (per level) for a reconstruction.
    """
    rows = []
    scores = scores.copy()
    scores["log_ratio"] = np.log(
        np.maximum(scores["mean_call"], 0.01 * scores["actual"]) / scores["actual"]
    )
    rebuilt = ~scores["source"].eq("submitted")
    norm = scores[rebuilt].groupby("level")["log_ratio"].mean()
    scores["baseline"] = np.where(rebuilt, scores["level"].map(norm).fillna(0.0), 0.0)
    enough = scores.groupby(["owner_id", "level"]).size()
    families = (enough >= min_periods).groupby(level="level").sum()  # one family per level
    for (owner, lvl), s in scores.groupby(["owner_id", "level"], sort=True):
        n = len(s)
        level = 1 - (1 - FAMILY_LEVEL) / max(int(families.get(lvl, 1)), 1)
        sources = set(s["source"])
        source = (
            "submitted"
            if sources == {"submitted"}
            else ("history" if "submitted" not in sources else "both")
        )
        mean, lo, hi, _ = _t_interval(s["log_ratio"], level)
        _, rlo, rhi, _ = _t_interval(s["log_ratio"] - s["baseline"], level)
        bias, lo, hi = np.expm1(mean), np.expm1(lo), np.expm1(hi)
        baseline = float(np.expm1(s["baseline"].mean()))
        conv, clo, chi, _ = _t_interval(s["conversion"], level)
        value, vlo, vhi, _ = _t_interval(s["value_added"], level)
        hits = int(s["hit"].sum())
        hlo, hhi = _wilson(hits, n, level)
        row = {
            "owner_id": owner,
            "level": lvl,
            "periods": n,
            "source": source,
            "bias": bias,
            "bias_lower": lo,
            "bias_upper": hi,
            "baseline": baseline,
            "conversion": conv,
            "conversion_lower": _clip(clo),
            "conversion_upper": _clip(chi),
            "hit_rate": hits / n if n else np.nan,
            "hit_lower": hlo,
            "hit_upper": hhi,
            "value_added": value,
            "value_lower": vlo,
            "value_upper": vhi,
        }
        if n < min_periods:
            row["flag"] = "too_few_periods"
        elif rlo > 0:
            row["flag"] = "over_committing"
        elif rhi < 0:
            row["flag"] = "sandbagging"
        else:
            row["flag"] = "no_clear_bias"
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=ACCURACY_COLUMNS)
    return pd.DataFrame(rows)[ACCURACY_COLUMNS]


def _clip(value: float) -> float:
    return value if np.isnan(value) else float(min(max(value, 0.0), 1.0))


__all__ = [
    "ACCURACY_COLUMNS",
    "BIASED",
    "CALL_COLUMNS",
    "CATEGORIES",
    "COMPANY",
    "FAMILY_LEVEL",
    "FLAGS",
    "HIT_TOLERANCE",
    "MIN_PERIODS",
    "VALUE_PERIODS",
    "actuals",
    "call_accuracy",
    "calls",
    "managers",
    "period_scores",
    "reconstructed_calls",
    "statistical_forecasts",
    "submitted_calls",
    "week_ends",
]
