"""HubSpot objects as a connector lands them (Fivetran's schema) -> canonical tables.

==========================  ===================================================================
object                      becomes
==========================  ===================================================================
deal                        opportunities: ``property_amount``, ``property_closedate``,
                            ``property_createdate``, ``owner_id``, the stage by
                            ``deal_pipeline_stage_id`` (``is_deleted`` rows excluded on load)
deal_pipeline,              stage names and order (``display_order``), won and lost
deal_pipeline_stage         (``closed_won``, ``is_closed``); with several pipelines an open stage
                            is ``<pipeline>: <stage>`` and won/lost are common ("Closed Won",
                            "Closed Lost"), as in the deals export
owner                       reps (``type`` other than PERSON: Non-seller)
deal_property_history       opportunity_history: the state (stage, amount, close date,
                            probability, forecast category) after each change
deal_stage                  opportunity_history, when the property history has no stage
merged_deal                 a deal merged into another is flagged ``merged`` and excluded
deal_company                accounts of the deals (the first company of each deal)
==========================  ===================================================================

Column names are matched in either spelling (:mod:`spm_lib.dataset.vendors.objects`).
"""

from __future__ import annotations

import pandas as pd

from spm_lib.dataset.vendors.objects import (
    column,
    concatenated,
    deleted,
    flag_text,
    normalise,
    stamps,
    truthy,
)
from spm_lib.dataset.vendors.objects import recognise as first_rule
from spm_lib.dataset.vendors.salesforce_users import NON_SELLER
from spm_lib.exceptions import DataError

WON, LOST = "Closed Won", "Closed Lost"
PROPERTIES = {
    "dealstage": "stage",
    "amount": "amount",
    "closedate": "close_date",
    "hs_deal_stage_probability": "probability",
    "hs_forecast_category": "forecast_category",
}


def recognise(frame: pd.DataFrame) -> str | None:
    return first_rule(
        frame,
        [
            ("deal_property_history", {"dealid", "name", "timestamp", "value"}),
            ("deal_stage", {"dealid", "dateentered", "value"}),
            ("merged_deal", {"dealid", "mergeddealid"}),
            ("deal_company", {"dealid", "companyid"}),
            ("deal_pipeline_stage", {"stageid", "pipelineid", "label"}),
            ("deal_pipeline", {"pipelineid", "label"}),
            ("deal", {"dealid", "dealpipelinestageid"}),
            ("deal", {"dealid", "propertydealname"}),
            ("owner", {"ownerid", "email"}),
        ],
    )


def _stage_names(
    stages: pd.DataFrame | None, pipelines: pd.DataFrame | None
) -> tuple[dict[str, str], list[str], bool]:
    """stage_id -> canonical stage name, open stages in order, several pipelines?"""
    if stages is None:
        return {}, [], False
    stages = stages[~deleted(stages)]
    labels = (
        {}
        if pipelines is None
        else dict(zip(pipelines["pipelineid"], pipelines["label"], strict=True))
    )
    several = stages["pipelineid"].nunique() > 1
    won, closed = truthy(column(stages, "closedwon")), truthy(column(stages, "isclosed"))
    pipeline = stages["pipelineid"].map(labels).fillna(stages["pipelineid"]).astype("str")
    name = stages["label"].astype("str")
    named = (pipeline + ": " + name) if several else name
    named = named.where(~won, WON).where(~(closed & ~won), LOST)
    order = stages.assign(
        named=named,
        pipe=pipeline,
        rank=pd.to_numeric(column(stages, "displayorder"), errors="coerce"),
    )
    open_ = order[~closed].sort_values(["pipe", "rank"], kind="stable")["named"]
    return dict(zip(stages["stageid"], named, strict=True)), list(dict.fromkeys(open_)), several


def _history(
    props: pd.DataFrame | None, entries: pd.DataFrame | None, stage_of: dict[str, str]
) -> pd.DataFrame | None:
    """The state after each change, from property history (and stage entries)."""
    rows = []
    if props is not None:
        p = props[~deleted(props)]
        p = p.assign(
            field=p["name"].astype("str").str.casefold().map(PROPERTIES), at=stamps(p["timestamp"])
        )
        p = p[p["field"].notna()]
        rows.append(p[["dealid", "at", "field", "value"]])
    if entries is not None and (props is None or not rows[0]["field"].eq("stage").any()):
        e = entries.assign(at=stamps(entries["dateentered"]), field="stage")
        rows.append(e[["dealid", "at", "field", "value"]])
    if not rows:
        return None
    changes = pd.concat(rows, ignore_index=True).sort_values(["dealid", "at"], kind="stable")
    changes.loc[changes["field"] == "stage", "value"] = changes["value"].map(
        lambda v: stage_of.get(v, v)
    )  # a stage id, named like the deals' stages
    wide = changes.groupby(["dealid", "at", "field"], sort=True)["value"].last().unstack("field")
    wide = wide.groupby(level=0).ffill().reset_index()  # each change: the state from then on
    out = pd.DataFrame({"opportunity_id": wide["dealid"], "changed_at": wide["at"]})
    for name in ("stage", "amount", "close_date", "forecast_category", "probability"):
        out[name] = wide.get(name)
    if "close_date" in wide:
        out["close_date"] = stamps(wide["close_date"])
    return out


