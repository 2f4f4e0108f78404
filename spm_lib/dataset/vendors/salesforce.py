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

from spm_lib.dataset.config_values import currency_code
from spm_lib.dataset.vendors.objects import (
    column,
    days,
    deleted,
    flags,
    left_out,
    normalise,
    stamps,
    superseded,
    truthy,
)
from spm_lib.dataset.vendors.salesforce_files import Resolved, classify, group, summary
from spm_lib.dataset.vendors.salesforce_history import (
    field_history_rows,
    history_rows,
    versions_history,
)
from spm_lib.dataset.vendors.salesforce_records import (
    UNASSIGNED,
    accounts,
    activities,
    leads,
    one,
    quotas,
    splits,
)
from spm_lib.dataset.vendors.salesforce_stages import stage_order, won_lost
from spm_lib.dataset.vendors.salesforce_users import users_to_reps
from spm_lib.exceptions import DataError


def _currencies(objects, notes: list[str]) -> tuple[str, dict[str, float], pd.DataFrame | None]:
    """Corporate currency, spm.yaml rates (corporate units per unit) and dated rates."""
    types, dated = one(objects, "CurrencyType"), one(objects, "DatedConversionRate")
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
                    table="CurrencyType",
                    column="IsoCode",
                    expected="three letters",
                )
        rate = pd.to_numeric(types["conversionrate"], errors="coerce")
        for code, value in zip(types["isocode"], rate, strict=True):
            code = str(code).strip().upper()
            if currency_code(code) and code != corporate and value and value > 0:
                rates[code] = round(1 / float(value), 12)
        notes.append(
            f"corporate currency {corporate} (CurrencyType.IsCorporate); each "
            "CurrencyType.ConversionRate (units per corporate unit) is written to "
            "currency_rates as its inverse (corporate units per unit)"
        )
    if dated is not None:
        dated = dated[~deleted(dated)]
        rate = pd.to_numeric(dated["conversionrate"], errors="coerce")
        dated = pd.DataFrame(
            {
                "currency": dated["isocode"].astype("str").str.strip().str.upper(),
                "start_date": days(dated["startdate"]).dt.strftime("%Y-%m-%d"),
                "rate": (1 / rate.where(rate > 0)).round(12),
            }
        )
        notes.append(
            f"DatedConversionRate written to currency_rates ({len(dated)} rates, each "
            f"as {corporate} per unit): every amount is converted on load at the rate "
            "in force on its row's close date, else with CurrencyType"
        )
    return corporate, rates, dated


def _opportunities(o: pd.DataFrame, versions: bool, notes: list[str]) -> pd.DataFrame:
    if "ownerid" in o:
        owner = o["ownerid"]
    else:
        owner = pd.Series(UNASSIGNED, index=o.index)
        notes.append(
            "the Opportunity export has no OwnerId column: every deal is owned by "
            f"the rep {UNASSIGNED!r} (add OwnerId to the export for rep figures)"
        )
    out = pd.DataFrame(
        {
            "opportunity_id": o["id"],
            "rep_id": owner,
            "account_id": column(o, "accountid"),
            "product": column(o, "type"),
            "created_date": stamps(column(o, "createddate")),
            "close_date": stamps(o["closedate"]),
            "stage": o["stagename"],
            "amount": column(o, "amount"),
            "is_closed": flags(column(o, "isclosed")),
            "is_won": flags(column(o, "iswon")),
            "forecast_category": column(o, "forecastcategoryname", "forecastcategory"),
            "lead_source": column(o, "leadsource"),
            "modified_date": stamps(
                column(o, "fivetranstart")
                if versions
                else column(o, "lastmodifieddate", "systemmodstamp")
            ),
            "currency": column(o, "currencyisocode"),
            "opportunity_name": column(o, "name"),
            "probability": column(o, "probability"),
        }
    )
    return left_out(o, out)


