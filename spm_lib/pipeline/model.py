"""Pipeline forecast: what the open pipeline (and deals not yet created) will book in a window.

Method, for a window from ``as_of`` (exclusive) to ``end`` (inclusive):

1. **Calibration from history.** At earlier snapshot dates (every three months back from
   ``as_of``, whose window of the same length ended by ``as_of``), every then-open opportunity
   is recorded with its stage at the snapshot (from stage history) and its age. Its outcome is
   whether it was won with a close date inside that window, so the rate includes the chance
   that the close date slips out.
   ``win_rates`` smooths the rate of each (stage, age band) toward its stage's rate, and each
   stage's toward the overall rate, with a beta prior of :data:`PRIOR_WEIGHT` pseudo-deals.
   **Slip-adjusted** where the CRM's history records close-date pushes
   (:mod:`spm_lib.pipeline.slippage`): each deal's pushes by the snapshot put it in a band (0, 1,
   2+), and a band's factor is its deals' wins over what their (stage, age band) rates expect,
   smoothed with :data:`PRIOR_WEIGHT` pseudo-wins ((won + w) / (expected + w)); a deal's rate
   is its cell's times its band's factor (capped at 1). Deals pushed often win less.
2. **Open deals now** get the rate of their stage, age band and push band; a deal's CRM
   probability and close date are not used.
3. **Deals not yet created** that will be created and won inside the window: the same quantity
   over the last four aligned past windows (a year of quarters), each grown by the trailing
   12-month bookings growth for the time since, as a mean and spread.
4. **Distribution** of the window total by simulation: each open deal is won with its rate,
   with a common multiplier per simulation drawn from the past windows' realised / expected
   ratios (so the band reflects how far reality strayed from the rates, not only coin flips),
   plus a normal draw (truncated at 0) for deals not yet created. P10, P50, P90 are reported.
   A stage whose rate rests on fewer than :data:`MIN_STAGE_EVIDENCE` past deals (sparse
   history, or none: the prior alone) has its rate drawn per simulation from its beta
   posterior (mean its rate, ``deals + PRIOR_WEIGHT`` pseudo-observations), so the band
   carries what the history cannot tell (``thin_stages`` names them).

:func:`spm_lib.pipeline.quarter_ahead.combine_forecasts` then blends this with the time-series
forecast by precision weighting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.measures.metrics import open_pipeline_at
from spm_lib.pipeline.slippage import pushes_by

AGE_BANDS = (0, 30, 90, 180, 365, 100_000)
AGE_LABELS = ("0-30 d", "31-90 d", "91-180 d", "181-365 d", ">365 d")
PRIOR_WEIGHT = 20.0
MIN_STAGE_EVIDENCE = 30  # past deals of a stage below which its rate is drawn, not fixed
UNKNOWN_STAGE = "(unknown)"


def _age_band(age_days: pd.Series) -> pd.Series:
    return pd.cut(age_days, AGE_BANDS, labels=AGE_LABELS, include_lowest=True, right=True).astype(
        "str"
    )


def open_at(ds: Dataset, date: pd.Timestamp) -> pd.DataFrame:
    """Opportunities open at the end of ``date``: created on or before it and not closed by it.

    Columns: opportunity_id, rep_id, amount, created_date, close_date, is_won, stage_then
    (the last stage entered on or before ``date``; the current stage for deals still open
    today when there is no stage history), age_days, age_band.

    With ``opportunity_history`` the open deals, their stage and amount are those the history
    replays at the end of ``date`` (:func:`spm_lib.pipeline.as_of.pipeline_as_of`, as the
    pipeline review reads them); ``close_date`` and ``is_won`` stay the deal's outcome.
    """
    date = pd.Timestamp(date)
    if ds.has("opportunity_history") and len(ds["opportunity_history"]):
        snap = _replayed_open(ds, date)
    else:
        snap = open_pipeline_at(ds, date).copy()
        snap["stage_then"] = _stage_entered(ds, snap, date)
    open_stages = set(ds.config.open_stages)
    snap["stage_then"] = snap["stage_then"].where(
        snap["stage_then"].isin(open_stages), UNKNOWN_STAGE
    )
    snap["age_days"] = (date - snap["created_date"]).dt.days
    snap["age_band"] = _age_band(snap["age_days"])
    pushed = pushes_by(ds, date) if ds.has("opportunity_history") else pd.Series(dtype=int)
    snap["pushes_then"] = snap["opportunity_id"].map(pushed).fillna(0).astype(int).to_numpy()
    cols = [
        "opportunity_id",
        "rep_id",
        "amount",
        "created_date",
        "close_date",
        "is_closed",
        "is_won",
        "stage_then",
        "age_days",
        "age_band",
        "pushes_then",
    ]
    # a deal with no amount (a warning of the loader) is in the pipeline for $0
    return snap[cols].assign(amount=snap["amount"].fillna(0.0)).reset_index(drop=True)


def _stage_entered(ds: Dataset, snap: pd.DataFrame, date: pd.Timestamp) -> pd.Series:
    """The last stage each deal of ``snap`` entered on or before ``date`` (stage history),
    else the current stage of deals still open."""
    history = ds.get("stage_history")
    if history is None or not len(history):
        return pd.Series(np.where(~snap["is_closed"], snap["stage"], None), index=snap.index)
    seen = history[
        (history["entered_date"] <= date) & history["opportunity_id"].isin(snap["opportunity_id"])
    ]
    last = seen.sort_values("entered_date", kind="stable").groupby("opportunity_id")["stage"].last()
    return snap["opportunity_id"].map(last)


def _replayed_open(ds: Dataset, date: pd.Timestamp) -> pd.DataFrame:
    """The deals open at the end of ``date`` as the history replays them, with the deal's own
    created date and outcome beside the replayed stage and amount."""
    from spm_lib.pipeline.as_of import pipeline_as_of

    state = pipeline_as_of(ds, date)
    own = ds.opportunities.drop_duplicates("opportunity_id").set_index("opportunity_id")
    ids = state["opportunity_id"]
    return pd.DataFrame(
        {
            "opportunity_id": ids.to_numpy(),
            "rep_id": state["rep_id"].to_numpy(),
            "amount": state["amount"].to_numpy(),
            "created_date": own["created_date"].reindex(ids).to_numpy(),
            "close_date": own["close_date"].reindex(ids).to_numpy(),
            "is_closed": own["is_closed"].reindex(ids).to_numpy(),
            "is_won": own["is_won"].reindex(ids).to_numpy(),
            "stage": state["stage"].to_numpy(),
            "stage_then": state["stage"].to_numpy(),
        }
    )


@dataclass
class Window:
    """One past window: its snapshot date, the deals open then, and what happened."""

    start: pd.Timestamp
    end: pd.Timestamp
    open_deals: pd.DataFrame  # with 'won_in_window'
    new_won: float  # won inside the window by deals created after the snapshot


def past_windows(
    ds: Dataset,
    as_of: pd.Timestamp,
    length_days: int,
    count: int = 8,
    step_months: int = 3,
    offset_days: int = 0,
) -> list[Window]:
    """Past windows (latest first): snapshots ``step_months`` apart at the same point of the
    calendar as ``as_of`` (a quarter-start forecast learns from earlier quarter starts, so
    seasonality is represented); each window runs from ``offset_days`` after its snapshot
    (exclusive) for ``length_days`` and ends on or before ``as_of``."""
    as_of = pd.Timestamp(as_of)
    first_data = ds.opportunities["created_date"].min()
    opps = ds.opportunities
    windows = []
    k = 0
    while len(windows) < count:
        k += 1
        snapshot = as_of - pd.DateOffset(months=step_months * k)
        if snapshot < first_data + pd.Timedelta(days=180):
            break
        begin = snapshot + pd.Timedelta(days=offset_days)
        end = begin + pd.Timedelta(days=length_days)
        if end > as_of:
            continue
        deals = open_at(ds, snapshot)
        inside = (deals["close_date"] > begin) & (deals["close_date"] <= end)
        deals["won_in_window"] = deals["is_won"] & inside
        fresh = opps[
            (opps["created_date"] > snapshot)
            & opps["is_won"]
            & (opps["close_date"] > begin)
            & (opps["close_date"] <= end)
        ]
        windows.append(Window(snapshot, end, deals, float(fresh["amount"].sum())))
    return windows


def win_rates(windows: list[Window]) -> pd.DataFrame:
    """P(won inside the window) per (stage, age band), smoothed (see module docstring).

    Columns: stage, age_band, deals, won, raw_rate, rate.
    """
    empty = pd.DataFrame(columns=["stage", "age_band", "deals", "won", "raw_rate", "rate"])
    deals = [w.open_deals for w in windows if len(w.open_deals)]
    if not deals:  # no past window, or none with an open deal (a rep who had left by then)
        return empty
    deals = pd.concat(deals, ignore_index=True)
    overall = deals["won_in_window"].mean()
    by_stage = deals.groupby("stage_then")["won_in_window"].agg(["sum", "count"])
    stage_rate = (by_stage["sum"] + PRIOR_WEIGHT * overall) / (by_stage["count"] + PRIOR_WEIGHT)
    cells = (
        deals.groupby(["stage_then", "age_band"])["won_in_window"]
        .agg(["sum", "count"])
        .reset_index()
    )
    prior = cells["stage_then"].map(stage_rate)
    cells["rate"] = (cells["sum"] + PRIOR_WEIGHT * prior) / (cells["count"] + PRIOR_WEIGHT)
    cells["raw_rate"] = cells["sum"] / cells["count"]
    out = cells.rename(columns={"stage_then": "stage", "sum": "won", "count": "deals"})
    out.attrs["stage_rate"] = stage_rate.to_dict()
    out.attrs["overall_rate"] = float(overall)
    out = out[["stage", "age_band", "deals", "won", "raw_rate", "rate"]]
    out.attrs["push_factor"] = push_factors(deals, out)
    return out


PUSH_BANDS = ("0", "1", "2+")


def _push_band(pushes: pd.Series) -> np.ndarray:
    return np.array(PUSH_BANDS)[np.clip(pushes.to_numpy(dtype=int), 0, 2)]


def push_factors(deals: pd.DataFrame, rates: pd.DataFrame) -> dict[str, float]:
    """Per push band (0, 1, 2+ close-date pushes by the snapshot): (won + w) / (expected + w)
    over the past windows' deals, expected from their (stage, age band) rates; empty (no
    adjustment) where no deal had been pushed."""
    if "pushes_then" not in deals or not (deals["pushes_then"] > 0).any():
        return {}
    expected = _rate_for(deals, rates, adjust=False)
    band = _push_band(deals["pushes_then"])
    frame = pd.DataFrame(
        {"band": band, "won": deals["won_in_window"].to_numpy(float), "expected": expected}
    )
    g = frame.groupby("band")[["won", "expected"]].sum()
    factor = (g["won"] + PRIOR_WEIGHT) / (g["expected"] + PRIOR_WEIGHT)
    return {b: float(factor.get(b, 1.0)) for b in PUSH_BANDS}


def _rate_for(deals: pd.DataFrame, rates: pd.DataFrame, adjust: bool = True) -> np.ndarray:
    """Each deal's rate: its (stage, age band) cell's, else its stage's, else the overall;
    times its push band's factor (``adjust``; see :func:`push_factors`), capped at 1."""
    table = rates.set_index(["stage", "age_band"])["rate"]
    stage_rate = rates.attrs.get("stage_rate", {})
    overall = float(rates.attrs.get("overall_rate", 0.0))
    keys = pd.MultiIndex.from_arrays(
        [deals["stage_then"].astype(object), deals["age_band"].astype(object)]
    )
    found = table.reindex(keys).to_numpy(dtype=float)
    fallback = deals["stage_then"].astype(object).map(stage_rate).astype(float).fillna(overall)
    rate = np.where(np.isnan(found), fallback.to_numpy(dtype=float), found)
    factors = rates.attrs.get("push_factor") if adjust else None
    if factors and "pushes_then" in deals:
        band = _push_band(deals["pushes_then"])
        rate = np.minimum(rate * pd.Series(band).map(factors).fillna(1.0).to_numpy(), 1.0)
    return rate


