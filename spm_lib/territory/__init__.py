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

from spm_lib.territory.assignment import (
    MOVE_STEPS,
    AssignmentResult,
    RegionPooling,
    Relaxation,
    curve_row,
    move_curve,
    optimize_assignment,
    optimize_with_relaxation,
    per_rep_summary,
)
from spm_lib.territory.books import (
    active_reps,
    balance,
)
from spm_lib.territory.milp import DEVIATION_BREAKS, MIN_MIP_GAP
from spm_lib.territory.potential import (
    account_potential,
    account_segments,
    as_of_date,
)
from spm_lib.territory.profile import (
    PRIOR_DEALS,
    PRIOR_WON_DEALS,
    STRONGEST_MIN_CLOSED,
    rep_profile,
    rep_summary,
    skill_factors,
    skill_table,
)
from spm_lib.territory.rates import (
    base_rates,
    rate_grid,
    rates_for,
    rates_used,
)
from spm_lib.territory.solver import (
    CANDIDATES_BEST,
    CANDIDATES_SPREAD,
    JOINT_MODEL_VARIABLES,
    POOL_MODEL_VARIABLES,
    solve_group,
)

__all__ = [
    "AssignmentResult",
    "RegionPooling",
    "Relaxation",
    "CANDIDATES_BEST",
    "CANDIDATES_SPREAD",
    "DEVIATION_BREAKS",
    "JOINT_MODEL_VARIABLES",
    "MIN_MIP_GAP",
    "MOVE_STEPS",
    "POOL_MODEL_VARIABLES",
    "PRIOR_DEALS",
    "PRIOR_WON_DEALS",
    "STRONGEST_MIN_CLOSED",
    "account_potential",
    "account_segments",
    "active_reps",
    "as_of_date",
    "balance",
    "base_rates",
    "curve_row",
    "move_curve",
    "optimize_assignment",
    "optimize_with_relaxation",
    "per_rep_summary",
    "rate_grid",
    "rates_for",
    "rates_used",
    "rep_profile",
    "rep_summary",
    "skill_factors",
    "skill_table",
    "solve_group",
]
