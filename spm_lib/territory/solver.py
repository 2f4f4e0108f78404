"""The solver: an assignment's pools and the pairs each may use, one model for all pools or
pool by pool at scale, each solved as a mixed-integer program (:mod:`spm_lib.territory.milp`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from spm_lib.exceptions import AssignmentTimeLimit, InfeasibleAssignment
from spm_lib.territory.milp import Model, solve, solve_pool
from spm_lib.territory.rates import rate_grid

JOINT_MODEL_VARIABLES = 50_000  # up to this many (account, rep) pairs: one model for all pools
POOL_MODEL_VARIABLES = 40_000  # above this a pool's accounts consider candidate reps only
CANDIDATES_BEST = 8  # the pool's reps with the best win rate in the account's industry
CANDIDATES_SPREAD = 8  # and reps spread evenly over the pool, so every rep can gain accounts


@dataclass(frozen=True)
class SolveMethod:
    """How the assignment was solved: ``pool_by_pool`` (else one model for all pools); the
    largest ``pool_gap``, each pool's gain against the best of the pairs it considered
    (proven by its bound; pool by pool only); ``restricted_pools``, the large pools whose
    accounts considered only candidates (their owner, the pool's ``candidates_best`` best reps
    in the industry and ``candidates_spread`` others)."""

    pool_by_pool: bool = False
    pool_gap: float | None = None
    restricted_pools: int = 0
    candidates_best: int = 0
    candidates_spread: int = 0


def _pairs(account_group, rep_group, owner_pos, grid, best: int | None, spread: int | None):
    """(pa, pr): every rep of the account's pool, or with ``best``/``spread`` the account's
    candidates: today's owner, the pool's ``best`` reps by win rate for the account (``grid``:
    accounts x reps, from :func:`rate_grid`) and ``spread`` reps chosen evenly over the pool
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


def solve_group(
    acc: pd.DataFrame,
    rep_ids: np.ndarray,
    rep_group: np.ndarray,
    account_group: np.ndarray,
    rates: pd.Series,
    limits: dict,
    time_limit: float,
    mip_gap: float,
    label: str,
) -> tuple[np.ndarray, SolveMethod, bool]:
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
    books = _books(acc, rep_ids, rep_group, account_group, limits)
    parts, pool_pairs = _parts(account_group, rep_group, len(acc), len(rep_ids), limits, label)
    total_pairs = sum(pool_pairs.values())
    chosen_rep = np.empty(len(acc), dtype=object)
    restricted, gaps, noise = [], [], False
    for name, (accounts, members, move_limit) in parts.items():
        sub_pairs = sum(pool_pairs[g] for g in pd.unique(account_group[accounts]))
        seconds = time_limit * sub_pairs / total_pairs
        large = sub_pairs > POOL_MODEL_VARIABLES and len(parts) > 1
        grid = rate_grid(rates, rep_ids[members], acc.iloc[accounts])
        solved = _solve_part(
            name,
            books,
            grid,
            (accounts, members, move_limit),
            (account_group, rep_group),
            large,
            len(parts) > 1,
            seconds,
            mip_gap,
            limits,
        )
        pa, pr, chosen, gap, noisy, whole = solved
        if large and not whole:
            restricted.append(name)
        noise |= noisy
        gaps.append(gap)
        chosen_rep[accounts[pa[chosen]]] = rep_ids[members[pr[chosen]]]
    several = len(parts) > 1
    method = SolveMethod(
        several,
        max(max(gaps), 0.0) if several and gaps else None,
        len(restricted),
        CANDIDATES_BEST,
        CANDIDATES_SPREAD,
    )
    return chosen_rep, method, noise


@dataclass
class _Books:
    """Per account and per rep, what every part of a solve reads (account order of ``acc``,
    rep order of ``rep_ids``)."""

    pot: np.ndarray  # account: potential
    forced: np.ndarray  # account: its owner has left, it must move
    owner_pos: np.ndarray  # account: its owner's rep position (-1 when gone)
    base_rate: np.ndarray  # account: the rate its potential embodies
    mean_pot: np.ndarray  # rep: the mean potential of its pool
    caps: np.ndarray  # rep: accounts it may hold
    band: np.ndarray | None  # rep: potential allowed either side of the pool mean
    today_dev: np.ndarray  # rep: potential today / pool mean today - 1
    pool_size: np.ndarray  # rep: the reps of its pool


def _books(
    acc: pd.DataFrame,
    rep_ids: np.ndarray,
    rep_group: np.ndarray,
    account_group: np.ndarray,
    limits: dict,
) -> _Books:
    """The pools' means, each rep's books today and the limits they set."""
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
    band = None if tolerance is None else np.maximum(tolerance * mean_pot, np.abs(today - mean_pot))
    today_dev = np.where(mean_today > 0, today / np.where(mean_today > 0, mean_today, 1) - 1, 0)
    pool_size = group_reps.reindex(rep_group).to_numpy(float)
    return _Books(
        pot,
        forced,
        owner_pos,
        acc["base_rate"].to_numpy(),
        mean_pot,
        caps,
        band,
        today_dev,
        pool_size,
    )