OWNER_COLUMNS = [
    ("opportunities", "rep_id"),
    ("opportunity_splits", "rep_id"),
    ("quotas", "rep_id"),
    ("accounts", "owner_rep_id"),
    ("leads", "owner_rep_id"),
    ("activities", "rep_id"),
]


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
    settings, periods = one(objects, "FiscalYearSettings"), one(objects, "Period")
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
        gone = {
            "deleted at the source": int(deleted(frame).sum()),
            "earlier history-mode versions": int(superseded(frame).sum()),
        }
        gone = {reason: n for reason, n in gone.items() if n}
        if gone:
            line += "; left out: " + ", ".join(f"{n} {reason}" for reason, n in gone.items())
        out[item.name] = line
    return out


def convert(frames: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], dict]:
    """Canonical tables and spm.yaml settings from Salesforce objects (see the module
    docstring). ``frames`` maps a name (a file or table name) to the object's rows. Object by
    object: the opportunities, currencies, history and stages, then the objects of
    :data:`OBJECT_TABLES`, then users as reps; what was decided goes to ``imported_from``."""
    frames = {name: normalise(frame, name) for name, frame in frames.items()}
    found = classify(frames)
    objects, seen = _objects(frames, found)
    notes: list[str] = []
    o, from_versions = _opportunity_rows(objects, found)
    tables: dict[str, pd.DataFrame] = {"opportunities": _opportunities(o, from_versions, notes)}
    corporate, rates, dated = _currencies(objects, notes)
    if dated is not None:
        tables["currency_rates"] = dated
    hist = _history(objects, tables["opportunities"], notes)
    if hist is not None:
        tables["opportunity_history"] = hist
    stages, order_source = _stages(o, hist, objects)
    for table, convert_object in OBJECT_TABLES.items():
        frame = convert_object(objects, notes)
        if frame is not None:
            tables[table] = frame
    tables["reps"], used, people = _reps(tables, objects, notes)
    config = _settings(objects, corporate, rates, stages)
    config.update(_exclusions(tables, notes))
    config["imported_from"] = {
        "source": "salesforce",
        "files": seen,
        "not_used": summary(found),
        "stage_order": order_source,
        **{
            k: used[k]
            for k in ("team", "region", "manager", "hierarchy", "non_sellers")
            if k in used
        },
        "people": people,
        "notes": notes,
    }
    return tables, config


def _objects(frames: dict[str, pd.DataFrame], found: list[Resolved]) -> tuple[dict, dict]:
    """Frames grouped by object (a connector's history-mode copy only where the current rows
    lack), and one line per file used (:func:`_files_used`)."""
    current_kinds = [r for r in found if r.kind and not _history_mode(r, frames)]
    history_mode = [r for r in found if r.kind and _history_mode(r, frames)]
    objects = {k: [f] for k, f in group(frames, current_kinds).items()}
    current = set(objects)
    for kind, frame in group(frames, history_mode).items():
        if kind not in objects:
            objects[kind] = [frame]
    return objects, _files_used(found, frames, current)


def _opportunity_rows(objects: dict, found: list[Resolved]) -> tuple[pd.DataFrame, bool]:
    """The Opportunity object, else a connector's history-mode versions of it (True)."""
    current = one(objects, "Opportunity")
    if current is not None:
        return current, False
    versions = one(objects, "OpportunityVersions")
    if versions is None:
        raise DataError(
            "Salesforce: not a Salesforce Opportunities report (Opportunity ID, Stage, Amount, "
            "Close Date), and no Opportunity object by API name (Id, StageName, CloseDate) among "
            + ", ".join(f"{r.name} ({r.kind or r.how})" for r in found),
            table="opportunities",
            expected="Opportunity ID, Stage, Amount, Close Date",
        )
    return versions, True


def _history(objects: dict, opps: pd.DataFrame, notes: list[str]) -> pd.DataFrame | None:
    """opportunity_history from OpportunityHistory, else OpportunityFieldHistory, else the
    connector's history-mode versions of Opportunity."""
    history = one(objects, "OpportunityHistory")
    field_history = one(objects, "OpportunityFieldHistory")
    versions = one(objects, "OpportunityVersions")
    if history is not None:
        return history_rows(history)
    if field_history is not None:
        notes.append("opportunity_history rebuilt from OpportunityFieldHistory")
        return field_history_rows(field_history, opps)
    if versions is not None:
        notes.append("opportunity_history from the connector's history-mode versions")
        return versions_history(versions)
    return None


