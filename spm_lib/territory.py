"""Territories: account potential, rep profiles, balance, and an optimized assignment.

- **Account potential** (:func:`account_potential`): expected bookings over the next year, a
  Poisson GLM on firmographics, industry and the account's own past bookings.
- **Rep profile** (:func:`rep_profile`): each rep's win rate and deal size per industry and
  segment, shrunk toward the rep's overall figures, adjusted by the recorded skill level where
  a ``rep_skills`` table exists (:func:`skill_factors` learns how much levels predict), and
  tenure.
- **Balance** (:func:`balance`): per rep, accounts, potential and open pipeline; coefficient of
  variation and Gini of each rep's potential relative to the mean of the rep's pool.
- **Assignment** (:func:`optimize_assignment`): a mixed-integer program solved with
  ``scipy.optimize.milp`` (HiGHS). A *pool* is the active reps who may take an account: those
  of its region (``same_region``) and segment (``same_segment``, when reps have segments).
  Variables x[a, r] = 1 when account a goes to rep r of its pool. Maximise the expected
  bookings a year gained, after the cost of moving:

      gain(a, r) = potential_a x (rate(r, a) / rate(owner_a, a) - 1) - move_cost_pct x potential_a

  for a move (0 for keeping the owner; no cost where the owner left and the account must move).
  The potential already is the year's expected bookings with today's owner, whose rate it
  embodies (the mean rate where the owner left). ``rate(r, a)`` is the rep's shrunk win rate in
  the account's industry and segment when the rep closed at least ``min_evidence`` deals there,
  else the rep's overall shrunk rate (:func:`rates_used`): a move rests on evidence, or on a
  stated prior. A move whose gain after its cost is not positive is never offered, so every
  proposed move pays by itself (``move_cost_pct`` = 0.05: a move must gain 5% of the account's
  expected bookings, the friction of a hand-over).

  Subject to: one rep per account; each rep's potential within ``balance_tolerance`` of its
  pool's mean, or no further from it than today; at most ``max_accounts`` accounts per rep
  (default: (1 + tolerance) x the pool's mean count, rounded up); at most ``max_moves_pct`` of
  the accounts moved (accounts of reps who left must move and do not count against the limit);
  with ``no_worse_balance``, the coefficient of variation of potential relative to the pool
  means (the CV the report prints) no higher than today's. The CV is quadratic; it is held by
  a piecewise-linear over-estimate of each rep's squared deviation whose breakpoints include
  the rep's deviation today, so the guard is exact for today's books and never lets a
  proposal be less balanced.

  The objective is the gain itself, so HiGHS's relative ``mip_gap`` is relative to the gain;
  where the gap the solver proves is not below the gain found, the gap is tightened (down to
  1e-6), and a gain still within the solver's tolerance proposes no move.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import optimize, sparse

from spm_lib.dataset import Dataset
from spm_lib.exceptions import AssignmentTimeLimit, InfeasibleAssignment

PRIOR_DEALS = 20.0  # pseudo-deals of shrinkage toward the rep's overall win rate
STRONGEST_MIN_CLOSED = 5  # closed deals for an industry to count as a rep's strongest
PRIOR_WON_DEALS = 5.0  # pseudo-won-deals of shrinkage toward the rep's average deal


def _as_of(ds: Dataset, as_of) -> pd.Timestamp:
    return pd.Timestamp(as_of if as_of is not None else ds.as_of)


def account_segments(ds: Dataset) -> pd.Series:
    """Segment per account (indexed by account_id): the accounts' ``segment`` column where
    filled, else the segment of the account's owner in ``reps``, else ``"(all)"``."""
    accounts = ds["accounts"]
    own = accounts["segment"] if "segment" in accounts else pd.Series(pd.NA, index=accounts.index)
    reps = ds.company.reps if ds.company is not None else ds.reps
    owner_segment = (
        accounts["owner_rep_id"].map(reps.set_index("rep_id")["segment"])
        if "segment" in reps
        else pd.Series(pd.NA, index=accounts.index)
    )
    segment = own.where(own.notna() & own.astype("str").str.len().gt(0), owner_segment)
    return pd.Series(segment.fillna("(all)").astype("str").to_numpy(), index=accounts["account_id"])