def convert(frames: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], dict]:
    """Canonical tables and spm.yaml settings from HubSpot objects (module docstring): the
    objects recognised, the deals with their stages, the owners as reps, the history."""
    objects, seen = _objects(frames)
    deal = objects["deal"]
    notes: list[str] = []
    stage_of, open_stages, several = _stage_names(
        objects.get("deal_pipeline_stage"), objects.get("deal_pipeline")
    )
    opps = _deals(deal, objects, stage_of, notes)
    tables = {"opportunities": opps, "reps": _reps(objects.get("owner"), opps, notes)}
    history = _history(objects.get("deal_property_history"), objects.get("deal_stage"), stage_of)
    if history is not None:
        tables["opportunity_history"] = history
    # a deal's stage id that no pipeline stage names stays an open stage of its own (history
    # rows with such a stage are quarantined on load as unknown stages)
    names = set(stage_of.values())
    extra = [s for s in dict.fromkeys(opps["stage"].dropna()) if s not in names | {WON, LOST}]
    config = {
        "currency": "USD",
        "stages": [*open_stages, *extra, {"name": WON, "won": True}, {"name": LOST, "lost": True}],
        "mapping": {
            "tables": {
                t: {
                    "exclude": {
                        f: True
                        for f in ("deleted", "merged")
                        if f in frame and frame[f].eq("true").any()
                    }
                }
                for t, frame in tables.items()
                if any(f in frame and frame[f].eq("true").any() for f in ("deleted", "merged"))
            }
        },
        "imported_from": {
            "source": "hubspot",
            "objects": seen,
            "several_pipelines": several,
            "notes": notes,
        },
    }
    if not config["mapping"]["tables"]:
        del config["mapping"]
    if extra:
        notes.append(
            f"{len(extra)} stage values match no pipeline stage (obfuscated or "
            "deleted stages); kept as open stages after the known ones"
        )
    return tables, config


def _objects(frames: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], dict]:
    """Frames by the object each is (:func:`recognise`), and what each file was; a DataError
    when there is no deal object."""
    by_kind: dict[str, dict[str, pd.DataFrame]] = {}
    seen = {}
    for name, frame in frames.items():
        frame = normalise(frame, name)
        kind = recognise(frame)
        seen[name] = kind or "not used"
        if kind:
            by_kind.setdefault(kind, {})[name] = frame
    objects = {kind: concatenated("HubSpot", kind, named) for kind, named in by_kind.items()}
    if objects.get("deal") is None:
        raise DataError(
            "HubSpot: no deals export (Record ID, Deal Stage) and no deal object (deal_id, "
            "deal_pipeline_stage_id) among " + ", ".join(f"{n} ({k})" for n, k in seen.items()),
            table="opportunities",
            expected="Record ID, Deal Stage",
        )
    return objects, seen


def _deals(deal: pd.DataFrame, objects: dict, stage_of: dict, notes: list[str]) -> pd.DataFrame:
    """The opportunities: stage names from the pipeline stages, merged deals flagged."""
    stage_id = column(deal, "dealpipelinestageid", "propertydealstage")
    stage = stage_id.map(stage_of).where(stage_id.notna(), None)
    unresolved = stage_id.notna() & stage.isna()
    if unresolved.any():
        notes.append(f"{int(unresolved.sum())} deals have a stage id that no pipeline stage has")
    if stage_id.isna().any():
        notes.append(f"{int(stage_id.isna().sum())} deals have no stage: quarantined on load")
    merged = pd.Series(False, index=deal.index)
    if "merged_deal" in objects:
        absorbed = set(objects["merged_deal"]["mergeddealid"].astype("str"))
        merged = deal["dealid"].astype("str").isin(absorbed)
        notes.append(f"{int(merged.sum())} deals were merged into another deal: excluded")
    companies = objects.get("deal_company")
    account = (
        deal["dealid"].map(companies.drop_duplicates("dealid").set_index("dealid")["companyid"])
        if companies is not None
        else None
    )
    return pd.DataFrame(
        {
            "opportunity_id": deal["dealid"],
            "rep_id": column(deal, "ownerid"),
            "account_id": account,
            "product": column(deal, "propertydealtype"),
            "created_date": stamps(column(deal, "propertycreatedate")),
            "close_date": stamps(column(deal, "propertyclosedate")),
            "stage": stage.where(stage.notna(), stage_id),
            "amount": column(deal, "propertyamount"),
            "is_closed": flag_text(stage.isin([WON, LOST])).where(stage.notna(), None),
            "is_won": flag_text(stage.eq(WON)).where(stage.notna(), None),
            "modified_date": stamps(column(deal, "propertyhslastmodifieddate")),
            "deal_name": column(deal, "propertydealname"),
            "pipeline": column(deal, "dealpipelineid"),
            "deleted": flag_text(deleted(deal)),
            "merged": flag_text(merged),
        }
    )


def _reps(owners: pd.DataFrame | None, opps: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Owners as reps (an owner that is not a person is a non-seller), else the owner ids
    found, named by id."""
    if owners is None:
        ids = sorted(set(opps["rep_id"].dropna().astype("str")))
        notes.append("no owner object: reps are the owner ids found, named by id")
        return pd.DataFrame({"rep_id": ids, "name": ids})
    name = (
        column(owners, "firstname").fillna("").astype("str")
        + " "
        + column(owners, "lastname").fillna("").astype("str")
    ).str.strip()
    name = name.where(name.ne(""), column(owners, "email"))
    kind = column(owners, "type").astype("str").str.upper()
    person = kind.eq("PERSON") | column(owners, "type").isna()
    if (~person).any():
        notes.append(
            f"{int((~person).sum())} owners are not people (queues, teams): role {NON_SELLER}"
        )
    return pd.DataFrame(
        {
            "rep_id": owners["ownerid"],
            "name": name,
            "role": pd.Series(None, index=owners.index).where(person, NON_SELLER),
            "deleted": flag_text(deleted(owners)),
        }
    )
