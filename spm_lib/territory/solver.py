"""The solver: the mixed-integer program of an assignment, solved with
scipy.optimize.milp (HiGHS)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import optimize, sparse

from spm_lib.exceptions import AssignmentTimeLimit, InfeasibleAssignment
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
DEVIATION_BREAKS = np.unique(
    np.r_[
        np.arange(-1.0, -0.5, 0.1),
        np.arange(-0.5, 0.5, 0.025),
        np.arange(0.5, 1.0, 0.1),
        1.0,
        1.5,
        2,
        3,
        5,
        8,
        13,
        21,
        34,
        55,
        89,
        144,
        233,
        377,
        610,
        987,
    ]
).round(6)


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
    chords = sparse.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=shape
    )
    total = sparse.csr_array(
        (np.ones(n_rep), (np.zeros(n_rep, int), n_var + np.arange(n_rep))), shape=(1, shape[1])
    )
    return [
        optimize.LinearConstraint(chords, np.concatenate(lower), np.inf),
        optimize.LinearConstraint(total, 0, model.cv_cap + 1e-12),
    ]


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


def _solve(
    pot: np.ndarray,
    value: np.ndarray,
    model: _Model,
    keep: np.ndarray,
    mean_pot: np.ndarray,
    caps: np.ndarray,
    n_acc: int,
    n_rep: int,
    time_limit: float,
    mip_gap: float,
    drop: str | None = None,
    relaxed: bool = False,
    offset: np.ndarray | None = None,
) -> optimize.OptimizeResult:
    """One MILP over the pairs of ``model`` (see :func:`solve_group`); ``value`` is each pair's
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
    potential = matrix(
        np.r_[pot[pa] / unit[pr], -np.ones(n_rep)],
        np.r_[pr, np.arange(n_rep)],
        np.r_[columns, n_var + n_rep + np.arange(n_rep)],
        n_rep,
    )
    n_kept = int(keep.sum())
    named = {
        "max_accounts": [
            optimize.LinearConstraint(matrix(np.ones(n_var), pr, columns, n_rep), 0, caps)
        ],
        "max_moves_pct": [
            optimize.LinearConstraint(
                matrix(np.ones(n_kept), np.zeros(n_kept), np.nonzero(keep)[0], 1),
                max(n_kept - model.move_limit, 0),
                np.inf,
            )
        ],
    }
    p_lower, p_upper = np.zeros(n_rep), np.full(n_rep, np.inf)
    if model.band is not None and drop != "balance_tolerance":
        p_lower = np.maximum((mean_pot - model.band - held) / unit - 1e-9, 0.0)
        p_upper = (mean_pot + model.band - held) / unit + 1e-9
    if model.today_dev is not None:
        named["no_worse_balance"] = _cv_rows(model, mean_pot, held, n_var, n_rep)
    base = [
        optimize.LinearConstraint(matrix(np.ones(n_var), pa, columns, n_acc), 1, 1),
        optimize.LinearConstraint(potential, 0, 0),
    ]  # P_r = the rep's potential
    scale = float(pot.mean()) if len(pot) and pot.mean() > 0 else 1.0  # gains of about 1
    result = optimize.milp(
        np.r_[-value / scale, np.zeros(2 * n_rep)],
        constraints=base + [c for name, cs in named.items() if name != drop for c in cs],
        integrality=np.r_[np.full(n_var, 0 if relaxed else 1), np.zeros(2 * n_rep)],
        bounds=optimize.Bounds(
            np.r_[np.zeros(n_var + n_rep), p_lower],
            np.r_[np.ones(n_var), np.full(n_rep, np.inf), p_upper],
        ),
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
        sub = replace(
            model,
            pa=local[model.pa[free]],
            pr=model.pr[free],
            move_limit=model.move_limit - moved,
            voluntary=model.voluntary[free],
        )
        rest = _solve(
            pot[accounts],
            value[free],
            sub,
            keep[free],
            mean_pot,
            caps - counts,
            len(accounts),
            n_rep,
            seconds,
            mip_gap,
            offset=offset,
        )
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
                gap = (
                    max(-bound - value[found].sum(), 0.0)
                    if bound is not None and np.isfinite(bound)
                    else 0.0
                )
        voluntary = value[chosen & model.voluntary].sum() if chosen is not None else 0.0
        if chosen is None or gap < voluntary or not voluntary or mip_gap <= MIN_MIP_GAP:
            return chosen, gap, result
        mip_gap = max(mip_gap / 10, MIN_MIP_GAP)
        args = (*args[:-1], mip_gap)


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
        model = _Model(
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
        chosen, gap, result = _solve_pool(args, several)
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
        stay = _solve(args[0], value, replace(model, move_limit=0), *args[3:])
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
        if _solve(*args, drop=drop).x is not None:
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
