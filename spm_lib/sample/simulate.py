"""Deterministic B2B sample data with planted ground truth.

:func:`generate` simulates a sales organisation (3 regions, 2 segments, about 10 reps a team)
over ``years`` of monthly history ending on :data:`END_DATE`, fully vectorized with numpy.
:func:`spm_lib.sample.write_sample` writes it as a canonical dataset folder (one CSV per
table, ``spm.yaml``) plus ``ground_truth.json``, the effects planted in the simulation that
later reports must recover. The same seed and sizes give byte-identical files.

The simulation, per rep and month (the warm-up of 6 months before the history starts is kept
only for deals still open when the history starts):

- new opportunities ~ Poisson(rate of the rep's segment x growth x created-month seasonality x
  ramp(months since hire) x the rep's volume factor), for months the rep is employed;
- each opportunity passes stage k (Prospecting, Qualification, Discovery, Proposal,
  Negotiation) with probability ``BASE_PASS[k]`` x the rep's skill x planted stage weakness x
  industry strength ** (1/5) x lead-source effect ** (1/5) x training effect (on deals created
  after the rep completed the module); the first failed stage loses it, passing all wins it;
- time in each stage is Gamma distributed; won deals due in the first 14 days of a quarter are
  pulled into the last days of the quarter before with probability 0.6 (the quarter-end push);
- everything after ``END_DATE`` is cut off: deals still running are open, in the stage they were
  in at the end, with a CRM close date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spm_lib.sample.assumptions import (
    DEFAULT_REPS,
    DEFAULT_SEED,
    DEFAULT_YEARS,
    END_DATE,
    MODULES,
    OPEN_STAGES,
)
from spm_lib.sample.calls import generate_calls, pick_callers
from spm_lib.sample.company import Company, build_company, quotas_table
from spm_lib.sample.crm_tables import (
    accounts_table,
    activities_table,
    cancellations,
    credit_splits,
    cut_off,
    opportunities_table,
    rep_skills_table,
    stage_history_table,
    trainings_table,
)
from spm_lib.sample.daynums import date_strings, optional_date_strings
from spm_lib.sample.deals import Deals, simulate_deals, simulate_outcomes
from spm_lib.sample.history import generate_history
from spm_lib.sample.leads import generate_leads, sdr_reps
from spm_lib.sample.truth import ground_truth


@dataclass
class SampleData:
    """The generated tables, ``spm.yaml`` content and ground truth."""

    tables: dict[str, pd.DataFrame]
    config: dict
    ground_truth: dict


def generate(
    seed: int = DEFAULT_SEED,
    reps: int = DEFAULT_REPS,
    years: int = DEFAULT_YEARS,
    end_date: dt.date = END_DATE,
) -> SampleData:
    """Simulate the organisation; return its canonical tables, config and ground truth.

    The steps draw from one random stream in this order (the same seed gives the same files):
    the company, its deals, their outcomes, the tables as of the end date (history, activities,
    accounts), then the tables with their own streams (leads, calls, history of changes)."""
    if reps < 6:
        raise ValueError(f"reps must be at least 6 (one per region and segment); got {reps}")
    if years < 1:
        raise ValueError(f"years must be at least 1; got {years}")
    rng = np.random.default_rng(seed)
    company = build_company(rng, reps, years, end_date)
    deals = simulate_deals(rng, company)
    simulate_outcomes(rng, company, deals)
    tables, carried = _tables_at_end(rng, seed, company, deals)
    truth = ground_truth(seed, reps, years, company, deals, carried)
    return SampleData(tables=tables, config=_config(end_date), ground_truth=truth)


def _tables_at_end(
    rng: np.random.Generator, seed: int, company: Company, deals: Deals
) -> tuple[dict[str, pd.DataFrame], tuple]:
    """Every table as of the end date, and what the ground truth carries from them (the
    planted callers, the leads' truth)."""
    cut = cut_off(company, deals)
    opportunities = opportunities_table(rng, company, deals, cut)
    opportunities["cancelled_date"] = cancellations(seed, opportunities, company.end)
    splits = credit_splits(seed, opportunities, company.reps)
    stage_history = stage_history_table(deals, cut)
    activities = activities_table(rng, company, deals, cut)
    accounts = accounts_table(rng, company)
    quotas = quotas_table(company.reps, company.start, company.end, company.is_ent)
    trainings = trainings_table(company)
    reps_out = company.reps.drop(columns=["hire_day", "end_day"]).assign(
        role="AE",
        hire_date=date_strings(company.hire),
        end_date=optional_date_strings(company.leave),
    )
    end_date = company.end_date
    sdrs = sdr_reps(reps_out, end_date)
    leads, lead_truth = generate_leads(seed, opportunities, reps_out, sdrs, end_date)
    rep_ids = company.reps["rep_id"].to_numpy()
    rep_skills = rep_skills_table(seed, rep_ids, company.strong_reps, company.strong_industry)
    callers = pick_callers(seed, reps_out, end_date)
    history = generate_history(seed, opportunities, stage_history, company.end, callers)
    # a planted caller's open deal stands in the category the history last gave it
    last_category = history.groupby("opportunity_id")["forecast_category"].last()
    opportunities["forecast_category"] = (
        opportunities["opportunity_id"]
        .map(last_category)
        .fillna(opportunities["forecast_category"])
        .to_numpy()
    )
    tables = {
        "reps": pd.concat([reps_out, sdrs], ignore_index=True),
        "accounts": accounts,
        "opportunities": opportunities,
        "stage_history": stage_history,
        "opportunity_history": history,
        "forecast_calls": generate_calls(
            seed, opportunities, reps_out, callers, company.start_date, end_date
        ),
        "quotas": quotas,
        "activities": activities,
        "trainings": trainings,
        "rep_skills": rep_skills,
        "opportunity_splits": splits,
        "leads": leads,
    }
    return tables, (callers, lead_truth)


def _config(end_date: dt.date) -> dict:
    """The sample's ``spm.yaml``."""
    return {
        "currency": "USD",
        "fiscal_year_start_month": 1,
        "as_of": end_date.isoformat(),
        "stages": OPEN_STAGES
        + [{"name": "Closed Won", "won": True}, {"name": "Closed Lost", "lost": True}],
        "training_catalogue": {
            module: {"stage": stage} for module, (stage, _effect) in MODULES.items()
        },
        "commission_plans": {
            "enterprise": {
                "description": "Enterprise account executives. The quotas table already ramps "
                "new hires' quotas, so the plan sets no ramp of its own.",
                "applies_to": {"segment": ["Enterprise"]},
                "quota_period": "quarter",
                "base_rate": 0.08,
                "tiers": [
                    {"from": 0.0, "to": 0.5, "multiplier": 0.5},
                    {"from": 0.5, "to": 1.0, "multiplier": 1.0},
                    {"from": 1.0, "to": 1.5, "multiplier": 1.5},
                    {"from": 1.5, "multiplier": 2.0},
                ],
                "cap": {"multiple_of_target_pay": 3.0},
                "spifs": [{"product": "Suite", "amount": 500}],
                "clawback": {"days": 90},
            },
            "commercial": {
                "description": "Commercial account executives: accelerators to 200% of quota, "
                "a decelerator above it. Quotas table already ramped.",
                "applies_to": {"segment": ["Commercial"]},
                "quota_period": "quarter",
                "base_rate": 0.10,
                "tiers": [
                    {"from": 0.0, "to": 0.5, "multiplier": 0.5},
                    {"from": 0.5, "to": 1.0, "multiplier": 1.0},
                    {"from": 1.0, "to": 2.0, "multiplier": 1.5},
                    {"from": 2.0, "multiplier": 0.5},
                ],
                "cap": {"multiple_of_target_pay": 3.0},
                "spifs": [{"product": "Suite", "amount": 250}],
                "clawback": {"days": 90},
            },
        },
        "planning": {"target": {"growth": 0.08}, "cost_of_sales_target": 0.08},
    }
