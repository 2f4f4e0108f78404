"""The sample's deals: created on the rep-month grid, then stage by stage won or lost, with the
quarter-end pull."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spm_lib.sample.assumptions import (
    BASE_PASS,
    CREATED_SEASONALITY,
    GROWTH_PER_YEAR,
    LEAD_SOURCE_SIZE,
    LEAD_SOURCE_WEIGHTS,
    LEAD_SOURCE_WIN,
    LEAD_SOURCES,
    MODULES,
    OPEN_STAGES,
    PRODUCT_MIX,
    PRODUCT_PRICE,
    PRODUCTS,
    QUARTER_END_PULL,
    SEGMENT_CYCLE,
    SEGMENT_RATE,
    SEGMENT_SIZE,
    STAGE_DAYS,
    WARMUP_MONTHS,
)
from spm_lib.sample.company import Company, month_index, ramp


@dataclass
class Deals:
    """Every simulated opportunity (the warm-up and after the end date included), one position
    each, and how it ran: created, passed stages, closed."""

    rep: np.ndarray  # rep position
    created: np.ndarray
    account: np.ndarray  # account position
    industry: np.ndarray
    source: np.ndarray
    product: np.ndarray
    amount: np.ndarray
    pass_rate: np.ndarray | None = None  # deal x stage: the chance to pass it
    passed: np.ndarray | None = None  # deal x stage
    won: np.ndarray | None = None
    visited: np.ndarray | None = None  # stages entered
    entry: np.ndarray | None = None  # deal x stage: day entered
    close: np.ndarray | None = None  # day closed (won or lost), may be after the end
    won_close: np.ndarray | None = None  # day it would close won
    training_effects: dict | None = None  # module -> realised relative effect


def simulate_deals(rng: np.random.Generator, company: Company) -> Deals:
    """New opportunities on the rep-month grid, with account, source, product and amount."""
    hire, leave_or_end, is_ent = company.hire, company.leave_or_end, company.is_ent
    first_month = int(month_index(np.array([company.start]))[0]) - WARMUP_MONTHS
    last_month = int(month_index(np.array([company.end]))[0])
    months = np.arange(first_month, last_month + 1)
    month_start = months.astype("datetime64[M]").astype("datetime64[D]").astype("int64")
    month_end = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype("int64") - 1
    alive = (month_start[None, :] <= leave_or_end[:, None]) & (month_end[None, :] >= hire[:, None])
    tenure_months = months[None, :] - month_index(hire)[:, None]
    calendar_month = (months % 12).astype(int)  # 0 = January
    years_from_start = (months - months[0]) / 12.0
    rate = (
        np.where(is_ent, SEGMENT_RATE["Enterprise"], SEGMENT_RATE["Commercial"])[:, None]
        * company.volume[:, None]
        * (1 + GROWTH_PER_YEAR) ** years_from_start[None, :]
        * CREATED_SEASONALITY[calendar_month][None, :]
        * ramp(tenure_months)
        * alive
    )
    counts = rng.poisson(rate)
    cell_rep, cell_month = np.nonzero(counts)
    per_cell = counts[cell_rep, cell_month]
    opp_rep = np.repeat(cell_rep, per_cell)
    opp_mstart = np.repeat(month_start[cell_month], per_cell)
    opp_mlen = np.repeat(month_end[cell_month] - month_start[cell_month] + 1, per_cell)
    n = len(opp_rep)
    created = opp_mstart + (rng.random(n) * opp_mlen).astype("int64")
    created = np.clip(created, hire[opp_rep], leave_or_end[opp_rep])

    ent = is_ent[opp_rep]
    book_start, book_size = company.book_start, company.book_size
    account = book_start[opp_rep] + (rng.random(n) * book_size[opp_rep]).astype("int64")
    source = rng.choice(len(LEAD_SOURCES), n, p=LEAD_SOURCE_WEIGHTS)
    mix = np.where(ent[:, None], PRODUCT_MIX["Enterprise"], PRODUCT_MIX["Commercial"])
    product = (rng.random(n)[:, None] > np.cumsum(mix, axis=1)).sum(axis=1)
    product = np.minimum(product, len(PRODUCTS) - 1)
    size = np.where(ent, SEGMENT_SIZE["Enterprise"], SEGMENT_SIZE["Commercial"])
    noise = rng.lognormal(0, 0.35, n)
    amount = np.maximum(
        100, (PRODUCT_PRICE[product] * size * noise * LEAD_SOURCE_SIZE[source]).round(-2)
    )
    return Deals(opp_rep, created, account, company.acc_industry[account], source, product, amount)


def simulate_outcomes(rng: np.random.Generator, company: Company, deals: Deals) -> None:
    """Stage by stage: pass or lose, time in the stage, and the quarter-end pull of won deals."""
    _stage_passes(rng, company, deals)
    n = len(deals.rep)
    ent = company.is_ent[deals.rep]
    won, passed = deals.won, deals.passed
    fail_stage = np.where(won, len(OPEN_STAGES) - 1, np.argmin(passed, axis=1))
    deals.visited = fail_stage + 1
    cycle = np.where(ent, SEGMENT_CYCLE["Enterprise"], SEGMENT_CYCLE["Commercial"])
    durations = np.ceil(
        rng.gamma(2.0, 1.0, (n, len(OPEN_STAGES))) * (STAGE_DAYS / 2.0)[None, :] * cycle[:, None]
    ).astype("int64")
    durations = np.maximum(durations, 1)
    entry = deals.created[:, None] + np.concatenate(
        [np.zeros((n, 1), dtype="int64"), np.cumsum(durations, axis=1)[:, :-1]], axis=1
    )
    lost_close = entry[np.arange(n), fail_stage] + durations[np.arange(n), fail_stage]
    won_close = _quarter_end_pull(rng, entry[:, -1] + durations[:, -1], entry[:, -1])
    deals.entry, deals.won_close = entry, won_close
    deals.close = np.where(won, won_close, lost_close)


def _stage_passes(rng: np.random.Generator, company: Company, deals: Deals) -> None:
    """Each deal passes stage k with probability BASE_PASS[k] x the rep's skill x weakness x
    industry strength ** (1/5) x lead-source effect ** (1/5) x the training effect on deals
    created after the rep completed the module (capped at 0.97)."""
    rep = deals.rep
    p = BASE_PASS[None, :] * company.skill[rep] * company.weakness[rep]
    p = p * (company.strength[rep, deals.industry] ** (1 / len(OPEN_STAGES)))[:, None]
    p = p * (LEAD_SOURCE_WIN[deals.source] ** (1 / len(OPEN_STAGES)))[:, None]
    treated: dict[str, tuple[int, np.ndarray, np.ndarray, float]] = {}
    for m, name in enumerate(MODULES):
        stage_name, effect = MODULES[name]
        if effect != 1.0:
            k = OPEN_STAGES.index(stage_name)
            trained = deals.created >= company.completed[rep, m]
            treated[name] = (k, trained, p[:, k].copy(), effect)
            p[:, k] = np.where(trained, p[:, k] * effect, p[:, k])
    p = np.minimum(p, 0.97)
    passed = rng.random((len(rep), len(OPEN_STAGES))) < p
    # the realised effect on the trained deals that reached the stage, with the 0.97 cap (deals
    # that get far are the likelier ones, so more of them hit the cap)
    effective = dict.fromkeys(MODULES, 0.0)
    for name, (k, trained, before, effect) in treated.items():
        reached = trained & passed[:, :k].all(axis=1) & (deals.created <= company.end)
        if reached.any():
            base = np.minimum(before[reached], 0.97)
            effective[name] = float(np.minimum(base * effect, 0.97).mean() / base.mean() - 1)
    deals.pass_rate, deals.passed, deals.training_effects = p, passed, effective
    deals.won = passed.all(axis=1)


def _quarter_end_pull(
    rng: np.random.Generator, won_close: np.ndarray, last_entry: np.ndarray
) -> np.ndarray:
    """Won deals due early in a quarter close at the end of the one before (never before they
    entered their last stage)."""
    n = len(won_close)
    close_dt = won_close.astype("datetime64[D]")
    close_month = close_dt.astype("datetime64[M]")
    day_of_month = (close_dt - close_month.astype("datetime64[D]")).astype("int64") + 1
    quarter_first = (close_month.astype("int64") % 3) == 0
    pull = (
        quarter_first
        & (day_of_month <= QUARTER_END_PULL["days_into_quarter"])
        & (rng.random(n) < QUARTER_END_PULL["probability"])
    )
    pulled_to = close_month.astype("datetime64[D]").astype("int64") - 1 - rng.integers(0, 4, n)
    pull &= pulled_to >= last_entry
    return np.where(pull, pulled_to, won_close)
