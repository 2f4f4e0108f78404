"""Lead conversion: lead -> opportunity -> won, by source, segment, SDR, AE or monthly cohort;
how fast leads convert; which leads stall; which source is worth more once the reps who work it
and the segment are accounted for.

Definitions (one place each):

- a lead is **converted** when it has a ``converted_date`` or an ``opportunity_id``; its
  conversion date is ``converted_date``, else its opportunity's ``created_date``;
- **conversion rate** = converted leads / leads (of the leads in the group, as of the data's
  as-of date), with a Wilson 95% interval;
- **won** = converted leads whose opportunity is won; **win rate** = won / (won + lost) of
  those opportunities; **revenue** = amount of those won opportunities; **revenue per lead** =
  revenue / leads;
- **days to convert** = conversion date - created date; a lead that has not converted is
  *censored* at the as-of date (Kaplan-Meier), never counted as a failure at its age; a lead
  disqualified stays in the risk set (it cannot convert, so the curve is the cumulative
  incidence of conversion);
- an **open** lead has neither converted nor been disqualified; it is **stalled** when it is
  older than its source's 90th percentile of days to convert.

By AE (the opportunity's rep), leads are those handed to the AE (all converted): the AE's part of
the funnel is the win rate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.special import expit
from statsmodels.duration.survfunc import SurvfuncRight
from statsmodels.stats.proportion import proportion_confint

from spm_lib.dataset import Dataset
from spm_lib.exceptions import DataError
from spm_lib.periods import Period, period_containing

GROUPS = {
    "source": "source",
    "segment": "segment",
    "sdr": "owner_rep_id",
    "ae": "rep_id",
    "cohort": "cohort",
}
NONE = "(none)"
OUTSIDE = "(outside this audience)"  # the AEs of an audience's leads who are not in it, as one
FUNNEL_COLUMNS = [
    "leads",
    "converted",
    "conversion_rate",
    "lower",
    "upper",
    "won",
    "win_rate",
    "revenue",
    "revenue_per_lead",
]
STALL_QUANTILE = 0.9
MIN_CONVERSIONS_FOR_THRESHOLD = 20  # fewer in a source: the threshold of all sources is used
SPEED_HORIZON_DAYS = 365
MIN_LEVEL_LEADS = 30  # smaller sources (SDRs) are pooled in the regression
POOLED = "(pooled: fewer than 30 leads or no variation)"
FACTORS = {"source": "source", "segment": "segment", "sdr": "owner_rep_id"}


def has_leads(ds: Dataset) -> bool:
    """Whether the dataset has a leads table with at least one lead."""
    return ds.has("leads") and len(ds["leads"]) > 0


def has_amounts(ds: Dataset) -> bool:
    """False when deals carry no money (``currency: deals``, each won deal counts 1)."""
    return ds.config.currency.strip().lower() != "deals"


def is_converted(leads: pd.DataFrame) -> pd.Series:
    """A lead is converted when it has a converted_date or an opportunity_id."""
    return leads["converted_date"].notna() | leads["opportunity_id"].notna()


def is_open(frame: pd.DataFrame) -> pd.Series:
    """Leads of a :func:`lead_frame` that are open: neither converted nor disqualified."""
    return ~frame["converted"] & frame["disqualified_date"].isna()


def lead_frame(ds: Dataset) -> pd.DataFrame:
    """One row per lead of the audience with its outcome, as of ``ds.as_of``.

    Columns: lead_id, created_date, source, segment, owner_rep_id (``(none)`` when empty;
    :data:`OUTSIDE` for an SDR outside a narrowed dataset's audience), converted (bool),
    converted_date, opportunity_id, opportunity_found (bool), rep_id (the AE; :data:`OUTSIDE`
    for an AE outside the audience), won (bool), lost (bool), won_date, revenue,
    disqualified_date, days_to_convert, days_to_won, cohort (``YYYY-MM`` of created_date).
    """
    if not ds.has("leads"):
        raise DataError(
            "the dataset has no leads table; lead conversion needs one (see the README)",
            table="leads",
            expected="a leads table",
        )
    leads = ds["leads"]
    # a lead's outcome is a fact whoever's audience this is: its opportunity is looked up in
    # the whole company's (a West SDR's lead may become another region's deal)
    opps = (ds.company or ds).opportunities.set_index("opportunity_id")
    opp = leads["opportunity_id"]
    found = opp.isin(opps.index)
    lookup = opps.reindex(opp.where(found))
    conv_date = leads["converted_date"].fillna(
        pd.Series(lookup["created_date"].to_numpy(), index=leads.index)
    )
    converted = is_converted(leads)
    won = pd.Series(lookup["is_won"].fillna(False).to_numpy(dtype=bool), index=leads.index)
    closed = pd.Series(lookup["is_closed"].fillna(False).to_numpy(dtype=bool), index=leads.index)
    won_date = pd.Series(lookup["close_date"].to_numpy(), index=leads.index).where(won)
    amount = pd.Series(lookup["amount"].to_numpy(dtype=float), index=leads.index)
    if "disqualified_date" in leads:
        disqualified = leads["disqualified_date"].where(~converted)
    else:
        disqualified = pd.Series(pd.NaT, index=leads.index)
    out = pd.DataFrame(
        {
            "lead_id": leads["lead_id"],
            "created_date": leads["created_date"],
            "source": _label(leads, "source"),
            "segment": _label(leads, "segment"),
            "owner_rep_id": _audience_only(ds, _label(leads, "owner_rep_id")),
            "converted": converted,
            "converted_date": conv_date.where(converted),
            "opportunity_id": opp,
            "opportunity_found": found,
            "rep_id": _audience_only(ds, pd.Series(lookup["rep_id"].to_numpy(),
                                                   index=leads.index).fillna(NONE)),
            "won": won,
            "lost": closed & ~won,
            "won_date": won_date,
            "revenue": amount.where(won, 0.0),
            "disqualified_date": disqualified,
        }
    )
    for column in ("created_date", "converted_date", "won_date", "disqualified_date"):
        out[column] = out[column].dt.normalize()  # whole days (exports may carry a time)
    out["days_to_convert"] = (out["converted_date"] - out["created_date"]).dt.days
    out["days_to_won"] = (out["won_date"] - out["created_date"]).dt.days
    out["cohort"] = out["created_date"].dt.strftime("%Y-%m")
    return out


def _audience_only(ds: Dataset, rep_ids: pd.Series) -> pd.Series:
    """``rep_ids`` with every rep outside a narrowed dataset's audience as :data:`OUTSIDE`: an
    SDR team's leads become other teams' deals, and other SDRs' leads an AE team's deals, whose
    people are shown only as one aggregate."""
    if ds.company is None:
        return rep_ids
    own = rep_ids.isin(ds["reps"]["rep_id"]) | rep_ids.eq(NONE)
    return rep_ids.where(own, OUTSIDE)


def _label(leads: pd.DataFrame, column: str) -> pd.Series:
    if column not in leads:
        return pd.Series(NONE, index=leads.index)
    return leads[column].fillna(NONE).astype(str)


def group_column(by: str) -> str:
    if by not in GROUPS:
        raise ValueError(f"by must be one of {', '.join(GROUPS)}; got {by!r}")
    return GROUPS[by]


def created_in(frame: pd.DataFrame, period: Period | None) -> pd.DataFrame:
    """The leads of ``frame`` created in ``period`` (all when None)."""
    if period is None:
        return frame
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    return frame[frame["created_date"].between(start, end)]


def wilson(successes: pd.Series, trials: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Wilson 95% interval of successes / trials (NaN where trials is 0)."""
    s, n = successes.to_numpy(dtype=float), trials.to_numpy(dtype=float)
    ok = n > 0
    lower, upper = np.full(len(n), np.nan), np.full(len(n), np.nan)
    lo, hi = proportion_confint(s[ok], n[ok], alpha=0.05, method="wilson")
    lower[ok], upper[ok] = lo, hi
    return pd.Series(lower, index=successes.index), pd.Series(upper, index=successes.index)


def _funnel_table(frame: pd.DataFrame, by: str | None) -> pd.DataFrame:
    column = "group" if by is None else group_column(by)
    data = frame.assign(group="All") if by is None else frame
    if by == "ae":
        data = data[data["converted"]]
    g = data.groupby(column, sort=True)
    out = pd.DataFrame(
        {
            "leads": g.size(),
            "converted": g["converted"].sum(),
            "won": g["won"].sum(),
            "lost": g["lost"].sum(),
            "revenue": g["revenue"].sum(),
        }
    )
    if out.empty:
        return pd.DataFrame(columns=[column, *FUNNEL_COLUMNS])
    out["conversion_rate"] = out["converted"] / out["leads"]
    out["lower"], out["upper"] = wilson(out["converted"], out["leads"])
    decided = out["won"] + out["lost"]
    out["win_rate"] = out["won"] / decided.where(decided > 0)
    out["revenue_per_lead"] = out["revenue"] / out["leads"]
    out = out.astype({"leads": int, "converted": int, "won": int, "revenue": float})
    return out.rename_axis(column).reset_index()[[column, *FUNNEL_COLUMNS]]


def funnel(
    ds: Dataset,
    by: str | None = "source",
    period: Period | None = None,
    frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Lead -> opportunity -> won, one row per group of ``by`` (source, segment, sdr, ae, cohort;
    None: one row, group ``All``).

    Columns: the group, leads, converted, conversion_rate = converted / leads with its Wilson 95%
    interval (lower, upper), won, win_rate = won / (won + lost) of the converted leads'
    opportunities, revenue (won amount), revenue_per_lead = revenue / leads. ``period``: leads
    created in it (default all). ``frame``: a :func:`lead_frame` already built (and cut) to use
    instead of the dataset's. Outcomes are as of the data's as-of date.
    """
    return _funnel_table(created_in(lead_frame(ds) if frame is None else frame, period), by)


def named(frame: pd.DataFrame, ds: Dataset, column: str = "owner_rep_id") -> pd.DataFrame:
    """``frame`` with a ``name`` column after ``column`` (rep names from every rep, SDRs too),
    unless the reps have no names beyond their ids."""
    names = ds.rep_names
    shown = frame[column].map(names).fillna("")
    if ((shown == frame[column]) | (shown == "")).all():
        return frame  # no names beyond the ids (reps made from ids)
    out = frame.copy()
    out.insert(out.columns.get_loc(column) + 1, "name", shown)
    return out


# --- speed ---------------------------------------------------------------------------------


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
    columns = [column, "leads", "converted", "converted_30d", "converted_90d",
               "median_days_to_convert", "median_days_to_won"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


# --- stalled leads -------------------------------------------------------------------------


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
    out = stalled[["lead_id", "owner_rep_id", "source", "created_date", "age_days",
                   "threshold_days"]]  # fmt: skip
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


# --- which source is worth more -------------------------------------------------------------


@dataclass
class SourceEffects:
    """The logistic regression of conversion on source (and segment, SDR where usable).

    ``table``: per source, leads, converted, odds_ratio with lower/upper (95%) against
    ``reference`` (log scale in log_odds_ratio), adjusted_rate with adjusted_lower/upper (the
    conversion if every lead had come from the source, other factors as they are), rank.
    """

    table: pd.DataFrame
    reference: str
    factors: list[str]
    left_out: dict[str, str] = field(default_factory=dict)
    pooled: dict[str, list[str]] = field(default_factory=dict)
    leads_used: int = 0
    mature_days: int = 0
    others: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def known(self) -> pd.DataFrame:
        """The table without the unknown source and the pooled small ones (best first)."""
        return self.table[~self.table["source"].isin([NONE, POOLED])]

    @property
    def held_equal(self) -> str:
        """The other factors of the model, as words (``segment and SDR``; empty: none)."""
        return " and ".join(factor_label(f) for f in self.factors if f != "source")


def factor_label(factor: str) -> str:
    """How a model factor is named in a sentence (``sdr`` -> ``SDR``)."""
    return "SDR" if factor == "sdr" else factor


def usable_factor(frame: pd.DataFrame, factor: str) -> str | None:
    """Why ``factor`` cannot go into the regression, or None when it can: it must be known for
    at least half of the converted and half of the unconverted leads (a field filled in only on
    conversion says who recorded conversions, not who converts)."""
    column = FACTORS[factor]
    known = frame[column] != NONE
    if not known.any():
        return f"{column} is not recorded"
    conv = frame["converted"]
    share_conv = known[conv].mean() if conv.any() else 0.0
    share_open = known[~conv].mean() if (~conv).any() else 0.0
    if share_conv < 0.5 or share_open < 0.5:
        return (
            f"{column} is recorded on {share_conv:.0%} of converted leads but {share_open:.0%} "
            "of the others, so it would only tell which leads were converted"
        )
    if frame.loc[known, column].nunique() < 2:
        return f"{column} has a single value"
    return None


def _pool(levels: pd.Series, converted: pd.Series) -> tuple[pd.Series, list[str]]:
    stats = converted.groupby(levels).agg(["size", "sum"])
    small = stats[
        (stats["size"] < MIN_LEVEL_LEADS) | (stats["sum"] == 0) | (stats["sum"] == stats["size"])
    ].index
    if len(small) == 0:
        return levels, []
    return levels.where(~levels.isin(small), POOLED), sorted(small)


def maturity_days(frame: pd.DataFrame, quantile: float = STALL_QUANTILE) -> int:
    """Days after which most conversions have happened: the ``quantile`` of days to convert."""
    days = frame.loc[frame["converted"] & frame["days_to_convert"].ge(0), "days_to_convert"]
    return int(np.ceil(days.quantile(quantile))) if len(days) else 0


def source_effects(
    ds: Dataset, frame: pd.DataFrame | None = None, draws: int = 2000, seed: int = 0
) -> SourceEffects:
    """Logistic regression: logit P(converted) = source + segment + SDR, on the leads old enough
    to have converted (created at least :func:`maturity_days` before the as-of date), so that a
    source's effect is separated from the reps who work it and the segment it serves.

    Sources (SDRs) with fewer than 30 leads, or no variation in outcome, are pooled into one
    level; a factor known only on converted leads is left out (:func:`usable_factor`). The
    reference is the source with the most leads. Intervals: Wald 95% for odds ratios; for the
    adjusted rates, quantiles of the rate over ``draws`` coefficient draws from their estimated
    normal distribution.
    """
    frame = lead_frame(ds) if frame is None else frame
    mature = maturity_days(frame)
    data = frame[frame["created_date"] <= pd.Timestamp(ds.as_of) - pd.Timedelta(days=mature)]
    if data.empty or data["converted"].nunique() < 2:
        raise DataError(
            "no leads old enough with both converted and unconverted ones to compare sources",
            table="leads",
            column="converted_date",
            expected="converted and unconverted leads created before "
            f"{pd.Timestamp(ds.as_of) - pd.Timedelta(days=mature):%Y-%m-%d}",
        )
    y = data["converted"].astype(float)
    factors, left_out, pooled, levels = [], {}, {}, {}
    for factor, column in FACTORS.items():
        reason = usable_factor(data, factor)
        if reason is not None and factor == "source":
            raise DataError(
                f"cannot compare sources: {reason}", table="leads", column="source",
                expected="a source on most leads",
            )  # fmt: skip
        if reason is not None:
            left_out[factor] = reason
            continue
        values, small = _pool(data[column], data["converted"])
        if values.nunique() < 2:
            left_out[factor] = f"{column} has one usable value after pooling small ones"
            continue
        factors.append(factor)
        levels[factor] = values
        if small:
            pooled[factor] = small
    if "source" not in levels:
        raise DataError(
            f"cannot compare sources: {left_out['source']}", table="leads", column="source",
            expected="at least two sources with 30 leads and both outcomes",
        )  # fmt: skip
    counts = levels["source"].value_counts()
    reference = str(counts.index[0])
    design, names = _design(levels, reference)
    fit = sm.GLM(y.to_numpy(), design, family=sm.families.Binomial()).fit()
    params, cov = fit.params, fit.cov_params()
    src_cols = [i for i, n in enumerate(names) if n[0] == "source"]
    table = _source_table(levels["source"], data["converted"], reference, names, params, cov)
    table = _adjusted_rates(table, design, names, params, cov, src_cols, draws, seed)
    table["rank"] = table["adjusted_rate"].rank(ascending=False, method="min").astype(int)
    others = _other_effects(names, params, cov, levels, data["converted"])
    return SourceEffects(
        table=table.sort_values("rank").reset_index(drop=True),
        reference=reference,
        factors=factors,
        left_out=left_out,
        pooled=pooled,
        leads_used=len(data),
        mature_days=mature,
        others=others,
    )


def try_source_effects(ds: Dataset, frame: pd.DataFrame) -> tuple[SourceEffects | None, str]:
    """:func:`source_effects`, or None and the reason the sources cannot be compared."""
    try:
        return source_effects(ds, frame), ""
    except DataError as error:
        return None, str(error)


def _design(levels: dict[str, pd.Series], source_reference: str):
    """Intercept plus treatment dummies (reference: the source with most leads, the commonest
    level of other factors); names are (factor, level) pairs."""
    columns = [np.ones(len(next(iter(levels.values()))))]
    names: list[tuple[str, str]] = [("intercept", "")]
    for factor, values in levels.items():
        counts = values.value_counts()
        reference = source_reference if factor == "source" else str(counts.index[0])
        for level in sorted(counts.index):
            if level != reference:
                columns.append((values == level).to_numpy(dtype=float))
                names.append((factor, str(level)))
    return np.column_stack(columns), names


def _source_table(sources, converted, reference, names, params, cov) -> pd.DataFrame:
    stats = converted.groupby(sources).agg(leads="size", converted="sum")
    rows = []
    for source, row in stats.iterrows():
        if source == reference:
            coef, se = 0.0, 0.0
        else:
            i = names.index(("source", str(source)))
            coef, se = float(params[i]), float(np.sqrt(cov[i, i]))
        rows.append(
            {
                "source": source,
                "leads": int(row["leads"]),
                "converted": int(row["converted"]),
                "log_odds_ratio": coef,
                "odds_ratio": np.exp(coef),
                "lower": np.exp(coef - 1.96 * se),
                "upper": np.exp(coef + 1.96 * se),
            }
        )
    return pd.DataFrame(rows)


def _adjusted_rates(table, design, names, params, cov, src_cols, draws, seed) -> pd.DataFrame:
    """The mean predicted conversion with every lead's source set to each source in turn, over
    the distinct patterns of the other factors (weighted by their counts)."""
    other = np.delete(design, src_cols, axis=1)
    patterns, weights = np.unique(other, axis=0, return_counts=True)
    keep = [i for i in range(len(names)) if i not in src_cols]
    rng = np.random.default_rng(seed)
    sims = rng.multivariate_normal(params, cov, size=draws)
    rates, lows, highs = [], [], []
    for source in table["source"]:
        shift = np.zeros(len(names))
        if ("source", str(source)) in names:
            shift[names.index(("source", str(source)))] = 1.0
        base = patterns @ params[keep] + float(shift @ params)
        rates.append(float(np.average(expit(base), weights=weights)))
        sim_base = sims[:, keep] @ patterns.T + (sims @ shift)[:, None]
        sim_rates = (expit(sim_base) * weights).sum(axis=1) / weights.sum()
        lows.append(float(np.quantile(sim_rates, 0.025)))
        highs.append(float(np.quantile(sim_rates, 0.975)))
    return table.assign(adjusted_rate=rates, adjusted_lower=lows, adjusted_upper=highs)


def _other_effects(names, params, cov, levels, converted) -> pd.DataFrame:
    """Odds ratios of the other factors' levels against their reference level."""
    rows = []
    for i, (factor, level) in enumerate(names):
        if factor in ("intercept", "source"):
            continue
        se = float(np.sqrt(cov[i, i]))
        values = levels[factor]
        rows.append(
            {
                "factor": factor,
                "level": level,
                "reference": str(values.value_counts().index[0]),
                "leads": int((values == level).sum()),
                "conversion_rate": float(converted[values == level].mean()),
                "odds_ratio": float(np.exp(params[i])),
                "lower": float(np.exp(params[i] - 1.96 * se)),
                "upper": float(np.exp(params[i] + 1.96 * se)),
            }
        )
    return pd.DataFrame(rows)


# --- the period's key figures ----------------------------------------------------------------


def lead_period(ds: Dataset, text: str | Period) -> tuple[Period, str]:
    """The report period and, when it differs from the one asked for, why.

    A period in which no lead was created (the runner's ``latest`` is the data's latest
    quarter, and a funnel export may stop months before the deals do) falls back to the latest
    complete quarter of the leads: the quarter before the one holding the last lead created,
    or, when that has none either, the quarter holding the last lead (said to be incomplete).
    """
    asked = text if isinstance(text, Period) else ds.period(text)
    if not has_leads(ds):
        return asked, ""
    created = ds["leads"]["created_date"]
    if asked.mask(created).any():
        return asked, ""
    last = created.max().date()
    fallback = period_containing(last, "quarter", ds.config.fiscal_year_start_month)
    complete = fallback.previous() if fallback.end > last else fallback
    if complete.mask(created).any():
        return complete, (
            f"No lead was created in {asked.label} (the last one came in on {last:%Y-%m-%d}): "
            f"this report covers {complete.label}, the latest complete quarter of the leads."
        )
    return fallback, (
        f"No lead was created in {asked.label} (the last one came in on {last:%Y-%m-%d}): "
        f"this report covers {fallback.label}, the quarter of the latest leads, which is not "
        "complete yet."
    )


def period_figures(frame: pd.DataFrame, period: Period, as_of: dt.date) -> dict[str, float]:
    """The key figures of the leads created in ``period``, outcomes as of ``as_of``:
    leads, converted, lead_conversion_rate = converted / leads, revenue_per_lead = won revenue /
    leads, median_days_to_convert = median days to convert of the leads converted in the period
    (whenever created)."""
    stamp = pd.Timestamp(as_of)
    mine = created_in(frame, period)
    converted = mine["converted"] & (mine["converted_date"] <= stamp)
    won = mine["won"] & (mine["won_date"] <= stamp)
    start, end = pd.Timestamp(period.start), pd.Timestamp(min(period.end, as_of))
    in_period = frame["converted_date"].between(start, end) & frame["days_to_convert"].ge(0)
    n = len(mine)
    return {
        "leads": n,
        "converted": int(converted.sum()),
        "lead_conversion_rate": float(converted.sum() / n) if n else float("nan"),
        "revenue_per_lead": float(mine["revenue"].where(won, 0).sum() / n) if n else float("nan"),
        "median_days_to_convert": float(frame.loc[in_period, "days_to_convert"].median()),
    }


def key_figures(ds: Dataset, period: Period, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The period's figures beside the period before, at the same age: the previous period's
    leads are judged as of the same number of days after its end (``follow_up_days``), so a
    quarter that just ended is not compared with one whose leads had months more to convert.

    One row per figure: figure, value, previous, change (value / previous - 1).
    """
    frame = lead_frame(ds) if frame is None else frame
    follow_up = max((ds.as_of - period.end).days, 0)
    before = period.previous()
    now = period_figures(frame, period, ds.as_of)
    then = period_figures(frame, before, before.end + dt.timedelta(days=follow_up))
    rows = []
    for figure in ("leads", "lead_conversion_rate", "revenue_per_lead", "median_days_to_convert"):
        value, previous = now[figure], then[figure]
        change = value / previous - 1 if previous and not np.isnan(previous) else np.nan
        rows.append({"figure": figure, "value": value, "previous": previous, "change": change})
    out = pd.DataFrame(rows)
    out.attrs.update(
        previous_period=before.label, follow_up_days=follow_up, converted=now["converted"]
    )
    return out
