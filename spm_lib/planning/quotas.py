"""Quotas from evidence for the next quarter, and the attainment they will produce.

**Proposed quota** (:func:`propose_quotas`), per rep counted in the quarter (active or ramping
at the report period's end, :func:`spm_lib.measures.roster.rep_status`):

    bottom_up_r = capacity_r x book_r
    quota_r     = target x bottom_up_r / sum of bottom_up

- ``book_r``: the quarter's share of the rep's book, the potential of the accounts the rep owns
  (:func:`spm_lib.territory.account_potential`: the next year's expected bookings) / 4; a rep
  with no book, or a dataset without accounts, takes the rep's own bookings over the last four
  quarters / 4, and where that is nothing too, the median book of the reps (a new rep gets a
  new book);
- ``capacity_r``: the share of full productivity the rep reaches in the middle of the quarter,
  from the rep-performance report's ramp curve (:func:`spm_lib.measures.ramp.ramp_curve`, its
  share of full productivity, fitted monotone and capped at 1; 1 from
  :data:`spm_lib.measures.ramp.TENURED_MONTHS` months on or without a hire date);
- ``target``: the top-down target (``planning.target`` of spm.yaml: an amount, or growth on the
  company's bookings of the same quarter a year before; without one, that quarter's bookings),
  so the quotas sum to it exactly.

**Predicted attainment** (:func:`predicted_attainment`): the forecasting report's pipeline model
simulates each rep's bookings in the quarter (:func:`spm_lib.compensation.payouts.bookings_draws`:
owner bookings); attainment = simulated bookings / quota per rep and draw; per draw the share of the
reps at or above quota; its P10, P50 and P90 over the draws, and quantiles of the reps'
attainment pooled over draws.

**Solving for a share at quota** (:func:`solve_share_at_quota`): one factor k scales every quota
so that the median share of reps at quota is the share asked for (the quotas then sum to k x
target: the gap to the target is shown). The median share is a non-increasing step function of
k that changes only where k is some rep's simulated bookings / quota, so k is the largest such
ratio that still gives the share, found by bisection over the sorted ratios.

**Backtest** (:func:`backtest`): for each of the last quarters, quotas set from what was known
at its start (potential, ramp and draws as of the day before, the target rule applied then)
and the predicted share at quota against the share that reached quota (owner bookings, as
simulated).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spm_lib import territory
from spm_lib.compensation.payouts import BookingsDraws, bookings_draws
from spm_lib.dataset import Dataset
from spm_lib.measures import metrics, ramp
from spm_lib.measures.roster import rep_status
from spm_lib.periods import Period, period_containing, quarter_after

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
QUOTA_COLUMNS = [
    "rep_id",
    "name",
    "status",
    "tenure_months",
    "capacity",
    "book",
    "book_basis",
    "bottom_up",
    "quota",
]


def target_amount(ds: Dataset, quarter: Period, target: dict | None) -> tuple[float, dict]:
    """The quarter's bookings target and how it was set (``{"kind", "growth", "base_period"}``):
    ``{"amount": x}`` as given (kind ``amount``), ``{"growth": g}`` as (1 + g) x the company's
    bookings of the same quarter a year before (kind ``growth``), None as those bookings (kind
    ``flat``)."""
    last_year = quarter.same_period_last_year()
    base = float(metrics.bookings(ds, last_year, by=None)["bookings"].sum())
    if target and "amount" in target:
        return float(target["amount"]), {"kind": "amount", "growth": None, "base_period": None}
    growth = float(target["growth"]) if target and "growth" in target else 0.0
    kind = "growth" if target else "flat"
    return (1 + growth) * base, {"kind": kind, "growth": growth, "base_period": last_year.label}


def capacity(ds: Dataset, quarter: Period, as_of: pd.Timestamp) -> pd.Series:
    """Per rep of the reps table: share of full productivity in the middle of ``quarter``
    (module docstring), from the ramp curve of the data known at ``as_of``."""
    reps = ds.reps.set_index("rep_id")
    middle = (
        pd.Timestamp(quarter.start) + (pd.Timestamp(quarter.end) - pd.Timestamp(quarter.start)) / 2
    )
    hire = reps["hire_date"]
    months = (middle.year - hire.dt.year) * 12 + (middle.month - hire.dt.month)
    curve = ramp.ramp_curve(ds, as_of=as_of)
    share = curve.set_index("months_since_hire")["share_of_full"]
    share = share.where(share > 0).interpolate(limit_direction="both").fillna(1.0)
    shares = months.clip(lower=0).map(
        lambda m: 1.0 if pd.isna(m) or m >= ramp.TENURED_MONTHS else float(share.get(int(m), 1.0))
    )
    return shares.astype(float).rename("capacity")


def _trailing_bookings(ds: Dataset, as_of: pd.Timestamp) -> pd.Series:
    """Each rep's won amount over the four quarters to ``as_of``, per quarter."""
    opps = ds.opportunities
    won = opps[
        opps["is_won"]
        & (opps["close_date"] > as_of - pd.DateOffset(years=1))
        & (opps["close_date"] <= as_of)
    ]
    return won.groupby("rep_id")["amount"].sum() / 4


