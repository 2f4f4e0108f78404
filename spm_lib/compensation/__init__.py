"""Compensation: credited bookings, commission lines to the cent, statements, cost of sales.

Definitions (plans: :mod:`spm_lib.plans`):

- **Credit**: each won deal is credited on its close date to its rep, or to the reps of its rows
  in ``opportunity_splits`` (shares must sum to 1 per deal). A deal's amount is split in cents
  by largest remainder, so that the credits sum to the amount exactly.
- **Quota** of a rep in a quota period: the quotas table spread evenly over the months each row
  covers (its granularity, read from the spacing of ``period_start``), or the plan's quota
  amount spread over the period's months; times the plan's ramp share for each month of tenure;
  summed over the period and rounded to the cent.
- **Commission lines**: within each quota period a rep's credits are taken in date order; each
  one moves the rep's cumulative credit and is split across the tiers it spans
  (:func:`spm_lib.plans.tier_portions`); a line per tier portion pays portion x base_rate x
  multiplier, rounded half-up to the cent. A statement for a period pays the lines dated in it:
  a quota period longer than the statement (a year plan reported by quarter) is paid as earned
  and trued up cumulatively; shorter ones (a month plan reported by quarter) are summed.
- **Cap**: cumulative commission in a quota period is limited to the plan's cap; a cap line
  takes back the excess in the statement period where it arises.
- **SPIF**: a fixed amount per won deal of the product, split like the credit.
- **Clawback**: a deal cancelled within ``days`` of its close takes back its commission and
  SPIF in the statement period of the cancellation (scaled by the paid share if its quota
  period was capped); attainment is unchanged, unless ``reduce_attainment``: then the
  cancellation is a negative credit that runs through the tiers like any other.
- **payout** = commission + SPIFs + clawbacks + cap adjustment = the sum of the rep's lines.
- **Cost of sales** = payout / credited bookings.
"""

from spm_lib.compensation.crediting import (
    CREDIT_COLUMNS,
    ZERO,
    credits,
    rows_by_rep,
    split_cents,
)
from spm_lib.compensation.earnings import (
    LINE_COLUMNS,
    NO_QUOTA_TIER,
    ledger,
    reps_in,
    withheld_after_departure,
)
from spm_lib.compensation.quota_periods import (
    load_plans,
    quota_for,
    quota_granularity,
)
from spm_lib.compensation.summaries import (
    attainment_table,
    cost_of_sales,
    headline,
    line_summary,
    plan_curves,
    plan_summary,
    statement_lines,
    statements,
)

__all__ = [
    "CREDIT_COLUMNS",
    "LINE_COLUMNS",
    "NO_QUOTA_TIER",
    "ZERO",
    "attainment_table",
    "cost_of_sales",
    "credits",
    "headline",
    "ledger",
    "line_summary",
    "load_plans",
    "plan_curves",
    "plan_summary",
    "quota_for",
    "quota_granularity",
    "reps_in",
    "rows_by_rep",
    "split_cents",
    "statement_lines",
    "statements",
    "withheld_after_departure",
]
