"""Salesforce objects by API name -> canonical tables, from exports or from a warehouse.

The Data Export Service, Data Loader, Workbench and the Bulk API write one CSV per object with
API column names (``Id``, ``StageName``, ``OwnerId``); connectors (Fivetran, Airbyte) land the
same objects in a database in snake_case. :func:`convert` takes the objects' frames in either
spelling (:mod:`spm_lib.dataset.vendors.objects`); the file or table name decides which object
each is, columns only where the name is no object's
(:mod:`spm_lib.dataset.vendors.salesforce_files`):

====================  ===========================================================================
object                becomes
====================  ===========================================================================
Opportunity           opportunities (stage order from OpportunityStage, else the history, else
                      Salesforce's defaults; won and lost from ``IsWon``/``IsClosed``)
OpportunityHistory    opportunity_history (one row per change of stage, amount, probability, close
                      date or forecast category); stage_history is derived from it on load
OpportunityField-     opportunity_history, rebuilt as the state after each change (when there is
History               no OpportunityHistory)
OpportunitySplit      opportunity_splits (the split type whose shares add up to 100%)
User, UserRole        reps: manager from ``ManagerId``, else the user of the parent role; team from
                      the role, region from ``Division``, else the parent role
Account, Lead         accounts, leads (``ConvertedOpportunityId``; a queue owner is no rep)
Task, Event           activities (``WhatId`` kept when it is an opportunity)
CurrencyType          ``currency`` (the corporate one) and ``currency_rates`` (Salesforce's rates
                      are units of a currency per corporate unit; spm.yaml's the reverse)
DatedConversionRate   currency_rates (dated; every amount, history included, is converted on load at
                      the rate in force on its row's close date: spm_lib.dataset.currency)
FiscalYearSettings,   ``fiscal_year_start_month``
Period
ForecastingQuota      quotas
Organization          ``timezone`` (``TimeZoneSidKey``): timestamps become dates in it on load
====================  ===========================================================================

Rules: rows deleted at the source (``IsDeleted``, ``_fivetran_deleted``) and earlier versions
of a connector's history mode (``_fivetran_active`` false) are kept with a ``deleted`` or
``superseded`` flag that the written spm.yaml excludes, so the loader quarantines and counts
them; the all-zero sentinel id is an empty reference (read as null on load); booleans may be
``0/1`` or ``true/TRUE``; timestamps keep their offsets for the loader. Users become reps
as :mod:`spm_lib.dataset.vendors.salesforce_users` says (a rep owns a deal, a split or a quota
or holds a selling role; other users are kept as ``Non-seller`` only when records refer to
them). Every decision is listed under ``imported_from`` (``files``, ``not_used``, ``people``,
``notes``) of the written spm.yaml.
"""

from __future__ import annotations

import pandas as pd

from spm_lib.dataset.config import currency_code
from spm_lib.dataset.vendors.objects import (
    column,
    days,
    deleted,
    flag_text,
    flags,
    left_out,
    normalise,
    stamps,
    superseded,
    truthy,
)
from spm_lib.dataset.vendors.salesforce_files import Resolved, classify, group, summary
from spm_lib.dataset.vendors.salesforce_stages import stage_order, won_lost
from spm_lib.dataset.vendors.salesforce_users import users_to_reps
from spm_lib.exceptions import DataError

UNASSIGNED = "unassigned"


def _one(objects: dict[str, list[pd.DataFrame]], name: str) -> pd.DataFrame | None:
    frames = objects.get(name)
    return pd.concat(frames, ignore_index=True) if frames else None


