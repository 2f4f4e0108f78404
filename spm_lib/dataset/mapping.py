"""Read any CRM export through the ``mapping`` section of ``spm.yaml``, without code.

::

    mapping:
      encoding: cp1252          # read options for every file (each table may override them):
      separator: ";"            #   encoding, separator, sheet (.xlsx), date_format (strptime),
      date_format: "%d/%m/%Y"   #   decimal and thousands separators
      decimal: ","
      tables:
        opportunities:
          file: deals.xlsx      # default: <table>.csv, .csv.gz, .parquet or .xlsx
          sheet: Deals
          columns:              # canonical column: their column, a constant, or a lookup
            opportunity_id: Deal ID
            rep_id: Owner
            product: {value: Core}
            created_date: {lookup: leads, on: Lead ID, take: Created}
          values:               # their values -> ours, per canonical column
            stage: {"Closed - Won": Closed Won, "Closed - Lost": Closed Lost}
          exclude: {IsDeleted: true}   # rows left out, each counted in the quarantine with
                                       # its reason; `where: {UserType: Standard}` keeps only
                                       # the rows that match (their column or ours; a list of
                                       # values matches any of them)
        reps:                   # a table made of the ids found in other tables:
          from_ids:             #   <table>.<canonical column>: constant columns of those reps
            opportunities.rep_id: {role: AE}

A lookup takes column ``take`` of another table's file where its ``on`` column (or
``on: [this, other]``) matches this row's. Columns not named in ``columns`` are kept as they
are. Mapping never drops a row: a value it cannot map stays as it is, for the loader to
quarantine with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from spm_lib.dataset.readers import ReadOptions, find_table_file
from spm_lib.dataset.schema import TABLES
from spm_lib.exceptions import DataError

READ_KEYS = {f.name for f in fields(ReadOptions)}
TABLE_KEYS = READ_KEYS | {"file", "columns", "values", "from_ids", "where", "exclude"}
# the column apply_mapping adds to say why a row is left out by `where` / `exclude`
EXCLUDED = "_spm_excluded"
# the flags an importer writes (spm_lib.dataset.vendors.salesforce), and what excluding them means
EXPLAINED = {
    "deleted": "deleted in the CRM (IsDeleted or the connector's _fivetran_deleted)",
    "superseded": "an earlier version of the record (the connector's history mode, "
    "_fivetran_active false); the current version is used",
}


@dataclass(frozen=True)
class TableMapping:
    """How one canonical table is read from an export."""

    file: str | None = None
    options: ReadOptions = field(default_factory=ReadOptions)
    columns: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    from_ids: dict[str, dict[str, Any]] = field(default_factory=dict)
    where: dict[str, list[Any]] = field(default_factory=dict)
    exclude: dict[str, list[Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Mapping:
    tables: dict[str, TableMapping] = field(default_factory=dict)
    options: ReadOptions = field(default_factory=ReadOptions)

    def table(self, name: str) -> TableMapping:
        return self.tables.get(name) or TableMapping(options=self.options)


def _error(key: str, message: str, expected: str) -> DataError:
    return DataError(
        f"spm.yaml: mapping.{key}: {message}; expected {expected}",
        path="spm.yaml",
        column=f"mapping.{key}",
        expected=expected,
    )


def _options(raw: dict, base: ReadOptions, where: str) -> ReadOptions:
    values = {k: raw[k] for k in READ_KEYS if k in raw}
    for key, value in values.items():
        if key != "sheet" and not isinstance(value, str):
            raise _error(f"{where}{key}", f"{value!r}", "text")
    return ReadOptions(
        **{f.name: values.get(f.name, getattr(base, f.name)) for f in fields(ReadOptions)}
    )


def parse_mapping(raw: dict | None) -> Mapping:
    """Validate ``spm.yaml``'s ``mapping``; errors name the key at fault."""
    raw = dict(raw or {})
    unknown = set(raw) - READ_KEYS - {"tables"}
    if unknown:
        raise _error(sorted(unknown)[0], "unknown key", f"one of {sorted(READ_KEYS | {'tables'})}")
    base = _options(raw, ReadOptions(), "")
    tables = {}
    for name, spec in (raw.get("tables") or {}).items():
        if name not in TABLES:
            raise _error(f"tables.{name}", "not a canonical table", f"one of {sorted(TABLES)}")
        if not isinstance(spec, dict):
            raise _error(f"tables.{name}", f"{spec!r}", "a mapping")
        bad = set(spec) - TABLE_KEYS
        if bad:
            raise _error(
                f"tables.{name}.{sorted(bad)[0]}", "unknown key", f"one of {sorted(TABLE_KEYS)}"
            )
        columns = spec.get("columns") or {}
        known = {c.name for c in TABLES[name].columns}
        columns = {
            column: {("on" if k is True else k): v for k, v in source.items()}  # YAML 1.1: on
            if isinstance(source, dict)
            else source
            for column, source in columns.items()
        }
        for column, source in columns.items():
            where = f"tables.{name}.columns.{column}"
            if column not in known:
                raise _error(
                    where, "not a column of the canonical table", f"one of {sorted(known)}"
                )
            if isinstance(source, dict) and not (
                set(source) == {"value"} or {"lookup", "on", "take"} <= set(source)
            ):
                raise _error(
                    where,
                    f"{source!r}",
                    "their column name, {value: X} or {lookup: table, on: column, take: column}",
                )
        from_ids = spec.get("from_ids") or {}
        if isinstance(from_ids, list):
            from_ids = {item: {} for item in from_ids}
        for source in from_ids:
            if "." not in str(source):
                raise _error(f"tables.{name}.from_ids", f"{source!r}", "<table>.<column>")
        filters = {}
        for key in ("where", "exclude"):
            rule = spec.get(key) or {}
            if not isinstance(rule, dict):
                raise _error(f"tables.{name}.{key}", f"{rule!r}", "{column: value or [values]}")
            filters[key] = {str(c): (v if isinstance(v, list) else [v]) for c, v in rule.items()}
        tables[name] = TableMapping(
            where=filters["where"],
            exclude=filters["exclude"],
            file=spec.get("file"),
            options=_options(spec, base, f"tables.{name}."),
            columns=dict(columns),
            values={
                k: {str(a): b for a, b in (v or {}).items()}
                for k, v in (spec.get("values") or {}).items()
            },
            from_ids={str(k): dict(v or {}) for k, v in from_ids.items()},
        )
    return Mapping(tables=tables, options=base)