def propose_quotas(
    ds: Dataset,
    period: Period,
    target: dict | None = None,
    as_of: pd.Timestamp | None = None,
    potential: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The proposed quotas of the quarter after ``period`` (module docstring): one row per
    counted rep, :data:`QUOTA_COLUMNS`, ``book_basis`` a code (``potential``,
    ``trailing_bookings``, ``median_book``). ``attrs``: quarter (label), target, target_basis
    (:func:`target_amount`).
    ``as_of``: what is known (default ``period``'s end); ``potential``: the accounts'
    potential as of then, already computed (:func:`spm_lib.territory.account_potential`)."""
    as_of = pd.Timestamp(as_of if as_of is not None else period.end)
    quarter = quarter_after(period)
    status = rep_status(ds, as_of)
    reps = status[status["counted"]].set_index("rep_id")
    book = pd.Series(np.nan, index=reps.index, dtype=float)
    basis = pd.Series("median_book", index=reps.index, dtype=object)
    if ds.has("accounts") and len(ds["accounts"]):
        if potential is None:
            potential = territory.account_potential(ds, as_of)
        owned = potential.groupby("owner_rep_id")["potential"].sum() / 4
        book = owned.reindex(reps.index)
        basis[book > 0] = "potential"
    trailing = _trailing_bookings(ds, as_of).reindex(reps.index)
    use = ~(book > 0) & (trailing > 0)
    book[use], basis[use] = trailing[use], "trailing_bookings"
    median = float(book[book > 0].median()) if (book > 0).any() else 1.0
    book = book.where(book > 0, median)
    cap = capacity(ds, quarter, as_of).reindex(reps.index).fillna(1.0)
    amount, how = target_amount(ds, quarter, target)
    bottom_up = cap * book
    total = float(bottom_up.sum())
    out = pd.DataFrame(
        {
            "rep_id": reps.index,
            "name": reps["name"].to_numpy() if "name" in reps else reps.index,
            "status": reps["status"].to_numpy(),
            "tenure_months": ((as_of - reps["hire_date"]).dt.days / 30.4375).round(1).to_numpy(),
            "capacity": cap.to_numpy(),
            "book": book.to_numpy(),
            "book_basis": basis.to_numpy(),
            "bottom_up": bottom_up.to_numpy(),
            "quota": (amount * bottom_up / total).to_numpy() if total > 0 else 0.0,
        }
    )
    out.attrs.update(quarter=quarter.label, target=amount, target_basis=how)
    return out[QUOTA_COLUMNS]


def aligned_draws(draws: BookingsDraws, quotas: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(draws x the reps of ``quotas``, in their order; their quotas): a rep the model has no
    draws for books 0."""
    position = pd.Series(np.arange(len(draws.rep_ids)), index=draws.rep_ids)
    where = position.reindex(quotas["rep_id"]).to_numpy()
    sims = np.zeros((draws.draws.shape[0], len(quotas)))
    has = ~np.isnan(where)
    sims[:, has] = draws.draws[:, where[has].astype(int)]
    return sims, quotas["quota"].to_numpy(float)


def share_at_quota(sims: np.ndarray, quota: np.ndarray, factor: float = 1.0) -> np.ndarray:
    """Per draw, the share of reps whose bookings reach ``factor`` x their quota."""
    return (sims >= factor * quota[None, :] - 1e-9).mean(axis=1)


def predicted_attainment(draws: BookingsDraws, quotas: pd.DataFrame) -> dict[str, object]:
    """The attainment distribution the quotas will produce (module docstring):
    share_p10/p50/p90 (share of reps at quota), attainment quantiles pooled over reps and draws
    (``attainment_p10`` ... ``_p90``), and ``per_rep``: rep_id, quota, bookings_p50,
    attainment_p50, probability (of reaching quota)."""
    sims, quota = aligned_draws(draws, quotas)
    shares = share_at_quota(sims, quota)
    attainment = sims / np.where(quota > 0, quota, np.nan)[None, :]
    out: dict[str, object] = {
        f"share_p{int(q * 100)}": float(np.quantile(shares, q)) for q in (0.1, 0.5, 0.9)
    }
    pooled = attainment[np.isfinite(attainment)]
    for q in QUANTILES:
        out[f"attainment_p{int(q * 100)}"] = (
            float(np.quantile(pooled, q)) if len(pooled) else float("nan")
        )
    out["per_rep"] = pd.DataFrame(
        {
            "rep_id": quotas["rep_id"].to_numpy(),
            "quota": quota,
            "bookings_p50": np.median(sims, axis=0),
            "attainment_p50": np.median(attainment, axis=0),
            "probability": (sims >= quota[None, :] - 1e-9).mean(axis=0),
        }
    )
    out["shares"] = shares
    return out


def solve_share_at_quota(
    draws: BookingsDraws, quotas: pd.DataFrame, share: float
) -> tuple[pd.DataFrame, float]:
    """Quotas scaled by the one factor k whose median share of reps at quota is ``share``
    (module docstring); returns (the scaled quotas, k)."""
    sims, quota = aligned_draws(draws, quotas)
    ratios = np.unique((sims / np.where(quota > 0, quota, np.nan)[None, :]).ravel())
    ratios = ratios[np.isfinite(ratios)]

    def reaches(i: int) -> bool:
        return float(np.median(share_at_quota(sims, quota, ratios[i]))) >= share

    lo, hi = 0, len(ratios) - 1  # the answer: the last index that reaches the share
    if not len(ratios) or not reaches(lo):
        k = float(ratios[0]) if len(ratios) else 1.0  # no factor gives it: the closest
    else:
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if reaches(mid) else (lo, mid - 1)
        k = float(ratios[lo])
    scaled = quotas.copy()
    scaled["quota"] = scaled["quota"] * k
    scaled.attrs = {**quotas.attrs, "factor": k}
    return scaled, float(k)


def actual_share_at_quota(ds: Dataset, quotas: pd.DataFrame, quarter: Period) -> float:
    """The share of ``quotas``' reps whose owner bookings in ``quarter`` reached their quota."""
    won = metrics.bookings(ds, quarter).set_index("rep_id")["bookings"]
    booked = won.reindex(quotas["rep_id"]).fillna(0.0).to_numpy()
    return (
        float((booked >= quotas["quota"].to_numpy() - 1e-9).mean()) if len(quotas) else float("nan")
    )


def backtest(
    ds: Dataset,
    period: Period,
    target: dict | None = None,
    quarters: int = 4,
    simulations: int = 2000,
) -> pd.DataFrame:
    """For each of the ``quarters`` quarters up to the one holding ``period``'s end: the
    quotas set from what was known the day before it began, the predicted share at quota
    (P10, P50, P90) and the actual share; ``inside`` when P10 <= actual <= P90. An amount
    target, which belongs to the next quarter, is applied to the past as the growth it
    implies on last year."""
    last = period_containing(period.end, "quarter", period.fiscal_year_start_month)
    if target and "amount" in target:
        upcoming = quarter_after(period)
        base, _ = target_amount(ds, upcoming, None)
        target = {"growth": target["amount"] / base - 1} if base > 0 else None
    rows = []
    for k in range(quarters - 1, -1, -1):
        quarter = last.shift(-k)
        before = quarter.shift(-1)
        quotas = propose_quotas(ds, before, target)
        draws = bookings_draws(ds, before, simulations=simulations)
        predicted = predicted_attainment(draws, quotas)
        rows.append(
            {
                "quarter": quarter.label,
                "reps": len(quotas),
                "target": quotas.attrs["target"],
                "share_p10": predicted["share_p10"],
                "share_p50": predicted["share_p50"],
                "share_p90": predicted["share_p90"],
                "actual_share": actual_share_at_quota(ds, quotas, quarter),
            }
        )
    out = pd.DataFrame(rows)
    out["inside"] = (out["share_p10"] <= out["actual_share"]) & (
        out["actual_share"] <= out["share_p90"]
    )
    return out