def _currencies(objects, notes: list[str]) -> tuple[str, dict[str, float], pd.DataFrame | None]:
    """Corporate currency, spm.yaml rates (corporate units per unit) and dated rates."""
    types, dated = _one(objects, "CurrencyType"), _one(objects, "DatedConversionRate")
    corporate, rates = "USD", {}
    if types is not None:
        types = types[~deleted(types)]
        corp = types[truthy(column(types, "iscorporate"))]
        if len(corp):
            corporate = str(corp["isocode"].iloc[0]).strip().upper()
            if currency_code(corporate) is None:
                raise DataError(
                    f"CurrencyType: the corporate IsoCode is {corporate[:40]!r}; expected an "
                    "ISO 4217 code (three letters)",
                    table="CurrencyType", column="IsoCode", expected="three letters",
                )  # fmt: skip
        rate = pd.to_numeric(types["conversionrate"], errors="coerce")
        for code, value in zip(types["isocode"], rate, strict=True):
            code = str(code).strip().upper()
            if currency_code(code) and code != corporate and value and value > 0:
                rates[code] = round(1 / float(value), 12)
        notes.append(f"corporate currency {corporate} (CurrencyType.IsCorporate); each "
                     "CurrencyType.ConversionRate (units per corporate unit) is written to "
                     "currency_rates as its inverse (corporate units per unit)")  # fmt: skip
    if dated is not None:
        dated = dated[~deleted(dated)]
        rate = pd.to_numeric(dated["conversionrate"], errors="coerce")
        dated = pd.DataFrame({
            "currency": dated["isocode"].astype("str").str.strip().str.upper(),
            "start_date": days(dated["startdate"]).dt.strftime("%Y-%m-%d"),
            "rate": (1 / rate.where(rate > 0)).round(12),
        })  # fmt: skip
        notes.append(f"DatedConversionRate written to currency_rates ({len(dated)} rates, each "
                     f"as {corporate} per unit): every amount is converted on load at the rate "
                     "in force on its row's close date, else with CurrencyType")  # fmt: skip
    return corporate, rates, dated


def _opportunities(o: pd.DataFrame, versions: bool, notes: list[str]) -> pd.DataFrame:
    if "ownerid" in o:
        owner = o["ownerid"]
    else:
        owner = pd.Series(UNASSIGNED, index=o.index)
        notes.append("the Opportunity export has no OwnerId column: every deal is owned by "
                     f"the rep {UNASSIGNED!r} (add OwnerId to the export for rep figures)")
    out = pd.DataFrame({
        "opportunity_id": o["id"], "rep_id": owner, "account_id": column(o, "accountid"),
        "product": column(o, "type"), "created_date": stamps(column(o, "createddate")),
        "close_date": stamps(o["closedate"]), "stage": o["stagename"],
        "amount": column(o, "amount"), "is_closed": flags(column(o, "isclosed")),
        "is_won": flags(column(o, "iswon")),
        "forecast_category": column(o, "forecastcategoryname", "forecastcategory"),
        "lead_source": column(o, "leadsource"),
        "modified_date": stamps(column(o, "fivetranstart") if versions else
                                column(o, "lastmodifieddate", "systemmodstamp")),
        "currency": column(o, "currencyisocode"),
        "opportunity_name": column(o, "name"), "probability": column(o, "probability"),
    })  # fmt: skip
    return left_out(o, out)


