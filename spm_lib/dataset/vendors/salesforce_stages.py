"""Salesforce stages: which are won and lost, and the funnel order of the open ones."""

from __future__ import annotations

import re

import pandas as pd

from spm_lib.dataset.vendors.objects import column, has, truthy

DEFAULT_STAGES = [
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
]


def won_lost(o: pd.DataFrame) -> tuple[list[str], list[str]]:
    stage = o["stagename"].astype("str").where(o["stagename"].notna())
    if has(o, "iswon") or has(o, "isclosed"):
        won = truthy(column(o, "iswon"))
        closed = truthy(column(o, "isclosed")) | won
        won_names = list(dict.fromkeys(stage[won].dropna()))
        lost_names = list(dict.fromkeys(stage[closed & ~won].dropna()))
    else:
        won_names = [s for s in dict.fromkeys(stage.dropna()) if re.search(r"\bwon\b", s, re.I)]
        lost_names = [s for s in dict.fromkeys(stage.dropna()) if re.search(r"\blost\b", s, re.I)]
    lost_names = [s for s in lost_names if s not in won_names]
    return won_names or ["Closed Won"], lost_names or ["Closed Lost"]


def stage_order(
    open_stages: list[str],
    frames: list[pd.DataFrame],
    history: pd.DataFrame | None,
    stage_object: pd.DataFrame | None,
) -> tuple[list[str], str]:
    """Open stages in funnel order, and where the order came from: OpportunityStage's
    ``SortOrder`` (or a ``StageSortOrder`` column), else the stages' median ``Probability``
    (Salesforce's stage probabilities rise along the funnel), else the order in which deals
    entered them (when at least three deals went through two open stages), else Salesforce's
    default order; ties by the next of these."""
    default = {s: i for i, s in enumerate(DEFAULT_STAGES)}
    sort_order: dict[str, float] = {}
    if stage_object is not None:
        order = pd.to_numeric(stage_object["sortorder"], errors="coerce")
        sort_order = dict(zip(stage_object["masterlabel"], order, strict=True))
    for frame in frames:
        if "stagesortorder" in frame:
            order = pd.to_numeric(frame["stagesortorder"], errors="coerce")
            sort_order |= order.groupby(frame["stagename"]).median().dropna().to_dict()
    probability: dict[str, float] = {}
    for frame in frames:
        if "probability" in frame and "stagename" in frame:
            value = pd.to_numeric(frame["probability"], errors="coerce")
            for stage, p in value.groupby(frame["stagename"]).median().dropna().items():
                probability.setdefault(stage, p)
    score: dict[str, float] = {}
    if history is not None and len(history):
        h = history[history["stage"].isin(open_stages)].sort_values(
            ["opportunity_id", "changed"], kind="stable"
        )
        first = h.drop_duplicates(["opportunity_id", "stage"])
        n = first.groupby("opportunity_id")["stage"].transform("size")
        several = first[n >= 2]
        if several["opportunity_id"].nunique() >= 3:
            m = several.groupby("opportunity_id")["stage"].transform("size")
            position = several.groupby("opportunity_id").cumcount() / (m - 1)
            score = position.groupby(several["stage"]).mean().to_dict()
    sources = []
    if sort_order:
        sources.append("OpportunityStage.SortOrder")
    if probability:
        sources.append("the median Probability of each stage")
    if score:
        sources.append("the order in which deals entered them (history)")
    sources.append("Salesforce's default stage order")

    def rank(stage: str) -> tuple:
        return (
            sort_order.get(stage, float("inf")),
            probability.get(stage, float("inf")),
            score.get(stage, 0.5),
            default.get(stage, 99),
            open_stages.index(stage),
        )

    return sorted(open_stages, key=rank), ", then ".join(sources)
