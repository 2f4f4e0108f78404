"""Lead conversion: lead -> opportunity -> won, by source, segment, SDR, AE or monthly cohort;
how fast leads convert; which leads stall; which source is worth more once the reps who work it
and the segment are accounted for.

Definitions (one place each):

- a lead is **converted** when it has a ``converted_date`` or an ``opportunity_id``; its
  conversion date is ``converted_date``, else its opportunity's ``created_date``;
- **conversion rate** = converted leads / leads (of the leads in the group, as of the data's
  as-of date), with a Wilson 95% interval;
- **won** = converted leads whose opportunity is won; **win rate** = won / (won + lost) of
  those opportunities; **revenue** = amount of those won opportunities; **revenue per lead** =
  revenue / leads;
- **days to convert** = conversion date - created date; a lead that has not converted is
  *censored* at the as-of date (Kaplan-Meier), never counted as a failure at its age; a lead
  disqualified stays in the risk set (it cannot convert, so the curve is the cumulative
  incidence of conversion);
- an **open** lead has neither converted nor been disqualified; it is **stalled** when it is
  older than its source's 90th percentile of days to convert.

By AE (the opportunity's rep), leads are those handed to the AE (all converted): the AE's part of
the funnel is the win rate.
"""

from spm_lib.leads.conversion import (
    FUNNEL_COLUMNS,
    funnel,
    named,
    wilson,
)
from spm_lib.leads.figures import (
    PeriodMoved,
    key_figures,
    lead_period,
    period_figures,
)
from spm_lib.leads.frame import (
    GROUPS,
    NONE,
    OUTSIDE,
    created_in,
    group_column,
    has_amounts,
    has_leads,
    is_converted,
    is_open,
    lead_frame,
)
from spm_lib.leads.sources import (
    FACTORS,
    MIN_LEVEL_LEADS,
    POOLED,
    SourceEffects,
    SourcesNotCompared,
    Unusable,
    maturity_days,
    source_effects,
    try_source_effects,
    usable_factor,
)
from spm_lib.leads.timing import (
    MIN_CONVERSIONS_FOR_THRESHOLD,
    SPEED_HORIZON_DAYS,
    STALL_QUANTILE,
    conditional_median,
    conversion_curves,
    invalid_durations,
    share_by,
    speed,
    stall_thresholds,
    stalled_by_owner,
    stalled_leads,
)

__all__ = [
    "FACTORS",
    "FUNNEL_COLUMNS",
    "GROUPS",
    "MIN_CONVERSIONS_FOR_THRESHOLD",
    "MIN_LEVEL_LEADS",
    "NONE",
    "OUTSIDE",
    "POOLED",
    "SPEED_HORIZON_DAYS",
    "STALL_QUANTILE",
    "SourceEffects",
    "SourcesNotCompared",
    "conditional_median",
    "conversion_curves",
    "created_in",
    "funnel",
    "group_column",
    "has_amounts",
    "has_leads",
    "invalid_durations",
    "is_converted",
    "is_open",
    "key_figures",
    "lead_frame",
    "lead_period",
    "PeriodMoved",
    "maturity_days",
    "named",
    "period_figures",
    "share_by",
    "source_effects",
    "speed",
    "stall_thresholds",
    "stalled_by_owner",
    "stalled_leads",
    "try_source_effects",
    "Unusable",
    "usable_factor",
    "wilson",
]
