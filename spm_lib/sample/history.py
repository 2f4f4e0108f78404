"""The sample's opportunity history: every change of stage, amount, close date and forecast
category, as a CRM's field history records it.

Built from the opportunities and stage history the simulation already made, with a random
stream of its own, so every other table stays as it was. Each deal has a row at each stage
entry (stage, forecast category and probability move together), and between its creation and
its close (or the end date) close-date changes and amount changes:

- close-date changes ~ Poisson with a mean by outcome (:data:`PUSHES`; planted: deals that are
  lost slip more often than deals that are won); each is a push of 14-60 days, or with
  probability :data:`PULL_IN_SHARE` a pull-in of 7-30 days;
- amount changes ~ Poisson(:data:`AMOUNT_CHANGES`), each a factor lognormal(0, 0.2);
- the last values are the opportunity's own: history and opportunities agree;
- forecast categories follow the stage (:data:`CATEGORY`), except for the planted callers
  (:mod:`spm_lib.sample.calls`): a sandbagger's deals in Negotiation stay at Best Case, an
  over-committer's deals in Discovery and Proposal go to Commit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spm_lib.sample.daynums import date_strings

# mean number of close-date changes per deal, by final outcome (planted slippage effect)
PUSHES = {"won": 0.5, "lost": 1.1, "open": 0.8}
PULL_IN_SHARE = 0.15
AMOUNT_CHANGES = 0.4
PROBABILITY = {
    "Prospecting": 10,
    "Qualification": 20,
    "Discovery": 40,
    "Proposal": 60,
    "Negotiation": 80,
    "Closed Won": 100,
    "Closed Lost": 0,
}
CATEGORY = {
    "Prospecting": "Pipeline",
    "Qualification": "Pipeline",
    "Discovery": "Best Case",
    "Proposal": "Best Case",
    "Negotiation": "Commit",
    "Closed Won": "Closed",
    "Closed Lost": "Omitted",
}
STAGE, CLOSE, AMOUNT = 0, 1, 2


def _days(text: pd.Series) -> np.ndarray:
    return pd.to_datetime(text).to_numpy().astype("datetime64[D]").astype("int64")


def generate_history(
    seed: int,
    opportunities: pd.DataFrame,
    stage_history: pd.DataFrame,
    end: int,
    callers: dict[str, float] | None = None,
) -> pd.DataFrame:
    """``opportunity_history`` of the sample (see the module docstring); ``end`` is the end
    date's day number; ``callers``: rep_id -> planted call bias (negative: sandbagging)."""
    rng = np.random.default_rng([seed, 17])
    events = _events(rng, opportunities, stage_history, end)
    return _states(events, opportunities, callers)


