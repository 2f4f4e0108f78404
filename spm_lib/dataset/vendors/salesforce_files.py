"""Which Salesforce object each file (or warehouse table) holds: the name decides.

A Data Export (a folder or ``.zip``) holds one ``<Object>.csv`` per object, named by its API
name, beside hundreds of objects this tool does not read, many with look-alike columns
(``TenantSecurityLogin`` has ``Name``; ``Quote``, ``Contract`` and ``Order`` have billing
addresses; ``Campaign`` has ``Type``, ``StartDate`` and ``EndDate``). So:

1. A file whose name is the API name of an object read here (``Opportunity.csv``, or a
   connector's ``opportunity_history`` table: names compare ignoring case and underscores) is
   that object and nothing else.
2. In a Data Export (some file is named so), any other file named like an API name
   (``TenantSecurityLogin.csv``, ``Invoice__c.csv``) is an object not read here: not used.
3. A connector's history-mode table (``_fivetran_start``; Fivetran names them
   ``<object>_history``, so ``opportunity_history`` holds versions of Opportunity) and files
   whose names are not object names (a Data Loader ``extract.csv``, a Workbench
   ``bulkQuery_result.csv``, a seed ``sf_opportunity_data.csv``) are recognised by columns:
   every column an object's rule requires, and none that marks another object.

Two files of one object are read as one when their columns agree; otherwise :func:`resolve`
raises a :class:`~spm_lib.exceptions.DataError` naming both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

import pandas as pd

from spm_lib.dataset.vendors.objects import concatenated, key

# object -> (columns a file must have to be recognised as it, columns it never has). A rule is
# the object's own fields as every export of it carries them, never a few common ones.
RULES: list[tuple[str, frozenset[str], frozenset[str]]] = [
    (name, frozenset(required), frozenset(never))
    for name, required, never in [
        ("OpportunityVersions", {"id", "stagename", "closedate", "fivetranstart"}, set()),
        ("OpportunityFieldHistory", {"opportunityid", "field", "newvalue"}, set()),
        ("OpportunityHistory", {"opportunityid", "stagename"}, {"field", "quantity"}),
        ("OpportunitySplit", {"opportunityid", "splitownerid"}, set()),
        ("Opportunity", {"id", "stagename", "closedate"}, {"opportunityid", "fivetranstart"}),
        ("OpportunityStage", {"masterlabel", "sortorder", "iswon"}, set()),
        ("DatedConversionRate", {"isocode", "conversionrate", "startdate"}, set()),
        ("CurrencyType", {"isocode", "conversionrate", "iscorporate"}, {"startdate"}),
        ("FiscalYearSettings", {"startmonth", "yeartype"}, set()),
        ("Period", {"type", "startdate", "enddate", "fiscalyearsettingsid"}, set()),
        ("ForecastingQuota", {"quotaownerid", "startdate"}, set()),
        ("UserRole", {"id", "name", "parentroleid"}, {"username"}),
        ("Profile", {"id", "name", "userlicenseid"}, {"username"}),
        ("UserTerritory2Association", {"userid", "territory2id"}, set()),
        ("Territory2", {"id", "name", "territory2modelid"}, set()),
        ("User", {"id", "username", "usertype"}, set()),
        ("User", {"id", "username", "email", "isactive"}, set()),
        ("Lead", {"id", "isconverted", "status"}, {"opportunityid"}),
        ("Event", {"id", "ownerid", "activitydatetime", "durationinminutes"}, set()),
        ("Event", {"id", "ownerid", "startdatetime", "isalldayevent"}, set()),
        ("Task", {"id", "ownerid", "whatid", "whoid", "status"}, {"startdatetime"}),
        ("Organization", {"id", "timezonesidkey", "organizationtype"}, {"username"}),
        ("Account", {"id", "name", "industry"}, {"accountid", "opportunityid", "userid"}),
        ("Account", {"id", "name", "numberofemployees"}, {"accountid", "opportunityid"}),
    ]
]
READ = sorted({name for name, _, _ in RULES} - {"OpportunityVersions"})
_BY_KEY = {key(name): name for name in READ}
_API_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*(?:__[A-Za-z]+)?$")
NOT_READ = "a Salesforce object this tool does not read"
NO_RULE = "named as no object, with the columns of none it reads"


@dataclass(frozen=True)
class Resolved:
    """Where one file went: the object (None: not used), how that was decided, or why not."""

    name: str
    kind: str | None
    how: str  # "name", "columns", or the reason it is not used


def _stem(name: str) -> str:
    return PurePath(name).stem if PurePath(name).suffix.lower() in (".csv", ".xlsx") else name


def object_named(name: str) -> str | None:
    """The object read here that a file or table ``name`` names (``Opportunity.csv``,
    ``opportunity_history``), or None."""
    return _BY_KEY.get(key(_stem(name)))


def by_columns(frame: pd.DataFrame) -> str | None:
    """The object whose rule a frame (normalised columns) meets, or None."""
    present = set(frame.columns)
    return next((n for n, need, never in RULES if need <= present and not never & present), None)


def classify(frames: dict[str, pd.DataFrame]) -> list[Resolved]:
    """Each frame (normalised columns) with its object, by the module's rules."""
    export = any(object_named(name) for name in frames)
    out = []
    for name, frame in frames.items():
        named = object_named(name)
        if "fivetranstart" in frame:  # a connector's history mode: ``<object>_history`` tables
            kind = by_columns(frame)
            out.append(Resolved(name, kind, "columns" if kind else NO_RULE))
        elif named:
            out.append(Resolved(name, named, "name"))
        elif export and _API_NAME.match(_stem(name)):
            out.append(Resolved(name, None, NOT_READ))
        else:
            kind = by_columns(frame)
            out.append(Resolved(name, kind, "columns" if kind else NO_RULE))
    return out


def group(frames: dict[str, pd.DataFrame], found: list[Resolved]) -> dict[str, pd.DataFrame]:
    """One frame per object: the files of one object concatenated when their columns agree,
    else a DataError naming both files."""
    by_kind: dict[str, list[str]] = {}
    for item in found:
        if item.kind:
            by_kind.setdefault(item.kind, []).append(item.name)
    return {
        kind: concatenated("Salesforce", kind, {n: frames[n] for n in names})
        for kind, names in by_kind.items()
    }


def summary(found: list[Resolved]) -> dict:
    """Files not used, counted by reason, with a few names of each."""
    reasons: dict[str, list[str]] = {}
    for item in found:
        if item.kind is None:
            reasons.setdefault(item.how, []).append(_stem(item.name))
    return {
        "count": sum(len(v) for v in reasons.values()),
        "reasons": {r: {"files": len(v), "such as": sorted(v)[:5]} for r, v in reasons.items()},
    }
