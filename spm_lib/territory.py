"""Territories: account potential, rep profiles, balance, and an optimized assignment.

- **Account potential** (:func:`account_potential`): expected yearly bookings of an account from
  its firmographics, a Poisson GLM (log link, quasi-likelihood; statsmodels) of each account's
  won amount over the trailing ``history_months`` (per year) on log(employees),
  log(annual revenue) and industry. The fitted value is the potential; ``fit`` reports the
  correlation between fitted and observed bookings.
- **Rep profile** (:func:`rep_industry_win_rates`): each rep's win rate (won / closed, trailing
  window) per industry, shrunk toward the rep's overall rate: (won + m x overall) / (closed + m)
  with ``m`` = :data:`PRIOR_DEALS` pseudo-deals.
- **Balance** (:func:`balance`): per rep, accounts, potential and open pipeline; the coefficient
  of variation (sd / mean) and Gini of potential across reps.
- **Assignment** (:func:`optimize_assignment`): a mixed-integer program solved with
  ``scipy.optimize.milp`` (HiGHS). Variables x[a, r] = 1 when account a goes to rep r (reps
  active at ``as_of``; with ``same_region`` only reps of the account's region). Maximise
  sum potential_a x win rate(r, industry_a); subject to one rep per account, each rep's
  potential within ``balance_tolerance`` of its region's mean (all reps' mean without
  ``same_region``), at most ``max_accounts`` accounts per rep (default: (1 + tolerance) x the
  region's mean count, rounded up), and at most ``max_moves_pct`` of the accounts moved
  (accounts of reps who left must move and do not count against the limit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, sparse

from spm_lib.data import Dataset
from spm_lib.exceptions import SpmError

PRIOR_DEALS = 20.0


class InfeasibleAssignment(SpmError):
    """No assignment satisfies the constraints; the message says which one to relax."""


def _as_of(ds: Dataset, as_of) -> pd.Timestamp:
    return pd.Timestamp(as_of if as_of is not None else ds.as_of)


def account_potential(ds: Dataset, as_of=None, history_months: int = 24) -> pd.DataFrame:
    """Per account: account_id, industry, region, employees, annual_revenue, owner_rep_id,
    bookings_per_year (observed, trailing window) and potential (fitted, per year).
    ``attrs["fit"]`` holds the fit's correlation and deviance explained."""
    import statsmodels.api as sm

    accounts = ds["accounts"].copy()
    end = _as_of(ds, as_of)
    start = end - pd.DateOffset(months=history_months)
    opps = ds.opportunities
    won = opps[opps["is_won"] & (opps["close_date"] > start) & (opps["close_date"] <= end)]
    booked = won.groupby("account_id")["amount"].sum() * 12 / history_months
    accounts["bookings_per_year"] = accounts["account_id"].map(booked).fillna(0.0)
    employees = accounts["employees"].astype("float64")
    revenue = accounts["annual_revenue"].astype("float64")
    log_emp = np.log1p(employees.fillna(employees.median() if employees.notna().any() else 0))
    log_rev = np.log1p(revenue.fillna(revenue.median() if revenue.notna().any() else 0))
    industry = accounts["industry"].fillna("(unknown)")
    design = pd.concat(
        [pd.Series(1.0, index=accounts.index, name="const"), log_emp.rename("log_employees"),
         log_rev.rename("log_revenue"),
         pd.get_dummies(industry, prefix="industry", drop_first=True, dtype=float)],
        axis=1,
    )  # fmt: skip
    design = design.loc[:, design.std(ddof=0).gt(0) | (design.columns == "const")]
    y = accounts["bookings_per_year"].to_numpy()
    if y.sum() > 0 and len(accounts) > design.shape[1] + 2:
        model = sm.GLM(y / y.mean(), design, family=sm.families.Poisson())
        fit = model.fit(scale="X2")
        accounts["potential"] = fit.predict(design) * y.mean()
        explained = 1 - fit.deviance / fit.null_deviance if fit.null_deviance else float("nan")
    else:
        accounts["potential"] = y.mean() if len(y) else 0.0
        explained = float("nan")
    corr = float(np.corrcoef(accounts["potential"], y)[0, 1]) if y.std() > 0 else float("nan")
    accounts.attrs["fit"] = {"correlation": corr, "deviance_explained": float(explained),
                             "accounts": len(accounts)}  # fmt: skip
    cols = ["account_id", "name", "industry", "region", "employees", "annual_revenue",
            "owner_rep_id", "bookings_per_year", "potential"]  # fmt: skip
    out = accounts[[c for c in cols if c in accounts]]
    out.attrs["fit"] = accounts.attrs["fit"]
    return out


