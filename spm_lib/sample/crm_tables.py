"""The sample's CRM tables as of the end date: opportunities, stage history, activities, accounts,
trainings, skills, splits and cancellations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spm_lib.sample.assumptions import (
    ACCOUNT_SUFFIX,
    ACCOUNT_WORDS,
    ACTIVITY_TYPES,
    ACTIVITY_WEIGHTS,
    CANCEL_SHARE,
    INDUSTRIES,
    LEAD_SOURCES,
    MODULES,
    OPEN_STAGES,
    PRODUCTS,
    SKILL_RECORDED,
    SPLIT_SHARE,
)
from spm_lib.sample.company import Company
from spm_lib.sample.daynums import date_strings, optional_date_strings
from spm_lib.sample.deals import Deals


@dataclass
class CutOff:
    """The deals the history keeps (created by the end, closed after the start), in output
    order, and where each stood at the end date."""

    sel: np.ndarray  # deal positions kept, in output order
    ids: np.ndarray  # their opportunity ids
    is_closed: np.ndarray
    reached: np.ndarray  # kept deal x stage: entered by the end date


def cut_off(company: Company, deals: Deals) -> CutOff:
    """Cut off at the end date; drop deals closed before the history starts."""
    keep = (deals.created <= company.end) & (deals.close >= company.start)
    sel = np.nonzero(keep)[0]
    sel = sel[np.lexsort((deals.rep[sel], deals.created[sel]))]
    ids = np.char.add("O", np.char.zfill(np.arange(1, len(sel) + 1).astype(str), 7))
    stages = np.arange(len(OPEN_STAGES))[None, :]
    reached = (stages < deals.visited[sel][:, None]) & (deals.entry[sel] <= company.end)
    return CutOff(sel, ids, deals.close[sel] <= company.end, reached)


def opportunities_table(
    rng: np.random.Generator, company: Company, deals: Deals, cut: CutOff
) -> pd.DataFrame:
    """The opportunities table as the CRM shows it at the end date: open deals in the stage
    they reached, with an optimistic CRM close date never before the day after the end."""
    sel, is_closed, end = cut.sel, cut.is_closed, company.end
    is_won = deals.won[sel] & is_closed
    last_open = cut.reached.sum(axis=1) - 1
    stage = np.where(
        is_closed,
        np.where(deals.won[sel], "Closed Won", "Closed Lost"),
        np.array(OPEN_STAGES)[np.maximum(last_open, 0)],
    )
    slip = rng.integers(0, 21, len(sel))
    crm_close = np.where(is_closed, deals.close[sel], np.maximum(end + 1, deals.close[sel] - slip))
    forecast_category = np.where(
        is_closed,
        np.where(is_won, "Closed", "Omitted"),
        np.array(["Pipeline", "Pipeline", "Best Case", "Best Case", "Commit"])[
            np.maximum(last_open, 0)
        ],
    )
    no_account = rng.random(len(sel)) < 0.01
    account_ids = np.char.add("A", np.char.zfill((deals.account[sel] + 1).astype(str), 6))
    rep_ids = company.reps["rep_id"].to_numpy()
    return pd.DataFrame(
        {
            "opportunity_id": cut.ids,
            "rep_id": rep_ids[deals.rep[sel]],
            "account_id": np.where(no_account, "", account_ids),
            "product": np.array(PRODUCTS)[deals.product[sel]],
            "created_date": date_strings(deals.created[sel]),
            "close_date": date_strings(crm_close),
            "stage": stage,
            "amount": deals.amount[sel].astype("int64"),
            "is_closed": np.where(is_closed, "true", "false"),
            "is_won": np.where(is_won, "true", "false"),
            "forecast_category": forecast_category,
            "lead_source": np.array(LEAD_SOURCES)[deals.source[sel]],
        }
    )


def stage_history_table(deals: Deals, cut: CutOff) -> pd.DataFrame:
    """Each open stage entered up to the end date, then the closing stage."""
    sel = cut.sel
    hist_opp, hist_stage = np.nonzero(cut.reached)
    close_rows = np.nonzero(cut.is_closed)[0]
    h_opp = np.concatenate([hist_opp, close_rows])
    h_stage = np.concatenate(
        [
            np.array(OPEN_STAGES)[hist_stage],
            np.where(deals.won[sel][close_rows], "Closed Won", "Closed Lost"),
        ]
    )
    h_day = np.concatenate([deals.entry[sel][hist_opp, hist_stage], deals.close[sel][close_rows]])
    h_rank = np.concatenate([hist_stage, np.full(len(close_rows), len(OPEN_STAGES))])
    h_order = np.lexsort((h_rank, h_opp))
    return pd.DataFrame(
        {
            "opportunity_id": cut.ids[h_opp[h_order]],
            "stage": h_stage[h_order],
            "entered_date": date_strings(h_day[h_order]),
        }
    )


def activities_table(
    rng: np.random.Generator, company: Company, deals: Deals, cut: CutOff
) -> pd.DataFrame:
    """Activities on each opportunity between its creation and its close (or the end date):
    Poisson(1 x stages visited)."""
    sel = cut.sel
    n_act = rng.poisson(1.0 * deals.visited[sel])
    a_opp = np.repeat(np.arange(len(sel)), n_act)
    a_from = deals.created[sel][a_opp]
    a_to = np.minimum(deals.close[sel][a_opp], company.end)
    a_day = a_from + (rng.random(len(a_opp)) * (a_to - a_from + 1)).astype("int64")
    a_type = rng.choice(len(ACTIVITY_TYPES), len(a_opp), p=ACTIVITY_WEIGHTS)
    a_order = np.lexsort((a_opp, a_day))
    rep_ids = company.reps["rep_id"].to_numpy()
    return pd.DataFrame(
        {
            "activity_id": np.char.add(
                "T", np.char.zfill(np.arange(1, len(a_opp) + 1).astype(str), 8)
            ),
            "rep_id": rep_ids[deals.rep[sel]][a_opp[a_order]],
            "date": date_strings(a_day[a_order]),
            "type": np.array(ACTIVITY_TYPES)[a_type[a_order]],
            "opportunity_id": cut.ids[a_opp[a_order]],
        }
    )


def accounts_table(rng: np.random.Generator, company: Company) -> pd.DataFrame:
    """Accounts, owned today by their rep, or by a colleague in the same team if the rep left."""
    leave = company.leave
    owner = company.acc_rep.copy()
    team_arr = company.reps["team"].to_numpy()
    for team_name in np.unique(team_arr):
        members = np.nonzero(team_arr == team_name)[0]
        active = members[leave[members] < 0]
        if len(active):
            gone = np.isin(owner, members[leave[members] >= 0])
            owner[gone] = active[rng.integers(0, len(active), int(gone.sum()))]
    n_acc = len(company.acc_rep)
    word = rng.integers(0, len(ACCOUNT_WORDS), (n_acc, 2))
    suffix = rng.integers(0, len(ACCOUNT_SUFFIX), n_acc)
    rep_ids = company.reps["rep_id"].to_numpy()
    return pd.DataFrame(
        {
            "account_id": np.char.add("A", np.char.zfill(np.arange(1, n_acc + 1).astype(str), 6)),
            "name": [
                f"{ACCOUNT_WORDS[a]} {ACCOUNT_WORDS[b]} {ACCOUNT_SUFFIX[s]}"
                for (a, b), s in zip(word, suffix, strict=True)
            ],
            "industry": np.array(INDUSTRIES)[company.acc_industry],
            "region": company.reps["region"].to_numpy()[company.acc_rep],
            "employees": company.employees.astype("int64"),
            "annual_revenue": company.revenue.astype("int64"),
            "owner_rep_id": rep_ids[owner],
        }
    )


def trainings_table(company: Company) -> pd.DataFrame:
    t_rep, t_mod = np.nonzero(company.taken)
    completed = company.completed[t_rep, t_mod]
    t_order = np.lexsort((t_mod, completed, t_rep))
    return pd.DataFrame(
        {
            "rep_id": company.reps["rep_id"].to_numpy()[t_rep[t_order]],
            "module": np.array(list(MODULES))[t_mod[t_order]],
            "completed_date": date_strings(completed[t_order]),
            "score": company.scores[t_rep, t_mod][t_order].astype("int64"),
        }
    )


def cancellations(seed: int, opportunities: pd.DataFrame, end: int) -> np.ndarray:
    """A cancellation date for :data:`CANCEL_SHARE` of won deals, 5 to 180 days after the close
    (empty when that is after the end date). Its own random stream."""
    rng = np.random.default_rng([seed, 11])
    won = (opportunities["is_won"] == "true").to_numpy()
    close = opportunities["close_date"].to_numpy().astype("datetime64[D]").astype("int64")
    cancel = won & (rng.random(len(won)) < CANCEL_SHARE)
    day = close + rng.integers(5, 181, len(won))
    cancel &= day <= end
    return optional_date_strings(np.where(cancel, day, -1))


def credit_splits(seed: int, opportunities: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
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


def rep_skills_table(
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