def _parts(
    account_group: np.ndarray,
    rep_group: np.ndarray,
    n_acc: int,
    n_rep: int,
    limits: dict,
    label: str,
) -> tuple[dict, dict]:
    """The models to solve: one for all pools, or one per pool with the move limit split over
    the pools by their accounts (largest remainders); and the pairs of each pool."""
    limit = math.floor(limits["max_moves_pct"] * n_acc)
    group_reps = pd.Series(rep_group).value_counts()
    pools = {g: np.flatnonzero(account_group == g) for g in pd.unique(account_group)}
    pool_pairs = {g: len(idx) * int(group_reps[g]) for g, idx in pools.items()}
    if sum(pool_pairs.values()) <= JOINT_MODEL_VARIABLES:
        parts = {label: (np.arange(n_acc), np.arange(n_rep), limit)}
        return parts, pool_pairs
    shares = {g: limits["max_moves_pct"] * len(idx) for g, idx in pools.items()}
    budget = {g: math.floor(v) for g, v in shares.items()}
    largest_remainders = sorted(shares, key=lambda g: budget[g] - shares[g])
    for g in largest_remainders[: limit - sum(budget.values())]:
        budget[g] += 1
    parts = {
        f"{label}, pool {g}": (idx, np.flatnonzero(rep_group == g), budget[g])
        for g, idx in pools.items()
    }
    return parts, pool_pairs


def _solve_part(
    name: str,
    books: _Books,
    grid: np.ndarray,
    part: tuple,
    groups: tuple,
    large: bool,
    several: bool,
    seconds: float,
    mip_gap: float,
    limits: dict,
) -> tuple:
    """One model (``part``: its accounts, reps and move limit; ``groups``: the pool of each
    account and rep): its pairs (the moves that pay, on candidate reps for a large pool, widened
    while they have no solution), solved; a gain within the solver's tolerance proposes no
    voluntary move. Returns (pa, pr, chosen, gap relative to the voluntary gain, noise, whole
    pool considered)."""
    (accounts, members, move_limit), (account_group, rep_group) = part, groups
    pot, forced, owner_pos = books.pot, books.forced, books.owner_pos
    local_owner = (
        pd.Series(np.arange(len(members)), index=members)
        .reindex(owner_pos[accounts])
        .fillna(-1)
        .to_numpy(int)
    )
    best, spread = (CANDIDATES_BEST, CANDIDATES_SPREAD) if large else (None, None)
    cost = limits["move_cost_pct"]
    while True:
        pa, pr = _pairs(
            account_group[accounts], rep_group[members], local_owner, grid, best, spread
        )
        a_pos, r_pos = accounts[pa], members[pr]
        keep = (r_pos == owner_pos[a_pos]) & ~forced[a_pos]
        move = ~keep & ~forced[a_pos]
        value = pot[a_pos] * (grid[pa, pr] / books.base_rate[a_pos] - 1) - cost * pot[a_pos] * move
        pays = keep | forced[a_pos] | (value > 1e-9 * np.maximum(pot[a_pos], 1.0))
        pa, pr, a_pos, r_pos = pa[pays], pr[pays], a_pos[pays], r_pos[pays]
        keep, value = keep[pays], np.where(keep[pays], 0.0, value[pays])
        model = Model(
            pa,
            pr,
            move_limit,
            None if books.band is None else books.band[members],
            books.today_dev[members] if limits["no_worse_balance"] else None,
            float((books.today_dev[members] ** 2).sum()),
            books.pool_size[members],
            move[pays],
        )
        args = (
            pot[accounts],
            value,
            model,
            keep,
            books.mean_pot[members],
            books.caps[members],
            len(accounts),
            len(members),
            seconds,
            mip_gap,
        )
        whole = best is None or best + spread + 1 >= len(members)
        chosen, gap, result = solve_pool(args, several)
        status = result.status if result is not None else 0
        if chosen is not None or status != 2 or whole:
            break
        best, spread = best * 2, spread * 2  # the candidates had no solution: widen them
    if chosen is None:
        _explain_infeasible(args, name, seconds, limits, result)
    noise = False
    voluntary = value[chosen & model.voluntary].sum()
    if voluntary > 0 and gap >= voluntary:  # the gain is within what the solver can tell
        noise = True
        stay = solve(args[0], value, replace(model, move_limit=0), *args[3:])
        if stay.x is not None:
            chosen = stay.x[: len(pa)] > 0.5
    return pa, pr, chosen, gap / voluntary if voluntary > 0 else 0.0, noise, whole


def _explain_infeasible(args: tuple, name: str, seconds: float, limits: dict, result) -> None:
    """Raise the error that says which constraint to relax (each is dropped in turn)."""
    settings = ", ".join(f"{k}={v if v is not None else 'default'}" for k, v in limits.items())
    proven = result is None or result.status == 2  # else out of time before any solution
    what = (
        "no assignment meets every constraint"
        if proven
        else (f"no assignment meeting every constraint was found within {seconds:.0f} s")
    )
    for drop in ("max_moves_pct", "balance_tolerance", "no_worse_balance", "max_accounts"):
        if drop in ("balance_tolerance", "no_worse_balance") and not limits[drop]:
            continue
        if solve(*args, drop=drop).x is not None:
            raise InfeasibleAssignment(f"{name}: {what}; relax {drop} ({settings})")
    if not proven:
        raise AssignmentTimeLimit(
            f"{name}: no assignment found within {seconds:.0f} s, nor with any one constraint "
            f"relaxed ({result.message}); raise time_limit ({settings})"
        )
    raise InfeasibleAssignment(
        f"{name}: no assignment meets the constraints even with one of them relaxed; relax "
        f"balance_tolerance and max_moves_pct together, or the pools ({settings})"
    )