def rep_industry_win_rates(ds: Dataset, as_of=None, months: int = 24) -> pd.DataFrame:
    """Shrunk win rate per (rep_id, industry): won, closed, rep_rate, rate (see module doc)."""
    end = _as_of(ds, as_of)
    start = end - pd.DateOffset(months=months)
    opps = ds.opportunities
    closed = opps[opps["is_closed"] & (opps["close_date"] > start) & (opps["close_date"] <= end)]
    closed = closed.merge(ds["accounts"][["account_id", "industry"]], on="account_id", how="left")
    overall = closed.groupby("rep_id")["is_won"].agg(rep_won="sum", rep_closed="size")
    company = closed["is_won"].mean() if len(closed) else 0.0
    overall["rep_rate"] = (overall["rep_won"] + PRIOR_DEALS * company) / (
        overall["rep_closed"] + PRIOR_DEALS
    )
    cells = (
        closed.dropna(subset=["industry"])
        .groupby(["rep_id", "industry"])["is_won"]
        .agg(won="sum", closed="size")
    )
    reps = ds.reps["rep_id"]
    industries = ds["accounts"]["industry"].dropna().unique()
    grid = pd.MultiIndex.from_product([reps, industries], names=["rep_id", "industry"])
    cells = cells.reindex(grid, fill_value=0).reset_index()
    cells = cells.join(overall["rep_rate"], on="rep_id")
    cells["rep_rate"] = cells["rep_rate"].fillna(company)
    cells["rate"] = (cells["won"] + PRIOR_DEALS * cells["rep_rate"]) / (
        cells["closed"] + PRIOR_DEALS
    )
    return cells


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


def balance(ds: Dataset, assignment: pd.Series, potential: pd.Series, as_of=None) -> pd.DataFrame:
    """Per active rep: accounts, potential, open_pipeline (of the assigned accounts' open deals).
    ``attrs``: cv (sd / mean of potential) and gini of potential across reps."""
    reps = active_reps(ds, as_of)["rep_id"]
    frame = pd.DataFrame({"rep_id": assignment.to_numpy(), "potential": potential.to_numpy(),
                          "account_id": assignment.index})  # fmt: skip
    opps = ds.opportunities
    open_amount = opps[~opps["is_closed"]].groupby("account_id")["amount"].sum()
    frame["open_pipeline"] = frame["account_id"].map(open_amount).fillna(0.0)
    out = frame.groupby("rep_id").agg(
        accounts=("account_id", "size"), potential=("potential", "sum"),
        open_pipeline=("open_pipeline", "sum"),
    ).reindex(reps, fill_value=0)  # fmt: skip
    values = out["potential"].to_numpy(float)
    out.attrs["cv"] = float(values.std() / values.mean()) if values.mean() else float("nan")
    out.attrs["gini"] = _gini(values)
    return out.rename_axis("rep_id").reset_index()


@dataclass
class AssignmentResult:
    """The proposed assignment, its moves and before/after figures."""

    assignment: pd.DataFrame  # account_id, industry, region, potential, from_rep, to_rep
    moves: pd.DataFrame  # account_id, from_rep, to_rep, reason
    figures: dict[str, float]
    before: pd.DataFrame  # balance before
    after: pd.DataFrame  # balance after
    fit: dict  # the potential model's fit (see account_potential)


