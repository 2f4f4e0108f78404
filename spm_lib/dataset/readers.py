"""Read one table file and parse its columns into their canonical types.

Parsing never drops a row: a cell that does not parse becomes a quarantine record (a reason
naming the column, the value and what was expected); a column where most values do not parse
is a fatal :class:`~spm_lib.exceptions.DataError` (the file is in a format we do not read).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from spm_lib.dataset.encodings import file_encoding
from spm_lib.dataset.numbers import POINT, number_format, read_numbers
from spm_lib.dataset.schema import DTYPES, TableSpec
from spm_lib.dataset.suggest import suggest_mapping
from spm_lib.exceptions import DataError

SUFFIXES = (".csv", ".csv.gz", ".parquet", ".xlsx")
TRUE = {"true", "t", "yes", "y", "1", "1.0"}
FALSE = {"false", "f", "no", "n", "0", "0.0"}
# A column is fatal when more than this share of its non-empty values does not parse.
FATAL_SHARE = 0.5
EXAMPLES = 3


@dataclass(frozen=True)
class ReadOptions:
    """How to read and parse a file (``spm.yaml`` ``mapping``; defaults suit ISO CSV)."""

    encoding: str | None = None  # None: decided from the bytes (spm_lib.dataset.encodings)
    separator: str | None = None  # None: sniffed from the header (",", ";", tab or "|")
    sheet: str | int | None = None  # .xlsx: sheet name or index (default: the first)
    date_format: str | None = None  # strptime format, e.g. "%m/%d/%Y"; None: ISO 8601
    decimal: str | None = None  # None: number_format, else decided per column (numbers.py)
    thousands: str | None = None  # None: the other of "," and "."
    number_format: str | None = None  # "1,234.56", "1.234,56", ...: every number column


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


MAX_COLUMNS = 5_000  # a wide Salesforce object has a few hundred fields
MAX_HEADER_CHARS = 1_000_000


def _sniff_separator(path: Path, encoding: str, table: str) -> tuple[str, str]:
    """The header's separator and the header line as written; a header over
    :data:`MAX_HEADER_CHARS` characters or of more than :data:`MAX_COLUMNS` columns is
    refused before pandas reads the file (a CSV of 10^6 columns took 3.8 GB)."""
    import gzip

    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding=encoding, errors="replace", newline="") as handle:
        header = handle.readline(MAX_HEADER_CHARS + 1)
    counts = {sep: header.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    if len(header) > MAX_HEADER_CHARS or counts[best] + 1 > MAX_COLUMNS:
        raise DataError(
            f"{path}: the header of table {table} has more than {MAX_COLUMNS:,} columns or "
            f"{MAX_HEADER_CHARS:,} characters; a CRM export has a few hundred columns at most",
            table=table,
            path=str(path),
            expected=f"at most {MAX_COLUMNS:,} columns",
        )
    return (best if counts[best] else ","), header


def read_raw(
    path: Path, table: str, options: ReadOptions | None = None
) -> tuple[pd.DataFrame, dict]:
    """Read a CSV (every cell as text, blanks as missing), an .xlsx sheet or a Parquet file.

    Returns the frame and what was detected: ``encoding``, ``separator``, ``decimal``.
    """
    options = options or ReadOptions()
    detected: dict = {}
    try:
        if path.stat().st_size == 0:
            raise DataError(
                f"{path}: the file is empty; expected a header row with the columns of "
                f"table {table}",
                table=table,
                path=str(path),
                expected="a header row",
            )
        if path.name.endswith(".parquet"):
            frame = pd.read_parquet(path)
        elif path.name.endswith(".xlsx"):
            sheet = options.sheet if options.sheet is not None else 0
            frame = pd.read_excel(
                path,
                sheet_name=sheet,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                engine="openpyxl",
            )
        else:
            encoding = file_encoding(path, table, options.encoding)
            sniffed, header = _sniff_separator(path, encoding, table)  # caps the header too
            separator = options.separator or sniffed
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                encoding=encoding,
                sep=separator,
            )
            detected = {"encoding": encoding, "separator": separator, "header": header}
    except DataError:
        raise
    except zipfile.BadZipFile:
        raise DataError(
            f"{path}: cannot read table {table}: the file is named .xlsx but is not an Excel "
            "workbook (a CSV saved with the wrong name?); rename it to .csv or export it again",
            table=table,
            path=str(path),
            expected="an .xlsx workbook",
        ) from None
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError, KeyError) as exc:
        raise DataError(
            f"{path}: cannot read table {table}: {type(exc).__name__}: {exc}",
            table=table,
            path=str(path),
            expected="a CSV file (UTF-8 or Windows-1252) with a header row, an .xlsx workbook "
            "or a Parquet file",
        ) from exc
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    _refuse_repeated_columns(frame, path, table, detected)
    detected.pop("header", None)  # read for the check above only
    return frame, detected


def _refuse_repeated_columns(frame: pd.DataFrame, path: Path, table: str, detected: dict) -> None:
    """Two columns of one name (after trimming spaces) are refused: which one holds the data
    would be a guess. pandas renames a CSV's second ``amount`` to ``amount.1``, so a CSV's
    header line (read once, when its separator was sniffed) is parsed as written."""
    names = list(frame.columns)
    if detected.get("header") is not None:
        import csv

        written = next(csv.reader([detected["header"]], delimiter=detected["separator"]), [])
        names = [h.strip().lstrip("\ufeff") for h in written]
    seen: set[str] = set()
    for name in names:
        if name in seen and name:
            raise DataError(
                f"{path}: table {table} has two columns named {name!r}; which one holds the "
                "data would be a guess. Remove or rename one",
                table=table,
                path=str(path),
                column=name,
                expected="one column per name",
            )
        seen.add(name)


def check_columns(frame: pd.DataFrame, spec: TableSpec, path: Path) -> None:
    missing = [c for c in spec.required_columns if c not in frame.columns]
    if missing:
        found = [str(c) for c in frame.columns]
        raise DataError(
            f"{path}: table {spec.name} has no column {', '.join(repr(c) for c in missing)}; "
            f"expected columns {', '.join(spec.required_columns)} "
            f"(found: {', '.join(found) or 'none'}). If the export names them otherwise, map "
            f"them in spm.yaml, for example:\n{suggest_mapping(spec.name, found)}",
            table=spec.name,
            path=str(path),
            column=missing[0],
            expected=", ".join(spec.required_columns),
        )


def _text(series: pd.Series) -> pd.Series:
    out = series.astype("str") if series.dtype != "str" else series
    out = out.str.strip()
    return out.mask(out.isna() | (out == ""))


# Salesforce's empty lookup: 15 zeros, with the 3-character checksum in 18-character ids
SENTINEL_ID = re.compile(r"^0{15}(?:[A-Za-z0-9]{3})?$")


def _ids(raw: pd.Series) -> pd.Series:
    """Id text; the all-zero sentinel id (``000000000000000AAA``) is an empty reference."""
    out = _text(raw)
    return out.mask(out.str.fullmatch(SENTINEL_ID, na=False))


def _failures(raw: pd.Series, parsed: pd.Series) -> pd.Series:
    return raw.notna() & parsed.isna()


# a time of day's offset: ...Z, ... UTC, ...+02:00, ...-0700 (plain patterns run in pyarrow)
_OFFSET = r"\s*(?:Z|z|UTC|GMT|[+-][0-9]{2}:?[0-9]{2})$"
_HAS_OFFSET = r"[0-9]:[0-9]{2}(?:[.,][0-9]+)?" + _OFFSET


def _parse_dates(
    raw: pd.Series,
    date_format: str | None = None,
    timezone: str | None = None,
    keep_time: bool = False,
) -> pd.Series:
    """Dates (or, with ``keep_time``, timestamps) from text or datetimes.

    Every timestamp becomes a day here, once: ``2023-01-23 21:24:51`` is 2023-01-23, so a deal
    created and closed on one day is not "closed before created". A timestamp with an offset
    (``2023-03-31T23:30:00-07:00``, ``...Z``) keeps its own local date, unless ``timezone``
    (spm.yaml ``timezone``, e.g. ``America/New_York``) is given: then it is converted to that
    zone first. Timestamps without an offset are taken as local time.
    """
    if pd.api.types.is_datetime64_any_dtype(raw):
        out = raw
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_convert(timezone) if timezone else out
            out = out.dt.tz_localize(None)
        out = out.astype("datetime64[ns]")
        return out if keep_time else out.dt.normalize()
    text = _text(raw)
    offset = pd.Series(False, index=text.index)
    long = text.str.len().gt(10)  # beyond YYYY-MM-DD: times of day, perhaps offsets
    if long.any():
        # cheap string slices first; the regular expression only on the candidates
        sign = text.str.slice(-6, -5).isin(["+", "-"]) | text.str.slice(-5, -4).isin(["+", "-"])
        maybe = long & (~text.str.slice(-1).str.isdigit().fillna(True) | sign)
        if maybe.any():
            offset[maybe] = text[maybe].str.contains(_HAS_OFFSET, na=False)
    fmt = date_format or "ISO8601"
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    if timezone and offset.any():
        stamped = text[offset].str.replace(r"\s*(?:UTC|GMT)$", "+00:00", regex=True)
        aware = pd.to_datetime(stamped, format=fmt, errors="coerce", utc=True)
        parsed[offset] = aware.dt.tz_convert(timezone).dt.tz_localize(None).astype(parsed.dtype)
        naive = text[~offset]
    else:
        naive = text.copy()
        if offset.any():
            naive[offset] = text[offset].str.replace(_OFFSET, "", regex=True)
    if len(naive):
        parsed.loc[naive.index] = pd.to_datetime(naive, format=fmt, errors="coerce").astype(
            parsed.dtype
        )
    in_range = parsed.isna() | parsed.between(pd.Timestamp.min, pd.Timestamp.max)
    parsed = parsed.where(in_range).astype("datetime64[ns]")  # years past 2262 do not parse
    return parsed if keep_time else parsed.dt.normalize()


def parse_numbers(
    raw: pd.Series, decimal: str | None = None, thousands: str | None = None
) -> pd.Series:
    """Numbers, also with a currency symbol or code (``$1,234.56``, ``USD 1,234.56``,
    ``1.234,56 €``), digit groups and a sign in parentheses for negatives (``(120.00)``); the
    decimal mark ``decimal``, else decided by the column (:mod:`spm_lib.dataset.numbers`).
    A value that does not read, or reads two ways, is NaN."""
    return read_numbers(raw, decimal, thousands)[0]


def _parse_bools(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype("boolean")
    text = _text(raw).str.lower()
    out = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    out[text.isin(TRUE)] = True
    out[text.isin(FALSE)] = False
    return out


EXPECTED = {
    "date": "a date YYYY-MM-DD (ISO 8601, or the mapping's date_format)",
    "stamp": "a date or timestamp YYYY-MM-DD HH:MM:SS (ISO 8601)",
    "number": "a number such as 1234.5",
    "ambiguous": "a number written so that it reads one way: the column holds both 1,234.56 and "
    "1.234,56, and this value reads as either (set spm.yaml number_format)",
    "int": "a whole number",
    "bool": "true or false",
}


def _ambiguous(column: str, ambiguous: pd.Series, raw: pd.Series) -> ParseFailure:
    positions = [int(i) for i in ambiguous.to_numpy().nonzero()[0]]
    return ParseFailure(
        column,
        "unparseable_number",
        EXPECTED["ambiguous"],
        positions,
        [str(v) for v in raw[ambiguous].tolist()],
    )


def parse_table(
    frame: pd.DataFrame,
    spec: TableSpec,
    path: Path,
    options: ReadOptions | None = None,
    detected: dict | None = None,
    timezone: str | None = None,
) -> tuple[pd.DataFrame, list[ParseFailure]]:
    """Parse the spec's columns of ``frame`` into canonical dtypes; add absent optional columns.

    Returns the typed frame (same rows, same order) and the cells that did not parse. Raises
    DataError when a column mostly does not parse.
    """
    options = options or ReadOptions()
    decimal, thousands = options.decimal, options.thousands
    if decimal is None and options.number_format:
        decimal, thousands = number_format(options.number_format)
    default_decimal = "," if (detected or {}).get("separator") == ";" else POINT
    out = frame.copy()
    failures: list[ParseFailure] = []
    for col in spec.columns:
        if col.name not in out.columns:
            # built empty in its dtype: pandas 3 cannot cast a column of NA to float64 (an
            # opportunity_history without the optional probability column raised TypeError)
            out[col.name] = pd.Series(
                None, index=out.index, dtype="boolean" if col.kind == "bool" else DTYPES[col.kind]
            )
            continue
        raw = out[col.name]
        if col.kind in ("id", "text"):
            out[col.name] = (_ids(raw) if col.kind == "id" else _text(raw)).astype("str")
            continue
        if col.kind in ("date", "stamp"):
            parsed = _parse_dates(raw, options.date_format, timezone, col.kind == "stamp")
        elif col.kind in ("number", "int"):
            number, ambiguous = read_numbers(raw, decimal, thousands, default_decimal)
            if ambiguous.any():
                failures.append(_ambiguous(col.name, ambiguous, raw))
            if col.kind == "int":
                whole = number.isna() | (number == number.round())
                number = number.where(whole).astype("Int64")
            parsed = number
        else:
            parsed = _parse_bools(raw)
        bad = _failures(raw.mask(raw.astype("str").str.strip() == ""), parsed)
        if col.kind in ("number", "int"):
            bad &= ~ambiguous
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
