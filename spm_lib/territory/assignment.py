"""Assignment: the problem of one dataset, the optimized assignment, its moves and the move
curve."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.exceptions import InfeasibleAssignment
from spm_lib.territory.books import active_reps, balance
from spm_lib.territory.potential import account_potential
from spm_lib.territory.profile import rep_profile, rep_summary
from spm_lib.territory.rates import base_rates, rates_for, rates_used
from spm_lib.territory.solver import SolveMethod, solve_group


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
    solved: SolveMethod | None = None  # how the program was solved (one model, or pool by pool)
    within_tolerance: bool = False  # a gain the solver could not tell from noise: no move made
    settings: dict | None = None  # the limits, move cost and evidence floor used
    problem: _Problem | None = field(default=None, repr=False)  # the inputs it was solved from


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
    region_pooling: RegionPooling | None = None  # how reps without a region were pooled


@dataclass(frozen=True)
class RegionPooling:
    """How the pools treat reps without a region: ``no_region_level`` (no rep has one, so
    accounts are assigned across regions) or ``pooled_by_accounts`` (``without_region`` reps
    lack one; ``pooled`` of them join the region most of their accounts are in)."""

    code: str
    without_region: int = 0
    pooled: int = 0


@dataclass(frozen=True)
class Relaxation:
    """A constraint relaxed because no assignment met it: ``constraint`` (max_moves_pct,
    no_worse_balance or balance_tolerance), its new ``value`` and the solver's ``reason``."""

    constraint: str
    value: float | bool
    reason: str


def _pool_regions(reps: pd.DataFrame, acc: pd.DataFrame) -> tuple[pd.DataFrame, RegionPooling]:
    """Active reps without a region (above the region's level of the tree, or never given
    one) are pooled with the region most of their own accounts are in."""
    owned = (
        acc.dropna(subset=["region"])
        .groupby("owner_rep_id")["region"]
        .agg(lambda r: r.value_counts().index[0])
    )
    missing = reps["region"].isna()
    filled = reps["region"].fillna(reps["rep_id"].map(owned))
    pooled = int((missing & filled.notna()).sum())
    return reps.assign(region=filled), RegionPooling(
        "pooled_by_accounts", int(missing.sum()), pooled
    )


def _problem(
    ds: Dataset, as_of, same_region: bool, same_segment: bool, min_evidence: int
) -> _Problem:
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
    pooling = None
    if same_region and not reps["region"].notna().any():  # a level only the accounts have
        same_region = False
        pooling = RegionPooling("no_region_level", len(reps))
    elif same_region and reps["region"].isna().any():
        reps, pooling = _pool_regions(reps, acc)
    acc["base_rate"] = base_rates(rates, acc, reps["rep_id"].to_numpy())
    by_segment = same_segment and "segment" in reps and reps["segment"].notna().any()
    account_group = _groups(acc["region"], acc["segment"], same_region, by_segment)
    rep_group = _groups(
        reps["region"], reps["segment"] if by_segment else None, same_region, by_segment
    )
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
    return _Problem(
        ds,
        as_of,
        acc,
        rates,
        reps,
        rep_group,
        account_group,
        label,
        potential.attrs["fit"],
        profile,
        min_evidence,
        pooling,
    )


