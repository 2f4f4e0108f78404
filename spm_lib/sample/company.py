"""The sample company before any deal: reps and their planted traits, trainings, account books and
quotas."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spm_lib.sample.assumptions import (
    BASE_PASS,
    FIRST,
    GROWTH_PER_YEAR,
    INDUSTRIES,
    INDUSTRY_WEIGHTS,
    LAST,
    LEAD_SOURCE_WEIGHTS,
    LEAD_SOURCE_WIN,
    MODULES,
    OPEN_STAGES,
    PRODUCT_MIX,
    PRODUCT_PRICE,
    QUOTA_RAMP,
    RAMP_TAU_MONTHS,
    REGIONS,
    SEGMENT_RATE,
    SEGMENT_SIZE,
    SEGMENTS,
    STRENGTH_MULTIPLIER,
    TRAINING_UPTAKE,
    WEAKNESS_MULTIPLIER,
)
from spm_lib.sample.daynums import day_number


@dataclass
class Company:
    """The simulated organisation before any deal: reps with their planted traits, trainings
    and account books. Day numbers throughout (:func:`~spm_lib.sample.daynums.day_number`)."""

    start_date: dt.date
    end_date: dt.date
    start: int  # the first day of the history
    end: int  # the last day of the history
    reps: pd.DataFrame  # generate_reps: rep_id, name, manager, team, region, segment, days
    volume: np.ndarray  # per rep: multiplier on new opportunities
    skill: np.ndarray  # rep x stage: multiplier on the stage's pass rate
    # set by the steps of build_company, in this order
    weak_reps: np.ndarray = None  # reps with a planted stage weakness
    weak_stage: np.ndarray = None  # and the stage, per weak rep
    strong_reps: np.ndarray = None  # reps with a planted industry strength
    strong_industry: np.ndarray = None  # and the industry, per strong rep
    taken: np.ndarray = None  # rep x module: took the training
    completed: np.ndarray = None  # rep x module: day completed (int64 max when not taken)
    scores: np.ndarray = None  # rep x module: the training score
    book_size: np.ndarray = None  # per rep: accounts in the book
    book_start: np.ndarray = None  # per rep: the book's first account
    acc_rep: np.ndarray = None  # per account: the rep whose book it is in
    acc_industry: np.ndarray = None  # per account: industry position
    employees: np.ndarray = None
    revenue: np.ndarray = None

    @property
    def hire(self) -> np.ndarray:
        return self.reps["hire_day"].to_numpy()

    @property
    def leave(self) -> np.ndarray:
        return self.reps["end_day"].to_numpy()

    @property
    def leave_or_end(self) -> np.ndarray:
        return np.where(self.leave >= 0, self.leave, self.end)

    @property
    def is_ent(self) -> np.ndarray:
        return (self.reps["segment"] == "Enterprise").to_numpy()

    @property
    def weakness(self) -> np.ndarray:
        """rep x stage: the planted weakness multiplier (1 elsewhere)."""
        out = np.ones((len(self.reps), len(OPEN_STAGES)))
        out[self.weak_reps, self.weak_stage] = WEAKNESS_MULTIPLIER
        return out

    @property
    def strength(self) -> np.ndarray:
        """rep x industry: the planted strength multiplier (1 elsewhere)."""
        out = np.ones((len(self.reps), len(INDUSTRIES)))
        out[self.strong_reps, self.strong_industry] = STRENGTH_MULTIPLIER
        return out


def generate_reps(rng: np.random.Generator, n: int, start: int, end: int) -> pd.DataFrame:
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


def ramp(months_since_hire: np.ndarray | float) -> np.ndarray:
    """Planted productivity ramp: 1 - exp(-(m + 0.5) / 3.5), m = whole months since hire."""
    m = np.maximum(np.asarray(months_since_hire, dtype=float), 0.0)
    return 1.0 - np.exp(-(m + 0.5) / RAMP_TAU_MONTHS)


def month_index(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of day numbers."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype("int64")


def build_company(rng: np.random.Generator, n_reps: int, years: int, end_date: dt.date) -> Company:
    """Reps, their planted traits, trainings and account books."""
    end = day_number(end_date)
    start_date = dt.date(end_date.year - years, end_date.month, 1) + dt.timedelta(days=31)
    start_date = start_date.replace(day=1)
    start = day_number(start_date)
    rep_frame = generate_reps(rng, n_reps, start, end)
    n_reps = len(rep_frame)
    volume = rng.lognormal(0.0, 0.2, n_reps)
    skill = rng.lognormal(0.0, 0.06, (n_reps, len(OPEN_STAGES)))
    company = Company(start_date, end_date, start, end, rep_frame, volume, skill)
    _plant_traits(rng, company)
    _trainings(rng, company)
    _books(rng, company)
    return company


def _plant_traits(rng: np.random.Generator, company: Company) -> None:
    """Planted stage weaknesses and industry strengths (about 10% of reps each, disjoint), in
    the four largest industries, on reps with data behind them (reps still employed at the end
    and hired at least 18 months before it, so that a trailing-year analysis sees them in
    full). The weak stage is one the rep sends at least 40 deals a year into (not Prospecting),
    so that a trailing-year analysis has the data to see it."""
    n_reps = len(company.reps)
    eligible = np.nonzero((company.leave < 0) & (company.hire <= company.end - 548))[0]
    order = eligible[rng.permutation(len(eligible))]
    n_planted = min(max(3, round(0.1 * n_reps)), len(order) // 2)
    company.weak_reps = np.sort(order[:n_planted])
    company.strong_reps = np.sort(order[n_planted : 2 * n_planted])
    rate = np.where(company.is_ent, SEGMENT_RATE["Enterprise"], SEGMENT_RATE["Commercial"])
    yearly = 12 * rate * company.volume
    reach = yearly[:, None] * np.cumprod(np.r_[1.0, BASE_PASS[:-1]])[None, :]
    company.weak_stage = np.array(
        [
            rng.choice(np.nonzero(reach[r, 1:] >= 40)[0] + 1) if (reach[r, 1:] >= 40).any() else 1
            for r in company.weak_reps
        ]
    )
    company.strong_industry = np.argsort(INDUSTRY_WEIGHTS)[::-1][rng.integers(0, 4, n_planted)]


def _trainings(rng: np.random.Generator, company: Company) -> None:
    """Each rep takes each module with probability TRAINING_UPTAKE, between 30 days after the
    later of hire and the history's start and 60 days before leaving or the end."""
    n_reps, n_modules = len(company.reps), len(MODULES)
    take = rng.random((n_reps, n_modules)) < TRAINING_UPTAKE
    t_from = np.maximum(company.hire, company.start) + 30
    t_to = company.leave_or_end - 60
    t_day = t_from[:, None] + (
        rng.random((n_reps, n_modules)) * np.maximum(t_to - t_from, 1)[:, None]
    ).astype("int64")
    take &= (t_to > t_from)[:, None]
    company.taken = take
    company.completed = np.where(take, t_day, np.iinfo("int64").max)
    company.scores = np.round(60 + 40 * rng.beta(4, 2, (n_reps, n_modules)))


