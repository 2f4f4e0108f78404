"""Read one table file and parse its columns into their canonical types.

Parsing never drops a row: a cell that does not parse becomes a quarantine record (a reason
naming the column, the value and what was expected); a column where most values do not parse
is a fatal :class:`~spm_lib.exceptions.DataError` (the file is in a format we do not read).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from spm_lib.exceptions import DataError
from spm_lib.schema import DTYPES, TableSpec

SUFFIXES = (".csv", ".csv.gz", ".parquet")
TRUE = {"true", "t", "yes", "y", "1", "1.0"}
FALSE = {"false", "f", "no", "n", "0", "0.0"}
# A column is fatal when more than this share of its non-empty values does not parse.
FATAL_SHARE = 0.5
EXAMPLES = 3


@dataclass
class ParseFailure:
    """Rows (by position) where ``column`` did not parse, with their raw values."""

    column: str
    code: str
    expected: str
    positions: list[int]
    values: list[str]


def find_table_file(folder: Path, table: str) -> Path | None:
    """The file holding ``table`` in ``folder``; DataError when two formats compete."""
    found = [
        folder / f"{table}{suffix}" for suffix in SUFFIXES if (folder / f"{table}{suffix}").exists()
    ]
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise DataError(
            f"table {table}: found {names} in {folder}; expected exactly one file per table",
            table=table,
            path=str(folder),
            expected="one file per table",
        )
    return found[0] if found else None


def read_raw(path: Path, table: str) -> pd.DataFrame:
    """Read a CSV (every cell as text, blanks as missing) or a Parquet file."""
    try:
        if path.name.endswith(".parquet"):
            frame = pd.read_parquet(path)
        else:
            if path.stat().st_size == 0:
                raise DataError(
                    f"{path}: the file is empty; expected a header row with the columns of "
                    f"table {table}",
                    table=table,
                    path=str(path),
                    expected="a header row",
                )
            frame = pd.read_csv(
                path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig"
            )
    except DataError:
        raise
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(
            f"{path}: cannot read table {table}: {type(exc).__name__}: {exc}",
            table=table,
            path=str(path),
            expected="a UTF-8 CSV file with a header row, or a Parquet file",
        ) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def check_columns(frame: pd.DataFrame, spec: TableSpec, path: Path) -> None:
    missing = [c for c in spec.required_columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: table {spec.name} has no column {', '.join(repr(c) for c in missing)}; "
            f"expected columns {', '.join(spec.required_columns)} "
            f"(found: {', '.join(map(str, frame.columns)) or 'none'})",
            table=spec.name,
            path=str(path),
            column=missing[0],
            expected=", ".join(spec.required_columns),
        )


def _text(series: pd.Series) -> pd.Series:
    out = series.astype("str") if series.dtype != "str" else series
    out = out.str.strip()
    return out.mask(out.isna() | (out == ""))


def _failures(raw: pd.Series, parsed: pd.Series) -> pd.Series:
    return raw.notna() & parsed.isna()


def _parse_dates(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(raw):
        out = raw
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
        return out.astype("datetime64[ns]")
    text = _text(raw)
    return pd.to_datetime(text, format="ISO8601", errors="coerce").astype("datetime64[ns]")


def _parse_numbers(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return raw.astype("float64")
    return pd.to_numeric(_text(raw), errors="coerce").astype("float64")


def _parse_bools(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype("boolean")
    text = _text(raw).str.lower()
    out = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    out[text.isin(TRUE)] = True
    out[text.isin(FALSE)] = False
    return out


EXPECTED = {
    "date": "a date YYYY-MM-DD (ISO 8601)",
    "number": "a number such as 1234.5",
    "int": "a whole number",
    "bool": "true or false",
}


def parse_table(
    frame: pd.DataFrame, spec: TableSpec, path: Path
) -> tuple[pd.DataFrame, list[ParseFailure]]:
    """Parse the spec's columns of ``frame`` into canonical dtypes; add absent optional columns.

    Returns the typed frame (same rows, same order) and the cells that did not parse. Raises
    DataError when a column mostly does not parse.
    """
    out = frame.copy()
    failures: list[ParseFailure] = []
    for col in spec.columns:
        if col.name not in out.columns:
            out[col.name] = pd.Series(pd.NA, index=out.index).astype(
                "boolean" if col.kind == "bool" else DTYPES[col.kind]
            )
            continue
        raw = out[col.name]
        if col.kind in ("id", "text"):
            out[col.name] = _text(raw).astype("str")
            continue
        if col.kind == "date":
            parsed = _parse_dates(raw)
        elif col.kind == "number":
            parsed = _parse_numbers(raw)
        elif col.kind == "int":
            number = _parse_numbers(raw)
            whole = number.isna() | (number == number.round())
            parsed = number.where(whole).astype("Int64")
        else:
            parsed = _parse_bools(raw)
        bad = _failures(raw.mask(raw.astype("str").str.strip() == ""), parsed)
        n_bad, n_values = int(bad.sum()), int(raw.notna().sum())
        if n_bad:
            positions = [int(i) for i in bad.to_numpy().nonzero()[0]]
            values = [str(v) for v in raw[bad].tolist()]
            if n_bad > FATAL_SHARE * n_values:
                examples = ", ".join(
                    f"row {p + 1}: {v!r}"
                    for p, v in zip(positions[:EXAMPLES], values, strict=False)
                )
                raise DataError(
                    f"{path}: column {col.name!r} of table {spec.name} does not parse: "
                    f"{n_bad} of {n_values} values are not {EXPECTED[col.kind]} "
                    f"(for example {examples})",
                    table=spec.name,
                    path=str(path),
                    column=col.name,
                    rows=[p + 1 for p in positions[:EXAMPLES]],
                    expected=EXPECTED[col.kind],
                )
            failures.append(
                ParseFailure(
                    col.name, f"unparseable_{col.kind}", EXPECTED[col.kind], positions, values
                )
            )
        out[col.name] = parsed
    return out, failures