def _stages(o: pd.DataFrame, hist: pd.DataFrame | None, objects: dict) -> tuple[list, str]:
    """spm.yaml's stage list (open stages in order, then won, then lost) and where the order
    came from."""
    won, lost = won_lost(o)
    open_stages = [s for s in dict.fromkeys(o["stagename"].dropna()) if s not in won + lost]
    if hist is not None:
        open_stages += [
            s for s in dict.fromkeys(hist["stage"].dropna()) if s not in won + lost + open_stages
        ]
    order_frame = None if hist is None else hist.assign(changed=hist["changed_at"])
    history = one(objects, "OpportunityHistory")
    with_stages = [f for f in (o, history) if f is not None]
    ordered, order_source = stage_order(
        open_stages, with_stages, order_frame, one(objects, "OpportunityStage")
    )
    stages = (
        ordered
        + [{"name": s, "won": True} for s in won]
        + [{"name": s, "lost": True} for s in lost]
    )
    return stages, order_source


def _reps(tables: dict, objects: dict, notes: list[str]) -> tuple[pd.DataFrame, dict, dict]:
    """Users as reps (:func:`users_to_reps`), else the owner ids found, named by id."""
    users = one(objects, "User")
    if users is not None:
        return users_to_reps(users, objects, _sellers(tables), _owners(tables), notes)
    ids = sorted(_owners(tables))
    notes.append("no User object: reps are the owner ids found, named by id")
    return pd.DataFrame({"rep_id": ids, "name": ids}), {}, {}


def _settings(objects: dict, corporate: str, rates: dict, stages: list) -> dict:
    """spm.yaml's currency, rates, fiscal year start, time zone and stages."""
    config: dict = {"currency": corporate}
    if rates:
        config["currency_rates"] = rates
    start = _fiscal_start(objects)
    if start:
        config["fiscal_year_start_month"] = start
    organisation = one(objects, "Organization")
    if organisation is not None and organisation["timezonesidkey"].notna().any():
        config["timezone"] = str(organisation["timezonesidkey"].dropna().iloc[0])
    config["stages"] = stages
    return config


def _exclusions(tables: dict[str, pd.DataFrame], notes: list[str]) -> dict:
    """spm.yaml's ``mapping`` that excludes rows deleted at the source and earlier
    history-mode versions (quarantined and counted on load), with a note per table."""
    flagged = {
        name: {
            "exclude": {
                flag: True
                for flag in ("deleted", "superseded")
                if flag in frame and frame[flag].eq("true").any()
            }
        }
        for name, frame in tables.items()
        if any(f in frame and frame[f].eq("true").any() for f in ("deleted", "superseded"))
    }
    for name, frame in tables.items():
        gone = int(frame["deleted"].eq("true").sum()) if "deleted" in frame else 0
        if gone:
            notes.append(f"{name}: {gone} rows deleted at the source, quarantined on load")
        old = int(frame["superseded"].eq("true").sum()) if "superseded" in frame else 0
        if old:
            notes.append(f"{name}: {old} earlier history-mode versions, quarantined on load")
    return {"mapping": {"tables": flagged}} if flagged else {}


def _object(name: str, convert_one, with_notes: bool = True):
    """A converter of one object to its canonical table (None when the object is absent)."""

    def converted(objects: dict, notes: list[str]) -> pd.DataFrame | None:
        frame = one(objects, name)
        if frame is None:
            return None
        return convert_one(frame, notes) if with_notes else convert_one(frame)

    return converted


# the objects beyond opportunities, history and users: canonical table -> converter, in the
# order the tables are written
OBJECT_TABLES = {
    "accounts": _object("Account", accounts, with_notes=False),
    "leads": _object("Lead", leads),
    "activities": lambda objects, notes: activities(one(objects, "Task"), one(objects, "Event")),
    "opportunity_splits": _object("OpportunitySplit", splits),
    "quotas": _object("ForecastingQuota", quotas),
}
