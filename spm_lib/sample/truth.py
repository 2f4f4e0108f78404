"""The sample's ground truth: the effects planted in the simulation that reports must recover."""

from __future__ import annotations

import datetime as dt

import numpy as np

from spm_lib.sample.assumptions import (
    BASE_PASS,
    CANCEL_SHARE,
    CREATED_SEASONALITY,
    GROWTH_PER_YEAR,
    INDUSTRIES,
    LEAD_SOURCE_SIZE,
    LEAD_SOURCE_WIN,
    LEAD_SOURCES,
    MODULES,
    OPEN_STAGES,
    QUARTER_END_PULL,
    RAMP_TAU_MONTHS,
    SAMPLE_FORMAT,
    SKILL_RECORDED,
    SPLIT_SHARE,
    STRENGTH_MULTIPLIER,
    WEAKNESS_MULTIPLIER,
)
from spm_lib.sample.company import Company, month_index, ramp
from spm_lib.sample.deals import Deals
from spm_lib.sample.history import AMOUNT_CHANGES, PULL_IN_SHARE, PUSHES


def ground_truth(
    seed: int, reps: int, years: int, company: Company, deals: Deals, carried: tuple
) -> dict:
    """The planted effects, as ``ground_truth.json`` states them."""
    callers, lead_truth = carried
    rep_ids = company.reps["rep_id"].to_numpy()
    weaknesses = [
        (str(rep_ids[r]), OPEN_STAGES[s])
        for r, s in zip(company.weak_reps, company.weak_stage, strict=True)
    ]
    strengths = [
        (str(rep_ids[r]), INDUSTRIES[i])
        for r, i in zip(company.strong_reps, company.strong_industry, strict=True)
    ]
    truth = planted_truth(
        seed, reps, years, company.start_date, company.end_date, weaknesses, strengths
    )
    expected = np.prod(deals.pass_rate, axis=1) * deals.amount
    truth["seasonal_profile"]["bookings_index_by_month"] = expected_bookings_index(
        deals.won_close, expected, company.start, company.end
    )
    truth.update(lead_truth)
    truth["opportunity_history"] = {
        "close_date_changes_mean_by_outcome": dict(PUSHES),
        "pull_in_share": PULL_IN_SHARE,
        "amount_changes_mean": AMOUNT_CHANGES,
        "note": "planted: lost deals have their close date changed more often than won deals",
    }
    truth["call_bias"] = [{"rep_id": r, "bias": b} for r, b in callers.items()]
    truth["call_bias_note"] = (
        "planted forecast-call bias (negative: sandbagging): forecast_calls Commit = bookings x "
        "(1 + bias) x noise; in opportunity_history a sandbagger keeps Negotiation deals at Best "
        "Case and an over-committer puts Proposal deals at Commit"
    )
    size_of = dict(zip(LEAD_SOURCES, LEAD_SOURCE_SIZE.round(4).tolist(), strict=True))
    for item in truth["lead_sources"]:
        item["deal_size_multiplier"] = size_of[item["source"]]
    for item in truth["training_effects"]:
        item["effective_relative_effect"] = round(deals.training_effects[item["module"]], 4)
    truth["ramp"].update(_bookings_ramp(deals))
    return truth


def _bookings_ramp(deals: Deals) -> dict:
    """The ramp in bookings implied by the ramp in new opportunities and the months from
    creation to close of won deals."""
    won = deals.won
    lag_months = month_index(deals.won_close[won]) - month_index(deals.created[won])
    lag_share = np.bincount(np.clip(lag_months, 0, 24), minlength=25) / max(int(won.sum()), 1)
    bookings_ramp = [
        float(np.sum(ramp(m - np.arange(m + 1)) * lag_share[: m + 1])) for m in range(25)
    ]
    return {
        "bookings_productivity_by_month": {
            str(m): round(v, 4) for m, v in enumerate(bookings_ramp)
        },
        "bookings_months_to_80pct": next(
            (m for m, v in enumerate(bookings_ramp) if v >= 0.8), None
        ),
        "bookings_note": (
            "the ramp in bookings implied by the ramp in new opportunities and the distribution "
            "of months from creation to close of won deals: sum_k ramp(m - k) x share of won "
            "deals closing k months after creation"
        ),
    }


