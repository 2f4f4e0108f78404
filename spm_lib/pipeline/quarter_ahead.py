"""The next quarter as the reports read it: the one pipeline run for the quarter after a period,
per rep (the at-risk list, the payout forecast and planning all read it), each rep's expected
bookings, and the blend of the run with the time-series forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from spm_lib.dataset import Dataset
from spm_lib.periods import Period, quarter_after
from spm_lib.pipeline.model import PipelineForecast, pipeline_forecast

NEXT_QUARTER_SIMULATIONS = 20_000


def next_quarter(
    ds: Dataset, period: Period, simulations: int = NEXT_QUARTER_SIMULATIONS, seed: int = 0
) -> tuple[Period, PipelineForecast]:
    """The one pipeline run for the quarter after the one containing ``period``'s end, as seen
    at that end, kept per rep (``by_rep``). The forecasting report's pipeline figure, rep
    performance's per-rep expectations (the at-risk list) and compensation's payout forecast
    all read this run, so their figures add up: the reps' expectations (open deals plus their
    share of deals not yet created) sum to its total."""
    quarter = quarter_after(period)
    run = pipeline_forecast(
        ds,
        end=pd.Timestamp(quarter.end),
        as_of=pd.Timestamp(period.end),
        start=pd.Timestamp(quarter.start) - pd.Timedelta(days=1),
        simulations=simulations,
        seed=seed,
        by_rep=True,
    )
    return quarter, run


def rep_expectations(run: PipelineForecast) -> pd.DataFrame:
    """Per rep of a ``by_rep`` run: open_expected (their open deals' simulated mean, the common
    factor included), new_business (their share of deals not yet created), expected (the sum),
    pipeline_due (open amount due in the window), model_win_rate (open_expected /
    pipeline_due: the win-rate basis of the forecast). The expected column sums to the run's
    mean total."""
    columns = [
        "rep_id",
        "open_expected",
        "new_business",
        "expected",
        "pipeline_due",
        "model_win_rate",
    ]
    if run.rep_ids is None:
        return pd.DataFrame(columns=columns)
    expected = run.rep_totals.mean(axis=0)
    deals = run.deals
    in_window = deals[(deals["close_date"] > run.start) & (deals["close_date"] <= run.end)]
    due = in_window.groupby("rep_id")["amount"].sum()
    new = run.rep_new_mean
    out = pd.DataFrame(
        {
            "rep_id": run.rep_ids,
            "open_expected": expected - new,
            "new_business": new,
            "expected": expected,
        }
    )
    out["pipeline_due"] = out["rep_id"].map(due).fillna(0.0).to_numpy()
    due_amount = out["pipeline_due"].where(out["pipeline_due"] > 0)
    out["model_win_rate"] = out["open_expected"] / due_amount
    return out[columns]


def combine_forecasts(
    ts_mean: float,
    ts_lower: float,
    ts_upper: float,
    level: float,
    pipe_p10: float,
    pipe_p50: float,
    pipe_p90: float,
) -> dict[str, float]:
    """Precision-weighted blend of the time-series and pipeline forecasts of one period.

    Each forecast's spread is read from its interval as a normal sd (time series: its ``level``
    interval; pipeline: P10-P90, an 80% band); weights are 1/sd^2 and the combined sd is
    1/sqrt(sum of weights), assuming the two forecasts' errors are independent. Returns
    mean, sd, weight_time_series, weight_pipeline and the 80% band p10/p90.
    """
    z_ts = float(norm.ppf(0.5 + level / 2))
    z80 = float(norm.ppf(0.9))
    sd_ts = max((ts_upper - ts_lower) / (2 * z_ts), 1e-9)
    sd_pipe = max((pipe_p90 - pipe_p10) / (2 * z80), 1e-9)
    w_ts, w_pipe = 1 / sd_ts**2, 1 / sd_pipe**2
    mean = (w_ts * ts_mean + w_pipe * pipe_p50) / (w_ts + w_pipe)
    sd = 1 / np.sqrt(w_ts + w_pipe)
    return {
        "mean": float(mean),
        "sd": float(sd),
        "weight_time_series": float(w_ts / (w_ts + w_pipe)),
        "weight_pipeline": float(w_pipe / (w_ts + w_pipe)),
        "p10": float(max(mean - z80 * sd, 0.0)),
        "p90": float(mean + z80 * sd),
    }
