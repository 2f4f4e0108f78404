"""CRM objects as exports and warehouses hold them: one spelling, whatever the source.

Salesforce's Data Export, Data Loader, Workbench and the Bulk API name columns by API name
(``StageName``, ``OwnerId``); connectors such as Fivetran and Airbyte land the same objects in
snake_case (``stage_name``, ``owner_id``) with bookkeeping columns (``_fivetran_deleted``,
``_fivetran_active``, ``_fivetran_start``). :func:`normalise` turns every column name into one
key (lower case, no underscores: ``stagename``), so one mapping of a vendor's objects serves
both spellings. The helpers here read the value formats those sources write.
"""

from __future__ import annotations

import re

import pandas as pd

from spm_lib.dataset.readers import FALSE, TRUE
from spm_lib.exceptions import DataError


def key(column: str) -> str:
    """``StageName``, ``stage_name``, ``Stage Name`` -> ``stagename``."""
    return re.sub(r"[\s_]+", "", str(column)).casefold()


def normalise(frame: pd.DataFrame, name: str = "a file") -> pd.DataFrame:
    """``frame`` with its columns renamed by :func:`key`. Two columns that become one key
    (``StageName`` and ``stage_name``, or a vendor's ``NetSuite_Id__c`` beside
    ``Netsuite_Id__c``) are both left out, never one picked: the frame's ``attrs["ambiguous"]``
    names them, and reading that field (:func:`column`, :func:`has`, :func:`recognise`) is a
    DataError naming both, while a field this tool never reads stays harmless."""
    seen: dict[str, list[str]] = {}
    for column in frame.columns:
        seen.setdefault(key(column), []).append(str(column))
    clashes = {field: names for field, names in seen.items() if len(names) > 1}
    keep = [i for i, column in enumerate(frame.columns) if key(column) not in clashes]
    out = frame.iloc[:, keep].set_axis([key(frame.columns[i]) for i in keep], axis=1)
    out.attrs["ambiguous"] = {field: (name, names) for field, names in clashes.items()}
    return out


def _refuse_ambiguous(frame: pd.DataFrame, fields) -> None:
    for field in fields:
        found = frame.attrs.get("ambiguous", {}).get(field)
        if found:
            name, names = found
            raise DataError(
                f"{name}: columns {', '.join(map(repr, names))} are one field (spelt two ways); "
                "which one holds the data would be a guess. Remove all but one",
                path=name,
                column=names[-1],
                expected="one column per field",
            )


def concatenated(source: str, kind: str, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The files of one object or report (name -> frame), read as one when their columns agree
    (rows in file order), else a DataError naming two files whose columns differ: a report
    exported in two files is one report, and no file's rows are lost."""
    names = list(frames)
    first = set(frames[names[0]].columns)
    for other in names[1:]:
        if set(frames[other].columns) != first:
            differ = sorted(first ^ set(frames[other].columns))
            raise DataError(
                f"{source}: {names[0]} and {other} both hold {kind} but their columns differ "
                f"({', '.join(map(str, differ[:8]))}); export them with the same fields, or "
                "import one of them",
                table=kind,
                path=other,
                expected=f"one {kind} file, or files with one header",
            )
    return pd.concat([frames[n] for n in names], ignore_index=True)


def recognise(frame: pd.DataFrame, rules: list[tuple[str, set[str]]]) -> str | None:
    """The name of the first rule whose columns (keys) the frame has all of, or None; a rule
    met only through a field spelt two ways is a DataError (:func:`normalise`)."""
    present = set(frame.columns)
    ambiguous = set(frame.attrs.get("ambiguous", {}))
    for name, needed in rules:
        if needed <= present:
            return name
        if needed <= present | ambiguous:
            _refuse_ambiguous(frame, needed & ambiguous)
    return None


def column(frame: pd.DataFrame, *names: str) -> pd.Series:
    """The first of ``names`` (keys) that ``frame`` has, else an empty column."""
    for name in names:
        _refuse_ambiguous(frame, [name])
        if name in frame.columns:
            return frame[name]
    return pd.Series(None, index=frame.index, dtype="object")


def has(frame: pd.DataFrame, *names: str) -> bool:
    _refuse_ambiguous(frame, names)
    return all(n in frame.columns for n in names)


def flags(values: pd.Series) -> pd.Series:
    """Booleans as text (``true``/``false``; empty stays empty) from ``0/1``, ``true/TRUE``."""
    text = values.astype("str").str.strip().str.casefold().where(values.notna())
    out = pd.Series(None, index=values.index, dtype="object")
    out[text.isin(TRUE)] = "true"
    out[text.isin(FALSE)] = "false"
    return out.where(text.isin(TRUE | FALSE), values.where(values.notna(), None))


def truthy(values: pd.Series) -> pd.Series:
    """True where a flag column says true (empty: False)."""
    return flags(values).eq("true")


# Excel's re-saved exports: US short dates with a 2- or 4-digit year, times with AM/PM
_US_FORMATS = (
    "%m/%d/%y %I:%M %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%y %H:%M",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%y",
    "%m/%d/%Y",
)


def stamps(values: pd.Series) -> pd.Series:
    """Timestamps and dates as ISO text the loader reads, their offsets kept (``Z``,
    ``+02:00``) so that the loader turns each into a date once, in the configured time zone.

    ISO values pass through; US dates as Excel re-saves them (``02/23/26 08:55 PM``,
    ``12/31/2023``) become ``2026-02-23 20:55:00``. Anything else stays as it is, for the
    loader to report."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    text = values.astype("str").str.strip().where(values.notna())
    us = text.str.match(r"^\d{1,2}/\d{1,2}/\d{2,4}", na=False)
    if not us.any():
        return text
    out = text.copy()
    todo = us.copy()
    for fmt in _US_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        done = parsed.notna()
        out[parsed.index[done]] = parsed[done].dt.strftime("%Y-%m-%d %H:%M:%S")
        todo[parsed.index[done]] = False
    return out


def days(values: pd.Series) -> pd.Series:
    """Dates (the day of a timestamp, in its own local time) as datetime64, for the
    importer's own date logic (rates by close date); NaT where unreadable."""
    text = stamps(values)
    if pd.api.types.is_datetime64_any_dtype(text):
        return text.dt.normalize()
    day = text.str.extract(r"^(\d{4}-\d{2}-\d{2})", expand=False)
    return pd.to_datetime(day, format="%Y-%m-%d", errors="coerce")


def deleted(frame: pd.DataFrame) -> pd.Series:
    """Rows deleted at the source (normalised columns): ``IsDeleted`` / ``is_deleted`` or a
    connector's ``_fivetran_deleted``."""
    out = pd.Series(False, index=frame.index)
    for name in ("isdeleted", "fivetrandeleted"):
        if name in frame:
            out |= truthy(frame[name])
    return out


def superseded(frame: pd.DataFrame) -> pd.Series:
    """An earlier version in a connector's history mode (``_fivetran_active`` false)."""
    if "fivetranactive" not in frame:
        return pd.Series(False, index=frame.index)
    return flags(frame["fivetranactive"]).eq("false")


def left_out(frame: pd.DataFrame, out: pd.DataFrame) -> pd.DataFrame:
    """``out`` (canonical rows of ``frame``) with the ``deleted`` and ``superseded`` flags the
    written spm.yaml excludes on load."""
    out["deleted"] = flag_text(deleted(frame))
    out["superseded"] = flag_text(superseded(frame))
    return out


def flag_text(mask: pd.Series) -> pd.Series:
    """A boolean mask as the flag text the loader reads (``true``/``false``)."""
    return mask.map({True: "true", False: "false"})