def _growth(ds: Dataset, as_of: pd.Timestamp) -> float:
    """Bookings of the 12 months to ``as_of`` over the 12 months before (1 when unknown)."""
    opps = ds.opportunities
    won = opps[opps["is_won"] & (opps["close_date"] <= as_of)]
    year = pd.DateOffset(years=1)
    last = won.loc[won["close_date"] > as_of - year, "amount"].sum()
    before = won.loc[
        (won["close_date"] > as_of - 2 * year) & (won["close_date"] <= as_of - year), "amount"
    ].sum()
    return float(last / before) if before > 0 and last > 0 else 1.0


def _thin_stages(deals: pd.DataFrame, rates: pd.DataFrame) -> tuple[dict, np.ndarray, tuple]:
    """The open deals' stages whose rates rest on fewer than :data:`MIN_STAGE_EVIDENCE` past
    deals (stage -> deals), each deal's column in the factor matrix (0: not thin) and the
    beta parameters per thin stage (mean its open deals' mean rate)."""
    evidence = rates.groupby("stage")["deals"].sum() if len(rates) else pd.Series(dtype=float)
    stage = deals["stage_then"]
    seen = stage.map(evidence).fillna(0)
    thin_mask = seen < MIN_STAGE_EVIDENCE
    names = list(dict.fromkeys(stage[thin_mask]))
    if not names or not len(deals):
        return {}, np.zeros(len(deals), dtype=int), (np.ones(0), np.ones(0))
    column = stage.map({s: i + 1 for i, s in enumerate(names)}).fillna(0).to_numpy(dtype=int)
    mean = deals["win_probability"].groupby(stage).mean().reindex(names).clip(0.01, 0.99)
    weight = pd.Series(names).map(evidence).fillna(0).to_numpy() + PRIOR_WEIGHT
    a, b = mean.to_numpy() * weight, (1 - mean.to_numpy()) * weight
    return {s: int(evidence.get(s, 0)) for s in names}, column, (a, b)