def expected_bookings_index(
    close_if_won: np.ndarray, expected_amount: np.ndarray, start: int, end: int
) -> dict[str, float] | None:
    """Seasonal index of expected bookings by calendar month (see ground truth note)."""
    months = month_index(close_if_won)
    first, last = int(month_index(np.array([start]))[0]), int(month_index(np.array([end]))[0])
    inside = (months >= first) & (months <= last)
    series = np.bincount(
        months[inside] - first, weights=expected_amount[inside], minlength=last - first + 1
    )
    if len(series) < 25:
        return None
    kernel = np.r_[0.5, np.ones(11), 0.5] / 12.0
    trend = np.convolve(series, kernel, mode="valid")  # centred 2x12 moving average
    ratio = series[6 : 6 + len(trend)] / trend
    calendar = (np.arange(first + 6, first + 6 + len(trend)) % 12).astype(int)
    index = np.array([ratio[calendar == m].mean() for m in range(12)])
    index = index / index.mean()
    return {str(m + 1): round(float(v), 4) for m, v in enumerate(index)}


def planted_truth(
    seed: int,
    reps: int,
    years: int,
    start_date: dt.date,
    end_date: dt.date,
    weaknesses: list[tuple[str, str]],
    strengths: list[tuple[str, str]],
) -> dict:
    """The planted effects, from (rep_id, stage) weaknesses and (rep_id, industry) strengths."""
    ramp_curve = {str(m): round(float(ramp(m)), 4) for m in range(25)}
    months_to_80 = next(m for m in range(100) if ramp(m) >= 0.8)
    return {
        "format": SAMPLE_FORMAT,
        "seed": seed,
        "reps": reps,
        "years": years,
        "history_start": start_date.isoformat(),
        "end_date": end_date.isoformat(),
        "base_stage_conversion": dict(zip(OPEN_STAGES, BASE_PASS.tolist(), strict=True)),
        "stage_weaknesses": [
            {"rep_id": rep, "stage": stage, "conversion_multiplier": WEAKNESS_MULTIPLIER}
            for rep, stage in weaknesses
        ],
        "industry_strengths": [
            {"rep_id": rep, "industry": industry, "win_rate_multiplier": STRENGTH_MULTIPLIER}
            for rep, industry in strengths
        ],
        "compensation_note": (
            f"about {CANCEL_SHARE:.0%} of won deals carry a cancelled_date 5-180 days after "
            f"their close (within 90 days: clawed back); about {SPLIT_SHARE:.0%} are split "
            "with a teammate in opportunity_splits (50/50 or 60/40); quotas are ramped in the "
            "quotas table, so the plans set no ramp"
        ),
        "rep_skills_note": (
            f"rep_skills.csv: 2-3 industry skills per rep at levels 1-5 unrelated to results; a "
            f"planted industry strength is recorded at level 4-5 with probability "
            f"{SKILL_RECORDED}"
        ),
        "training_effects": [
            {
                "module": module,
                "stage": stage,
                "conversion_multiplier": effect,
                "applies_to": "opportunities created on or after the completion date",
                "effective_note": (
                    "effective_relative_effect: mean conversion of the trained deals that reached "
                    "the stage with the effect over without it, minus 1, after capping "
                    "probabilities at 0.97"
                ),
            }
            for module, (stage, effect) in MODULES.items()
        ],
        "ramp": {
            "formula": f"1 - exp(-(m + 0.5) / {RAMP_TAU_MONTHS}), m = whole months since hire",
            "applies_to": "the rate of new opportunities, hence bookings; win rates do not ramp",
            "productivity_by_month": ramp_curve,
            "months_to_80pct": months_to_80,
        },
        "seasonal_profile": {
            "created_multiplier_by_month": {
                str(m + 1): float(v) for m, v in enumerate(CREATED_SEASONALITY)
            },
            "quarter_end_pull_in": QUARTER_END_PULL,
            "bookings_index_note": (
                "expected won amount by close month (win probability x amount of every simulated "
                "deal, at the date it would close if won), over a centred 12-month moving "
                "average, averaged by calendar month and scaled to mean 1"
            ),
            "growth_per_year": GROWTH_PER_YEAR,
        },
        "lead_source_win_multipliers": dict(
            zip(LEAD_SOURCES, LEAD_SOURCE_WIN.tolist(), strict=True)
        ),
    }