def _history_rows(h: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({
        "opportunity_id": h["opportunityid"], "changed_at": stamps(column(h, "createddate")),
        "stage": h["stagename"], "amount": column(h, "amount"),
        "close_date": stamps(column(h, "closedate")),
        "forecast_category": column(h, "forecastcategory", "forecastcategoryname"),
        "probability": column(h, "probability"), "currency": column(h, "currencyisocode"),
    })  # fmt: skip
    return left_out(h, out)


def _versions_history(v: pd.DataFrame) -> pd.DataFrame:
    """History-mode versions of Opportunity: each version is the state from its start."""
    out = pd.DataFrame({
        "opportunity_id": v["id"], "changed_at": stamps(v["fivetranstart"]),
        "stage": v["stagename"], "amount": column(v, "amount"),
        "close_date": stamps(v["closedate"]),
        "forecast_category": column(v, "forecastcategoryname", "forecastcategory"),
        "probability": column(v, "probability"),
    })  # fmt: skip
    out["deleted"] = flag_text(deleted(v))
    return out


FIELD_COLUMNS = {"stagename": "stage", "amount": "amount", "closedate": "close_date",
                 "forecastcategoryname": "forecast_category", "forecastcategory":
                 "forecast_category", "probability": "probability"}  # fmt: skip


def _field_history(f: pd.DataFrame, opps: pd.DataFrame) -> pd.DataFrame:
    """OpportunityFieldHistory (one row per field change) as the state after each change: a
    field's value at a change is its latest new value so far, else the old value of its first
    later change, else the deal's current value."""
    name = f["field"].astype("str").str.replace("_", "").str.casefold()
    f = f[~deleted(f)].assign(field=name.map(FIELD_COLUMNS), at=stamps(column(f, "createddate")))
    # "created" rows mark the deal's creation: the state then is a change of its own
    f = f[f["field"].notna() | name.eq("created")]
    current = opps.set_index("opportunity_id")
    rows = []
    for opp, changes in f.sort_values("at", kind="stable").groupby("opportunityid", sort=True):
        for at in dict.fromkeys(changes["at"]):
            state = {"opportunity_id": opp, "changed_at": at}
            for name in dict.fromkeys(FIELD_COLUMNS.values()):
                mine = changes[changes["field"] == name]
                before = mine[mine["at"] <= at]
                after = mine[mine["at"] > at]
                if len(before):
                    state[name] = before["newvalue"].iloc[-1]
                elif len(after):
                    state[name] = after["oldvalue"].iloc[0]
                elif opp in current.index and name in current:
                    state[name] = current.at[opp, name]
            rows.append(state)
    columns = ["opportunity_id", "changed_at", *dict.fromkeys(FIELD_COLUMNS.values())]
    return pd.DataFrame(rows, columns=columns)


def _leads(lead: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    owner = column(lead, "ownerid")
    queue = owner.astype("str").str.startswith("00G", na=False)
    if queue.any():
        notes.append(f"{int(queue.sum())} leads are owned by a queue, not a user: no owner")
    created = column(lead, "createddate")
    if created.isna().all():
        created = column(lead, "lastmodifieddate", "systemmodstamp")
        notes.append("the Lead export has no CreatedDate: a lead's LastModifiedDate stands in "
                     "for its creation (add CreatedDate to the export for lead timing)")
    status = column(lead, "status").astype("str")
    converted = truthy(column(lead, "isconverted"))
    closed_out = status.str.contains(r"unqualified|disqualified|not converted|junk|closed",
                                     case=False, na=False) & ~converted  # fmt: skip
    out = pd.DataFrame({
        "lead_id": lead["id"], "created_date": stamps(created),
        "source": column(lead, "leadsource"), "owner_rep_id": owner.where(~queue, None),
        "converted_date": stamps(column(lead, "converteddate")).where(converted, None),
        "opportunity_id": column(lead, "convertedopportunityid").where(converted, None),
        "segment": None,
        "disqualified_date": stamps(column(lead, "lastmodifieddate")).where(closed_out, None),
        "status": column(lead, "status"),
    })  # fmt: skip
    return left_out(lead, out)


def _activities(tasks: pd.DataFrame | None, events: pd.DataFrame | None) -> pd.DataFrame | None:
    frames = []
    for frame, kind in ((tasks, "Task"), (events, "Event")):
        if frame is None:
            continue
        when = (column(frame, "activitydate") if kind == "Task"
                else column(frame, "activitydatetime", "startdatetime"))  # fmt: skip
        when = when.where(when.notna(), column(frame, "createddate"))
        what = column(frame, "whatid").astype("str")
        out = pd.DataFrame({
            "activity_id": frame["id"], "rep_id": column(frame, "ownerid"),
            "date": stamps(when),
            "type": column(frame, "tasksubtype", "type", "eventsubtype").fillna(kind),
            "opportunity_id": what.where(what.str.startswith("006", na=False), None),
        })  # fmt: skip
        frames.append(left_out(frame, out))
    return pd.concat(frames, ignore_index=True) if frames else None


def _splits(s: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    s = s.assign(share=pd.to_numeric(column(s, "splitpercentage"), errors="coerce") / 100)
    if "splittypeid" in s and s["splittypeid"].nunique() > 1:
        live = s[~deleted(s)]
        sums = live.groupby(["splittypeid", "opportunityid"])["share"].sum()
        whole = (sums.sub(1).abs() < 1e-6).groupby(level=0).mean()
        rows = live.groupby("splittypeid").size()
        named = [t for t in whole.index if "revenue" in str(t).casefold()]
        # Salesforce's Revenue split type must add up to 100%; overlays need not
        kept = named[0] if named else max(whole.index, key=lambda t: (whole[t], rows[t]))
        notes.append(f"OpportunitySplit: split type {kept} is the one whose shares add up to "
                     f"100% per deal; {int((s['splittypeid'] != kept).sum())} rows of other "
                     "split types (overlay credit) are not credits")  # fmt: skip
        s = s[s["splittypeid"] == kept]
    out = pd.DataFrame({"opportunity_id": s["opportunityid"], "rep_id": s["splitownerid"],
                        "share": s["share"]})  # fmt: skip
    return left_out(s, out)


def _quotas(q: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    if "forecastingtypeid" in q and q["forecastingtypeid"].nunique() > 1:
        kept = q["forecastingtypeid"].value_counts().index[0]
        notes.append(f"ForecastingQuota: forecasting type {kept} (the commonest) gives quotas")
        q = q[q["forecastingtypeid"] == kept]
    out = pd.DataFrame({"rep_id": column(q, "quotaownerid"),
                        "period_start": stamps(q["startdate"]),
                        "amount": column(q, "quotaamount"),
                        "currency": column(q, "currencyisocode")})  # fmt: skip
    return left_out(q, out)


def _accounts(a: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({
        "account_id": a["id"], "name": column(a, "name"), "industry": column(a, "industry"),
        "region": None, "employees": column(a, "numberofemployees"),
        "annual_revenue": column(a, "annualrevenue"), "owner_rep_id": column(a, "ownerid"),
    })  # fmt: skip
    return left_out(a, out)


OWNER_COLUMNS = [("opportunities", "rep_id"), ("opportunity_splits", "rep_id"),
                 ("quotas", "rep_id"), ("accounts", "owner_rep_id"), ("leads", "owner_rep_id"),
                 ("activities", "rep_id")]  # fmt: skip


def _ids(tables: dict[str, pd.DataFrame], columns: list[tuple[str, str]]) -> set[str]:
    found = [tables[t][c] for t, c in columns if t in tables and c in tables[t]]
    return set(pd.concat(found).dropna().astype("str")) - {""} if found else set()


def _sellers(tables: dict[str, pd.DataFrame]) -> set[str]:
    """Users who own a deal or a split of one, or have a quota."""
    return _ids(tables, OWNER_COLUMNS[:3])


def _owners(tables: dict[str, pd.DataFrame]) -> set[str]:
    """Every user id a table refers to."""
    return _ids(tables, OWNER_COLUMNS)


def _fiscal_start(objects) -> int | None:
    settings, periods = _one(objects, "FiscalYearSettings"), _one(objects, "Period")
    if settings is not None:
        month = pd.to_numeric(settings["startmonth"], errors="coerce").dropna()
        if len(month):
            return int(month.mode().iloc[0])
    if periods is not None:
        years = periods[periods["type"].astype("str").str.casefold() == "year"]
        start = days(years["startdate"]).dropna()
        if len(start):
            return int(start.dt.month.mode().iloc[0])
    return None


def _history_mode(item: Resolved, frames: dict[str, pd.DataFrame]) -> bool:
    """A connector's history-mode copy of an object (``_fivetran_start``), other than the
    Opportunity versions that stand for the opportunity history."""
    return item.kind != "OpportunityVersions" and "fivetranstart" in frames[item.name]


def _files_used(found: list[Resolved], frames: dict[str, pd.DataFrame], current: set) -> dict:
    """One line per file used: its object, how it was recognised, its rows and the rows left
    out (deleted at the source, earlier history-mode versions)."""
    out = {}
    for item in found:
        if item.kind is None:
            continue
        frame = frames[item.name]
        line = f"{item.kind} (by its {item.how}), {len(frame)} rows"
        if _history_mode(item, frames):
            if item.kind in current:
                out[item.name] = f"{item.kind} history mode, not used: the current rows are there"
                continue
            line += ", history mode"
        gone = {"deleted at the source": int(deleted(frame).sum()),
                "earlier history-mode versions": int(superseded(frame).sum())}
        gone = {reason: n for reason, n in gone.items() if n}
        if gone:
            line += "; left out: " + ", ".join(f"{n} {reason}" for reason, n in gone.items())
        out[item.name] = line
    return out


def convert(frames: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], dict]:
    """Canonical tables and spm.yaml settings from Salesforce objects (see the module
    docstring). ``frames`` maps a name (a file or table name) to the object's rows."""
    frames = {name: normalise(frame, name) for name, frame in frames.items()}
    found = classify(frames)
    notes: list[str] = []
    current_kinds = [r for r in found if r.kind and not _history_mode(r, frames)]
    history_mode = [r for r in found if r.kind and _history_mode(r, frames)]
    objects = {k: [f] for k, f in group(frames, current_kinds).items()}
    current = set(objects)
    for kind, frame in group(frames, history_mode).items():  # used where current rows lack
        if kind not in objects:
            objects[kind] = [frame]
    seen = _files_used(found, frames, current)
    current = _one(objects, "Opportunity")
    versions = _one(objects, "OpportunityVersions")
    if current is None and versions is None:
        raise DataError(
            "Salesforce: not a Salesforce Opportunities report (Opportunity ID, Stage, Amount, "
            "Close Date), and no Opportunity object by API name (Id, StageName, CloseDate) among "
            + ", ".join(f"{r.name} ({r.kind or r.how})" for r in found),
            table="opportunities", expected="Opportunity ID, Stage, Amount, Close Date",
        )
    o = current if current is not None else versions
    opps = _opportunities(o, current is None, notes)
    tables: dict[str, pd.DataFrame] = {"opportunities": opps}
    corporate, rates, dated = _currencies(objects, notes)
    if dated is not None:
        tables["currency_rates"] = dated
    history = _one(objects, "OpportunityHistory")
    field_history = _one(objects, "OpportunityFieldHistory")
    if history is not None:
        hist = _history_rows(history)
    elif field_history is not None:
        hist = _field_history(field_history, opps)
        notes.append("opportunity_history rebuilt from OpportunityFieldHistory")
    elif versions is not None:
        hist = _versions_history(versions)
        notes.append("opportunity_history from the connector's history-mode versions")
    else:
        hist = None
    if hist is not None:
        tables["opportunity_history"] = hist
    won, lost = won_lost(o)
    open_stages = [s for s in dict.fromkeys(o["stagename"].dropna()) if s not in won + lost]
    if hist is not None:
        open_stages += [s for s in dict.fromkeys(hist["stage"].dropna())
                        if s not in won + lost + open_stages]  # fmt: skip
    order_frame = None if hist is None else hist.assign(changed=hist["changed_at"])
    with_stages = [f for f in (o, history) if f is not None]
    ordered, order_source = stage_order(open_stages, with_stages, order_frame,
                                         _one(objects, "OpportunityStage"))  # fmt: skip
    users = _one(objects, "User")
    accounts, leads = _one(objects, "Account"), _one(objects, "Lead")
    activities = _activities(_one(objects, "Task"), _one(objects, "Event"))
    if accounts is not None:
        tables["accounts"] = _accounts(accounts)
    if leads is not None:
        tables["leads"] = _leads(leads, notes)
    if activities is not None:
        tables["activities"] = activities
    splits = _one(objects, "OpportunitySplit")
    if splits is not None:
        tables["opportunity_splits"] = _splits(splits, notes)
    quotas = _one(objects, "ForecastingQuota")
    if quotas is not None:
        tables["quotas"] = _quotas(quotas, notes)
    used, people = {}, {}
    if users is not None:
        tables["reps"], used, people = users_to_reps(
            users, objects, _sellers(tables), _owners(tables), notes)
    else:
        ids = sorted(_owners(tables))
        tables["reps"] = pd.DataFrame({"rep_id": ids, "name": ids})
        notes.append("no User object: reps are the owner ids found, named by id")
    config: dict = {"currency": corporate}
    if rates:
        config["currency_rates"] = rates
    start = _fiscal_start(objects)
    if start:
        config["fiscal_year_start_month"] = start
    organisation = _one(objects, "Organization")
    if organisation is not None and organisation["timezonesidkey"].notna().any():
        config["timezone"] = str(organisation["timezonesidkey"].dropna().iloc[0])
    config["stages"] = ordered + [{"name": s, "won": True} for s in won] + [
        {"name": s, "lost": True} for s in lost]  # fmt: skip
    config["mapping"] = {"tables": {
        name: {"exclude": {flag: True for flag in ("deleted", "superseded")
                           if flag in frame and frame[flag].eq("true").any()}}
        for name, frame in tables.items()
        if any(f in frame and frame[f].eq("true").any() for f in ("deleted", "superseded"))
    }}  # fmt: skip
    if not config["mapping"]["tables"]:
        del config["mapping"]
    for name, frame in tables.items():
        deleted = int(frame["deleted"].eq("true").sum()) if "deleted" in frame else 0
        if deleted:
            notes.append(f"{name}: {deleted} rows deleted at the source, quarantined on load")
        old = int(frame["superseded"].eq("true").sum()) if "superseded" in frame else 0
        if old:
            notes.append(f"{name}: {old} earlier history-mode versions, quarantined on load")
    config["imported_from"] = {
        "source": "salesforce", "files": seen, "not_used": summary(found),
        "stage_order": order_source,
        **({"team": used["team"]} if "team" in used else {}),
        **({"region": used["region"]} if "region" in used else {}),
        **({"manager": used["manager"]} if "manager" in used else {}),
        **({"hierarchy": used["hierarchy"]} if "hierarchy" in used else {}),
        **({"non_sellers": used["non_sellers"]} if "non_sellers" in used else {}),
        "people": people,
        "notes": notes,
    }  # fmt: skip
    return tables, config