def _events(
    rng: np.random.Generator, o: pd.DataFrame, stage_history: pd.DataFrame, end: int
) -> pd.DataFrame:
    """Every change of every deal, in time order: its stage entries (at a time of day, the
    first at creation), and close-date and amount changes strictly between creation and the
    last day; ``t`` strictly increasing within a deal."""
    n = len(o)
    index = pd.Index(o["opportunity_id"])
    created = _days(o["created_date"])
    close = _days(o["close_date"])
    closed = o["is_closed"].eq("true").to_numpy()
    won = o["is_won"].eq("true").to_numpy()
    last = np.where(closed, close, end)

    # stage entries, at a time of day; the first at creation
    s_opp = index.get_indexer(stage_history["opportunity_id"])
    s_day = _days(stage_history["entered_date"])
    s_stage = stage_history["stage"].to_numpy()
    # close-date and amount changes strictly between creation and the last day
    outcome = np.where(won, PUSHES["won"], np.where(closed, PUSHES["lost"], PUSHES["open"]))
    room = last - created >= 2
    n_close = np.where(room, rng.poisson(outcome), 0)
    n_amount = np.where(room, rng.poisson(AMOUNT_CHANGES, n), 0)
    c_opp = np.repeat(np.arange(n), n_close)
    a_opp = np.repeat(np.arange(n), n_amount)

    def between(opp: np.ndarray) -> np.ndarray:
        span = last[opp] - created[opp] - 1
        return created[opp] + 1 + (rng.random(len(opp)) * span).astype("int64")

    c_day, a_day = between(c_opp), between(a_opp)
    push = rng.random(len(c_opp)) >= PULL_IN_SHARE
    c_delta = np.where(push, rng.integers(14, 61, len(c_opp)), -rng.integers(7, 31, len(c_opp)))
    a_factor = np.exp(rng.normal(0.0, 0.2, len(a_opp)))

    events = pd.DataFrame(
        {
            "opp": np.concatenate([s_opp, c_opp, a_opp]),
            "day": np.concatenate([s_day, c_day, a_day]),
            "kind": np.concatenate(
                [
                    np.full(len(s_opp), STAGE),
                    np.full(len(c_opp), CLOSE),
                    np.full(len(a_opp), AMOUNT),
                ]
            ),
            "stage": np.concatenate([s_stage, np.full(len(c_opp) + len(a_opp), None)]),
            "delta": np.concatenate([np.zeros(len(s_opp)), c_delta, np.zeros(len(a_opp))]),
            "factor": np.concatenate([np.ones(len(s_opp) + len(c_opp)), a_factor]),
        }
    )
    # stage entries of one day keep their order (an hour each); other changes anywhere in it
    is_stage = events["kind"].eq(STAGE).to_numpy()
    same_day = events[is_stage].groupby(["opp", "day"]).cumcount().to_numpy()
    seconds = 9 * 3600 + rng.integers(0, 9 * 3600, len(events))
    seconds[is_stage] = 9 * 3600 + same_day * 3600 + rng.integers(0, 3600, int(is_stage.sum()))
    events["t"] = events["day"] * 86400 + seconds
    events = events.sort_values(["opp", "t", "kind"], kind="stable", ignore_index=True)
    # strictly increasing times within a deal (two changes never share a second)
    k = events.groupby("opp").cumcount().to_numpy()
    events["t"] = (events["t"] - k).groupby(events["opp"]).cummax().to_numpy() + k

    return events


def _states(
    events: pd.DataFrame, o: pd.DataFrame, callers: dict[str, float] | None
) -> pd.DataFrame:
    """The deal as it stood after each change: stage, amount, close date (the final ones less
    the changes still to come), forecast category (a planted caller's bias applied)."""
    index = pd.Index(o["opportunity_id"])
    close = _days(o["close_date"])
    amount = o["amount"].astype(float).to_numpy()
    group = events["opp"]
    # close date after each event: the final one less the changes still to come
    later = events["delta"][::-1].groupby(group[::-1]).cumsum()[::-1] - events["delta"]
    close_after = close[group] - later.to_numpy()
    # amount after each event: the final one divided by the changes still to come
    log_f = np.log(events["factor"])
    later_f = log_f[::-1].groupby(group[::-1]).cumsum()[::-1] - log_f
    amount_after = np.round(amount[group] / np.exp(later_f.to_numpy()) / 100) * 100
    amount_after = np.where(later_f.to_numpy() == 0, amount[group], amount_after)
    stage = events["stage"].groupby(group).ffill()
    category = stage.map(CATEGORY)
    if callers:
        rep = o["rep_id"].to_numpy()[group]
        bias = pd.Series(rep).map(callers).to_numpy(dtype=float)
        category = category.where(~((bias < 0) & stage.eq("Negotiation").to_numpy()), "Best Case")
        category = category.where(
            ~((bias > 0) & stage.isin(["Discovery", "Proposal"]).to_numpy()), "Commit"
        )
    out = pd.DataFrame(
        {
            "opportunity_id": index.to_numpy()[group],
            "changed_at": pd.to_datetime(events["t"], unit="s").dt.strftime("%Y-%m-%d %H:%M:%S"),
            "stage": stage.to_numpy(),
            "amount": amount_after.astype("int64"),
            "close_date": date_strings(close_after),
            "forecast_category": category.to_numpy(),
            "probability": stage.map(PROBABILITY).astype("Int64").to_numpy(),
        }
    )
    return out[out["stage"].notna()].reset_index(drop=True)
