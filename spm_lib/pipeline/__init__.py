"""The pipeline: the pipeline model (:mod:`.model`), the pipeline as of a date (:mod:`.as_of`), its
movement, slippage and forecast calls.

``from spm_lib import pipeline`` reads as the pipeline model did before the folder: its public names
are re-exported here for analysts' notebooks. Inside the library, import the module itself.
"""

from spm_lib.pipeline.model import (
    AGE_BANDS,
    AGE_LABELS,
    MIN_STAGE_EVIDENCE,
    PRIOR_WEIGHT,
    PUSH_BANDS,
    UNKNOWN_STAGE,
    PipelineForecast,
    Window,
    new_business_shares,
    open_at,
    past_windows,
    pipeline_forecast,
    push_factors,
    summarise,
    win_rates,
)
from spm_lib.pipeline.quarter_ahead import (
    NEXT_QUARTER_SIMULATIONS,
    combine_forecasts,
    next_quarter,
    rep_expectations,
)

__all__ = [
    "AGE_BANDS",
    "AGE_LABELS",
    "MIN_STAGE_EVIDENCE",
    "NEXT_QUARTER_SIMULATIONS",
    "PRIOR_WEIGHT",
    "PUSH_BANDS",
    "PipelineForecast",
    "UNKNOWN_STAGE",
    "Window",
    "combine_forecasts",
    "new_business_shares",
    "next_quarter",
    "open_at",
    "past_windows",
    "pipeline_forecast",
    "push_factors",
    "rep_expectations",
    "summarise",
    "win_rates",
]
