"""One assignment model as a mixed-integer program: the balance band, the move limit, the
coefficient-of-variation guard (by chords of the square), solved with scipy.optimize.milp
(HiGHS), from its LP relaxation where that is quicker. :mod:`spm_lib.territory.solver` builds
the pools and pairs and calls it."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import optimize, sparse


@dataclass
class Model:
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


def chords(today: float, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Slopes and intercepts of the chords of u ** 2 between consecutive breakpoints on
    [lo, hi] (:data:`DEVIATION_BREAKS` and ``today``): their maximum is at least u ** 2 there,
    and equal to it at every breakpoint, today's deviation included."""
    breaks = DEVIATION_BREAKS
    inner = breaks[(breaks > lo) & (breaks < hi)]
    b = np.unique(np.r_[lo, inner, today, hi])
    if len(b) < 2:
        b = np.r_[b, b + 1e-9]
    return b[:-1] + b[1:], -b[:-1] * b[1:]


def cv_rows(model: Model, mean_pot, held, n_var: int, n_rep: int):
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
        slope, icept = chords(model.today_dev[r], lo, hi)
        k = len(slope)
        rows.append(np.repeat(np.arange(row, row + k), 2))
        cols.append(np.tile([n_var + r, n_var + n_rep + r], k))
        vals.append(np.c_[np.ones(k), -slope].ravel())
        lower.append(slope * (held[r] - m) / m + icept)
        row += k
    if not row:
        return []
    shape = (row, n_var + 2 * n_rep)
    guard = sparse.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=shape
    )
    total = sparse.csr_array(
        (np.ones(n_rep), (np.zeros(n_rep, int), n_var + np.arange(n_rep))), shape=(1, shape[1])
    )
    return [
        optimize.LinearConstraint(guard, np.concatenate(lower), np.inf),
        optimize.LinearConstraint(total, 0, model.cv_cap + 1e-12),
    ]


def solve(
    pot: np.ndarray,
    value: np.ndarray,
    model: Model,
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
    """One MILP over the pairs of ``model`` (see :func:`.solver.solve_group`); ``value`` is
    each pair's gain after its cost (the objective); ``drop`` leaves one named constraint out (the
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
        named["no_worse_balance"] = cv_rows(model, mean_pot, held, n_var, n_rep)
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


def solve_from_relaxation(args: tuple) -> tuple[np.ndarray | None, float]:
    """Solve the LP relaxation, keep the accounts it assigns whole, and solve the MILP over the
    few it splits (their candidate pairs, against what the kept accounts leave). Returns the
    chosen pairs (a boolean per pair of the model) and the proven gap to the relaxation's bound
    in money (the best gain lies between the two), or (None, nan) when the split accounts
    cannot be completed, or the relaxation has no solution."""
    pot, value, model, keep, mean_pot, caps, n_acc, n_rep, seconds, mip_gap = args
    lp = solve(*args, relaxed=True)
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
        rest = solve(
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


def solve_pool(args: tuple, pool_by_pool: bool) -> tuple[np.ndarray | None, float, object]:
    """The best pairs of one model, and the gap proven in money (bound - gain found). From the
    LP relaxation when pools are solved one by one (enough when its gap is within
    ``mip_gap`` of the gain), else, or when it is not, the MILP at ``mip_gap``, tightened
    tenfold while the proven gap is not below the gain of the moves found."""
    value, model, mip_gap = args[1], args[2], args[-1]
    chosen, gap = solve_from_relaxation(args) if pool_by_pool else (None, float("nan"))
    if chosen is not None and gap <= mip_gap * max(value[chosen].sum(), 0.0):
        return chosen, gap, None
    while True:
        result = solve(*args)
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
