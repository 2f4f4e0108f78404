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
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spm_lib.sample.calls import generate_calls, pick_callers
from spm_lib.sample.daynums import date_strings, day_number, optional_date_strings
from spm_lib.sample.history import AMOUNT_CHANGES, PULL_IN_SHARE, PUSHES, generate_history
from spm_lib.sample.leads import generate_leads, sdr_reps

END_DATE = dt.date(2026, 9, 30)
SAMPLE_FORMAT = 6  # bumped when the tables change; a bundled sample of another is rewritten
DEFAULT_SEED = 42
DEFAULT_REPS = 60
DEFAULT_YEARS = 4
WARMUP_MONTHS = 6

REGIONS = ["East", "Central", "West"]
SEGMENTS = ["Enterprise", "Commercial"]
INDUSTRIES = [
    "Software",
    "Financial Services",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Energy",
    "Education",
    "Logistics",
]
INDUSTRY_WEIGHTS = [0.2, 0.15, 0.14, 0.14, 0.12, 0.08, 0.08, 0.09]
OPEN_STAGES = ["Prospecting", "Qualification", "Discovery", "Proposal", "Negotiation"]
BASE_PASS = np.array([0.70, 0.75, 0.72, 0.78, 0.72])
STAGE_DAYS = np.array([6.0, 9.0, 14.0, 16.0, 12.0])
PRODUCTS = ["Core", "Pro", "Suite", "Add-on"]
PRODUCT_PRICE = np.array([18_000.0, 42_000.0, 95_000.0, 7_000.0])
PRODUCT_MIX = {"Enterprise": [0.25, 0.35, 0.30, 0.10], "Commercial": [0.50, 0.25, 0.05, 0.20]}
SEGMENT_SIZE = {"Enterprise": 1.6, "Commercial": 0.8}
SEGMENT_RATE = {"Enterprise": 5.0, "Commercial": 13.0}  # new opportunities per rep-month
SEGMENT_CYCLE = {"Enterprise": 1.4, "Commercial": 1.0}
LEAD_SOURCES = ["Inbound", "Outbound", "Partner", "Event", "Referral"]
LEAD_SOURCE_WEIGHTS = [0.35, 0.30, 0.15, 0.10, 0.10]
LEAD_SOURCE_WIN = np.array([1.0, 0.85, 1.15, 0.9, 1.3])
# deal size by lead source, scaled so that the average deal is unchanged
LEAD_SOURCE_SIZE = np.array([1.0, 1.15, 1.25, 0.9, 1.1])
LEAD_SOURCE_SIZE = LEAD_SOURCE_SIZE / np.dot(LEAD_SOURCE_SIZE, LEAD_SOURCE_WEIGHTS)
# Created-month seasonality: a summer dip and a strong autumn.
CREATED_SEASONALITY = np.array([0.95, 1.0, 1.05, 1.0, 1.05, 0.9, 0.8, 0.8, 1.05, 1.15, 1.1, 0.85])
GROWTH_PER_YEAR = 0.12
RAMP_TAU_MONTHS = 3.5
QUOTA_RAMP = [0.0, 0.25, 0.5, 0.75, 1.0]  # by month of tenure, then 100%
QUARTER_END_PULL = {"probability": 0.6, "days_into_quarter": 14}
WEAKNESS_MULTIPLIER = 0.6
STRENGTH_MULTIPLIER = 1.6
CANCEL_SHARE = 0.02  # won deals later cancelled (clawbacks)
SPLIT_SHARE = 0.03  # won deals whose credit is split with a teammate
SKILL_RECORDED = 0.8  # share of planted strengths the enablement system records (level 4-5)
MODULES = {
    # module: (stage it builds, multiplier on that stage's conversion after completion)
    "Qualification Fundamentals": ("Qualification", 1.0),
    "Discovery Mastery": ("Discovery", 1.25),
    "Value Proposals": ("Proposal", 1.0),
    "Negotiation Skills": ("Negotiation", 1.2),
}
TRAINING_UPTAKE = 0.4
ACTIVITY_TYPES = ["Call", "Email", "Meeting", "Demo"]
ACTIVITY_WEIGHTS = [0.45, 0.35, 0.15, 0.05]