def _assign(problem: _Problem, limits: dict, time_limit: float, mip_gap: float) -> AssignmentResult:
    acc = problem.acc.copy()
    acc["to_rep"], how, noise = solve_group(
        acc,
        problem.reps["rep_id"].to_numpy(),
        problem.rep_group,
        problem.account_group,
        problem.rates,
        limits,
        time_limit,
        mip_gap,
        f"by {problem.label}" if problem.label else "all accounts",
    )
    acc["group"] = problem.account_group
    result = _result(
        problem.ds,
        acc,
        problem.rates,
        problem.reps.assign(pool=problem.rep_group),
        problem.as_of,
        problem.fit,
        problem.profile,
        limits["move_cost_pct"],
    )
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
    Large datasets are solved pool by pool, on candidate reps (:func:`solve_group` says how;
    ``result.solved`` says what was done).

    Raises :class:`InfeasibleAssignment` naming the constraint to relax, or
    :class:`AssignmentTimeLimit` when the solver found no assignment in the time.
    """
    problem = _problem(ds, as_of, same_region, same_segment, min_evidence)
    limits = _limits(
        max_moves_pct, balance_tolerance, max_accounts, no_worse_balance, move_cost_pct
    )
    return _assign(problem, limits, time_limit, mip_gap)


def _limits(
    max_moves_pct, balance_tolerance, max_accounts, no_worse_balance, move_cost_pct
) -> dict:
    return {
        "max_moves_pct": max_moves_pct,
        "balance_tolerance": balance_tolerance,
        "max_accounts": max_accounts,
        "no_worse_balance": no_worse_balance,
        "move_cost_pct": move_cost_pct,
    }


MOVE_STEPS = (0.0, 0.02, 0.05, 0.10, 0.15, 0.25)


def curve_row(step: float, result: AssignmentResult) -> dict[str, float]:
    """One point of :func:`move_curve` from an assignment solved at ``max_moves_pct=step``."""
    f = result.figures
    return {
        "max_moves_pct": step,
        "accounts_moved": int(f["accounts_moved"]),
        "net_gain": f["net_gain"],
        "uplift_pct": f["expected_revenue_uplift_pct"],
        "potential_cv_after": f["potential_cv_after"],
    }


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
    problem = (
        solved.problem
        if solved is not None and solved.problem is not None
        else _problem(ds, as_of, True, True, min_evidence)
    )
    rows = []
    for step in steps:
        if known is not None and abs(step - known) < 1e-12:
            rows.append(curve_row(step, solved))
            continue
        limits = _limits(step, balance_tolerance, None, no_worse_balance, move_cost_pct)
        rows.append(curve_row(step, _assign(problem, limits, time_limit, mip_gap)))
    return pd.DataFrame(rows)


def _groups(
    region: pd.Series, segment: pd.Series | None, same_region: bool, by_segment: bool
) -> np.ndarray:
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


# why an account moves (the page words it, with the evidence columns of the move)
REASON_CODES = {
    "no_owner": "the account has no owner yet",
    "owner_left": "its owner has left or is no selling rep",
    "better_rate": "the new rep's rate in its industry and segment beats its owner's",
}


def _reason_codes(owner: np.ndarray, forced: np.ndarray) -> np.ndarray:
    no_owner = pd.isna(pd.Series(owner, dtype=object)).to_numpy()
    return np.where(forced & no_owner, "no_owner", np.where(forced, "owner_left", "better_rate"))


ASSIGNMENT_COLUMNS = [
    "account_id",
    "industry",
    "segment",
    "region",
    "group",
    "potential",
    "from_rep",
    "to_rep",
]


def _result(
    ds, acc, rates, reps, as_of, fit, profile, move_cost_pct: float = 0.0
) -> AssignmentResult:
    """The solved assignment (``acc["to_rep"]``) as a result: its moves, the balance of
    potential before and after, and the figures."""
    rep_ids = reps["rep_id"].to_numpy()
    owner = acc["owner_rep_id"].to_numpy()
    forced = ~np.isin(owner, rep_ids)
    acc["from_rep"] = owner
    new = rates_for(rates, acc["to_rep"].to_numpy(), acc)
    base = (
        acc["base_rate"].to_numpy(float) if "base_rate" in acc else base_rates(rates, acc, rep_ids)
    )
    moves = _moves(ds, acc, rates, profile, new, base, forced, move_cost_pct)
    pot = acc["potential"].to_numpy(float)
    pools = pd.Series(dict(zip(reps["rep_id"], reps["pool"], strict=True)))
    kept = ~forced
    before = balance(
        ds,
        pd.Series(owner[kept], index=acc["account_id"][kept]),
        pd.Series(pot[kept]),
        as_of,
        pools,
    )
    after = balance(
        ds,
        pd.Series(acc["to_rep"].to_numpy(), index=acc["account_id"]),
        pd.Series(pot),
        as_of,
        pools,
    )
    figures = _figures(acc, new, base, forced, moves, before, after)
    return AssignmentResult(acc[ASSIGNMENT_COLUMNS], moves, figures, before, after, fit, profile)


def _moves(ds, acc, rates, profile, new, base, forced, move_cost_pct: float) -> pd.DataFrame:
    """The accounts that change rep: gain, cost, the rates on both sides and the closed deals
    behind them, the reason code; voluntary moves first, the largest net gain first."""
    pot = acc["potential"].to_numpy(float)
    industry = acc["industry"].fillna("(unknown)").to_numpy()
    owner = acc["owner_rep_id"].to_numpy()
    moved_mask = acc["from_rep"].to_numpy() != acc["to_rep"].to_numpy()
    names = ds.rep_names
    cells = profile.assign(industry=profile["industry"].fillna("(unknown)")).set_index(
        ["rep_id", "industry", "segment"]
    )
    basis = cells["rate_basis"] if "rate_basis" in cells else pd.Series("industry", cells.index)
    moved = acc[moved_mask]

    def evidence(reps_: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Closed deals behind each rep's rate in the account's cell, and its basis (industry,
        or overall: the rep's overall rate as the prior)."""
        keys = pd.MultiIndex.from_arrays([reps_, industry[moved_mask], moved["segment"]])
        closed = cells["closed"].reindex(keys).fillna(0).astype(int).to_numpy()
        return closed, basis.reindex(keys).fillna("overall").to_numpy()

    new_rates = new[moved_mask]
    from_closed, from_basis = evidence(owner[moved_mask])
    to_closed, to_basis = evidence(moved["to_rep"].to_numpy())
    gain = pot[moved_mask] * (new_rates / base[moved_mask] - 1)
    cost = np.where(forced[moved_mask], 0.0, move_cost_pct * pot[moved_mask])
    account_names = acc["name"] if "name" in acc else acc["account_id"]
    moves = pd.DataFrame(
        {
            "account_id": acc.loc[moved_mask, "account_id"].to_numpy(),
            "account": account_names[moved_mask].to_numpy(),
            "industry": industry[moved_mask],
            "potential": pot[moved_mask],
            "from_rep": owner[moved_mask],
            "from_name": names.reindex(owner[moved_mask]).to_numpy(),
            "to_rep": acc["to_rep"].to_numpy()[moved_mask],
            "to_name": names.reindex(acc["to_rep"].to_numpy()[moved_mask]).to_numpy(),
            "forced": forced[moved_mask],
            "gain": gain,
            "cost": cost,
            "net_gain": gain - cost,
            "evidence": to_closed,
            "rate_basis": to_basis,
            "to_rate": new_rates,
            "from_rate": rates_for(rates, owner[moved_mask], moved),
            "from_evidence": from_closed,
            "from_basis": from_basis,
            "reason_code": _reason_codes(owner[moved_mask], forced[moved_mask]),
        }
    )
    return moves.sort_values(
        ["forced", "net_gain"], ascending=[True, False], kind="stable"
    ).reset_index(drop=True)


