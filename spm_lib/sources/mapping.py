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
        reps:                   # a table made of the ids found in other tables:
          from_ids:             #   <table>.<canonical column>: constant columns of those reps
            opportunities.rep_id: {role: AE}

A lookup takes column ``take`` of another table's file where its ``on`` column (or
``on: [this, other]``) matches this row's. Columns not named in ``columns`` are kept as they
are. Mapping never drops a row: a value it cannot map stays as it is, for the loader to
quarantine with a reason.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from spm_lib._readers import ReadOptions
from spm_lib.exceptions import DataError
from spm_lib.schema import TABLES

READ_KEYS = {f.name for f in fields(ReadOptions)}
TABLE_KEYS = READ_KEYS | {"file", "columns", "values", "from_ids"}


@dataclass(frozen=True)
class TableMapping:
    """How one canonical table is read from an export."""

    file: str | None = None
    options: ReadOptions = field(default_factory=ReadOptions)
    columns: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    from_ids: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Mapping:
    tables: dict[str, TableMapping] = field(default_factory=dict)
    options: ReadOptions = field(default_factory=ReadOptions)

    def table(self, name: str) -> TableMapping:
        return self.tables.get(name) or TableMapping(options=self.options)


def _error(key: str, message: str, expected: str) -> DataError:
    return DataError(f"spm.yaml: mapping.{key}: {message}; expected {expected}",
                     path="spm.yaml", column=f"mapping.{key}", expected=expected)  # fmt: skip


def _options(raw: dict, base: ReadOptions, where: str) -> ReadOptions:
    values = {k: raw[k] for k in READ_KEYS if k in raw}
    for key, value in values.items():
        if key != "sheet" and not isinstance(value, str):
            raise _error(f"{where}{key}", f"{value!r}", "text")
    return ReadOptions(**{f.name: values.get(f.name, getattr(base, f.name))
                          for f in fields(ReadOptions)})  # fmt: skip


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
            raise _error(f"tables.{name}.{sorted(bad)[0]}", "unknown key",
                         f"one of {sorted(TABLE_KEYS)}")  # fmt: skip
        columns = spec.get("columns") or {}
        known = {c.name for c in TABLES[name].columns}
        columns = {
            column: {("on" if k is True else k): v for k, v in source.items()}  # YAML 1.1: on
            if isinstance(source, dict) else source
            for column, source in columns.items()
        }  # fmt: skip
        for column, source in columns.items():
            where = f"tables.{name}.columns.{column}"
            if column not in known:
                raise _error(
                    where, "not a column of the canonical table", f"one of {sorted(known)}"
                )
            if isinstance(source, dict) and not (
                set(source) == {"value"} or {"lookup", "on", "take"} <= set(source)
            ):
                raise _error(where, f"{source!r}", "their column name, {value: X} or "
                             "{lookup: table, on: column, take: column}")  # fmt: skip
        from_ids = spec.get("from_ids") or {}
        if isinstance(from_ids, list):
            from_ids = {item: {} for item in from_ids}
        for source in from_ids:
            if "." not in str(source):
                raise _error(f"tables.{name}.from_ids", f"{source!r}", "<table>.<column>")
        tables[name] = TableMapping(
            file=spec.get("file"),
            options=_options(spec, base, f"tables.{name}."),
            columns=dict(columns),
            values={k: {str(a): b for a, b in (v or {}).items()}
                    for k, v in (spec.get("values") or {}).items()},
            from_ids={str(k): dict(v or {}) for k, v in from_ids.items()},
        )  # fmt: skip
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
                    table=name, column=str(source), expected=f"a column {source!r}",
                )  # fmt: skip
            out[column] = frame[source]
    for column, table in mapping.values.items():
        if column in out:
            out[column] = _map_values(out[column], table)
    renamed = set(mapping.columns)
    drop = [c for c in frame.columns if c in mapping.columns.values() and c not in renamed]
    return out.drop(columns=[c for c in drop if c in out.columns])