FIRST = [
    "Ava",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kara",
    "Luis",
    "Maya",
    "Nikhil",
    "Olga",
    "Pedro",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Wes",
    "Xin",
    "Yara",
    "Zoe",
    "Aaron",
    "Bianca",
    "Caleb",
    "Dana",
    "Emil",
    "Fatima",
    "Gus",
    "Hana",
    "Ivan",
    "Julia",
    "Kofi",
    "Lena",
    "Marco",
    "Nora",
]
LAST = [
    "Adams",
    "Baker",
    "Chen",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jensen",
    "Kim",
    "Lopez",
    "Meyer",
    "Nguyen",
    "Okafor",
    "Patel",
    "Quist",
    "Rossi",
    "Silva",
    "Tanaka",
    "Usman",
    "Varga",
    "Weber",
    "Xu",
    "Young",
    "Zhang",
    "Arslan",
    "Brooks",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fontaine",
    "Gupta",
    "Haddad",
    "Iqbal",
    "Jovanovic",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Novak",
]
ACCOUNT_WORDS = [
    "Northwind",
    "Bluepeak",
    "Cedar",
    "Ironbridge",
    "Lumen",
    "Harbor",
    "Summit",
    "Vertex",
    "Granite",
    "Silverline",
    "Redwood",
    "Crescent",
    "Pioneer",
    "Atlas",
    "Beacon",
    "Keystone",
    "Meridian",
    "Orchid",
    "Quarry",
    "Sterling",
]
ACCOUNT_SUFFIX = ["Inc", "Group", "LLC", "Partners", "& Co", "Holdings", "Systems", "Labs"]


@dataclass
class SampleData:
    """The generated tables, ``spm.yaml`` content and ground truth."""

    tables: dict[str, pd.DataFrame]
    config: dict
    ground_truth: dict


def ramp(months_since_hire: np.ndarray | float) -> np.ndarray:
    """Planted productivity ramp: 1 - exp(-(m + 0.5) / 3.5), m = whole months since hire."""
    m = np.maximum(np.asarray(months_since_hire, dtype=float), 0.0)
    return 1.0 - np.exp(-(m + 0.5) / RAMP_TAU_MONTHS)