def _books(rng: np.random.Generator, company: Company) -> None:
    """A book of accounts per rep (15 Enterprise, 30 Commercial), with firmographics; a planted
    strength needs accounts of its industry in the rep's book, else it takes the book's
    commonest industry."""
    is_ent = company.is_ent
    company.book_size = np.where(is_ent, 15, 30)
    company.book_start = np.concatenate([[0], np.cumsum(company.book_size)[:-1]])
    n_acc = int(company.book_size.sum())
    company.acc_rep = np.repeat(np.arange(len(company.reps)), company.book_size)
    acc_ent = is_ent[company.acc_rep]
    company.acc_industry = rng.choice(len(INDUSTRIES), n_acc, p=INDUSTRY_WEIGHTS)
    company.employees = np.where(
        acc_ent,
        np.maximum(1000, rng.lognormal(math.log(4000), 0.8, n_acc)),
        np.clip(rng.lognormal(math.log(180), 0.9, n_acc), 5, 999),
    ).round()
    company.revenue = (company.employees * rng.lognormal(math.log(180_000), 0.5, n_acc)).round(-3)
    for i, r in enumerate(company.strong_reps):
        start, size = company.book_start[r], company.book_size[r]
        book = company.acc_industry[start : start + size]
        if not (book == company.strong_industry[i]).any():
            company.strong_industry[i] = np.bincount(book, minlength=len(INDUSTRIES)).argmax()


def expected_quarterly_bookings(segment: str) -> float:
    """Expected bookings of a ramped rep in a quarter at the start of the history."""
    mix = np.array(PRODUCT_MIX[segment])
    mean_amount = float(mix @ PRODUCT_PRICE) * SEGMENT_SIZE[segment] * math.exp(0.35**2 / 2)
    win = float(np.prod(BASE_PASS)) * float(np.array(LEAD_SOURCE_WEIGHTS) @ LEAD_SOURCE_WIN)
    return 3 * SEGMENT_RATE[segment] * win * mean_amount


def quotas_table(rep_frame: pd.DataFrame, start: int, end: int, is_ent: np.ndarray) -> pd.DataFrame:
    """Quarterly quotas: 1.1 x expected bookings, growing 12% a year, ramped by tenure month
    (0/25/50/75/100%), for every quarter a rep is employed, through two quarters past the end."""
    q_first = int(month_index(np.array([start]))[0])
    q_last = int(month_index(np.array([end]))[0]) + 7
    quarter_months = np.arange(q_first - q_first % 3, q_last - q_last % 3 + 1, 3)
    hire_m = month_index(rep_frame["hire_day"].to_numpy())
    leave = rep_frame["end_day"].to_numpy()
    leave_m = np.where(leave >= 0, month_index(np.maximum(leave, 0)), np.iinfo("int64").max)
    base = np.where(
        is_ent,
        expected_quarterly_bookings("Enterprise"),
        expected_quarterly_bookings("Commercial"),
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
