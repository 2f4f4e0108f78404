"""Salesforce objects beside the opportunities, one converter each: Account, Lead, Task and Event,
OpportunitySplit, ForecastingQuota -> accounts, leads, activities, opportunity_splits, quotas."""

from __future__ import annotations

import pandas as pd

from spm_lib.dataset.vendors.objects import (
    column,
    deleted,
    left_out,
    stamps,
    truthy,
)

UNASSIGNED = "unassigned"


def one(objects: dict[str, list[pd.DataFrame]], name: str) -> pd.DataFrame | None:
    frames = objects.get(name)
    return pd.concat(frames, ignore_index=True) if frames else None


def leads(lead: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    owner = column(lead, "ownerid")
    queue = owner.astype("str").str.startswith("00G", na=False)
    if queue.any():
        notes.append(f"{int(queue.sum())} leads are owned by a queue, not a user: no owner")
    created = column(lead, "createddate")
    if created.isna().all():
        created = column(lead, "lastmodifieddate", "systemmodstamp")
        notes.append(
            "the Lead export has no CreatedDate: a lead's LastModifiedDate stands in "
            "for its creation (add CreatedDate to the export for lead timing)"
        )
    status = column(lead, "status").astype("str")
    converted = truthy(column(lead, "isconverted"))
    closed_out = (
        status.str.contains(
            r"unqualified|disqualified|not converted|junk|closed", case=False, na=False
        )
        & ~converted
    )
    out = pd.DataFrame(
        {
            "lead_id": lead["id"],
            "created_date": stamps(created),
            "source": column(lead, "leadsource"),
            "owner_rep_id": owner.where(~queue, None),
            "converted_date": stamps(column(lead, "converteddate")).where(converted, None),
            "opportunity_id": column(lead, "convertedopportunityid").where(converted, None),
            "segment": None,
            "disqualified_date": stamps(column(lead, "lastmodifieddate")).where(closed_out, None),
            "status": column(lead, "status"),
        }
    )
    return left_out(lead, out)


def activities(tasks: pd.DataFrame | None, events: pd.DataFrame | None) -> pd.DataFrame | None:
    frames = []
    for frame, kind in ((tasks, "Task"), (events, "Event")):
        if frame is None:
            continue
        when = (
            column(frame, "activitydate")
            if kind == "Task"
            else column(frame, "activitydatetime", "startdatetime")
        )
        when = when.where(when.notna(), column(frame, "createddate"))
        what = column(frame, "whatid").astype("str")
        out = pd.DataFrame(
            {
                "activity_id": frame["id"],
                "rep_id": column(frame, "ownerid"),
                "date": stamps(when),
                "type": column(frame, "tasksubtype", "type", "eventsubtype").fillna(kind),
                "opportunity_id": what.where(what.str.startswith("006", na=False), None),
            }
        )
        frames.append(left_out(frame, out))
    return pd.concat(frames, ignore_index=True) if frames else None


def splits(s: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    s = s.assign(share=pd.to_numeric(column(s, "splitpercentage"), errors="coerce") / 100)
    if "splittypeid" in s and s["splittypeid"].nunique() > 1:
        live = s[~deleted(s)]
        sums = live.groupby(["splittypeid", "opportunityid"])["share"].sum()
        whole = (sums.sub(1).abs() < 1e-6).groupby(level=0).mean()
        rows = live.groupby("splittypeid").size()
        named = [t for t in whole.index if "revenue" in str(t).casefold()]
        # Salesforce's Revenue split type must add up to 100%; overlays need not
        kept = named[0] if named else max(whole.index, key=lambda t: (whole[t], rows[t]))
        notes.append(
            f"OpportunitySplit: split type {kept} is the one whose shares add up to "
            f"100% per deal; {int((s['splittypeid'] != kept).sum())} rows of other "
            "split types (overlay credit) are not credits"
        )
        s = s[s["splittypeid"] == kept]
    out = pd.DataFrame(
        {"opportunity_id": s["opportunityid"], "rep_id": s["splitownerid"], "share": s["share"]}
    )
    return left_out(s, out)


def quotas(q: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    if "forecastingtypeid" in q and q["forecastingtypeid"].nunique() > 1:
        kept = q["forecastingtypeid"].value_counts().index[0]
        notes.append(f"ForecastingQuota: forecasting type {kept} (the commonest) gives quotas")
        q = q[q["forecastingtypeid"] == kept]
    out = pd.DataFrame(
        {
            "rep_id": column(q, "quotaownerid"),
            "period_start": stamps(q["startdate"]),
            "amount": column(q, "quotaamount"),
            "currency": column(q, "currencyisocode"),
        }
    )
    return left_out(q, out)


def accounts(a: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "account_id": a["id"],
            "name": column(a, "name"),
            "industry": column(a, "industry"),
            "region": None,
            "employees": column(a, "numberofemployees"),
            "annual_revenue": column(a, "annualrevenue"),
            "owner_rep_id": column(a, "ownerid"),
        }
    )
    return left_out(a, out)
