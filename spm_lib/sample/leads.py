"""The sample's leads: sales development reps and the leads behind the sample's opportunities.

Generated after the opportunities, from their own random stream, so that the rest of the sample
is the same with or without them. The leads table covers the last :data:`LEAD_HISTORY_MONTHS`
months (the marketing system's history); there every opportunity comes from a converted lead
(older opportunities have none), and each converted lead brings the leads of its kind that did not
convert: a converted lead with conversion probability p is accompanied by a geometric number of
unconverted ones (failures before a success), so that conversion follows exactly

    logit p = source effect + segment effect + SDR effect

(the likelihood of this inverse sampling is the binomial one, so a logistic regression recovers
the planted effects). Leads converted after the end date (their opportunity is in the future)
are open at the end date, as in a real CRM: recent leads are censored, not failed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy.special import expit

from spm_lib.sample.daynums import date_strings, day_number, optional_date_strings

LEAD_HISTORY_MONTHS = 24
# conversion to an opportunity at the reference (Commercial, an average SDR), by lead source
LEAD_CONVERSION = {
    "Inbound": 0.25,
    "Outbound": 0.12,
    "Partner": 0.35,
    "Event": 0.18,
    "Referral": 0.50,
}
BEST_LEAD_SOURCE = "Referral"
SEGMENT_LEAD_EFFECT = {"Enterprise": -0.3, "Commercial": 0.0}  # log odds
LEAD_DAYS_TO_CONVERT = {  # mean days from lead to opportunity (gamma, shape 2)
    "Inbound": 10.0,
    "Outbound": 25.0,
    "Partner": 18.0,
    "Event": 35.0,
    "Referral": 7.0,
}
# the SDRs, two per region (in the order of the sample's regions), and their log-odds effects
SDRS = [
    ("Priya Raman", 0.5),
    ("Tom Becker", 0.0),
    ("Lucia Ortiz", -0.5),
    ("Owen Price", 0.1),
    ("Mei Lin", 0.0),
    ("Jamal Reed", -0.1),
]
SDR_HIRE_DAYS_BEFORE = 900
LEAD_LEAD_IN_DAYS = 180  # opportunities this long before the window may have leads inside it
FUTURE_WINDOW_DAYS = 120  # opportunities of the next months, whose leads are open at the end
COMPANION_SPREAD_DAYS = 45  # unconverted leads arrive within this many days of a converted one
DISQUALIFIED_SHARE = 0.96  # unconverted leads closed out by their SDR (the rest stay open)
DISQUALIFY_MEAN_DAYS = 30.0


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def _gamma_days(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    return np.ceil(rng.gamma(2.0, 1.0, len(mean)) * mean / 2.0).astype("int64")


def sdr_reps(reps: pd.DataFrame, end: dt.date) -> pd.DataFrame:
    """The SDR rows of the reps table (role ``SDR``, no segment: they work both)."""
    regions = list(pd.unique(reps["region"]))
    first = int(reps["rep_id"].str[1:].astype(int).max()) + 1
    hired = date_strings(np.array([day_number(end) - SDR_HIRE_DAYS_BEFORE]))[0]
    return pd.DataFrame(
        {
            "rep_id": [f"R{first + i:04d}" for i in range(len(SDRS))],
            "name": [name for name, _ in SDRS],
            "manager": "Dana Whitfield",
            "team": [f"{regions[i % len(regions)]} SDR" for i in range(len(SDRS))],
            "region": [regions[i % len(regions)] for i in range(len(SDRS))],
            "segment": "",
            "role": "SDR",
            "hire_date": hired,
            "end_date": "",
        }
    )


def generate_leads(
    seed: int, opportunities: pd.DataFrame, reps: pd.DataFrame, sdrs: pd.DataFrame, end: dt.date
) -> tuple[pd.DataFrame, dict]:
    """The leads table and its ground truth (``lead_sources``, ``lead_owners``)."""
    rng = np.random.default_rng([seed, 17])
    end_day = day_number(end)
    from_month = np.datetime64(end, "M") - (LEAD_HISTORY_MONTHS - 1)
    from_day = int(from_month.astype("datetime64[D]").astype("int64"))
    base = _lead_base(opportunities, from_day, end_day)
    converted = _converted_leads(rng, base, reps.set_index("rep_id"), sdrs)
    leads = _all_leads(rng, converted, from_day, end_day)
    sdr_ids = sdrs["rep_id"].to_numpy()
    table = pd.DataFrame(
        {
            "lead_id": [f"L{i:07d}" for i in range(1, len(leads) + 1)],
            "created_date": date_strings(leads["day"].to_numpy()),
            "source": leads["source"].to_numpy(),
            "owner_rep_id": sdr_ids[leads["owner"].to_numpy()],
            "converted_date": optional_date_strings(leads["converted_day"].to_numpy()),
            "opportunity_id": leads["opportunity_id"].to_numpy(),
            "segment": leads["segment"].to_numpy(),
            "disqualified_date": optional_date_strings(leads["disq_day"].to_numpy()),
        }
    )
    in_window = opportunities["opportunity_id"].isin(leads["opportunity_id"])
    return table, _truth(leads, opportunities[in_window], sdrs)


def _lead_base(opportunities: pd.DataFrame, from_day: int, end_day: int) -> pd.DataFrame:
    """The opportunities whose lead may start in the window, and those created soon after the
    end date (their leads are open at the end, converting after it)."""
    created = opportunities["created_date"].to_numpy().astype("datetime64[D]").astype("int64")
    recent = created >= from_day - LEAD_LEAD_IN_DAYS  # leads of these may start in the window
    ahead = created > end_day - FUTURE_WINDOW_DAYS
    return pd.concat(
        [
            opportunities[recent].assign(_day=created[recent], _future=False),
            opportunities[ahead].assign(
                _day=created[ahead] + FUTURE_WINDOW_DAYS, _future=True, opportunity_id=""
            ),
        ],
        ignore_index=True,
    )


def _converted_leads(
    rng: np.random.Generator, base: pd.DataFrame, rep_info: pd.DataFrame, sdrs: pd.DataFrame
) -> pd.DataFrame:
    """The lead behind each opportunity: its SDR (among its region's, in proportion to the
    SDR's conversion), its chance to convert, and its day (a gamma lag before the deal)."""
    segment = base["rep_id"].map(rep_info["segment"]).to_numpy()
    region = base["rep_id"].map(rep_info["region"]).to_numpy()
    source = base["lead_source"].to_numpy()
    fixed = np.array([_logit(LEAD_CONVERSION[s]) for s in source]) + np.array(
        [SEGMENT_LEAD_EFFECT[g] for g in segment]
    )
    effects = np.array([e for _, e in SDRS])
    sdr_region = sdrs["region"].to_numpy()
    owner = np.empty(len(base), dtype=int)
    draw = rng.random(len(base))
    for r in np.unique(region):
        rows = np.nonzero(region == r)[0]
        mine = np.nonzero(sdr_region == r)[0]
        p = expit(fixed[rows, None] + effects[None, mine])
        cum = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
        owner[rows] = mine[np.minimum((draw[rows, None] > cum).sum(axis=1), len(mine) - 1)]
    prob = expit(fixed + effects[owner])
    lag = _gamma_days(rng, np.array([LEAD_DAYS_TO_CONVERT[s] for s in source]))
    future = base["_future"].to_numpy()
    return pd.DataFrame(
        {
            "day": base["_day"].to_numpy() - lag,
            "source": source,
            "owner": owner,
            "segment": segment,
            "converted_day": np.where(future, -1, base["_day"].to_numpy()),
            "opportunity_id": base["opportunity_id"].to_numpy(),
            "prob": prob,
            "will_convert": future,  # open at the end date, converting after it
        }
    )


def _all_leads(
    rng: np.random.Generator, converted: pd.DataFrame, from_day: int, end_day: int
) -> pd.DataFrame:
    """The converted leads with the unconverted ones that came with each, those inside the
    window; most leads that will never convert are closed out by their SDR, the rest stay
    open."""
    failures = rng.negative_binomial(1, converted["prob"].to_numpy())
    companions = converted.loc[converted.index.repeat(failures)].assign(
        converted_day=-1, opportunity_id="", will_convert=False
    )
    companions["day"] += rng.integers(
        -COMPANION_SPREAD_DAYS, COMPANION_SPREAD_DAYS + 1, len(companions)
    )
    # leads after the end date (future conversions and their companions) are not seen yet
    leads = pd.concat([converted, companions], ignore_index=True)
    leads = leads[leads["day"].between(from_day, end_day)].reset_index(drop=True)
    disq_day = leads["day"].to_numpy() + _gamma_days(rng, np.full(len(leads), DISQUALIFY_MEAN_DAYS))
    disqualified = (
        (leads["converted_day"].to_numpy() < 0)
        & ~leads["will_convert"].to_numpy(dtype=bool)
        & (rng.random(len(leads)) < DISQUALIFIED_SHARE)
        & (disq_day <= end_day)
    )
    leads = leads.assign(disq_day=np.where(disqualified, disq_day, -1))
    return leads.sort_values(["day", "owner"], kind="stable").reset_index(drop=True)


def _truth(leads: pd.DataFrame, opportunities: pd.DataFrame, sdrs: pd.DataFrame) -> dict:
    """What the simulation planted: per source and per SDR the log-odds effect and the expected
    conversion of its leads (mean probability), per source the mean amount of its opportunities."""
    size = opportunities.groupby("lead_source")["amount"].mean()
    by_source = leads.groupby("source")["prob"].mean()
    by_owner = leads.groupby("owner")["prob"].mean()
    return {
        "lead_sources": [
            {
                "source": s,
                "conversion_rate": round(float(by_source.get(s, np.nan)), 4),
                "mean_deal_size": round(float(size.get(s, np.nan)), 2),
                "log_odds": round(_logit(p), 4),
            }
            for s, p in LEAD_CONVERSION.items()
        ],
        "best_lead_source": BEST_LEAD_SOURCE,
        "lead_owners": [
            {
                "rep_id": str(sdrs["rep_id"].iat[i]),
                "name": name,
                "log_odds_effect": effect,
                "conversion_rate": round(float(by_owner.get(i, np.nan)), 4),
            }
            for i, (name, effect) in enumerate(SDRS)
        ],
        "lead_segment_log_odds": SEGMENT_LEAD_EFFECT,
        "lead_days_to_convert_mean": LEAD_DAYS_TO_CONVERT,
        "leads_note": (
            "logit P(lead converts) = log_odds of its source + its segment's + its SDR's "
            "log_odds_effect; conversion_rate: mean probability over the source's (SDR's) "
            "leads; mean_deal_size: mean amount of the opportunities from the source's leads "
            "(amounts are scaled by the source's deal_size_multiplier, normalised so the "
            "average deal is unchanged); leads converted after the end "
            f"date are open; {DISQUALIFIED_SHARE:.0%} of the others are disqualified after about "
            f"{DISQUALIFY_MEAN_DAYS:.0f} days"
        ),
    }
