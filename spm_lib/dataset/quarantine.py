"""Which rows of a table are quarantined, and why: the row-level rules the loader applies.

Every rule returns quarantine records (``row`` 1-based in the file, ``column``, ``check``,
``value``, ``reason``; the loader adds ``table`` and ``key``): cells that did not parse, the
failures of the table's pandera schema (empty required values, duplicate keys, references to
unknown keys, value checks), references that match several keys once case is ignored, split
shares that do not sum to 1, older copies of a duplicated key, rows a mapping rule leaves out.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pandera.pandas as pa

from spm_lib.dataset.config import Config
from spm_lib.dataset.mapping import EXCLUDED
from spm_lib.dataset.readers import ParseFailure
from spm_lib.dataset.row_checks import row_checks
from spm_lib.dataset.schema import TABLES, TableSpec, in_keys, table_schema
from spm_lib.exceptions import DataError


def key_text(frame: pd.DataFrame, spec: TableSpec) -> pd.Series:
    """Each row's key as text (parts of a composite key joined by `` / ``)."""
    parts = [frame[k].astype("str").fillna("") for k in spec.key]
    if len(parts) == 1:
        return parts[0]
    out = parts[0]
    for part in parts[1:]:
        out = out + " / " + part
    return out


def shown_value(value: object) -> str:
    """A failing value as a quarantine record shows it (a date as YYYY-MM-DD, missing as "")."""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def quarantine_records(
    table: str,
    typed: pd.DataFrame,
    keys: pd.Series,
    failures: list[ParseFailure],
    schema_failures: pd.DataFrame | None,
    config: Config,
    quarantined_keys: dict[str, set[str]],
) -> list[dict]:
    spec = TABLES[table]
    records: list[dict] = []
    parse_cells: set[tuple[int, str]] = set()
    for failure in failures:
        for pos, value in zip(failure.positions, failure.values, strict=True):
            parse_cells.add((pos, failure.column))
            records.append(
                {
                    "row": pos + 1,
                    "column": failure.column,
                    "check": failure.code,
                    "value": value,
                    "reason": f"{failure.column} is {value!r}; expected {failure.expected}",
                }
            )
    if schema_failures is not None and len(schema_failures):
        checks = {rc.code: rc for rc in row_checks(table, config)}
        refs = {f"orphan_{r.column}": r for r in spec.references}
        seen: set[tuple[int, str]] = set()
        for case in schema_failures.itertuples(index=False):
            if case.index is None or pd.isna(case.index):
                raise DataError(
                    f"table {table}: schema check {case.check!r} failed on the whole table "
                    f"({case.failure_case!r})",
                    table=table,
                    column=case.column,
                )
            pos, check = int(case.index), str(case.check)
            if check == "not_nullable" and (pos, case.column) in parse_cells:
                continue  # already quarantined for not parsing
            code = {
                "not_nullable": f"empty_{case.column}",
                "field_uniqueness": "duplicate_key",
                "multiple_fields_uniqueness": "duplicate_key",
            }.get(check, check)
            if (pos, code) in seen:
                continue
            seen.add((pos, code))
            if code == "duplicate_key":
                column = ", ".join(spec.key)
                value = keys.iloc[pos]
                count = int((keys == value).sum())
                reason = f"duplicate key {column} = {value!r} ({count} rows); expected unique"
            elif code.startswith("empty_"):
                column, value = case.column, ""
                reason = f"{column} is empty; expected a value"
            elif code in refs:
                ref = refs[code]
                column, value = ref.column, shown_value(typed[ref.column].iloc[pos])
                reason = f"{column} {value!r} is not in {ref.table}"
                if value in quarantined_keys.get(ref.table, set()):
                    reason += " (that row is quarantined there)"
            elif code in checks:
                rc = checks[code]
                column, value = rc.column, shown_value(typed[rc.column].iloc[pos])
                shown = ", ".join(
                    f"{c} is {shown_value(typed[c].iloc[pos])!r}" for c in (rc.column, *rc.context)
                )
                reason = f"expected {rc.expected}; {shown}"
            else:
                column, value = str(case.column), shown_value(case.failure_case)
                reason = f"{column} fails {check} ({value!r})"
            records.append(
                {"row": pos + 1, "column": column, "check": code, "value": value, "reason": reason}
            )
    return records  # table and key are filled in by the caller


def folded(values: pd.Series) -> pd.Series:
    """Ids as compared ignoring case and surrounding spaces."""
    return values.astype("str").str.strip().str.casefold()


# a Salesforce record id: 15 case-sensitive characters, or 18 with a case checksum
SALESFORCE_ID = r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?"


