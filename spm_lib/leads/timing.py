"""Speed and stalls: how fast leads convert (Kaplan-Meier), and which open leads have stalled."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import SurvfuncRight

from spm_lib.dataset import Dataset
from spm_lib.leads.conversion import named
from spm_lib.leads.frame import created_in, group_column, is_open, lead_frame
from spm_lib.periods import Period

STALL_QUANTILE = 0.9
MIN_CONVERSIONS_FOR_THRESHOLD = 20  # fewer in a source: the threshold of all sources is used
SPEED_HORIZON_DAYS = 365


def _durations(frame: pd.DataFrame, as_of: dt.date, event: str) -> pd.DataFrame:
    """time (days) and status (1 = event) per lead for the Kaplan-Meier estimate of ``event``
    (``opportunity`` or ``won``); leads with an event before their creation are left out."""
    days = frame["days_to_convert"] if event == "opportunity" else frame["days_to_won"]
    happened = frame["converted"] if event == "opportunity" else frame["won"]
    follow_up = (pd.Timestamp(as_of) - frame["created_date"]).dt.days
    event = happened & days.notna()
    time = days.where(event, follow_up)
    usable = time.ge(0) & (event | ~happened)
    return pd.DataFrame({"time": time[usable].astype(float), "status": event[usable].astype(int)})


def invalid_durations(frame: pd.DataFrame) -> int:
    """Converted leads left out of the speed figures: converted before created, or no date."""
    days = frame["days_to_convert"]
    return int((frame["converted"] & (days.isna() | days.lt(0))).sum())


def conversion_curves(
    ds: Dataset,
    by: str | None = "source",
    period: Period | None = None,
    event: str = "opportunity",
    horizon: int = SPEED_HORIZON_DAYS,
    frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Kaplan-Meier cumulative conversion by ``by``: group, days, converted_share = 1 - S(days),
    lower, upper (pointwise 95%), at_risk. Open leads are censored at the as-of date.
    ``frame``: a :func:`lead_frame` already built (and cut) to use instead of the dataset's."""
    data = created_in(lead_frame(ds) if frame is None else frame, period)
    return _curves(data, ds.as_of, by, event, horizon)