def _solve_group(
    acc: pd.DataFrame,
    rep_ids: np.ndarray,
    rep_group: np.ndarray,
    account_group: np.ndarray,
    rates: pd.Series,
    balance_tolerance: float,
    max_accounts: int | None,
    max_moves_pct: float,
    time_limit: float,
    mip_gap: float,
    label: str,
) -> np.ndarray:
    """The MILP: an account may go to the reps of its group (``rep_group == account_group``);
    each rep's potential and account count are bounded around its group's means; one move limit
    over all accounts. Returns the rep of each account (in ``acc`` order)."""
    n_acc, n_rep = len(acc), len(rep_ids)
    allowed = account_group[:, None] == rep_group[None, :]
    pa, pr = np.nonzero(allowed)
    n_var = len(pa)
    pot = acc["potential"].to_numpy(float)
    industry = acc["industry"].fillna("(unknown)").to_numpy()
    win = rates.reindex(pd.MultiIndex.from_arrays([rep_ids[pr], industry[pa]])).to_numpy()
    win = np.where(np.isnan(win), np.nanmean(win) if np.isfinite(win).any() else 0.0, win)
    value = pot[pa] * win
    owner = acc["owner_rep_id"].to_numpy()
    forced = ~np.isin(owner, rep_ids)
    columns = np.arange(n_var)
    one = sparse.csr_array((np.ones(n_var), (pa, columns)), shape=(n_acc, n_var))
    rep_pot = sparse.csr_array((pot[pa], (pr, columns)), shape=(n_rep, n_var))
    rep_cnt = sparse.csr_array((np.ones(n_var), (pr, columns)), shape=(n_rep, n_var))
    group_pot = pd.Series(pot).groupby(account_group).sum()
    group_acc = pd.Series(account_group).value_counts()
    group_reps = pd.Series(rep_group).value_counts()
    mean_pot = np.array([group_pot.get(g, 0.0) / group_reps[g] for g in rep_group])
    mean_cnt = np.array([group_acc.get(g, 0) / group_reps[g] for g in rep_group])
    caps = (np.full(n_rep, max_accounts) if max_accounts is not None
            else np.ceil((1 + balance_tolerance) * mean_cnt))  # fmt: skip
    keep = (rep_ids[pr] == owner[pa]) & ~forced[pa]
    limit = math.floor(max_moves_pct * n_acc)
    keep_row = sparse.csr_array(
        (np.ones(int(keep.sum())), (np.zeros(int(keep.sum()), dtype=int), np.nonzero(keep)[0])),
        shape=(1, n_var),
    )
    named = {
        "balance_tolerance": optimize.LinearConstraint(
            rep_pot, (1 - balance_tolerance) * mean_pot, (1 + balance_tolerance) * mean_pot
        ),
        "max_accounts": optimize.LinearConstraint(rep_cnt, 0, caps),
        "max_moves_pct": optimize.LinearConstraint(keep_row, int((~forced).sum()) - limit, np.inf),
    }
    base = [optimize.LinearConstraint(one, 1, 1)]

    def solve(parts: dict) -> optimize.OptimizeResult:
        return optimize.milp(
            -value,
            constraints=base + list(parts.values()),
            integrality=np.ones(n_var),
            bounds=optimize.Bounds(0, 1),
            options={"time_limit": time_limit, "mip_rel_gap": mip_gap},
        )

    result = solve(named)
    if result.x is None:
        for name in ("max_moves_pct", "balance_tolerance", "max_accounts"):
            if solve({k: v for k, v in named.items() if k != name}).x is not None:
                raise InfeasibleAssignment(
                    f"{label}: no assignment meets every constraint; relax {name} "
                    f"(max_moves_pct={max_moves_pct}, balance_tolerance={balance_tolerance}, "
                    f"max_accounts={max_accounts or 'default'})"
                )
        raise InfeasibleAssignment(
            f"{label}: no assignment meets the constraints even with one of them relaxed; relax "
            "balance_tolerance and max_moves_pct together, or same_region"
        )
    chosen = result.x > 0.5
    return rep_ids[pr[chosen][np.argsort(pa[chosen])]]


def optimize_assignment(
    ds: Dataset,
    max_moves_pct: float = 0.15,
    balance_tolerance: float = 0.2,
    same_region: bool = True,
    max_accounts: int | None = None,
    as_of=None,
    time_limit: float = 60.0,
    mip_gap: float = 0.01,
) -> AssignmentResult:
    """The expected-revenue-maximising assignment under the constraints of the module docstring,
    to within ``mip_gap`` (relative) of the optimum.

    Raises :class:`InfeasibleAssignment` naming the constraint to relax.
    """
    potential = account_potential(ds, as_of)
    fit = potential.attrs["fit"]
    acc = potential.reset_index(drop=True)
    rates = rep_industry_win_rates(ds, as_of).set_index(["rep_id", "industry"])["rate"]
    reps = active_reps(ds, as_of)
    if reps.empty:
        raise InfeasibleAssignment("no active rep to assign accounts to")
    rep_region = ds.reps.set_index("rep_id")["region"]
    acc["region"] = acc["region"].fillna(acc["owner_rep_id"].map(rep_region))
    account_group = (
        acc["region"].astype("str").to_numpy() if same_region else np.full(len(acc), "all")
    )
    rep_group = (
        reps["region"].astype("str").to_numpy() if same_region else np.full(len(reps), "all")
    )
    orphaned = sorted(set(account_group) - set(rep_group))
    if orphaned:
        raise InfeasibleAssignment(
            f"accounts in {', '.join(orphaned)} but no active rep there; relax same_region"
        )
    acc["to_rep"] = _solve_group(
        acc, reps["rep_id"].to_numpy(), rep_group, account_group, rates, balance_tolerance,
        max_accounts, max_moves_pct, time_limit, mip_gap,
        "by region" if same_region else "all accounts",
    )  # fmt: skip
    return _result(ds, acc, rates, reps, as_of, fit)