def summarise(draws: np.ndarray) -> dict[str, float]:
    """P10, P50, P90 and mean of simulated totals."""
    p10, p50, p90 = np.percentile(draws, [10, 50, 90])
    return {"p10": float(p10), "p50": float(p50), "p90": float(p90), "mean": float(draws.mean())}


@dataclass
class PipelineForecast:
    """The result: per-deal rates, the simulated distribution and its summary."""

    as_of: pd.Timestamp
    start: pd.Timestamp
    end: pd.Timestamp
    deals: pd.DataFrame  # open deals with 'win_probability' and 'expected'
    rates: pd.DataFrame
    totals: np.ndarray  # simulated window totals
    new_deals_mean: float
    new_deals_sd: float
    history: pd.DataFrame  # past windows: start, expected, realised, new_won
    rep_ids: np.ndarray | None = None  # with by_rep: the reps of rep_totals' columns
    rep_totals: np.ndarray | None = None  # with by_rep: simulations x reps
    rep_new_mean: np.ndarray | None = None  # with by_rep: the new-deal part's mean per rep
    thin_stages: dict | None = None  # stage -> past deals, where fewer than MIN_STAGE_EVIDENCE

    def quantiles(self) -> dict[str, float]:
        return summarise(self.totals)


def pipeline_forecast(
    ds: Dataset,
    end: pd.Timestamp | str,
    as_of: pd.Timestamp | str | None = None,
    simulations: int = 20_000,
    seed: int = 0,
    history_windows: int = 8,
    start: pd.Timestamp | str | None = None,
    by_rep: bool = False,
) -> PipelineForecast:
    """The distribution of bookings closing after ``start`` (default ``as_of``) up to ``end``
    inclusive, as seen at ``as_of``: with ``start`` at the end of the current quarter and
    ``end`` at the end of the next, it forecasts the next quarter.

    Only data known at ``as_of`` is used: deals created after it are unknown, and outcomes are
    read only for windows that ended by then. Deterministic for a given ``seed``.

    With ``by_rep`` the same draws are also kept per rep (``rep_ids``, ``rep_totals``; the rows
    sum to ``totals``): a rep's open deals as simulated, and the new-deal component shared out
    by each active rep's share of the won amount of deals created and won within one window
    length over the trailing year (:func:`new_business_shares`).
    """
    as_of = pd.Timestamp(as_of if as_of is not None else ds.as_of)
    start = max(pd.Timestamp(start), as_of) if start is not None else as_of
    end = pd.Timestamp(end)
    length = max(int((end - start).days), 1)
    offset = int((start - as_of).days)
    windows = past_windows(ds, as_of, length, history_windows, offset_days=offset)
    rates = win_rates(windows)
    deals = open_at(ds, as_of)
    deals["win_probability"] = _rate_for(deals, rates) if len(rates) else 0.0
    deals["expected"] = deals["win_probability"] * deals["amount"]
    history = _window_history(windows, rates)
    new_mean, new_sd = _new_business(history, _growth(ds, as_of))
    ratios = (history["realised"] / history["expected"]).replace([np.inf, -np.inf], np.nan).dropna()
    ratios = ratios.to_numpy() / ratios.mean() if len(ratios) else np.array([1.0])
    rng = np.random.default_rng(seed)
    thin, thin_column, beta = _thin_stages(deals, rates)
    shares = new_business_shares(ds, as_of, length) if by_rep else None
    rep_ids = (
        np.union1d(shares.index.to_numpy(dtype=object), deals["rep_id"].unique().astype(object))
        if by_rep
        else None
    )
    totals, rep_totals = _draws(rng, deals, ratios, (thin, thin_column, beta), simulations, rep_ids)
    fresh = np.maximum(rng.normal(new_mean, new_sd, simulations), 0.0)
    totals = totals + fresh
    result = PipelineForecast(as_of, start, end, deals, rates, totals, new_mean, new_sd, history)
    result.thin_stages = thin
    if by_rep:
        share = shares.reindex(rep_ids, fill_value=0.0).to_numpy()
        if share.sum() > 0:
            share = share / share.sum()
        elif len(rep_ids):
            share = np.full(len(rep_ids), 1 / len(rep_ids))
        result.rep_new_mean = fresh.mean() * share
        result.rep_ids, result.rep_totals = rep_ids, rep_totals + fresh[:, None] * share[None, :]
    return result