def _lookup(name, column, frame, spec, raw) -> pd.Series:
    other = raw.get(spec["lookup"])
    if other is None:
        raise DataError(
            f"mapping of table {name}: column {column} looks up table {spec['lookup']}, which is "
            "not in the dataset", table=name, column=column, expected="a table to look up",
        )  # fmt: skip
    this_on, other_on = (spec["on"] if isinstance(spec["on"], list) else [spec["on"]] * 2)[:2]
    for table, frame_, col in ((name, frame, this_on), (spec["lookup"], other, other_on)):
        if col not in frame_.columns:
            raise DataError(f"mapping of table {name}: lookup column {col!r} is not in {table}",
                            table=table, column=col, expected=f"a column {col!r}")  # fmt: skip
    if spec["take"] not in other.columns:
        raise DataError(f"mapping of table {name}: {spec['take']!r} is not in {spec['lookup']}",
                        table=spec["lookup"], column=spec["take"],
                        expected=f"a column {spec['take']!r}")  # fmt: skip
    table = other.dropna(subset=[other_on]).drop_duplicates(other_on)
    values = pd.Series(table[spec["take"]].to_numpy(), index=table[other_on].to_numpy())
    return frame[this_on].map(values)


def _map_values(series: pd.Series, table: dict[str, Any]) -> pd.Series:
    """Their values to ours: exact match after stripping, else case-insensitive."""
    exact = {k.strip(): v for k, v in table.items()}
    folded = {k.strip().casefold(): v for k, v in table.items()}
    text = series.astype("str").str.strip()

    def convert(value):
        if value in exact:
            return exact[value]
        return folded.get(value.casefold(), value) if isinstance(value, str) else value

    mapped = text.map(convert)
    out = mapped.where(series.notna(), None)
    return out.map(lambda v: v if v is None or isinstance(v, str) else
                   ("true" if v is True else "false" if v is False else str(v)))  # fmt: skip


def ids_table(name: str, mapping: TableMapping, mapped: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """A table (reps) of the distinct ids in other tables' canonical columns, with constants."""
    key = TABLES[name].key[0]
    rows: dict[str, dict] = {}
    for source, constants in mapping.from_ids.items():
        table, column = source.split(".", 1)
        frame = mapped.get(table)
        if frame is None or column not in frame.columns:
            raise DataError(f"mapping of table {name}: from_ids names {source}, which the "
                            "dataset does not have", table=table, column=column,
                            expected="<table>.<canonical column>")  # fmt: skip
        for value in frame[column].dropna().astype("str").str.strip():
            if value and value not in rows:
                rows[value] = {key: value, "name": value} | {k: str(v) for k, v in
                                                             constants.items()}  # fmt: skip
    columns = [key, "name", *sorted({k for r in rows.values() for k in r} - {key, "name"})]
    return pd.DataFrame(list(rows.values()), columns=columns)


SYNONYMS = {
    "opportunity_id": ["opportunity id", "deal id", "record id", "id", "opportunity"],
    "rep_id": ["owner", "opportunity owner", "deal owner", "sales agent", "rep", "user"],
    "account_id": ["account name", "account", "company", "account id"],
    "created_date": ["created date", "create date", "created", "engage date"],
    "close_date": ["close date", "closed date", "closing date"],
    "stage": ["stage", "deal stage", "status"],
    "amount": ["amount", "value", "deal amount", "close value"],
    "name": ["full name", "name", "user", "owner"],
}


def suggest_mapping(table: str, found: list[str]) -> str:
    """A ``mapping`` snippet for spm.yaml pairing the table's missing required columns with
    the likeliest of the columns found (synonyms, then string similarity)."""
    lines = ["mapping:", "  tables:", f"    {table}:", "      columns:"]
    lowered = {c.strip().lower(): c for c in found}
    for column in TABLES[table].required_columns:
        if column in found:
            continue
        guess = next((lowered[s] for s in SYNONYMS.get(column, []) if s in lowered), None)
        if guess is None:
            close = difflib.get_close_matches(column.replace("_", " "), list(lowered), n=1,
                                              cutoff=0.5)  # fmt: skip
            guess = lowered[close[0]] if close else None
        lines.append(f"        {column}: {guess!r}" if guess else
                     f"        {column}: ???   # one of the columns above")  # fmt: skip
    return "\n".join(lines)


def table_path(folder: Path, name: str, mapping: TableMapping) -> Path | None:
    """The file of a table: the mapping's ``file`` (which must exist), else the default name."""
    from spm_lib._readers import find_table_file

    if mapping.file:
        path = folder / mapping.file
        if not path.exists():
            raise DataError(
                f"{path}: the file that spm.yaml maps to table {name} does not exist",
                table=name, path=str(path), expected="an existing file",
            )  # fmt: skip
        return path
    return find_table_file(folder, name)