def _result(ds, acc, rates, reps, as_of, fit) -> AssignmentResult:
    rep_ids = reps["rep_id"].to_numpy()
    pot = acc["potential"].to_numpy(float)
    industry = acc["industry"].fillna("(unknown)").to_numpy()
    owner = acc["owner_rep_id"].to_numpy()
    forced = ~np.isin(owner, rep_ids)
    acc["from_rep"] = owner
    old = rates.reindex(pd.MultiIndex.from_arrays([acc["from_rep"], industry])).to_numpy()
    new = rates.reindex(pd.MultiIndex.from_arrays([acc["to_rep"], industry])).to_numpy()
    fallback = float(np.nanmean(rates.to_numpy())) if len(rates) else 0.0
    old = np.where(np.isnan(old), fallback, old)
    new = np.where(np.isnan(new), fallback, new)
    before_value = float((pot * np.where(forced, fallback, old)).sum())
    after_value = float((pot * new).sum())
    moved_mask = acc["from_rep"].to_numpy() != acc["to_rep"].to_numpy()
    reasons = [
        f"{f} has left; {t} wins {n:.0%} in {i}" if gone
        else f"win rate in {i}: {n:.0%} for {t} against {o:.0%} for {f}" if n > o
        else f"balances potential between {f} and {t} ({i}: {n:.0%} against {o:.0%})"
        for f, t, i, o, n, gone in zip(owner[moved_mask], acc["to_rep"].to_numpy()[moved_mask],
                                       industry[moved_mask], old[moved_mask], new[moved_mask],
                                       forced[moved_mask], strict=True)
    ]  # fmt: skip
    moves = pd.DataFrame(
        {"account_id": acc.loc[moved_mask, "account_id"].to_numpy(), "from_rep": owner[moved_mask],
         "to_rep": acc["to_rep"].to_numpy()[moved_mask], "reason": reasons}
    )  # fmt: skip
    kept = ~forced
    before = balance(
        ds, pd.Series(owner[kept], index=acc["account_id"][kept]), pd.Series(pot[kept]), as_of
    )
    after = balance(ds, pd.Series(acc["to_rep"].to_numpy(), index=acc["account_id"]),
                    pd.Series(pot), as_of)  # fmt: skip
    n_acc = len(acc)
    figures = {
        "expected_revenue_before": before_value,
        "expected_revenue_after": after_value,
        "expected_revenue_uplift_pct": after_value / before_value - 1 if before_value else 0.0,
        "accounts_moved": float(moved_mask.sum() - forced.sum()),
        "accounts_moved_pct": float(moved_mask.sum() - forced.sum()) / n_acc if n_acc else 0.0,
        "forced_moves": float(forced.sum()),
        "potential_cv_before": before.attrs["cv"],
        "potential_cv_after": after.attrs["cv"],
        "gini_before": before.attrs["gini"],
        "gini_after": after.attrs["gini"],
    }
    assignment = acc[["account_id", "industry", "region", "potential", "from_rep", "to_rep"]]
    return AssignmentResult(assignment, moves, figures, before, after, fit)


def optimize_with_relaxation(
    ds: Dataset,
    max_moves_pct: float = 0.15,
    balance_tolerance: float = 0.2,
    as_of=None,
    max_steps: int = 6,
) -> tuple[AssignmentResult, list[str]]:
    """:func:`optimize_assignment`, relaxing the constraint it names when infeasible: the move
    limit doubles (up to all accounts), the balance tolerance widens by 0.2 (up to 2.0). Returns
    the result and the relaxations made, in words, for the report to state."""
    relaxed: list[str] = []
    for _ in range(max_steps + 1):
        try:
            return optimize_assignment(
                ds, max_moves_pct=max_moves_pct, balance_tolerance=balance_tolerance, as_of=as_of
            ), relaxed
        except InfeasibleAssignment as exc:
            message = str(exc)
            if "relax max_moves_pct" in message and max_moves_pct < 1:
                max_moves_pct = min(1.0, max_moves_pct * 2)
                relaxed.append(f"move limit raised to {max_moves_pct:.0%} ({message})")
            elif balance_tolerance < 2:
                balance_tolerance = round(balance_tolerance + 0.2, 2)
                relaxed.append(f"balance tolerance widened to {balance_tolerance:.0%} ({message})")
            else:
                raise
    raise InfeasibleAssignment("no feasible assignment after relaxing: " + "; ".join(relaxed))