def _window_history(windows: list[Window], rates) -> pd.DataFrame:
    """Per past window: the open pipeline's expected bookings at today's rates, what it
    realised, and the won amount of deals created inside the window."""
    rows = []
    for w in windows:
        expected = float((_rate_for(w.open_deals, rates) * w.open_deals["amount"]).sum())
        realised = float(w.open_deals.loc[w.open_deals["won_in_window"], "amount"].sum())
        rows.append(
            {"start": w.start, "expected": expected, "realised": realised, "new_won": w.new_won}
        )
    return pd.DataFrame(rows, columns=["start", "expected", "realised", "new_won"])


def _new_business(history: pd.DataFrame, growth: float) -> tuple[float, float]:
    """Mean and spread of the bookings from deals not yet created: the last four windows'
    new-deal wins, grown to today."""
    recent_new = history["new_won"].head(4).to_numpy() * growth ** (
        np.arange(1, min(4, len(history)) + 1) * 3 / 12
    )
    new_mean = float(recent_new.mean()) if len(recent_new) else 0.0
    new_sd = float(recent_new.std(ddof=1)) if len(recent_new) > 1 else new_mean * 0.5
    return new_mean, new_sd


def _draws(
    rng: np.random.Generator,
    deals: pd.DataFrame,
    ratios: np.ndarray,
    thin_stages: tuple,
    simulations: int,
    rep_ids: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Simulated bookings of the open deals (each won at its chance, a thin stage's chance
    drawn from its prior, scaled by a past window's realised / expected), in chunks of about
    2M deal-draws; with ``rep_ids`` also per rep (simulations x reps)."""
    thin, thin_column, beta = thin_stages
    p = deals["win_probability"].to_numpy()
    amounts = deals["amount"].to_numpy()
    totals = np.empty(simulations)
    rep_totals = None
    if rep_ids is not None:
        column = pd.Index(rep_ids).get_indexer(deals["rep_id"])
        # a rep's total is the sum of their deals' columns: deals sorted by rep, summed by run
        # (a deals x reps weight matrix would cost deals x reps per draw: minutes at 1M deals)
        order = np.argsort(column, kind="stable")
        present, starts = np.unique(column[order], return_index=True)
        sorted_amounts = amounts[order]
        rep_totals = np.zeros((simulations, len(rep_ids)))
    chunk = max(1, 2_000_000 // max(len(p), 1))
    for lo in range(0, simulations, chunk):
        hi = min(simulations, lo + chunk)
        chance = p
        if thin:
            factors = np.ones((hi - lo, len(thin) + 1))
            factors[:, 1:] = rng.beta(beta[0], beta[1], (hi - lo, len(thin))) / (
                beta[0] / (beta[0] + beta[1])
            )
            chance = np.minimum(p[None, :] * factors[:, thin_column], 1.0)
        wins = (rng.random((hi - lo, len(p))) < chance).astype(float)
        ratio = rng.choice(ratios, hi - lo)
        totals[lo:hi] = (wins @ amounts) * ratio
        if rep_ids is not None and len(p):
            by_deal = wins[:, order] * sorted_amounts
            rep_totals[lo:hi, present] = np.add.reduceat(by_deal, starts, axis=1) * ratio[:, None]
    return totals, rep_totals


def new_business_shares(ds: Dataset, as_of: pd.Timestamp, length_days: int) -> pd.Series:
    """Per rep employed at ``as_of``: their share of the won amount, over the year to
    ``as_of``, of deals created and won within ``length_days`` (business that is not yet in
    the pipeline at a window's start)."""
    opps = ds.opportunities
    won = opps[
        opps["is_won"]
        & (opps["close_date"] > as_of - pd.Timedelta(days=365))
        & (opps["close_date"] <= as_of)
        & ((opps["close_date"] - opps["created_date"]).dt.days <= length_days)
    ]
    reps = ds.reps
    active = reps.loc[reps["end_date"].isna() | (reps["end_date"] > as_of), "rep_id"]
    amounts = won.groupby("rep_id")["amount"].sum().reindex(active, fill_value=0.0)
    return amounts / amounts.sum() if amounts.sum() > 0 else amounts