def align_reference_case(
    typed: pd.DataFrame, spec: TableSpec, keys_read: dict[str, pd.Series]
) -> list[dict]:
    """Align references to their keys' spelling, never merging two records.

    ``keys_read`` holds every key each referenced table had in its file, quarantined rows
    included: a reference is aligned only against all of them. One that matches a key exactly
    is used as it is. One that matches only when case and surrounding spaces are ignored takes
    the key's spelling (``r001`` -> ``R001``) when exactly one key matches that way; when
    several do, the row is quarantined as ambiguous. A reference of Salesforce's id shape (15
    or 18 letters and digits) is never case-folded: ``006A`` and ``006a`` are two records, so
    it matches exactly or not at all. References that match nothing stay, for the reference
    check to quarantine as orphans. Returns the quarantine records of the ambiguous ones.
    """
    records: list[dict] = []
    for ref in spec.references:
        keys = keys_read.get(ref.table)
        if keys is None or ref.column not in typed:
            continue
        keys = pd.Series(keys.dropna().unique())
        column = typed[ref.column]
        salesforce_shaped = column.str.fullmatch(SALESFORCE_ID).fillna(False).astype(bool)
        todo = column.notna() & ~in_keys(column, pd.Index(keys, dtype=object))
        todo &= ~salesforce_shaped
        if not todo.any():
            continue
        candidates = keys.groupby(folded(keys).to_numpy()).agg(sorted)  # folded -> its keys
        found = folded(column[todo]).map(candidates)
        count = found.map(len, na_action="ignore")
        single = count.eq(1)
        if single.any():
            typed.loc[single[single].index, ref.column] = found[single].str[0].astype("str")
        for pos in count[count.gt(1)].index:
            value, matches = column[pos], found[pos]
            records.append(
                {
                    "row": int(pos) + 1,
                    "column": ref.column,
                    "check": f"ambiguous_{ref.column}",
                    "value": value,
                    "reason": f"{ref.column} {value!r} matches no {ref.table} key exactly and "
                    f"{len(matches)} when case is ignored ({', '.join(map(repr, matches))});"
                    " ids that differ by case are different records",
                }
            )
    return records


def split_share_records(typed: pd.DataFrame) -> list[dict]:
    """Every split row of a deal whose shares (those that parse) do not sum to 1: the deal's
    credit cannot be split as written, so its split rows are quarantined and its owner is
    credited the whole deal, as for a deal without splits."""
    rows = typed[typed["share"].notna() & typed["opportunity_id"].notna()]
    sums = rows.groupby("opportunity_id")["share"].sum()
    bad = sums[(sums - 1).abs() > 1e-9]
    out = []
    for pos, deal, share in rows.loc[
        rows["opportunity_id"].isin(bad.index), ["opportunity_id", "share"]
    ].itertuples():
        reason = (
            f"the shares of {deal} sum to {bad[deal]:g}, not 1: its split rows are left "
            "out and its owner is credited the whole deal"
        )
        out.append(
            {
                "row": int(pos) + 1,
                "column": "share",
                "check": "split_shares_sum",
                "value": f"{share:g}",
                "reason": reason,
            }
        )
    return out


def superseded_copies(table: str, typed: pd.DataFrame, keys: pd.Series) -> list[dict]:
    """With a ``modified_date``, the older copies of a duplicated key are quarantined and the
    latest kept; duplicates without one (or tied) are left to the uniqueness check, which
    quarantines every copy."""
    if "modified_date" not in typed or typed["modified_date"].isna().all():
        return []
    frame = pd.DataFrame({"key": keys, "modified": typed["modified_date"]})
    dup = frame[frame["key"].duplicated(keep=False) & frame["key"].notna()]
    out = []
    for key, group in dup.groupby("key"):
        if group["modified"].isna().any():
            continue
        latest = group["modified"].max()
        if (group["modified"] == latest).sum() > 1:
            continue
        kept = group["modified"].idxmax()
        for pos, modified in group.drop(index=kept)["modified"].items():
            out.append(
                {
                    "row": int(pos) + 1,
                    "column": "modified_date",
                    "check": "superseded_copy",
                    "value": f"{modified:%Y-%m-%d %H:%M}",
                    "reason": f"an older copy of {key!r} (modified {modified:%Y-%m-%d %H:%M});"
                    f" the copy in row {kept + 1} modified {latest:%Y-%m-%d %H:%M}"
                    " is kept",
                }
            )
    return out


def schema_failure_cases(
    table: str, typed: pd.DataFrame, config: Config, reference_keys: dict[str, pd.Series]
) -> pd.DataFrame | None:
    """The failure cases of the table's pandera schema (lazy: every failing row), or None."""
    schema = table_schema(table, config, reference_keys)
    try:
        schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return exc.failure_cases
    return None


def excluded_records(raw: pd.DataFrame) -> list[dict]:
    """Rows left out by a mapping's ``where`` / ``exclude``: quarantined, with the rule."""
    if EXCLUDED not in raw:
        return []
    reasons = raw[EXCLUDED]
    return [
        {
            "row": int(pos) + 1,
            "column": "",
            "check": "excluded",
            "value": "",
            "reason": f"left out by the mapping: {reason}",
        }
        for pos, reason in reasons[reasons.notna()].items()
    ]


def without_rows(failure: ParseFailure, rows: set[int]) -> ParseFailure:
    """A parse failure minus the rows already left out by the mapping."""
    keep = [i for i, p in enumerate(failure.positions) if p not in rows]
    return replace(
        failure,
        positions=[failure.positions[i] for i in keep],
        values=[failure.values[i] for i in keep],
    )