def _figures(acc, new, base, forced, moves, before, after) -> dict[str, float]:
    """The assignment's figures: expected bookings before and after, net gain and cost of the
    voluntary moves, accounts moved, and the balance of potential before and after."""
    pot = acc["potential"].to_numpy(float)
    before_value = float(pot.sum())  # potential is the year's expected bookings as owned today
    after_value = float((pot * new / base).sum())
    moved = float((acc["from_rep"].to_numpy() != acc["to_rep"].to_numpy()).sum() - forced.sum())
    n_acc = len(acc)
    voluntary = moves[~moves["forced"]]
    return {
        "expected_revenue_before": before_value,
        "expected_revenue_after": after_value,
        "expected_revenue_uplift_pct": after_value / before_value - 1 if before_value else 0.0,
        "net_gain": float(voluntary["net_gain"].sum()),
        "move_cost": float(voluntary["cost"].sum()),
        "accounts_moved": moved,
        "accounts_moved_pct": moved / n_acc if n_acc else 0.0,
        "forced_moves": float(forced.sum()),
        "potential_cv_before": before.attrs["cv"],
        "potential_cv_after": after.attrs["cv"],
        "gini_before": before.attrs["gini"],
        "gini_after": after.attrs["gini"],
    }


def optimize_with_relaxation(
    ds: Dataset,
    max_moves_pct: float = 0.15,
    balance_tolerance: float = 0.2,
    as_of=None,
    max_steps: int = 6,
) -> tuple[AssignmentResult, list[Relaxation]]:
    """:func:`optimize_assignment`, relaxing the constraint it names when infeasible: the move
    limit doubles (up to all accounts), the no-worse-balance guard is dropped (accounts of reps
    who left must land somewhere, which can leave no assignment as balanced as today's books),
    the balance tolerance widens by 0.2 (up to 2.0). Returns the result and the relaxations
    made, in order, for the report to state. An infeasibility that names nothing to relax (no
    active rep) is raised at once."""
    relaxed: list[Relaxation] = []
    guard = True
    for _ in range(max_steps + 1):
        try:
            return optimize_assignment(
                ds,
                max_moves_pct=max_moves_pct,
                balance_tolerance=balance_tolerance,
                as_of=as_of,
                no_worse_balance=guard,
            ), relaxed
        except InfeasibleAssignment as exc:
            message = str(exc)
            if "relax " not in message:  # nothing to relax (no active rep): as it is
                raise
            if "relax max_moves_pct" in message and max_moves_pct < 1:
                max_moves_pct = min(1.0, max_moves_pct * 2)
                relaxed.append(Relaxation("max_moves_pct", max_moves_pct, message))
            elif "relax no_worse_balance" in message and guard:
                guard = False
                relaxed.append(Relaxation("no_worse_balance", False, message))
            elif balance_tolerance < 2:
                balance_tolerance = round(balance_tolerance + 0.2, 2)
                relaxed.append(Relaxation("balance_tolerance", balance_tolerance, message))
            else:
                raise
    steps = "; ".join(f"{r.constraint} to {r.value} ({r.reason})" for r in relaxed)
    raise InfeasibleAssignment("no feasible assignment after relaxing: " + steps)


def per_rep_summary(result: AssignmentResult, ds: Dataset) -> pd.DataFrame:
    """Per active rep: name, pool, accounts and potential today and proposed, proposed open
    pipeline, and the record behind the proposal (:func:`rep_summary`)."""
    books = result.before[["rep_id", "pool", "accounts", "potential"]].merge(
        result.after[["rep_id", "accounts", "potential", "open_pipeline"]],
        on="rep_id",
        suffixes=("_today", "_proposed"),
    )
    books = books.rename(columns={"open_pipeline": "open_pipeline_proposed"})
    names = ds.rep_names
    books.insert(1, "name", books["rep_id"].map(names))
    record = rep_summary(result.profile, books[["rep_id"]])
    return books.merge(record, on="rep_id", how="left").sort_values(["pool", "rep_id"])