def apply_mapping(
    name: str, frame: pd.DataFrame, mapping: TableMapping, raw: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    """``frame`` (one export file, their columns) with canonical columns: renamed, constant or
    looked up in another table's file (``raw``: table -> its file's frame), then value-mapped."""
    out = frame.copy()
    for column, source in mapping.columns.items():
        if isinstance(source, dict) and "value" in source:
            out[column] = None if source["value"] is None else str(source["value"])
        elif isinstance(source, dict):
            out[column] = _lookup(name, column, frame, source, raw)
        else:
            if source not in frame.columns:
                raise DataError(
                    f"mapping of table {name}: column {column} comes from {source!r}, which the "
                    f"file does not have (columns: {', '.join(map(str, frame.columns))})",
                    table=name,
                    column=str(source),
                    expected=f"a column {source!r}",
                )
            out[column] = frame[source]
    for column, table in mapping.values.items():
        if column in out:
            out[column] = _map_values(out[column], table)
    renamed = set(mapping.columns)
    drop = [c for c in frame.columns if c in mapping.columns.values() and c not in renamed]
    out = out.drop(columns=[c for c in drop if c in out.columns])
    if mapping.where or mapping.exclude:
        out[EXCLUDED] = _excluded(name, frame, out, mapping)
    return out


def _matches(cells: pd.Series, values: list[Any]) -> pd.Series:
    """Cells equal to any of ``values``: text ignoring case and spaces; a true/false value
    also matches 1/0, yes/no (``IsDeleted: true`` matches ``1``, ``TRUE``, ``true``)."""
    from spm_lib.dataset.readers import FALSE, TRUE

    text = cells.astype("str").str.strip().str.casefold().where(cells.notna())
    hit = pd.Series(False, index=cells.index)
    for value in values:
        if value is None:
            hit |= cells.isna()
        elif isinstance(value, bool):
            hit |= text.isin(TRUE if value else FALSE)
        else:
            hit |= text == str(value).strip().casefold()
    return hit


def _excluded(name: str, frame: pd.DataFrame, out: pd.DataFrame, mapping: TableMapping):
    """Why each row is left out by the table's ``where`` / ``exclude`` (None: kept)."""
    reason = pd.Series(None, index=frame.index, dtype="object")
    for key, rules in (("where", mapping.where), ("exclude", mapping.exclude)):
        for column, values in rules.items():
            cells = frame[column] if column in frame.columns else out.get(column)
            if cells is None:
                raise DataError(
                    f"mapping of table {name}: {key} names column {column!r}, which the file "
                    f"does not have (columns: {', '.join(map(str, frame.columns))})",
                    table=name,
                    column=column,
                    expected=f"a column {column!r}",
                )
            hit = _matches(cells, values)
            shown = " or ".join(repr(v) for v in values)
            out_rows = ~hit if key == "where" else hit
            if column in EXPLAINED and key == "exclude":
                text = pd.Series(EXPLAINED[column], index=frame.index)
            else:
                text = (
                    f"{column} is "
                    + cells.astype("str").where(cells.notna(), "empty")
                    + (
                        f"; spm.yaml keeps only {column} = {shown}"
                        if key == "where"
                        else f"; spm.yaml excludes {column} = {shown}"
                    )
                )
            reason = reason.where(reason.notna() | ~out_rows, text)
    return reason


def _lookup(name, column, frame, spec, raw) -> pd.Series:
    other = raw.get(spec["lookup"])
    if other is None:
        raise DataError(
            f"mapping of table {name}: column {column} looks up table {spec['lookup']}, which is "
            "not in the dataset",
            table=name,
            column=column,
            expected="a table to look up",
        )
    this_on, other_on = (spec["on"] if isinstance(spec["on"], list) else [spec["on"]] * 2)[:2]
    for table, frame_, col in ((name, frame, this_on), (spec["lookup"], other, other_on)):
        if col not in frame_.columns:
            raise DataError(
                f"mapping of table {name}: lookup column {col!r} is not in {table}",
                table=table,
                column=col,
                expected=f"a column {col!r}",
            )
    if spec["take"] not in other.columns:
        raise DataError(
            f"mapping of table {name}: {spec['take']!r} is not in {spec['lookup']}",
            table=spec["lookup"],
            column=spec["take"],
            expected=f"a column {spec['take']!r}",
        )
    table = other.dropna(subset=[other_on]).drop_duplicates(other_on)
    values = pd.Series(table[spec["take"]].to_numpy(), index=table[other_on].to_numpy())
    return frame[this_on].map(values)


def _map_values(series: pd.Series, table: dict[str, Any]) -> pd.Series:
    """Their values to ours: exact match after stripping, else case-insensitive. Empty cells,
    and values mapped to null (``~``), are real nulls."""
    exact = {k.strip(): v for k, v in table.items()}
    folded = {k.strip().casefold(): v for k, v in table.items()}

    def convert(value):
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        value = str(value).strip()
        found = exact[value] if value in exact else folded.get(value.casefold(), value)
        if found is None or (isinstance(found, float) and pd.isna(found)):
            return None
        if isinstance(found, bool):
            return "true" if found else "false"
        return str(found)

    return pd.Series([convert(v) for v in series.tolist()], index=series.index, dtype="object")


def ids_table(name: str, mapping: TableMapping, mapped: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """A table (reps) of the distinct ids in other tables' canonical columns, with constants."""
    key = TABLES[name].key[0]
    rows: dict[str, dict] = {}
    for source, constants in mapping.from_ids.items():
        table, column = source.split(".", 1)
        frame = mapped.get(table)
        if frame is None or column not in frame.columns:
            raise DataError(
                f"mapping of table {name}: from_ids names {source}, which the "
                "dataset does not have",
                table=table,
                column=column,
                expected="<table>.<canonical column>",
            )
        for value in frame[column].dropna().astype("str").str.strip():
            if value and value not in rows:
                rows[value] = {key: value, "name": value} | {
                    k: None if v is None else str(v) for k, v in constants.items()
                }
    columns = [key, "name", *sorted({k for r in rows.values() for k in r} - {key, "name"})]
    return pd.DataFrame(list(rows.values()), columns=columns)


def table_path(folder: Path, name: str, mapping: TableMapping) -> Path | None:
    """The file of a table: the mapping's ``file`` (which must exist), else the default name."""
    if mapping.file:
        path = folder / mapping.file
        if not path.exists():
            raise DataError(
                f"{path}: the file that spm.yaml maps to table {name} does not exist",
                table=name,
                path=str(path),
                expected="an existing file",
            )
        return path
    return find_table_file(folder, name)