def _month_index(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of day numbers."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype("int64")


def _generate_reps(rng: np.random.Generator, n: int, start: int, end: int) -> pd.DataFrame:
    cell = np.arange(n) % (len(REGIONS) * len(SEGMENTS))
    region = np.array(REGIONS)[cell % len(REGIONS)]
    segment = np.array(SEGMENTS)[cell // len(REGIONS)]
    per_cell = max(1, n // (len(REGIONS) * len(SEGMENTS)))
    teams_per_cell = max(1, round(per_cell / 10))
    team_no = (np.arange(n) // (len(REGIONS) * len(SEGMENTS))) % teams_per_cell
    team = np.array(
        [
            f"{r} {s}" + (f" {k + 1}" if teams_per_cell > 1 else "")
            for r, s, k in zip(region, segment, team_no, strict=True)
        ]
    )
    first = rng.permutation(len(FIRST))
    last = rng.permutation(len(LAST))
    names = np.array(
        [
            f"{FIRST[first[i % len(FIRST)]]} {LAST[last[(i + i // len(LAST)) % len(LAST)]]}"
            for i in range(n)
        ]
    )
    tenured = rng.random(n) < 0.65
    span = end - start
    hire = np.where(
        tenured,
        start - rng.integers(90, 2500, n),
        start + (rng.random(n) * max(span - 90, 1)).astype("int64"),
    )
    leave_from = np.maximum(hire, start) + 120
    leaves = (rng.random(n) < 0.18) & (leave_from < end - 30)
    leave_day = leave_from + (rng.random(n) * np.maximum(end - 30 - leave_from, 1)).astype("int64")
    end_date = np.where(leaves, leave_day, -1)
    teams = sorted(set(team))
    mgr_first = rng.permutation(len(FIRST))
    mgr_last = rng.permutation(len(LAST))
    manager_of = {
        t: f"{FIRST[mgr_first[i % len(FIRST)]]} {LAST[mgr_last[(i * 3 + 1) % len(LAST)]]}"
        for i, t in enumerate(teams)
    }
    return pd.DataFrame(
        {
            "rep_id": [f"R{i + 1:04d}" for i in range(n)],
            "name": names,
            "manager": [manager_of[t] for t in team],
            "team": team,
            "region": region,
            "segment": segment,
            "hire_day": hire,
            "end_day": end_date,
        }
    )


def generate(
    seed: int = DEFAULT_SEED,
    reps: int = DEFAULT_REPS,
    years: int = DEFAULT_YEARS,
    end_date: dt.date = END_DATE,
) -> SampleData:
    """Simulate the organisation; return its canonical tables, config and ground truth."""
    if reps < 6:
        raise ValueError(f"reps must be at least 6 (one per region and segment); got {reps}")
    if years < 1:
        raise ValueError(f"years must be at least 1; got {years}")
    rng = np.random.default_rng(seed)
    end = day_number(end_date)
    start_date = dt.date(end_date.year - years, end_date.month, 1) + dt.timedelta(days=31)
    start_date = start_date.replace(day=1)
    start = day_number(start_date)

    rep_frame = _generate_reps(rng, reps, start, end)
    n_reps = len(rep_frame)
    hire = rep_frame["hire_day"].to_numpy()
    leave = rep_frame["end_day"].to_numpy()
    leave_or_end = np.where(leave >= 0, leave, end)
    is_ent = (rep_frame["segment"] == "Enterprise").to_numpy()
    volume = rng.lognormal(0.0, 0.2, n_reps)
    skill = rng.lognormal(0.0, 0.06, (n_reps, len(OPEN_STAGES)))

    # Planted stage weaknesses and industry strengths (about 10% of reps each, disjoint), in the
    # four largest industries, on reps with data behind them
    # (reps still employed at the end and hired at least 18 months before it, so that a
    # trailing-year analysis sees them in full)
    eligible = np.nonzero((leave < 0) & (hire <= end - 548))[0]
    order = eligible[rng.permutation(len(eligible))]
    n_planted = min(max(3, round(0.1 * n_reps)), len(order) // 2)
    weak_reps = np.sort(order[:n_planted])
    strong_reps = np.sort(order[n_planted : 2 * n_planted])
    # the weak stage is one the rep sends at least 40 deals a year into (not Prospecting), so
    # that a trailing-year analysis has the data to see it
    yearly = 12 * np.where(is_ent, SEGMENT_RATE["Enterprise"], SEGMENT_RATE["Commercial"]) * volume
    reach = yearly[:, None] * np.cumprod(np.r_[1.0, BASE_PASS[:-1]])[None, :]
    weak_stage = np.array(
        [
            rng.choice(np.nonzero(reach[r, 1:] >= 40)[0] + 1) if (reach[r, 1:] >= 40).any() else 1
            for r in weak_reps
        ]
    )
    weakness = np.ones((n_reps, len(OPEN_STAGES)))
    weakness[weak_reps, weak_stage] = WEAKNESS_MULTIPLIER
    strong_industry = np.argsort(INDUSTRY_WEIGHTS)[::-1][rng.integers(0, 4, n_planted)]
    strength = np.ones((n_reps, len(INDUSTRIES)))

    # Trainings: each rep takes each module with probability TRAINING_UPTAKE.
    module_names = list(MODULES)
    take = rng.random((n_reps, len(module_names))) < TRAINING_UPTAKE
    t_from = np.maximum(hire, start) + 30
    t_to = leave_or_end - 60
    t_day = t_from[:, None] + (
        rng.random((n_reps, len(module_names))) * np.maximum(t_to - t_from, 1)[:, None]
    ).astype("int64")
    take &= (t_to > t_from)[:, None]
    completed = np.where(take, t_day, np.iinfo("int64").max)
    scores = np.round(60 + 40 * rng.beta(4, 2, (n_reps, len(module_names))))

    # Accounts: a book per rep.
    book_size = np.where(is_ent, 15, 30)
    book_start = np.concatenate([[0], np.cumsum(book_size)[:-1]])
    n_acc = int(book_size.sum())
    acc_rep = np.repeat(np.arange(n_reps), book_size)
    acc_ent = is_ent[acc_rep]
    acc_industry = rng.choice(len(INDUSTRIES), n_acc, p=INDUSTRY_WEIGHTS)
    employees = np.where(
        acc_ent,
        np.maximum(1000, rng.lognormal(math.log(4000), 0.8, n_acc)),
        np.clip(rng.lognormal(math.log(180), 0.9, n_acc), 5, 999),
    ).round()
    revenue = (employees * rng.lognormal(math.log(180_000), 0.5, n_acc)).round(-3)
    # a strength needs accounts of that industry in the rep's book: else the book's commonest
    for i, r in enumerate(strong_reps):
        book = acc_industry[book_start[r] : book_start[r] + book_size[r]]
        if not (book == strong_industry[i]).any():
            strong_industry[i] = np.bincount(book, minlength=len(INDUSTRIES)).argmax()
    strength[strong_reps, strong_industry] = STRENGTH_MULTIPLIER

    # Opportunity creation on the rep-month grid.
    first_month = int(_month_index(np.array([start]))[0]) - WARMUP_MONTHS
    last_month = int(_month_index(np.array([end]))[0])
    months = np.arange(first_month, last_month + 1)
    month_start = months.astype("datetime64[M]").astype("datetime64[D]").astype("int64")
    month_end = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype("int64") - 1
    alive = (month_start[None, :] <= leave_or_end[:, None]) & (month_end[None, :] >= hire[:, None])
    tenure_months = months[None, :] - _month_index(hire)[:, None]
    calendar_month = (months % 12).astype(int)  # 0 = January
    years_from_start = (months - months[0]) / 12.0
    rate = (
        np.where(is_ent, SEGMENT_RATE["Enterprise"], SEGMENT_RATE["Commercial"])[:, None]
        * volume[:, None]
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
    account = book_start[opp_rep] + (rng.random(n) * book_size[opp_rep]).astype("int64")
    industry = acc_industry[account]
    source = rng.choice(len(LEAD_SOURCES), n, p=LEAD_SOURCE_WEIGHTS)
    mix = np.where(ent[:, None], PRODUCT_MIX["Enterprise"], PRODUCT_MIX["Commercial"])
    product = (rng.random(n)[:, None] > np.cumsum(mix, axis=1)).sum(axis=1)
    product = np.minimum(product, len(PRODUCTS) - 1)
    size = np.where(ent, SEGMENT_SIZE["Enterprise"], SEGMENT_SIZE["Commercial"])
    noise = rng.lognormal(0, 0.35, n)
    amount = np.maximum(
        100, (PRODUCT_PRICE[product] * size * noise * LEAD_SOURCE_SIZE[source]).round(-2)
    )

    # Stage outcomes.
    p = BASE_PASS[None, :] * skill[opp_rep] * weakness[opp_rep]
    p = p * (strength[opp_rep, industry] ** (1 / len(OPEN_STAGES)))[:, None]
    p = p * (LEAD_SOURCE_WIN[source] ** (1 / len(OPEN_STAGES)))[:, None]
    treated: dict[str, tuple[int, np.ndarray, np.ndarray, float]] = {}
    for m, name in enumerate(module_names):
        stage_name, effect = MODULES[name]
        if effect != 1.0:
            k = OPEN_STAGES.index(stage_name)
            trained = created >= completed[opp_rep, m]
            treated[name] = (k, trained, p[:, k].copy(), effect)
            p[:, k] = np.where(trained, p[:, k] * effect, p[:, k])
    p = np.minimum(p, 0.97)
    passed = rng.random((n, len(OPEN_STAGES))) < p
    # the realised effect on the trained deals that reached the stage, with the 0.97 cap (deals
    # that get far are the likelier ones, so more of them hit the cap)
    effective = dict.fromkeys(module_names, 0.0)
    for name, (k, trained, before, effect) in treated.items():
        reached = trained & passed[:, :k].all(axis=1) & (created <= end)
        if reached.any():
            base = np.minimum(before[reached], 0.97)
            effective[name] = float(np.minimum(base * effect, 0.97).mean() / base.mean() - 1)
    won = passed.all(axis=1)
    fail_stage = np.where(won, len(OPEN_STAGES) - 1, np.argmin(passed, axis=1))
    visited = fail_stage + 1

    cycle = np.where(ent, SEGMENT_CYCLE["Enterprise"], SEGMENT_CYCLE["Commercial"])
    durations = np.ceil(
        rng.gamma(2.0, 1.0, (n, len(OPEN_STAGES))) * (STAGE_DAYS / 2.0)[None, :] * cycle[:, None]
    ).astype("int64")
    durations = np.maximum(durations, 1)
    entry = created[:, None] + np.concatenate(
        [np.zeros((n, 1), dtype="int64"), np.cumsum(durations, axis=1)[:, :-1]], axis=1
    )
    lost_close = entry[np.arange(n), fail_stage] + durations[np.arange(n), fail_stage]
    won_close = entry[:, -1] + durations[:, -1]

    # Quarter-end push: won deals due early in a quarter close at the end of the one before.
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
    pull &= pulled_to >= entry[:, -1]
    won_close = np.where(pull, pulled_to, won_close)
    close = np.where(won, won_close, lost_close)
    bookings_index = _expected_bookings_index(won_close, np.prod(p, axis=1) * amount, start, end)
    lag_months = _month_index(won_close[won]) - _month_index(created[won])
    lag_share = np.bincount(np.clip(lag_months, 0, 24), minlength=25) / max(int(won.sum()), 1)

    # Cut off at the end date; drop deals closed before the history starts.
    keep = (created <= end) & (close >= start)
    sel = np.nonzero(keep)[0]
    sort = np.lexsort((opp_rep[sel], created[sel]))
    sel = sel[sort]
    n_out = len(sel)
    opp_ids = np.char.add("O", np.char.zfill(np.arange(1, n_out + 1).astype(str), 7))
    is_closed = close[sel] <= end
    is_won = won[sel] & is_closed
    entry_sel = entry[sel]
    visited_sel = visited[sel]
    reached = (np.arange(len(OPEN_STAGES))[None, :] < visited_sel[:, None]) & (entry_sel <= end)
    last_open = reached.sum(axis=1) - 1
    stage = np.where(
        is_closed,
        np.where(won[sel], "Closed Won", "Closed Lost"),
        np.array(OPEN_STAGES)[np.maximum(last_open, 0)],
    )
    # CRM close date of open deals: optimistic, never before the day after the end date.
    slip = rng.integers(0, 21, n_out)
    crm_close = np.where(is_closed, close[sel], np.maximum(end + 1, close[sel] - slip))
    forecast_category = np.where(
        is_closed,
        np.where(is_won, "Closed", "Omitted"),
        np.array(["Pipeline", "Pipeline", "Best Case", "Best Case", "Commit"])[
            np.maximum(last_open, 0)
        ],
    )
    no_account = rng.random(n_out) < 0.01
    account_ids = np.char.add("A", np.char.zfill((account[sel] + 1).astype(str), 6))
    account_ids = np.where(no_account, "", account_ids)

    rep_ids = rep_frame["rep_id"].to_numpy()
    opportunities = pd.DataFrame(
        {
            "opportunity_id": opp_ids,
            "rep_id": rep_ids[opp_rep[sel]],
            "account_id": account_ids,
            "product": np.array(PRODUCTS)[product[sel]],
            "created_date": date_strings(created[sel]),
            "close_date": date_strings(crm_close),
            "stage": stage,
            "amount": amount[sel].astype("int64"),
            "is_closed": np.where(is_closed, "true", "false"),
            "is_won": np.where(is_won, "true", "false"),
            "forecast_category": forecast_category,
            "lead_source": np.array(LEAD_SOURCES)[source[sel]],
        }
    )

    opportunities["cancelled_date"] = _cancellations(seed, opportunities, end)
    splits = _splits(seed, opportunities, rep_frame)

    # Stage history: each open stage entered up to the end date, then the closing stage.
    hist_opp, hist_stage = np.nonzero(reached)
    close_rows = np.nonzero(is_closed)[0]
    h_opp = np.concatenate([hist_opp, close_rows])
    h_stage = np.concatenate(
        [
            np.array(OPEN_STAGES)[hist_stage],
            np.where(won[sel][close_rows], "Closed Won", "Closed Lost"),
        ]
    )
    h_day = np.concatenate([entry_sel[hist_opp, hist_stage], close[sel][close_rows]])
    h_rank = np.concatenate([hist_stage, np.full(len(close_rows), len(OPEN_STAGES))])
    h_order = np.lexsort((h_rank, h_opp))
    stage_history = pd.DataFrame(
        {
            "opportunity_id": opp_ids[h_opp[h_order]],
            "stage": h_stage[h_order],
            "entered_date": date_strings(h_day[h_order]),
        }
    )

    # Activities on each opportunity between its creation and its close (or the end date).
    n_act = rng.poisson(1.0 * visited_sel)
    a_opp = np.repeat(np.arange(n_out), n_act)
    a_from = created[sel][a_opp]
    a_to = np.minimum(close[sel][a_opp], end)
    a_day = a_from + (rng.random(len(a_opp)) * (a_to - a_from + 1)).astype("int64")
    a_type = rng.choice(len(ACTIVITY_TYPES), len(a_opp), p=ACTIVITY_WEIGHTS)
    a_order = np.lexsort((a_opp, a_day))
    activities = pd.DataFrame(
        {
            "activity_id": np.char.add(
                "T", np.char.zfill(np.arange(1, len(a_opp) + 1).astype(str), 8)
            ),
            "rep_id": rep_ids[opp_rep[sel]][a_opp[a_order]],
            "date": date_strings(a_day[a_order]),
            "type": np.array(ACTIVITY_TYPES)[a_type[a_order]],
            "opportunity_id": opp_ids[a_opp[a_order]],
        }
    )

    # Accounts, owned today by their rep, or by a colleague in the same team if the rep left.
    owner = acc_rep.copy()
    team_arr = rep_frame["team"].to_numpy()
    for team_name in np.unique(team_arr):
        members = np.nonzero(team_arr == team_name)[0]
        active = members[leave[members] < 0]
        if len(active):
            gone = np.isin(owner, members[leave[members] >= 0])
            owner[gone] = active[rng.integers(0, len(active), int(gone.sum()))]
    word = rng.integers(0, len(ACCOUNT_WORDS), (n_acc, 2))
    suffix = rng.integers(0, len(ACCOUNT_SUFFIX), n_acc)
    accounts = pd.DataFrame(
        {
            "account_id": np.char.add("A", np.char.zfill(np.arange(1, n_acc + 1).astype(str), 6)),
            "name": [
                f"{ACCOUNT_WORDS[a]} {ACCOUNT_WORDS[b]} {ACCOUNT_SUFFIX[s]}"
                for (a, b), s in zip(word, suffix, strict=True)
            ],
            "industry": np.array(INDUSTRIES)[acc_industry],
            "region": rep_frame["region"].to_numpy()[acc_rep],
            "employees": employees.astype("int64"),
            "annual_revenue": revenue.astype("int64"),
            "owner_rep_id": rep_ids[owner],
        }
    )

    quotas = _quotas(rep_frame, start, end, is_ent)
    t_rep, t_mod = np.nonzero(take)
    t_order = np.lexsort((t_mod, completed[t_rep, t_mod], t_rep))
    trainings = pd.DataFrame(
        {
            "rep_id": rep_ids[t_rep[t_order]],
            "module": np.array(module_names)[t_mod[t_order]],
            "completed_date": date_strings(completed[t_rep, t_mod][t_order]),
            "score": scores[t_rep, t_mod][t_order].astype("int64"),
        }
    )

    reps_out = rep_frame.drop(columns=["hire_day", "end_day"]).assign(
        role="AE",
        hire_date=date_strings(hire),
        end_date=optional_date_strings(leave),
    )
    sdrs = sdr_reps(reps_out, end_date)
    leads, lead_truth = generate_leads(seed, opportunities, reps_out, sdrs, end_date)
    rep_skills = _rep_skills(seed, rep_ids, strong_reps, strong_industry)
    callers = pick_callers(seed, reps_out, end_date)
    history = generate_history(seed, opportunities, stage_history, end, callers)
    # a planted caller's open deal stands in the category the history last gave it
    last_category = history.groupby("opportunity_id")["forecast_category"].last()
    opportunities["forecast_category"] = (
        opportunities["opportunity_id"].map(last_category)
        .fillna(opportunities["forecast_category"]).to_numpy()
    )
    tables = {
        "reps": pd.concat([reps_out, sdrs], ignore_index=True),
        "accounts": accounts,
        "opportunities": opportunities,
        "stage_history": stage_history,
        "opportunity_history": history,
        "forecast_calls": generate_calls(seed, opportunities, reps_out, callers, start_date,
                                         end_date),
        "quotas": quotas,
        "activities": activities,
        "trainings": trainings,
        "rep_skills": rep_skills,
        "opportunity_splits": splits,
        "leads": leads,
    }
    weaknesses = [
        (str(rep_ids[r]), OPEN_STAGES[s]) for r, s in zip(weak_reps, weak_stage, strict=True)
    ]
    strengths = [
        (str(rep_ids[r]), INDUSTRIES[i]) for r, i in zip(strong_reps, strong_industry, strict=True)
    ]
    truth = _ground_truth(seed, reps, years, start_date, end_date, weaknesses, strengths)
    truth["seasonal_profile"]["bookings_index_by_month"] = bookings_index
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
        item["effective_relative_effect"] = round(effective[item["module"]], 4)
    bookings_ramp = [
        float(np.sum(ramp(m - np.arange(m + 1)) * lag_share[: m + 1])) for m in range(25)
    ]
    truth["ramp"]["bookings_productivity_by_month"] = {
        str(m): round(v, 4) for m, v in enumerate(bookings_ramp)
    }
    truth["ramp"]["bookings_months_to_80pct"] = next(
        (m for m, v in enumerate(bookings_ramp) if v >= 0.8), None
    )
    truth["ramp"]["bookings_note"] = (
        "the ramp in bookings implied by the ramp in new opportunities and the distribution of "
        "months from creation to close of won deals: sum_k ramp(m - k) x share of won deals "
        "closing k months after creation"
    )
    return SampleData(tables=tables, config=_config(end_date), ground_truth=truth)


def _cancellations(seed: int, opportunities: pd.DataFrame, end: int) -> np.ndarray:
    """A cancellation date for :data:`CANCEL_SHARE` of won deals, 5 to 180 days after the close
    (empty when that is after the end date). Its own random stream."""
    rng = np.random.default_rng([seed, 11])
    won = (opportunities["is_won"] == "true").to_numpy()
    close = opportunities["close_date"].to_numpy().astype("datetime64[D]").astype("int64")
    cancel = won & (rng.random(len(won)) < CANCEL_SHARE)
    day = close + rng.integers(5, 181, len(won))
    cancel &= day <= end
    return optional_date_strings(np.where(cancel, day, -1))


def _splits(seed: int, opportunities: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """Credit splits for :data:`SPLIT_SHARE` of won deals: the rep and a teammate, 50/50 or
    60/40. Its own random stream."""
    rng = np.random.default_rng([seed, 13])
    won = np.nonzero((opportunities["is_won"] == "true").to_numpy())[0]
    chosen = won[rng.random(len(won)) < SPLIT_SHARE]
    team_of = dict(zip(reps["rep_id"], reps["team"], strict=True))
    members = reps.groupby("team")["rep_id"].apply(list).to_dict()
    rows = []
    for i in chosen:
        rep = opportunities["rep_id"].iat[i]
        mates = [r for r in members[team_of[rep]] if r != rep]
        if not mates:
            continue
        mate = mates[int(rng.integers(0, len(mates)))]
        share = 0.5 if rng.random() < 0.5 else 0.6
        deal = opportunities["opportunity_id"].iat[i]
        rows += [(deal, rep, share), (deal, mate, round(1 - share, 2))]
    return pd.DataFrame(rows, columns=["opportunity_id", "rep_id", "share"])


def _rep_skills(
    seed: int, rep_ids: np.ndarray, strong_reps: np.ndarray, strong_industry: np.ndarray
) -> pd.DataFrame:
    """An enablement system's industry skills (levels 1-5): each rep holds 2 or 3 industries at
    levels unrelated to results, except that a rep with a planted strength holds that industry at
    level 4 or 5 with probability :data:`SKILL_RECORDED`. Drawn from its own random stream so
    that the other tables do not depend on it."""
    rng = np.random.default_rng([seed, 7])
    rows = []
    strong = dict(zip(strong_reps.tolist(), strong_industry.tolist(), strict=True))
    for r, rep in enumerate(rep_ids):
        held = set(rng.choice(len(INDUSTRIES), int(rng.integers(2, 4)), replace=False).tolist())
        levels = {i: int(rng.integers(1, 6)) for i in sorted(held)}
        if r in strong and rng.random() < SKILL_RECORDED:
            levels[strong[r]] = int(rng.integers(4, 6))
        rows += [(str(rep), INDUSTRIES[i], level) for i, level in sorted(levels.items())]
    return pd.DataFrame(rows, columns=["rep_id", "skill", "level"])


def _expected_quarterly_bookings(segment: str) -> float:
    """Expected bookings of a ramped rep in a quarter at the start of the history."""
    mix = np.array(PRODUCT_MIX[segment])
    mean_amount = float(mix @ PRODUCT_PRICE) * SEGMENT_SIZE[segment] * math.exp(0.35**2 / 2)
    win = float(np.prod(BASE_PASS)) * float(np.array(LEAD_SOURCE_WEIGHTS) @ LEAD_SOURCE_WIN)
    return 3 * SEGMENT_RATE[segment] * win * mean_amount


def _expected_bookings_index(
    close_if_won: np.ndarray, expected_amount: np.ndarray, start: int, end: int
) -> dict[str, float] | None:
    """Seasonal index of expected bookings by calendar month (see ground truth note)."""
    months = _month_index(close_if_won)
    first, last = int(_month_index(np.array([start]))[0]), int(_month_index(np.array([end]))[0])
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


def _quotas(rep_frame: pd.DataFrame, start: int, end: int, is_ent: np.ndarray) -> pd.DataFrame:
    """Quarterly quotas: 1.1 x expected bookings, growing 12% a year, ramped by tenure month
    (0/25/50/75/100%), for every quarter a rep is employed, through two quarters past the end."""
    q_first = int(_month_index(np.array([start]))[0])
    q_last = int(_month_index(np.array([end]))[0]) + 7
    quarter_months = np.arange(q_first - q_first % 3, q_last - q_last % 3 + 1, 3)
    hire_m = _month_index(rep_frame["hire_day"].to_numpy())
    leave = rep_frame["end_day"].to_numpy()
    leave_m = np.where(leave >= 0, _month_index(np.maximum(leave, 0)), np.iinfo("int64").max)
    base = np.where(
        is_ent,
        _expected_quarterly_bookings("Enterprise"),
        _expected_quarterly_bookings("Commercial"),
    )
    month_of_q = quarter_months[None, :, None] + np.arange(3)[None, None, :]
    tenure = month_of_q - hire_m[:, None, None]
    ramp_share = np.where(
        tenure < 0, 0.0, np.array(QUOTA_RAMP + [1.0])[np.clip(tenure, 0, len(QUOTA_RAMP))]
    )
    employed = (month_of_q >= hire_m[:, None, None]) & (month_of_q <= leave_m[:, None, None])
    share = (ramp_share * employed).sum(axis=2) / 3.0
    growth = (1 + GROWTH_PER_YEAR) ** ((quarter_months - quarter_months[0]) / 12.0)
    amount = (1.1 * base[:, None] * growth[None, :] * share).round(-3)
    r, q = np.nonzero(employed.any(axis=2))
    return pd.DataFrame(
        {
            "rep_id": rep_frame["rep_id"].to_numpy()[r],
            "period_start": np.datetime_as_string(
                quarter_months[q].astype("datetime64[M]").astype("datetime64[D]"), unit="D"
            ),
            "amount": amount[r, q].astype("int64"),
        }
    )


def _ground_truth(
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