def _won_per_year(opps: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    won = opps[opps["is_won"] & (opps["close_date"] > start) & (opps["close_date"] <= end)]
    years = (end - start).days / 365.25
    return won.groupby("account_id")["amount"].sum() / years


def account_potential(ds: Dataset, as_of=None, history_months: int = 24) -> pd.DataFrame:
    """Expected bookings of each account over the next year.

    A Poisson GLM (log link, quasi-likelihood scale; statsmodels) of the yearly won amount in the
    latest half of the ``history_months`` window on log(1 + employees), log(1 + annual revenue),
    industry (which carries the industry's win rate and deal size) and the account's history,
    log(1 + won amount per year in the earlier half) with a flag for none. The potential is the
    model's prediction with the history shifted to the latest half: firmographics plus last
    year's bookings forecast next year's. Missing firmographics take the median.

    Returns per account: account_id, name, industry, segment, region, employees,
    annual_revenue, owner_rep_id, bookings_per_year (latest half of the window) and potential.
    ``attrs["fit"]``: correlation of fitted and observed bookings in the training year,
    deviance explained, accounts.
    """
    import statsmodels.api as sm

    accounts = ds["accounts"].copy()
    accounts["segment"] = accounts["account_id"].map(account_segments(ds)).to_numpy()
    end = _as_of(ds, as_of)
    middle = end - pd.DateOffset(months=history_months // 2)
    start = end - pd.DateOffset(months=history_months)
    opps = ds.opportunities
    earlier = accounts["account_id"].map(_won_per_year(opps, start, middle)).fillna(0.0)
    latest = accounts["account_id"].map(_won_per_year(opps, middle, end)).fillna(0.0)
    accounts["bookings_per_year"] = latest
    employees = accounts["employees"].astype("float64")
    revenue = accounts["annual_revenue"].astype("float64")
    log_emp = np.log1p(employees.fillna(employees.median() if employees.notna().any() else 0))
    log_rev = np.log1p(revenue.fillna(revenue.median() if revenue.notna().any() else 0))
    industry = accounts["industry"].fillna("(unknown)")

    def design(history: pd.Series) -> pd.DataFrame:
        return pd.concat(
            [pd.Series(1.0, index=accounts.index, name="const"), log_emp.rename("log_employees"),
             log_rev.rename("log_revenue"), np.log1p(history).rename("log_past_bookings"),
             history.eq(0).astype(float).rename("no_past_bookings"),
             pd.get_dummies(industry, prefix="industry", drop_first=True, dtype=float)],
            axis=1,
        )  # fmt: skip

    train, predict = design(earlier), design(latest)
    informative = train.std(ddof=0).gt(0) | (train.columns == "const")
    train, predict = train.loc[:, informative], predict.loc[:, informative]
    y = latest.to_numpy()
    explained = float("nan")
    if y.sum() > 0 and len(accounts) > train.shape[1] + 2:
        fit = sm.GLM(y / y.mean(), train, family=sm.families.Poisson()).fit(scale="X2")
        fitted = fit.predict(train) * y.mean()
        accounts["potential"] = fit.predict(predict) * y.mean()
        if fit.null_deviance:
            explained = float(1 - fit.deviance / fit.null_deviance)
    else:
        fitted = np.full(len(y), y.mean() if len(y) else 0.0)
        accounts["potential"] = fitted
    fitted = np.asarray(fitted, float)
    corr = float(np.corrcoef(fitted, y)[0, 1]) if y.std() > 0 and fitted.std() > 0 else float("nan")
    cols = ["account_id", "name", "industry", "segment", "region", "employees", "annual_revenue",
            "owner_rep_id", "bookings_per_year", "potential"]  # fmt: skip
    out = accounts[[c for c in cols if c in accounts]]
    out.attrs["fit"] = {"correlation": corr, "deviance_explained": explained,
                        "accounts": len(accounts)}  # fmt: skip
    return out


def skill_factors(cells: pd.DataFrame) -> pd.Series:
    """How the enablement system's skill level predicts win rates, learnt from history.

    ``cells`` has won, closed, rep_rate and skill_level (NaN where no skill is recorded) per
    (rep, industry, segment). Per level (rounded; and one class for no recorded skill):
    factor = (sum won + k) / (sum closed x rep_rate + k), k = :data:`PRIOR_DEALS` x the company
    rate, the observed wins over those expected at the reps' overall rates, shrunk toward 1.
    A level that predicts nothing gets a factor near 1.
    """
    level = _level_labels(cells["skill_level"])
    expected = cells["closed"] * cells["rep_rate"]
    won = cells["won"].groupby(level).sum()
    exp = expected.groupby(level).sum()
    k = PRIOR_DEALS * (cells["won"].sum() / cells["closed"].sum() if cells["closed"].sum() else 0)
    return (won + k) / (exp + k) if k else won * 0 + 1.0


def rep_profile(ds: Dataset, as_of=None, months: int = 24) -> pd.DataFrame:
    """Each rep's record per (industry, segment) of the accounts, over the trailing ``months``.

    One row per rep (all reps) x industry x segment (those of the accounts) with won, closed,
    won_amount, and:

    - rep_rate = (rep's won + m x company rate) / (rep's closed + m), m = :data:`PRIOR_DEALS`;
    - skill_level from ``rep_skills`` (a skill named like the industry, else like the segment;
      case-insensitive) and skill_factor (:func:`skill_factors`, 1 without the table);
    - win_rate = (won + m x prior) / (closed + m), prior = min(rep_rate x skill_factor, 0.99):
      the cell's rate shrunk toward the rep's overall rate, adjusted by the recorded skill;
    - deal_size = (won_amount + d x rep_deal_size) / (won + d), d = :data:`PRIOR_WON_DEALS`,
      rep_deal_size = (rep's won amount + d x company average won deal) / (rep's won + d);
    - tenure_months at ``as_of`` (NaN without a hire date).
    """
    end = _as_of(ds, as_of)
    start = end - pd.DateOffset(months=months)
    opps = ds.opportunities
    closed = opps[opps["is_closed"] & (opps["close_date"] > start) & (opps["close_date"] <= end)]
    segments = account_segments(ds)
    industry_of = ds["accounts"].set_index("account_id")["industry"]
    closed = closed.assign(
        industry=closed["account_id"].map(industry_of), segment=closed["account_id"].map(segments),
        won_amount=closed["amount"].where(closed["is_won"], 0.0),
    )  # fmt: skip
    company_rate = float(closed["is_won"].mean()) if len(closed) else 0.0
    company_deal = (
        float(closed["won_amount"].sum() / closed["is_won"].sum()) if closed["is_won"].any() else 0
    )
    overall = closed.groupby("rep_id").agg(
        rep_won=("is_won", "sum"), rep_closed=("is_won", "size"), rep_amount=("won_amount", "sum")
    )
    overall["rep_rate"] = (overall["rep_won"] + PRIOR_DEALS * company_rate) / (
        overall["rep_closed"] + PRIOR_DEALS
    )
    overall["rep_deal_size"] = (overall["rep_amount"] + PRIOR_WON_DEALS * company_deal) / (
        overall["rep_won"] + PRIOR_WON_DEALS
    )
    keys = ["rep_id", "industry", "segment"]
    cells = (
        closed.dropna(subset=["industry"])
        .groupby(keys)
        .agg(won=("is_won", "sum"), closed=("is_won", "size"), won_amount=("won_amount", "sum"))
    )
    industries = ds["accounts"]["industry"].fillna("(unknown)").unique()
    grid = pd.MultiIndex.from_product(
        [ds.reps["rep_id"], industries, segments.unique()], names=keys
    )
    cells = cells.reindex(grid, fill_value=0).reset_index()
    cells = cells.join(overall[["rep_rate", "rep_deal_size"]], on="rep_id")
    cells["rep_rate"] = cells["rep_rate"].fillna(company_rate)
    cells["rep_deal_size"] = cells["rep_deal_size"].fillna(company_deal)
    cells["skill_level"] = _skill_levels(ds, cells)
    factors = skill_factors(cells) if ds.has("rep_skills") else None
    if factors is None:
        cells["skill_factor"] = 1.0
    else:
        level = _level_labels(cells["skill_level"])
        cells["skill_factor"] = level.map(factors).astype(float).to_numpy()
    prior = np.minimum(cells["rep_rate"] * cells["skill_factor"], 0.99)
    cells["win_rate"] = (cells["won"] + PRIOR_DEALS * prior) / (cells["closed"] + PRIOR_DEALS)
    cells["deal_size"] = (cells["won_amount"] + PRIOR_WON_DEALS * cells["rep_deal_size"]) / (
        cells["won"] + PRIOR_WON_DEALS
    )
    hire = cells["rep_id"].map(ds.reps.set_index("rep_id")["hire_date"])
    cells["tenure_months"] = ((end - hire).dt.days / 30.4375).round(1)
    return cells


def _skill_levels(ds: Dataset, cells: pd.DataFrame) -> pd.Series:
    """The recorded level of each cell's industry skill, else its segment skill, else NaN."""
    if not ds.has("rep_skills"):
        return pd.Series(np.nan, index=cells.index)
    skills = ds["rep_skills"]
    level = skills.set_index([skills["rep_id"], skills["skill"].str.casefold()])["level"]
    level = level[~level.index.duplicated()]

    def lookup(column: str) -> np.ndarray:
        keys = pd.MultiIndex.from_arrays([cells["rep_id"], cells[column].str.casefold()])
        return level.reindex(keys).to_numpy(dtype=float)

    return pd.Series(np.where(np.isnan(by := lookup("industry")), lookup("segment"), by),
                     index=cells.index)  # fmt: skip


def rep_summary(profile: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """Per rep of ``reps``: tenure_months, closed, win_rate (rep_rate), deal_size
    (rep_deal_size), and their strongest industry (highest shrunk win rate with at least
    :data:`STRONGEST_MIN_CLOSED` closed deals there) with its win rate, closed deals and
    recorded skill level."""
    rows = profile[profile["rep_id"].isin(reps["rep_id"])]
    per_rep = rows.groupby("rep_id").agg(
        tenure_months=("tenure_months", "first"), closed=("closed", "sum"),
        win_rate=("rep_rate", "first"), deal_size=("rep_deal_size", "first"),
    )  # fmt: skip
    seen = rows[rows["closed"] >= STRONGEST_MIN_CLOSED].sort_values("win_rate", ascending=False)
    best = seen.drop_duplicates("rep_id").set_index("rep_id")
    per_rep["strongest_industry"] = best["industry"]
    per_rep["strongest_win_rate"] = best["win_rate"]
    per_rep["strongest_closed"] = best["closed"]
    per_rep["strongest_skill_level"] = best["skill_level"]
    return per_rep.reset_index()


def _gini(values: np.ndarray) -> float:
    values = np.sort(np.asarray(values, float))
    n = len(values)
    if n == 0 or values.sum() == 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1) @ values / (n * values.sum()))


def active_reps(ds: Dataset, as_of=None) -> pd.DataFrame:
    """Reps employed at ``as_of`` (no end date, or one after it)."""
    end = _as_of(ds, as_of)
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
    frame = pd.DataFrame({"rep_id": assignment.to_numpy(dtype=object),
                          "potential": potential.to_numpy(dtype=float),
                          "account_id": assignment.index.to_numpy(dtype=object)})  # fmt: skip
    opps = ds.opportunities
    open_amount = opps[~opps["is_closed"]].groupby("account_id")["amount"].sum()
    frame["open_pipeline"] = frame["account_id"].map(open_amount).fillna(0.0)
    out = frame.groupby("rep_id").agg(
        accounts=("account_id", "size"), potential=("potential", "sum"),
        open_pipeline=("open_pipeline", "sum"),
    ).astype({"accounts": int, "potential": float, "open_pipeline": float}).reindex(
        reps, fill_value=0)  # fmt: skip
    pool = reps.map(pools) if pools is not None else pd.Series("all", index=reps.index)
    pool = pool.fillna("all")
    out.insert(0, "pool", pool.to_numpy())
    mean = out.groupby("pool")["potential"].transform("mean")
    out["share_of_pool_mean"] = (out["potential"] / mean.where(mean > 0)).fillna(0.0)
    shares = out["share_of_pool_mean"].to_numpy(float)
    out.attrs["cv"] = float(shares.std() / shares.mean()) if shares.mean() else float("nan")
    out.attrs["gini"] = _gini(shares)
    return out.rename_axis("rep_id").reset_index()


@dataclass
class AssignmentResult:
    """The proposed assignment, its moves and before/after figures."""

    assignment: pd.DataFrame  # account_id, industry, segment, region, group, potential, from/to_rep
    moves: pd.DataFrame  # account_id, from/to rep, gain, cost, net_gain, evidence, reason
    figures: dict[str, float]
    before: pd.DataFrame  # balance before
    after: pd.DataFrame  # balance after
    fit: dict  # the potential model's fit (see account_potential)
    profile: pd.DataFrame  # rep_profile: shrunk win rate and deal size per rep x industry x segment
    solved: str = ""  # how the program was solved (one model, or pool by pool; candidates)
    within_tolerance: bool = False  # a gain the solver could not tell from noise: no move made
    settings: dict | None = None  # the limits, move cost and evidence floor used
    problem: _Problem | None = field(default=None, repr=False)  # the inputs it was solved from


JOINT_MODEL_VARIABLES = 50_000  # up to this many (account, rep) pairs: one model for all pools
POOL_MODEL_VARIABLES = 40_000  # above this a pool's accounts consider candidate reps only
CANDIDATES_BEST = 8  # the pool's reps with the best win rate in the account's industry
CANDIDATES_SPREAD = 8  # and reps spread evenly over the pool, so every rep can gain accounts


@dataclass
class _Model:
    """The pairs (account, rep) an assignment may use and the limits it must meet."""

    pa: np.ndarray  # account position of each pair
    pr: np.ndarray  # rep position of each pair
    move_limit: int  # accounts (not forced) that may move
    band: np.ndarray | None = None  # per rep: potential allowed either side of the mean
    today_dev: np.ndarray | None = None  # per rep: (potential today / pool mean today) - 1
    cv_cap: float = np.inf  # sum of today_dev ** 2: the proposal's may not exceed it
    pool_size: np.ndarray | None = None  # per rep: the reps of its pool (bounds its deviation)
    voluntary: np.ndarray | None = None  # per pair: a move the owner's account need not make


# breakpoints of the piecewise-linear over-estimate of a squared relative deviation: fine near
# the pool mean (at most 0.0125 ** 2 = 0.00016 over the square), coarse far from it
DEVIATION_BREAKS = np.unique(np.r_[np.arange(-1.0, -0.5, 0.1), np.arange(-0.5, 0.5, 0.025),
                                   np.arange(0.5, 1.0, 0.1), 1.0, 1.5, 2, 3, 5, 8, 13, 21, 34,
                                   55, 89, 144, 233, 377, 610, 987]).round(6)  # fmt: skip


def _chords(today: float, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Slopes and intercepts of the chords of u ** 2 between consecutive breakpoints on
    [lo, hi] (:data:`DEVIATION_BREAKS` and ``today``): their maximum is at least u ** 2 there,
    and equal to it at every breakpoint, today's deviation included."""
    breaks = DEVIATION_BREAKS
    inner = breaks[(breaks > lo) & (breaks < hi)]
    b = np.unique(np.r_[lo, inner, today, hi])
    if len(b) < 2:
        b = np.r_[b, b + 1e-9]
    return b[:-1] + b[1:], -b[:-1] * b[1:]


def _cv_rows(model: _Model, mean_pot, held, n_var: int, n_rep: int):
    """The no-worse-balance guard as rows over the variables s_r (at n_var + r) and P_r, the
    rep's potential from the model's pairs (at n_var + n_rep + r): s_r >= chord_k(u_r) for
    every chord of every rep, u_r = P_r + (held_r - mean_r) / mean_r (P_r in units of the
    rep's pool mean), and sum s_r <= ``model.cv_cap``."""
    rows, cols, vals, lower = [], [], [], []
    row = 0
    for r in range(n_rep):
        m = mean_pot[r]
        if not m > 0:
            continue
        lo = -1.0 if model.band is None else max(-1.0, -model.band[r] / m)
        hi = (model.pool_size[r] - 1.0) if model.band is None else model.band[r] / m
        hi = max(hi, lo + 1e-9, model.today_dev[r])
        lo = min(lo, model.today_dev[r])
        slope, icept = _chords(model.today_dev[r], lo, hi)
        k = len(slope)
        rows.append(np.repeat(np.arange(row, row + k), 2))
        cols.append(np.tile([n_var + r, n_var + n_rep + r], k))
        vals.append(np.c_[np.ones(k), -slope].ravel())
        lower.append(slope * (held[r] - m) / m + icept)
        row += k
    if not row:
        return []
    shape = (row, n_var + 2 * n_rep)
    chords = sparse.csr_array((np.concatenate(vals), (np.concatenate(rows),
                               np.concatenate(cols))), shape=shape)  # fmt: skip
    total = sparse.csr_array((np.ones(n_rep), (np.zeros(n_rep, int), n_var + np.arange(n_rep))),
                             shape=(1, shape[1]))  # fmt: skip
    return [optimize.LinearConstraint(chords, np.concatenate(lower), np.inf),
            optimize.LinearConstraint(total, 0, model.cv_cap + 1e-12)]


def _pairs(account_group, rep_group, owner_pos, grid, best: int | None, spread: int | None):
    """(pa, pr): every rep of the account's pool, or with ``best``/``spread`` the account's
    candidates: today's owner, the pool's ``best`` reps by win rate for the account (``grid``:
    accounts x reps, from :func:`_rate_grid`) and ``spread`` reps chosen evenly over the pool
    (account i of a pool gets reps i x spread ... i x spread + spread - 1, modulo the pool)."""
    pa_parts, pr_parts = [], []
    rep_positions = pd.Series(np.arange(len(rep_group))).groupby(rep_group).indices
    account_positions = pd.Series(np.arange(len(account_group))).groupby(account_group).indices
    for group, accounts in account_positions.items():
        members = rep_positions[group]
        if best is None or best + spread + 1 >= len(members):
            pa_parts.append(np.repeat(accounts, len(members)))
            pr_parts.append(np.tile(members, len(accounts)))
            continue
        order = np.argsort(-grid[np.ix_(accounts, members)], axis=1, kind="stable")
        top = members[order[:, :best]]
        turn = np.arange(len(accounts))[:, None] * spread + np.arange(spread)
        even = members[turn % len(members)]
        owners = owner_pos[accounts]
        cand = np.column_stack([top, even, np.where(owners >= 0, owners, top[:, 0])])
        cand = np.sort(cand, axis=1)
        unique = np.ones_like(cand, dtype=bool)
        unique[:, 1:] = cand[:, 1:] != cand[:, :-1]
        pa_parts.append(np.broadcast_to(accounts[:, None], cand.shape)[unique])
        pr_parts.append(cand[unique])
    pa, pr = np.concatenate(pa_parts), np.concatenate(pr_parts)
    order = np.lexsort((pr, pa))
    return pa[order], pr[order]


def _solve(
    pot: np.ndarray, value: np.ndarray, model: _Model, keep: np.ndarray, mean_pot: np.ndarray,
    caps: np.ndarray, n_acc: int, n_rep: int, time_limit: float, mip_gap: float,
    drop: str | None = None, relaxed: bool = False, offset: np.ndarray | None = None,
) -> optimize.OptimizeResult:
    """One MILP over the pairs of ``model`` (see :func:`_solve_group`); ``value`` is each pair's
    gain after its cost (the objective); ``drop`` leaves one named constraint out (the
    infeasibility diagnosis), ``relaxed`` solves the LP relaxation, and ``offset`` is potential
    each rep already holds from accounts fixed outside the model (its ``caps`` and
    ``move_limit`` are then what is left)."""
    pa, pr = model.pa, model.pr
    held = offset if offset is not None else np.zeros(n_rep)
    n_var = len(pa)
    n_all = n_var + 2 * n_rep  # pairs, then s_r (the guard's squares), then P_r (potential)
    columns = np.arange(n_var)

    def matrix(values, rows, cols, n_rows: int) -> sparse.csr_array:
        return sparse.csr_array((values, (rows, cols)), shape=(n_rows, n_all))

    # P_r, the rep's potential in units of its pool's mean (well scaled beside x and s)
    unit = np.where(mean_pot > 0, mean_pot, 1.0)
    potential = matrix(np.r_[pot[pa] / unit[pr], -np.ones(n_rep)], np.r_[pr, np.arange(n_rep)],
                       np.r_[columns, n_var + n_rep + np.arange(n_rep)], n_rep)  # fmt: skip
    n_kept = int(keep.sum())
    named = {
        "max_accounts": [optimize.LinearConstraint(
            matrix(np.ones(n_var), pr, columns, n_rep), 0, caps)],
        "max_moves_pct": [optimize.LinearConstraint(
            matrix(np.ones(n_kept), np.zeros(n_kept), np.nonzero(keep)[0], 1),
            max(n_kept - model.move_limit, 0), np.inf)],
    }  # fmt: skip
    p_lower, p_upper = np.zeros(n_rep), np.full(n_rep, np.inf)
    if model.band is not None and drop != "balance_tolerance":
        p_lower = np.maximum((mean_pot - model.band - held) / unit - 1e-9, 0.0)
        p_upper = (mean_pot + model.band - held) / unit + 1e-9
    if model.today_dev is not None:
        named["no_worse_balance"] = _cv_rows(model, mean_pot, held, n_var, n_rep)
    base = [optimize.LinearConstraint(matrix(np.ones(n_var), pa, columns, n_acc), 1, 1),
            optimize.LinearConstraint(potential, 0, 0)]  # P_r = the rep's potential
    scale = float(pot.mean()) if len(pot) and pot.mean() > 0 else 1.0  # gains of about 1
    result = optimize.milp(
        np.r_[-value / scale, np.zeros(2 * n_rep)],
        constraints=base + [c for name, cs in named.items() if name != drop for c in cs],
        integrality=np.r_[np.full(n_var, 0 if relaxed else 1), np.zeros(2 * n_rep)],
        bounds=optimize.Bounds(np.r_[np.zeros(n_var + n_rep), p_lower],
                               np.r_[np.ones(n_var), np.full(n_rep, np.inf), p_upper]),
        options={"time_limit": max(time_limit, 1.0), "mip_rel_gap": mip_gap},
    )
    for key in ("fun", "mip_dual_bound"):  # back in money
        if result.get(key) is not None:
            result[key] = result[key] * scale
    return result


def _solve_from_relaxation(args: tuple) -> tuple[np.ndarray | None, float]:
    """Solve the LP relaxation, keep the accounts it assigns whole, and solve the MILP over the
    few it splits (their candidate pairs, against what the kept accounts leave). Returns the
    chosen pairs (a boolean per pair of the model) and the proven gap to the relaxation's bound
    in money (the best gain lies between the two), or (None, nan) when the split accounts
    cannot be completed, or the relaxation has no solution."""
    pot, value, model, keep, mean_pot, caps, n_acc, n_rep, seconds, mip_gap = args
    lp = _solve(*args, relaxed=True)
    if lp.x is None:
        return None, float("nan")
    x = lp.x[: len(model.pa)]
    whole = x > 1 - 1e-6
    split = np.ones(n_acc, dtype=bool)
    split[model.pa[whole]] = False
    free = split[model.pa]
    fixed = whole & ~free
    offset = np.bincount(model.pr[fixed], weights=pot[model.pa[fixed]], minlength=n_rep)
    counts = np.bincount(model.pr[fixed], minlength=n_rep)
    movable = np.bincount(model.pa[keep], minlength=n_acc) > 0  # accounts with an active owner
    moved = int((fixed & ~keep & movable[model.pa]).sum())
    chosen = fixed.copy()
    if split.any():
        accounts = np.flatnonzero(split)
        local = np.full(n_acc, -1)
        local[accounts] = np.arange(len(accounts))
        sub = replace(model, pa=local[model.pa[free]], pr=model.pr[free],
                      move_limit=model.move_limit - moved, voluntary=model.voluntary[free])
        rest = _solve(pot[accounts], value[free], sub, keep[free], mean_pot, caps - counts,
                      len(accounts), n_rep, seconds, mip_gap, offset=offset)  # fmt: skip
        if rest.x is None:
            return None, float("nan")
        chosen[np.flatnonzero(free)[rest.x[: free.sum()] > 0.5]] = True
    return chosen, max(-lp.fun - value[chosen].sum(), 0.0)


MIN_MIP_GAP = 1e-6  # the tightest relative gap asked of HiGHS before a gain is called noise


def _solve_pool(args: tuple, pool_by_pool: bool) -> tuple[np.ndarray | None, float, object]:
    """The best pairs of one model, and the gap proven in money (bound - gain found). From the
    LP relaxation when pools are solved one by one (enough when its gap is within
    ``mip_gap`` of the gain), else, or when it is not, the MILP at ``mip_gap``, tightened
    tenfold while the proven gap is not below the gain of the moves found."""
    value, model, mip_gap = args[1], args[2], args[-1]
    chosen, gap = _solve_from_relaxation(args) if pool_by_pool else (None, float("nan"))
    if chosen is not None and gap <= mip_gap * max(value[chosen].sum(), 0.0):
        return chosen, gap, None
    while True:
        result = _solve(*args)
        if result.x is not None:
            found = result.x[: len(value)] > 0.5
            if chosen is None or value[found].sum() > value[chosen].sum():
                bound = getattr(result, "mip_dual_bound", None)
                chosen = found
                gap = (max(-bound - value[found].sum(), 0.0) if bound is not None
                       and np.isfinite(bound) else 0.0)  # fmt: skip
        voluntary = value[chosen & model.voluntary].sum() if chosen is not None else 0.0
        if chosen is None or gap < voluntary or not voluntary or mip_gap <= MIN_MIP_GAP:
            return chosen, gap, result
        mip_gap = max(mip_gap / 10, MIN_MIP_GAP)
        args = (*args[:-1], mip_gap)


def _solve_group(
    acc: pd.DataFrame,
    rep_ids: np.ndarray,
    rep_group: np.ndarray,
    account_group: np.ndarray,
    rates: pd.Series,
    limits: dict,
    time_limit: float,
    mip_gap: float,
    label: str,
) -> tuple[np.ndarray, str, bool]:
    """The MILP: an account may go to the reps of its pool (``rep_group == account_group``)
    where the move pays after its cost (module docstring); each rep's potential within the
    balance band; account counts capped; one move limit over all accounts; with
    ``no_worse_balance`` the CV guard. Returns the rep of each account (in ``acc`` order), how it
    was solved, and whether a gain within the solver's tolerance was set aside (no voluntary
    move then).

    Scale: with more than :data:`JOINT_MODEL_VARIABLES` pairs the pools are solved one by one
    (they share only the move limit and the balance guard): the move limit is split over the
    pools in proportion to their accounts (largest remainders, the same total) and each pool's
    balance may not be worse than its own today. A pool with more than
    :data:`POOL_MODEL_VARIABLES` pairs considers, for each account, its owner, the pool's
    :data:`CANDIDATES_BEST` best reps in the account's industry and :data:`CANDIDATES_SPREAD`
    reps spread over the pool; should that have no solution, the candidates double, up to the
    whole pool. ``time_limit`` is shared over the pools by their size; a solve that reaches it
    returns its best assignment so far."""
    tolerance, max_accounts = limits["balance_tolerance"], limits["max_accounts"]
    n_acc, n_rep = len(acc), len(rep_ids)
    pot = acc["potential"].to_numpy(float)
    owner = acc["owner_rep_id"].to_numpy()
    forced = ~np.isin(owner, rep_ids)
    rep_position = pd.Series(np.arange(n_rep), index=rep_ids)
    owner_pos = rep_position.reindex(owner).fillna(-1).to_numpy(int)
    group_pot = pd.Series(pot).groupby(account_group).sum()
    kept_pot = pd.Series(pot[~forced]).groupby(account_group[~forced]).sum()
    group_acc = pd.Series(account_group).value_counts()
    group_reps = pd.Series(rep_group).value_counts()
    mean_pot = np.array([group_pot.get(g, 0.0) / group_reps[g] for g in rep_group])
    mean_today = np.array([kept_pot.get(g, 0.0) / group_reps[g] for g in rep_group])
    mean_cnt = np.array([group_acc.get(g, 0) / group_reps[g] for g in rep_group])
    today = pd.Series(pot[~forced]).groupby(owner[~forced]).sum().reindex(rep_ids, fill_value=0)
    today = today.to_numpy(float)
    today_cnt = pd.Series(owner[~forced]).value_counts().reindex(rep_ids, fill_value=0)
    if max_accounts is not None:
        caps = np.full(n_rep, max_accounts)
    elif tolerance is not None:  # no rep need give accounts up to meet the default cap
        caps = np.maximum(np.ceil((1 + tolerance) * mean_cnt), today_cnt.to_numpy())
    else:
        caps = np.full(n_rep, n_acc)
    band = (None if tolerance is None
            else np.maximum(tolerance * mean_pot, np.abs(today - mean_pot)))  # fmt: skip
    today_dev = np.where(mean_today > 0, today / np.where(mean_today > 0, mean_today, 1) - 1, 0)
    pool_size = group_reps.reindex(rep_group).to_numpy(float)
    limit = math.floor(limits["max_moves_pct"] * n_acc)
    base_rate = acc["base_rate"].to_numpy()
    cost = limits["move_cost_pct"]

    pools = {g: np.flatnonzero(account_group == g) for g in pd.unique(account_group)}
    pool_pairs = {g: len(idx) * int(group_reps[g]) for g, idx in pools.items()}
    if sum(pool_pairs.values()) <= JOINT_MODEL_VARIABLES:
        parts = {label: (np.arange(n_acc), np.arange(n_rep), limit)}
        how = "one model for all pools"
    else:
        shares = {g: limits["max_moves_pct"] * len(idx) for g, idx in pools.items()}
        budget = {g: math.floor(v) for g, v in shares.items()}
        largest_remainders = sorted(shares, key=lambda g: budget[g] - shares[g])
        for g in largest_remainders[: limit - sum(budget.values())]:
            budget[g] += 1
        parts = {f"{label}, pool {g}": (idx, np.flatnonzero(rep_group == g), budget[g])
                 for g, idx in pools.items()}  # fmt: skip
        how = "pool by pool (the move limit split over the pools by their accounts)"
    total_pairs = sum(pool_pairs.values())
    chosen_rep = np.empty(n_acc, dtype=object)
    restricted, gaps, noise = [], [], False
    for name, (accounts, members, move_limit) in parts.items():
        sub_pairs = sum(pool_pairs[g] for g in pd.unique(account_group[accounts]))
        seconds = time_limit * sub_pairs / total_pairs
        local_owner = pd.Series(np.arange(len(members)), index=members).reindex(
            owner_pos[accounts]).fillna(-1).to_numpy(int)  # fmt: skip
        best, spread = (CANDIDATES_BEST, CANDIDATES_SPREAD) if sub_pairs > POOL_MODEL_VARIABLES \
            and len(parts) > 1 else (None, None)  # fmt: skip
        grid = _rate_grid(rates, rep_ids[members], acc.iloc[accounts])
        while True:
            pa, pr = _pairs(account_group[accounts], rep_group[members], local_owner, grid, best,
                            spread)  # fmt: skip
            a_pos, r_pos = accounts[pa], members[pr]
            keep = (r_pos == owner_pos[a_pos]) & ~forced[a_pos]
            move = ~keep & ~forced[a_pos]
            value = pot[a_pos] * (grid[pa, pr] / base_rate[a_pos] - 1) - cost * pot[a_pos] * move
            pays = keep | forced[a_pos] | (value > 1e-9 * np.maximum(pot[a_pos], 1.0))
            pa, pr, a_pos, r_pos = pa[pays], pr[pays], a_pos[pays], r_pos[pays]
            keep, value = keep[pays], np.where(keep[pays], 0.0, value[pays])
            model = _Model(pa, pr, move_limit,
                           None if band is None else band[members],
                           today_dev[members] if limits["no_worse_balance"] else None,
                           float((today_dev[members] ** 2).sum()), pool_size[members],
                           move[pays])  # fmt: skip
            args = (pot[accounts], value, model, keep, mean_pot[members], caps[members],
                    len(accounts), len(members), seconds, mip_gap)  # fmt: skip
            whole = best is None or best + spread + 1 >= len(members)
            chosen, gap, result = _solve_pool(args, len(parts) > 1)
            status = result.status if result is not None else 0
            if chosen is not None or status != 2 or whole:
                break
            best, spread = best * 2, spread * 2  # the candidates had no solution: widen them
        if best is not None and not whole:
            restricted.append(name)
        if chosen is None:
            _explain_infeasible(args, name, seconds, limits, result)
        voluntary = value[chosen & model.voluntary].sum()
        if voluntary > 0 and gap >= voluntary:  # the gain is within what the solver can tell
            noise = True
            stay = _solve(args[0], value, replace(model, move_limit=0), *args[3:])
            if stay.x is not None:
                chosen = stay.x[: len(pa)] > 0.5
        gaps.append(gap / voluntary if voluntary > 0 else 0.0)
        chosen_rep[accounts[pa[chosen]]] = rep_ids[members[pr[chosen]]]
    if len(parts) > 1 and gaps:
        how += (f"; each pool's gain within {max(max(gaps), 0):.2%} of the best of the pairs it "
                "considered (proven by its bound)")
    if restricted:
        how += (f"; in {len(restricted)} large pools each account considered its owner, the "
                f"pool's {CANDIDATES_BEST} best reps in its industry and {CANDIDATES_SPREAD} "
                "others spread over the pool")  # fmt: skip
    return chosen_rep, how, noise


def _explain_infeasible(args: tuple, name: str, seconds: float, limits: dict, result) -> None:
    """Raise the error that says which constraint to relax (each is dropped in turn)."""
    settings = ", ".join(f"{k}={v if v is not None else 'default'}" for k, v in limits.items())
    proven = result is None or result.status == 2  # else out of time before any solution
    what = "no assignment meets every constraint" if proven else (
        f"no assignment meeting every constraint was found within {seconds:.0f} s")
    for drop in ("max_moves_pct", "balance_tolerance", "no_worse_balance", "max_accounts"):
        if drop in ("balance_tolerance", "no_worse_balance") and not limits[drop]:
            continue
        if _solve(*args, drop=drop).x is not None:
            raise InfeasibleAssignment(f"{name}: {what}; relax {drop} ({settings})")
    if not proven:
        raise AssignmentTimeLimit(
            f"{name}: no assignment found within {seconds:.0f} s, nor with any one constraint "
            f"relaxed ({result.message}); raise time_limit ({settings})")
    raise InfeasibleAssignment(
        f"{name}: no assignment meets the constraints even with one of them relaxed; relax "
        f"balance_tolerance and max_moves_pct together, or the pools ({settings})")


def _base_rates(rates: pd.Series, accounts: pd.DataFrame, active: np.ndarray) -> np.ndarray:
    """The win rate an account's potential already embodies: its owner's in its industry and
    segment (potential is what the account is expected to book with its owner), the mean rate
    where the owner has left or there is none."""
    owner = accounts["owner_rep_id"].to_numpy()
    own = _rates_for(rates, owner, accounts)
    fallback = float(np.nanmean(rates.to_numpy())) if len(rates) else 1.0
    base = np.where(np.isin(owner, active) & (own > 0), own, fallback)
    return np.where(base > 0, base, 1.0)


def _rate_grid(rates: pd.Series, rep_ids: np.ndarray, accounts: pd.DataFrame) -> np.ndarray:
    """accounts x reps: :func:`_rates_for` of every rep for every account, looked up once per
    distinct (industry, segment) of the accounts rather than once per pair."""
    industry = accounts["industry"].fillna("(unknown)")  # as _rates_for keys it
    codes = accounts.groupby([industry, accounts["segment"]], dropna=False,
                             sort=False).ngroup().to_numpy()  # fmt: skip
    first = np.unique(codes, return_index=True)[1]  # an account of each cell, in code order
    cells = accounts.iloc[np.repeat(first, len(rep_ids))]
    by_cell = _rates_for(rates, np.tile(rep_ids, len(first)), cells)
    return by_cell.reshape(len(first), len(rep_ids))[codes]


def _rates_for(rates: pd.Series, rep_ids: np.ndarray, accounts: pd.DataFrame) -> np.ndarray:
    """The shrunk win rate of each rep in the matching account's (industry, segment); cells
    absent from the profile take the mean rate."""
    keys = pd.MultiIndex.from_arrays(
        [rep_ids, accounts["industry"].fillna("(unknown)").to_numpy(),
         accounts["segment"].to_numpy()]
    )  # fmt: skip
    win = rates.reindex(keys).to_numpy(dtype=float)
    fallback = float(np.nanmean(rates.to_numpy())) if len(rates) else 0.0
    return np.where(np.isnan(win), fallback, win)


@dataclass
class _Problem:
    """What every solve of one dataset shares: accounts with potential and base rates, the
    rates used, the active reps and the pools."""

    ds: Dataset
    as_of: object
    acc: pd.DataFrame
    rates: pd.Series
    reps: pd.DataFrame
    rep_group: np.ndarray
    account_group: np.ndarray
    label: str
    fit: dict
    profile: pd.DataFrame
    min_evidence: int
    levels_note: str = ""  # a level the pools leave out because the reps lack it


def _pool_regions(reps: pd.DataFrame, acc: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Active reps without a region (above the region's level of the tree, or never given
    one) are pooled with the region most of their own accounts are in; the words say so."""
    owned = acc.dropna(subset=["region"]).groupby("owner_rep_id")["region"].agg(
        lambda r: r.value_counts().index[0])
    missing = reps["region"].isna()
    filled = reps["region"].fillna(reps["rep_id"].map(owned))
    pooled = int((missing & filled.notna()).sum())
    words = (f"{int(missing.sum())} active reps have no region; {pooled} of them are pooled with "
             "the region most of their accounts are in")  # fmt: skip
    return reps.assign(region=filled), words


def _problem(ds: Dataset, as_of, same_region: bool, same_segment: bool, min_evidence: int
             ) -> _Problem:  # fmt: skip
    potential = account_potential(ds, as_of)
    acc = potential.reset_index(drop=True)
    profile = rep_profile(ds, as_of)
    profile["rate_used"], profile["rate_basis"] = rates_used(profile, min_evidence)
    rates = profile.set_index(["rep_id", "industry", "segment"])["rate_used"]
    reps = active_reps(ds, as_of)
    if reps.empty:
        raise InfeasibleAssignment("no active rep to assign accounts to")
    rep_region = ds.reps.set_index("rep_id")["region"]
    acc["region"] = acc["region"].fillna(acc["owner_rep_id"].map(rep_region))
    levels_note = ""
    if same_region and not reps["region"].notna().any():  # a level only the accounts have
        same_region = False
        levels_note = ("the reps have no region (the hierarchy has no such level for them), "
                       "so accounts are assigned across regions")  # fmt: skip
    elif same_region and reps["region"].isna().any():
        reps, levels_note = _pool_regions(reps, acc)
    acc["base_rate"] = _base_rates(rates, acc, reps["rep_id"].to_numpy())
    by_segment = same_segment and "segment" in reps and reps["segment"].notna().any()
    account_group = _groups(acc["region"], acc["segment"], same_region, by_segment)
    rep_group = _groups(reps["region"], reps["segment"] if by_segment else None, same_region,
                        by_segment)  # fmt: skip
    orphaned = sorted(set(account_group) - set(rep_group))
    if orphaned:
        relax = " or ".join(
            name for name, on in (("same_region", same_region), ("same_segment", by_segment)) if on
        )
        raise InfeasibleAssignment(
            f"accounts in {', '.join(orphaned)} but no active rep there; relax {relax}"
        )
    label = " and ".join(
        name for name, on in (("region", same_region), ("segment", by_segment)) if on
    )
    return _Problem(ds, as_of, acc, rates, reps, rep_group, account_group, label,
                    potential.attrs["fit"], profile, min_evidence, levels_note)  # fmt: skip


def _assign(problem: _Problem, limits: dict, time_limit: float, mip_gap: float
            ) -> AssignmentResult:  # fmt: skip
    acc = problem.acc.copy()
    acc["to_rep"], how, noise = _solve_group(
        acc, problem.reps["rep_id"].to_numpy(), problem.rep_group, problem.account_group,
        problem.rates, limits, time_limit, mip_gap,
        f"by {problem.label}" if problem.label else "all accounts",
    )  # fmt: skip
    acc["group"] = problem.account_group
    result = _result(problem.ds, acc, problem.rates, problem.reps.assign(pool=problem.rep_group),
                     problem.as_of, problem.fit, problem.profile,
                     limits["move_cost_pct"])  # fmt: skip
    result.solved = how
    result.within_tolerance = noise
    result.settings = {**limits, "min_evidence": problem.min_evidence, "mip_gap": mip_gap}
    result.problem = problem
    return result


def optimize_assignment(
    ds: Dataset,
    max_moves_pct: float = 0.15,
    balance_tolerance: float | None = 0.2,
    same_region: bool = True,
    same_segment: bool = True,
    max_accounts: int | None = None,
    no_worse_balance: bool = True,
    as_of=None,
    time_limit: float = 60.0,
    mip_gap: float = 0.01,
    move_cost_pct: float = 0.05,
    min_evidence: int = 15,
) -> AssignmentResult:
    """The assignment that gains the most expected bookings after the cost of its moves, under
    the constraints of the module docstring, to within ``mip_gap`` of the best gain;
    ``time_limit`` seconds of solving in all. ``balance_tolerance=None`` sets no band.
    Large datasets are solved pool by pool, on candidate reps (:func:`_solve_group` says how;
    ``result.solved`` says what was done).

    Raises :class:`InfeasibleAssignment` naming the constraint to relax, or
    :class:`AssignmentTimeLimit` when the solver found no assignment in the time.
    """
    problem = _problem(ds, as_of, same_region, same_segment, min_evidence)
    limits = _limits(max_moves_pct, balance_tolerance, max_accounts, no_worse_balance,
                     move_cost_pct)  # fmt: skip
    return _assign(problem, limits, time_limit, mip_gap)


def _limits(max_moves_pct, balance_tolerance, max_accounts, no_worse_balance, move_cost_pct
            ) -> dict:  # fmt: skip
    return {"max_moves_pct": max_moves_pct, "balance_tolerance": balance_tolerance,
            "max_accounts": max_accounts, "no_worse_balance": no_worse_balance,
            "move_cost_pct": move_cost_pct}  # fmt: skip


MOVE_STEPS = (0.0, 0.02, 0.05, 0.10, 0.15, 0.25)


def curve_row(step: float, result: AssignmentResult) -> dict[str, float]:
    """One point of :func:`move_curve` from an assignment solved at ``max_moves_pct=step``."""
    f = result.figures
    return {"max_moves_pct": step, "accounts_moved": int(f["accounts_moved"]),
            "net_gain": f["net_gain"], "uplift_pct": f["expected_revenue_uplift_pct"],
            "potential_cv_after": f["potential_cv_after"]}  # fmt: skip


def move_curve(
    ds: Dataset,
    steps: tuple[float, ...] = MOVE_STEPS,
    balance_tolerance: float | None = 0.2,
    no_worse_balance: bool = True,
    as_of=None,
    move_cost_pct: float = 0.05,
    min_evidence: int = 15,
    mip_gap: float = 0.05,
    time_limit: float = 30.0,
    solved: AssignmentResult | None = None,
) -> pd.DataFrame:
    """The gain against the moves allowed, so a leader picks the trade-off: per step of
    ``max_moves_pct``, the best assignment's accounts_moved, net_gain (expected bookings a year
    after the cost of the moves), uplift_pct and potential_cv_after (each solve within
    ``mip_gap`` of its best gain; the potential and rates are computed once). ``solved``: an
    assignment already made: its settings (as relaxed, if they were) replace the balance, move
    cost and evidence arguments, its inputs (potential, rates, pools) are reused, and it stands
    for its own step instead of a solve."""
    settings = dict(solved.settings or {}) if solved is not None else {}
    balance_tolerance = settings.get("balance_tolerance", balance_tolerance)
    no_worse_balance = settings.get("no_worse_balance", no_worse_balance)
    move_cost_pct = settings.get("move_cost_pct", move_cost_pct)
    min_evidence = settings.get("min_evidence", min_evidence)
    known = settings.get("max_moves_pct")
    problem = solved.problem if solved is not None and solved.problem is not None else \
        _problem(ds, as_of, True, True, min_evidence)  # fmt: skip
    rows = []
    for step in steps:
        if known is not None and abs(step - known) < 1e-12:
            rows.append(curve_row(step, solved))
            continue
        limits = _limits(step, balance_tolerance, None, no_worse_balance, move_cost_pct)
        rows.append(curve_row(step, _assign(problem, limits, time_limit, mip_gap)))
    return pd.DataFrame(rows)


def rates_used(profile: pd.DataFrame, min_evidence: int) -> tuple[pd.Series, pd.Series]:
    """The win rate the assignment uses per row of :func:`rep_profile`, and its basis: the
    cell's shrunk rate (``"industry"``) where the rep closed at least ``min_evidence`` deals
    in the cell, else the rep's overall shrunk rate, times a recorded skill's factor
    (``"overall"``): the evidence floor."""
    prior = np.minimum(profile["rep_rate"] * profile["skill_factor"], 0.99)
    enough = profile["closed"] >= min_evidence
    return (profile["win_rate"].where(enough, prior),
            pd.Series(np.where(enough, "industry", "overall"), index=profile.index))


def _groups(region: pd.Series, segment: pd.Series | None, same_region: bool, by_segment: bool
            ) -> np.ndarray:  # fmt: skip
    """The pool label of each row: region, segment, both ("West / Enterprise") or "all"; a row
    without a region is in the pool "(no region)"."""
    parts = []
    if same_region:
        parts.append(region.fillna("(no region)").astype("str").to_numpy())
    if by_segment and segment is not None:
        parts.append(segment.fillna("(all)").astype("str").to_numpy())
    if not parts:
        return np.full(len(region), "all")
    return np.array([" / ".join(p) for p in zip(*parts, strict=True)])


def _evidence(rep: str, industry: str, rate: float, basis: str, closed: int) -> str:
    """The rate behind a move in words, with the deals behind it, or the prior it used."""
    if basis == "industry":
        return f"{rep} wins {rate:.0%} in {industry} ({closed} closed)"
    return (f"{rep}'s overall rate {rate:.0%} used as the prior ({closed} closed in {industry}, "
            "too few to rate alone)")  # fmt: skip


def _reason(old_rep, new_rep, old_words: str, new_words: str, gone: bool) -> str:
    """Why an account moves, in words, with the evidence behind each rate."""
    if gone and (old_rep is None or pd.isna(old_rep)):
        return f"no owner yet; {new_words}"
    if gone:
        return f"{old_rep} has left or is no selling rep; {new_words}"
    return f"{new_words}, against {old_words}"


def _result(ds, acc, rates, reps, as_of, fit, profile, move_cost_pct: float = 0.0
            ) -> AssignmentResult:  # fmt: skip
    rep_ids = reps["rep_id"].to_numpy()
    pot = acc["potential"].to_numpy(float)
    industry = acc["industry"].fillna("(unknown)").to_numpy()
    owner = acc["owner_rep_id"].to_numpy()
    forced = ~np.isin(owner, rep_ids)
    acc["from_rep"] = owner
    new = _rates_for(rates, acc["to_rep"].to_numpy(), acc)
    base = acc["base_rate"].to_numpy(float) if "base_rate" in acc else _base_rates(
        rates, acc, rep_ids)
    before_value = float(pot.sum())  # potential is the year's expected bookings as owned today
    after_value = float((pot * new / base).sum())
    moved_mask = acc["from_rep"].to_numpy() != acc["to_rep"].to_numpy()
    names = ds.rep_names
    cells = profile.assign(industry=profile["industry"].fillna("(unknown)")).set_index(
        ["rep_id", "industry", "segment"])  # fmt: skip
    basis = cells["rate_basis"] if "rate_basis" in cells else pd.Series("industry", cells.index)
    moved = acc[moved_mask]

    def words(reps_: np.ndarray, rates_: np.ndarray) -> list[str]:
        keys = pd.MultiIndex.from_arrays([reps_, industry[moved_mask], moved["segment"]])
        closed = cells["closed"].reindex(keys).fillna(0).astype(int).to_numpy()
        how = basis.reindex(keys).fillna("overall").to_numpy()
        return [_evidence(names.get(r, r), i, v, b, c) for r, i, v, b, c in zip(
            reps_, industry[moved_mask], rates_, how, closed, strict=True)]  # fmt: skip

    old_rates = _rates_for(rates, owner[moved_mask], moved)
    new_rates = new[moved_mask]
    new_words = words(moved["to_rep"].to_numpy(), new_rates)
    old_words = words(owner[moved_mask], old_rates)
    reasons = [_reason(names.get(f, f), names.get(t, t), o, n, g) for f, t, o, n, g in zip(
        owner[moved_mask], moved["to_rep"], old_words, new_words, forced[moved_mask],
        strict=True)]  # fmt: skip
    keys = pd.MultiIndex.from_arrays([moved["to_rep"].to_numpy(), industry[moved_mask],
                                      moved["segment"]])  # fmt: skip
    gain = pot[moved_mask] * (new_rates / base[moved_mask] - 1)
    cost = np.where(forced[moved_mask], 0.0, move_cost_pct * pot[moved_mask])
    account_names = acc["name"] if "name" in acc else acc["account_id"]
    moves = pd.DataFrame(
        {"account_id": acc.loc[moved_mask, "account_id"].to_numpy(),
         "account": account_names[moved_mask].to_numpy(),
         "industry": industry[moved_mask], "potential": pot[moved_mask],
         "from_rep": owner[moved_mask], "from_name": names.reindex(owner[moved_mask]).to_numpy(),
         "to_rep": acc["to_rep"].to_numpy()[moved_mask],
         "to_name": names.reindex(acc["to_rep"].to_numpy()[moved_mask]).to_numpy(),
         "forced": forced[moved_mask], "gain": gain, "cost": cost, "net_gain": gain - cost,
         "evidence": cells["closed"].reindex(keys).fillna(0).astype(int).to_numpy(),
         "rate_basis": basis.reindex(keys).fillna("overall").to_numpy(),
         "reason": reasons}
    )  # fmt: skip
    moves = moves.sort_values(["forced", "net_gain"], ascending=[True, False],
                              kind="stable").reset_index(drop=True)  # fmt: skip
    pools = pd.Series(dict(zip(reps["rep_id"], reps["pool"], strict=True)))
    kept = ~forced
    before = balance(ds, pd.Series(owner[kept], index=acc["account_id"][kept]),
                     pd.Series(pot[kept]), as_of, pools)  # fmt: skip
    after = balance(ds, pd.Series(acc["to_rep"].to_numpy(), index=acc["account_id"]),
                    pd.Series(pot), as_of, pools)  # fmt: skip
    n_acc = len(acc)
    voluntary = moves[~moves["forced"]]
    figures = {
        "expected_revenue_before": before_value,
        "expected_revenue_after": after_value,
        "expected_revenue_uplift_pct": after_value / before_value - 1 if before_value else 0.0,
        "net_gain": float(voluntary["net_gain"].sum()),
        "move_cost": float(voluntary["cost"].sum()),
        "accounts_moved": float(moved_mask.sum() - forced.sum()),
        "accounts_moved_pct": float(moved_mask.sum() - forced.sum()) / n_acc if n_acc else 0.0,
        "forced_moves": float(forced.sum()),
        "potential_cv_before": before.attrs["cv"],
        "potential_cv_after": after.attrs["cv"],
        "gini_before": before.attrs["gini"],
        "gini_after": after.attrs["gini"],
    }
    columns = ["account_id", "industry", "segment", "region", "group", "potential", "from_rep",
               "to_rep"]  # fmt: skip
    return AssignmentResult(acc[columns], moves, figures, before, after, fit, profile)


def optimize_with_relaxation(
    ds: Dataset,
    max_moves_pct: float = 0.15,
    balance_tolerance: float = 0.2,
    as_of=None,
    max_steps: int = 6,
) -> tuple[AssignmentResult, list[str]]:
    """:func:`optimize_assignment`, relaxing the constraint it names when infeasible: the move
    limit doubles (up to all accounts), the no-worse-balance guard is dropped (accounts of reps
    who left must land somewhere, which can leave no assignment as balanced as today's books),
    the balance tolerance widens by 0.2 (up to 2.0). Returns the result and the relaxations
    made, in words, for the report to state. An infeasibility that names nothing to relax (no
    active rep) is raised at once."""
    relaxed: list[str] = []
    guard = True
    for _ in range(max_steps + 1):
        try:
            return optimize_assignment(
                ds, max_moves_pct=max_moves_pct, balance_tolerance=balance_tolerance,
                as_of=as_of, no_worse_balance=guard,
            ), relaxed  # fmt: skip
        except InfeasibleAssignment as exc:
            message = str(exc)
            if "relax " not in message:  # nothing to relax (no active rep): as it is
                raise
            if "relax max_moves_pct" in message and max_moves_pct < 1:
                max_moves_pct = min(1.0, max_moves_pct * 2)
                relaxed.append(f"move limit raised to {max_moves_pct:.0%} ({message})")
            elif "relax no_worse_balance" in message and guard:
                guard = False
                relaxed.append(f"the proposal may be less balanced than today ({message})")
            elif balance_tolerance < 2:
                balance_tolerance = round(balance_tolerance + 0.2, 2)
                relaxed.append(f"balance tolerance widened to {balance_tolerance:.0%} ({message})")
            else:
                raise
    raise InfeasibleAssignment("no feasible assignment after relaxing: " + "; ".join(relaxed))


def per_rep_summary(result: AssignmentResult, ds: Dataset) -> pd.DataFrame:
    """Per active rep: name, pool, accounts and potential today and proposed, proposed open
    pipeline, and the record behind the proposal (:func:`rep_summary`)."""
    books = result.before[["rep_id", "pool", "accounts", "potential"]].merge(
        result.after[["rep_id", "accounts", "potential", "open_pipeline"]],
        on="rep_id", suffixes=("_today", "_proposed"),
    )  # fmt: skip
    books = books.rename(columns={"open_pipeline": "open_pipeline_proposed"})
    names = ds.rep_names
    books.insert(1, "name", books["rep_id"].map(names))
    record = rep_summary(result.profile, books[["rep_id"]])
    return books.merge(record, on="rep_id", how="left").sort_values(["pool", "rep_id"])


def skill_table(profile: pd.DataFrame) -> pd.DataFrame:
    """By recorded skill level (and "none"): cells, closed, won and the learnt factor
    (:func:`skill_factors`) that scales a rep's overall win rate as the prior of a cell."""
    level = _level_labels(profile["skill_level"])
    out = profile.groupby(level).agg(closed=("closed", "sum"), won=("won", "sum"))
    out["factor"] = profile.groupby(level)["skill_factor"].first()
    out.index = [f"level {v:g}" if v != "none" else "not recorded" for v in out.index.map(
        lambda v: v if v == "none" else float(v))]  # fmt: skip
    return out.rename_axis("skill_level").reset_index()


def _level_labels(levels: pd.Series) -> pd.Series:
    """Skill levels rounded to whole levels as text; "none" where no skill is recorded."""
    return levels.round().astype("Float64").astype("str").fillna("none")
