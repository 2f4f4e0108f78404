"""The hierarchy a coherent forecast runs over: the monthly bookings series of every node
(company, regions, teams, reps) and each node's selling capacity, the shared mappings of reps
to their team and region."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.measures.roster import ramp_shares
from spm_lib.measures.series import COMPANY, bookings_series, period_freq

NO_REGION = "(no region)"

NO_TEAM = "(no team)"


@dataclass(frozen=True)
class Node:
    level: str
    name: str


def hierarchy_bookings(
    ds: Dataset, as_of: pd.Timestamp | str | None = None
) -> tuple[pd.DataFrame, list[Node], dict[str, list[str]]]:
    """Monthly bookings of every series of the hierarchy known at ``as_of``.

    Returns (table with one column per node, in ``nodes`` order; the nodes; the aggregates'
    bottom members). The bottom level is the team, named ``team`` where that is unique across
    regions and from every region (and the company), ``region / team`` otherwise; without any
    team it is the region.
    """
    company = bookings_series(ds, "company", "M", as_of=as_of)
    index = company.index
    as_of_ts = pd.Timestamp(as_of if as_of is not None else ds.as_of)
    opps = ds.opportunities
    won = opps[opps["is_won"] & opps["close_date"].notna() & (opps["close_date"] <= as_of_ts)]
    reps = ds["reps"].set_index("rep_id")
    region = won["rep_id"].map(reps["region"]).fillna(NO_REGION).astype(str)
    has_team = "team" in reps and reps["team"].notna().any()
    team = won["rep_id"].map(reps["team"]) if has_team else pd.Series(np.nan, index=won.index)
    team = team.fillna(NO_TEAM).astype(str)
    all_region = reps["region"].fillna(NO_REGION).astype(str)
    all_team = (
        reps["team"].fillna(NO_TEAM).astype(str) if has_team else all_region.map(lambda _: NO_TEAM)
    )
    pairs = sorted(
        set(zip(all_region, all_team, strict=True)) | set(zip(region, team, strict=True))
    )
    regions = sorted({r for r, _ in pairs})
    team_names = [t for _, t in pairs]
    # a series is keyed by its place: a team is named alone only when no other team, no
    # region and not the company has its name (role trees often name a team like its region)
    unique_teams = len(set(team_names)) == len(team_names) and not (
        set(team_names) & (set(regions) | {COMPANY})
    )

    def bottom_name(r: str, t: str) -> str:
        return t if unique_teams else f"{r} / {t}"

    month = won["close_date"].dt.to_period(period_freq(ds, "M"))
    if has_team:
        keys = [bottom_name(r, t) for r, t in zip(region, team, strict=True)]
        bottom = [bottom_name(r, t) for r, t in pairs]
        members = {r: [bottom_name(r, t) for rr, t in pairs if rr == r] for r in regions}
    else:
        keys, bottom, members = list(region), regions, {}
    table = (
        won.groupby([month, pd.Index(keys, name="node")])["amount"].sum().unstack(fill_value=0.0)
    )
    table = table.reindex(index=index, columns=bottom, fill_value=0.0).astype(float)
    booked = [b for b in bottom if table[b].abs().sum() > 0]  # a team that never booked adds 0
    if booked and len(booked) < len(bottom):
        table, bottom = table[booked], booked
        members = {r: [b for b in v if b in booked] for r, v in members.items()}
        members = {r: v for r, v in members.items() if v}
        regions = [r for r in regions if r in members] if has_team else booked
    nodes = [Node("company", COMPANY)]
    parents = {COMPANY: bottom}
    if has_team:
        nodes += [Node("region", r) for r in regions]
        parents.update(members)
        for r in regions:
            table[r] = table[members[r]].sum(axis=1)
        nodes += [Node("team", b) for b in bottom]
    else:
        nodes += [Node("region", r) for r in regions]
    table[COMPANY] = company[COMPANY]
    table.columns.name = None
    out = table[[n.name for n in nodes]]
    rep_bottom = {
        rep: (bottom_name(r, t) if has_team else r)
        for rep, r, t in zip(reps.index, all_region, all_team, strict=True)
    }
    out.attrs["rep_bottom"] = SharedMapping({k: v for k, v in rep_bottom.items() if v in bottom})
    return out, nodes, parents


class SharedMapping(dict):
    """A dict that a deep copy returns as itself. pandas deep-copies a frame's ``attrs`` on
    every operation, and the history table's rep -> series map (one entry a rep) was copied
    for each series of each run: 42 s of the forecast at 1M opportunities. It is not modified
    after it is made."""

    def __deepcopy__(self, memo: dict) -> SharedMapping:
        return self


def capacity(
    ds: Dataset,
    months: pd.PeriodIndex,
    nodes: list[Node],
    parents: dict[str, list[str]],
    rep_bottom: dict[str, str],
    origin: pd.Period,
) -> pd.DataFrame:
    """Selling capacity per month and series as known at ``origin``: the sum over the selling
    reps of employed x ramp share (:func:`spm_lib.measures.roster.ramp_shares`). A departure dated
    after ``origin`` and a hire after it are not known then: the rep counts as staying, the
    hire as absent."""
    reps = ds.reps
    reps = reps[reps["rep_id"].isin(rep_bottom)]
    ramp = ramp_shares(ds)
    month_no = months.year * 12 + months.month
    origin_no = origin.year * 12 + origin.month
    hire = reps["hire_date"].dt.year * 12 + reps["hire_date"].dt.month
    end = reps["end_date"].dt.year * 12 + reps["end_date"].dt.month
    hire_no = hire.to_numpy(dtype=float)
    end_no = np.where(end.to_numpy(dtype=float) <= origin_no, end.to_numpy(dtype=float), np.inf)
    known = ~(hire_no > origin_no)
    tenure = np.asarray(month_no, float)[None, :] - np.nan_to_num(hire_no, nan=-1e9)[:, None]
    employed = (tenure >= 0) & (np.asarray(month_no, float)[None, :] <= end_no[:, None])
    share = np.where(tenure < len(ramp), ramp[np.clip(tenure, 0, len(ramp) - 1).astype(int)], 1.0)
    weight = employed * share * known[:, None]
    bottom = (
        pd.DataFrame(weight.T, index=months, columns=reps["rep_id"].to_numpy())
        .T.groupby(reps["rep_id"].map(rep_bottom).to_numpy())
        .sum()
        .T
    )
    out = pd.DataFrame(index=months)
    for node in nodes:
        members = parents.get(node.name, [node.name])
        out[node.name] = bottom.reindex(columns=members, fill_value=0.0).sum(axis=1)
    return out