def _curves(
    frame: pd.DataFrame, as_of: dt.date, by: str | None, event: str, horizon: int
) -> pd.DataFrame:
    column = "group" if by is None else group_column(by)
    data = frame.assign(group="All") if by is None else frame
    parts = []
    for key, rows in data.groupby(column, sort=True):
        d = _durations(rows, as_of, event)
        if d.empty:
            continue
        if d["status"].sum() == 0:
            flat = {"days": [0.0], "converted_share": [0.0], "lower": [0.0], "upper": [0.0]}
            parts.append(pd.DataFrame({column: [key], **flat, "at_risk": [len(d)]}))
            continue
        sf = SurvfuncRight(d["time"].to_numpy(), d["status"].to_numpy())
        # from day 0 to the longest follow-up within the horizon (flat after the last event)
        last = min(float(d["time"].max()), float(horizon))
        tail = [last] if last > sf.surv_times[-1] else []
        times = np.r_[0.0, sf.surv_times, tail]
        surv = np.r_[1.0, sf.surv_prob, sf.surv_prob[-1:] if tail else []]
        se = np.r_[0.0, sf.surv_prob_se, sf.surv_prob_se[-1:] if tail else []]
        at_risk = np.r_[len(d), sf.n_risk, [int((d["time"] >= last).sum())] if tail else []]
        keep = times <= horizon
        parts.append(
            pd.DataFrame(
                {
                    column: key,
                    "days": times[keep],
                    "converted_share": 1 - surv[keep],
                    "lower": np.clip(1 - surv[keep] - 1.96 * se[keep], 0, 1),
                    "upper": np.clip(1 - surv[keep] + 1.96 * se[keep], 0, 1),
                    "at_risk": at_risk[keep],
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            columns=[column, "days", "converted_share", "lower", "upper", "at_risk"]
        )
    return pd.concat(parts, ignore_index=True)


def share_by(curve: pd.DataFrame, days: float) -> float:
    """The cumulative share of a single group's curve at ``days`` (step function)."""
    upto = curve[curve["days"] <= days]
    return float(upto["converted_share"].iloc[-1]) if len(upto) else 0.0


def conditional_median(curve: pd.DataFrame, horizon: float = SPEED_HORIZON_DAYS) -> float:
    """Median days to the event among leads that reach it within ``horizon``: the first day the
    cumulative share reaches half its value at the horizon (NaN without events)."""
    total = share_by(curve, horizon)
    if total <= 0:
        return float("nan")
    reached = curve[(curve["converted_share"] >= total / 2) & (curve["days"] <= horizon)]
    return float(reached["days"].iloc[0])


def speed(
    ds: Dataset,
    by: str | None = "source",
    period: Period | None = None,
    horizon: int = SPEED_HORIZON_DAYS,
    frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """How fast leads convert, by ``by``: leads, converted, converted_30d, converted_90d
    (Kaplan-Meier shares converted within 30 / 90 days), median_days_to_convert and
    median_days_to_won (among the leads that convert / win within ``horizon`` days,
    censoring-aware). ``frame``: a :func:`lead_frame` already built (and cut) to use instead
    of the dataset's."""
    frame = created_in(lead_frame(ds) if frame is None else frame, period)
    as_of = ds.as_of
    column = "group" if by is None else group_column(by)
    to_opp = _curves(frame, as_of, by, "opportunity", horizon)
    to_won = _curves(frame, as_of, by, "won", horizon)
    counts = (frame.assign(group="All") if by is None else frame).groupby(column).size()
    rows = []
    for key, n in counts.items():
        c = to_opp[to_opp[column] == key]
        w = to_won[to_won[column] == key]
        timed = frame if by is None else frame[frame[column] == key]
        rows.append(
            {
                column: key,
                "leads": int(n),
                "converted": int(timed["converted"].sum()),
                "converted_30d": share_by(c, 30) if len(c) else np.nan,
                "converted_90d": share_by(c, 90) if len(c) else np.nan,
                "median_days_to_convert": conditional_median(c, horizon) if len(c) else np.nan,
                "median_days_to_won": conditional_median(w, horizon) if len(w) else np.nan,
            }
        )
    columns = [
        column,
        "leads",
        "converted",
        "converted_30d",
        "converted_90d",
        "median_days_to_convert",
        "median_days_to_won",
    ]
    return pd.DataFrame(rows, columns=columns)


def stall_thresholds(frame: pd.DataFrame, quantile: float = STALL_QUANTILE) -> pd.DataFrame:
    """Per source: threshold_days = the ``quantile`` of days to convert of its converted leads
    (of all sources' when it has fewer than 20 conversions), and the conversions behind it."""
    days = frame.loc[frame["converted"] & frame["days_to_convert"].ge(0)]
    overall = float(days["days_to_convert"].quantile(quantile)) if len(days) else np.nan
    grouped = days.groupby("source")["days_to_convert"]
    out = pd.DataFrame({"source": sorted(frame["source"].unique())})
    stats = pd.DataFrame({"quantile": grouped.quantile(quantile), "size": grouped.size()})
    stats = stats.reindex(out["source"])
    enough = stats["size"].fillna(0).to_numpy() >= MIN_CONVERSIONS_FOR_THRESHOLD
    out["conversions"] = stats["size"].fillna(0).astype(int).to_numpy()
    out["threshold_days"] = np.where(enough, stats["quantile"].to_numpy(), overall)
    out["basis"] = np.where(enough, "source", "all sources")
    return out


def stalled_leads(
    ds: Dataset, quantile: float = STALL_QUANTILE, frame: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Open leads (not converted, not disqualified) older than their source's ``quantile`` of
    days to convert: lead_id, owner_rep_id, name, source, created_date, age_days,
    threshold_days; by owner, the most recently stalled (still warmest) first."""
    frame = lead_frame(ds) if frame is None else frame
    thresholds = stall_thresholds(frame, quantile).set_index("source")["threshold_days"]
    open_ = frame[is_open(frame)]
    age = (pd.Timestamp(ds.as_of) - open_["created_date"]).dt.days
    limit = open_["source"].map(thresholds).astype(float)
    stalled = open_.assign(age_days=age, threshold_days=limit)[age > limit]
    out = stalled[
        ["lead_id", "owner_rep_id", "source", "created_date", "age_days", "threshold_days"]
    ]
    overdue = out["age_days"] - out["threshold_days"]
    out = out.assign(_overdue=overdue).sort_values(["owner_rep_id", "_overdue", "lead_id"])
    return named(out.drop(columns="_overdue").reset_index(drop=True), ds)


def stalled_by_owner(
    ds: Dataset, stalled: pd.DataFrame, frame: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per lead owner: open_leads, stalled, stalled_share, oldest_days; most stalled first."""
    frame = lead_frame(ds) if frame is None else frame
    open_ = frame[is_open(frame)]
    out = pd.DataFrame({"open_leads": open_.groupby("owner_rep_id").size()})
    out["stalled"] = stalled.groupby("owner_rep_id").size().reindex(out.index).fillna(0)
    out["oldest_days"] = stalled.groupby("owner_rep_id")["age_days"].max().reindex(out.index)
    out = out.astype({"stalled": int})
    out["stalled_share"] = out["stalled"] / out["open_leads"]
    out = out.rename_axis("owner_rep_id").reset_index()
    out = out[["owner_rep_id", "open_leads", "stalled", "stalled_share", "oldest_days"]]
    return named(out.sort_values(["stalled", "owner_rep_id"], ascending=[False, True]), ds)
