"""Load a dataset folder into a validated :class:`Dataset`.

A dataset is a folder with one file per canonical table (``reps.csv``, ``opportunities.parquet``,
...) and an optional ``spm.yaml``. ``reps`` and ``opportunities`` are required.

Contract of :func:`load_dataset`:

- Structural problems raise :class:`~spm_lib.exceptions.DataError` naming the file, the column,
  example rows and what was expected: a required table or column missing, an unreadable or empty
  file, a date (or number, or flag) column that mostly does not parse, an invalid ``spm.yaml``.
- Rows that break a row-level check (a cell that does not parse, an empty required value, a
  duplicate key, a reference to an unknown rep/account/opportunity, a value check of
  :mod:`spm_lib.dataset.schema`) are quarantined: left out of the tables, each listed in
  ``Dataset.quarantine`` with its reason. For every table, rows read = rows used + rows
  quarantined.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from spm_lib.dataset.as_of import data_as_of, dated_after
from spm_lib.dataset.config import Config
from spm_lib.dataset.config_file import load_config, load_config_file
from spm_lib.dataset.container import QUARANTINE_COLUMNS, Dataset
from spm_lib.dataset.currency import MONEY_TABLES, deal_currencies
from spm_lib.dataset.currency import convert as convert_currency
from spm_lib.dataset.database import is_database
from spm_lib.dataset.hierarchy import apply_levels
from spm_lib.dataset.history_checks import contradiction_warnings
from spm_lib.dataset.mapping import EXCLUDED, apply_mapping, ids_table, parse_mapping, table_path
from spm_lib.dataset.quarantine import (
    align_reference_case,
    excluded_records,
    key_text,
    quarantine_records,
    schema_failure_cases,
    split_share_records,
    superseded_copies,
    without_rows,
)
from spm_lib.dataset.readers import check_columns, parse_table, read_raw
from spm_lib.dataset.row_warnings import long_text_warnings, opportunity_warnings
from spm_lib.dataset.schema import LOAD_ORDER, TABLES, TableSpec
from spm_lib.dataset.snapshot import is_snapshot, read_snapshot
from spm_lib.exceptions import DataError


def _derive_flags(typed: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Fill missing is_closed/is_won from the stage; cast the flags to plain bool."""
    won = typed["stage"].isin(config.won_stages)
    closed = won | typed["stage"].isin(config.lost_stages)
    typed["is_closed"] = typed["is_closed"].fillna(closed).astype("bool")
    typed["is_won"] = typed["is_won"].fillna(won).astype("bool")
    return typed


def fingerprint_files(paths: list[Path]) -> str:
    """sha256 over the names and bytes of ``paths``, in name order."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        digest.update(path.name.encode())
        digest.update(b"\0")
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _read_sources(folder: Path, mapping) -> dict[str, tuple[pd.DataFrame, Path, dict]]:
    """Each table's frame in canonical column names (text), its file and what was detected
    while reading it, through the ``mapping`` of spm.yaml."""
    raw: dict[str, pd.DataFrame] = {}
    found: dict[str, tuple[Path, dict]] = {}
    for table in LOAD_ORDER:
        table_map = mapping.table(table)
        if table_map.from_ids:
            continue
        path = table_path(folder, table, table_map)
        if path is None:
            continue
        raw[table], detected = read_raw(path, table, table_map.options)
        found[table] = (path, detected)
    mapped = {t: apply_mapping(t, frame, mapping.table(t), raw) for t, frame in raw.items()}
    out = {t: (mapped[t], *found[t]) for t in mapped}
    for table in LOAD_ORDER:
        table_map = mapping.table(table)
        if table_map.from_ids:
            sources = ", ".join(table_map.from_ids)
            origin = folder / f"spm.yaml (ids of {sources})"
            out[table] = (ids_table(table, table_map, mapped), origin, {})
    return out


def _check_has_rows(raw: pd.DataFrame, spec: TableSpec, path: Path) -> None:
    if spec.required and raw.empty:
        raise DataError(
            f"{path}: table {spec.name} has a header but no rows; expected at least one row",
            table=spec.name,
            path=str(path),
            expected="at least one data row",
        )


def _check_stages(
    typed: pd.DataFrame, config: Config, path: Path, table: str = "opportunities"
) -> None:
    """Stage names matched to the configured ones ignoring case and spaces; in opportunities,
    any other stage is an error listing each with its count and the mapping line that would fix
    it (in the history tables such rows are quarantined)."""
    import difflib

    canonical = {name.casefold(): name for name in config.stage_names}
    stage = typed["stage"]
    folded = stage.str.casefold().map(canonical)
    typed["stage"] = folded.where(folded.notna(), stage)
    unknown = typed.loc[stage.notna() & folded.isna(), "stage"].value_counts()
    if unknown.empty or table != "opportunities":
        return
    lines = []
    for name, count in unknown.items():
        guess = difflib.get_close_matches(name, config.stage_names, n=1, cutoff=0.3)
        lines.append(
            f"  {name!r} ({count} rows) -> mapping line: {name!r}: "
            f"{guess[0] if guess else '<one of the stages>'}"
        )
    raise DataError(
        f"{path}: {len(unknown)} stages of table opportunities are not in the configured stages "
        f"({', '.join(config.stage_names)}):\n" + "\n".join(lines) + "\nAdd the lines under "
        "spm.yaml mapping: {tables: {opportunities: {values: {stage: {...}}}}}, or add the "
        "stages to spm.yaml stages",
        table="opportunities",
        path=str(path),
        column="stage",
        rows=list(unknown.index),
        expected="stages in the configured list",
    )


def load_dataset(path: str | Path, config: str | Path | None = None) -> Dataset:
    """Read a dataset into a validated Dataset: a folder (CSV, .xlsx or Parquet per table,
    optional ``spm.yaml``, whose ``database`` section may point to a database instead), a
    DuckDB or SQLite file, or a database URL (see :mod:`spm_lib.dataset.database`).

    ``config``: the ``spm.yaml`` to use instead of the folder's; for a database file or URL
    the default is ``$SPM_CONFIG``, else an ``spm.yaml`` beside the file, else the defaults.
    A run snapshot (:mod:`spm_lib.dataset.snapshot`, written by ``spm run``) is read back as it
    was validated.

    >>> ds = load_dataset("data/sample")            # doctest: +SKIP
    >>> ds.reconciliation()                          # doctest: +SKIP
    """
    target = str(path)
    if is_database(target):
        config_path = config or os.environ.get("SPM_CONFIG")
        if config_path is None and "://" not in target:
            beside = Path(target).with_name("spm.yaml")
            config_path = beside if beside.exists() else None
        settings = load_config_file(Path(config_path)) if config_path else Config()
        return _load_database(target, settings, Path(config_path) if config_path else None)
    folder = Path(path)
    if is_snapshot(folder):  # a run's validated tables (spm run): read, not loaded again
        if config:
            raise DataError(
                f"{folder}: a run snapshot carries the configuration it was loaded "
                "with; load the original data to use another spm.yaml",
                path=str(folder),
                expected="no config for a snapshot",
            )
        return read_snapshot(folder)
    if not folder.is_dir():
        raise DataError(
            f"{folder}: no such dataset folder; expected a folder with reps.csv and "
            "opportunities.csv (create the sample with `spm sample-data --out DIR`)",
            path=str(folder),
            expected="a dataset folder",
        )
    settings = load_config_file(Path(config)) if config else load_config(folder)
    config_file = Path(config) if config else folder / "spm.yaml"
    database = settings.database
    if database:
        if not isinstance(database, dict) or "url" not in database:
            raise DataError(
                "spm.yaml: database needs a url",
                path=str(config_file),
                column="database.url",
                expected="database: {url: ..., tables: ...}",
            )
        return _load_database(str(database["url"]), settings, config_file)
    mapping = parse_mapping(settings.mapping)
    before = _stats(folder)
    sources = _read_sources(folder, mapping)
    input_files = [path for _, path, _ in sources.values() if path.exists()]
    if config_file.exists():
        input_files.append(config_file)
    fingerprint = fingerprint_files(input_files)
    _check_unchanged(input_files, before)
    return _build(sources, settings, mapping, str(folder), fingerprint)


def _stats(folder: Path) -> dict[Path, tuple[int, int]]:
    """(size, modification time) of every file in ``folder`` and one level down."""
    found = {}
    for path in [*folder.glob("*"), *folder.glob("*/*")]:
        with contextlib.suppress(OSError):
            if path.is_file():
                stat = path.stat()
                found[path] = (stat.st_size, stat.st_mtime_ns)
    return found


def _check_unchanged(paths: list[Path], before: dict[Path, tuple[int, int]]) -> None:
    """Raise DataError when a file changed between the start of the load and its fingerprint:
    the figures would then not be those of the fingerprinted bytes."""
    for path in paths:
        with contextlib.suppress(OSError):
            stat = path.stat()
            if path in before and before[path] != (stat.st_size, stat.st_mtime_ns):
                raise DataError(
                    f"{path}: the file changed while it was being read (an export still being "
                    "written?); run again once it is complete",
                    path=str(path),
                    expected="files that do not change during the load",
                )


def _load_database(url: str, config: Config, config_file: Path | None) -> Dataset:
    from spm_lib.dataset.database import masked, read_tables, refuse_written_secrets
    from spm_lib.dataset.vendors import vendor_tables

    refuse_written_secrets(url, "database URL ")
    database = config.database or {}
    queries = {str(k): str(v) for k, v in (database.get("tables") or {}).items()}
    vendor = config.source
    vendor = vendor if isinstance(vendor, str) else None  # an importer's notes are a mapping
    frames, digest = read_tables(
        url, queries, None if vendor else LOAD_ORDER, database.get("schema")
    )
    if vendor:
        frames, config = vendor_tables(frames, config)
    mapping = parse_mapping(config.mapping)
    shown = masked(url)
    raw = {t: apply_mapping(t, f, mapping.table(t), frames) for t, f in frames.items()}
    sources = {t: (f, Path(f"{shown}#{t}"), {}) for t, f in raw.items()}
    for table in LOAD_ORDER:
        if mapping.table(table).from_ids:
            sources[table] = (
                ids_table(table, mapping.table(table), raw),
                Path(f"{shown}#{table}"),
                {},
            )
    if config_file is not None and config_file.exists():
        digest = hashlib.sha256((digest + fingerprint_files([config_file])).encode()).hexdigest()
    return _build(sources, config, mapping, shown, digest)


def stage_entries(history: pd.DataFrame) -> pd.DataFrame:
    """``stage_history`` derived from ``opportunity_history``: one row per change where the
    stage changed (the first known stage of a deal is its first entry; a stage entered again
    is a new entry), entered on the day of the change.

    A change that carries no stage (an amount or close-date edit) keeps the stage in force.
    Two entries of one stage on one day count once (the table's key)."""
    frame = history.sort_values(["opportunity_id", "changed_at"], kind="stable")
    stage = frame.groupby("opportunity_id", sort=False)["stage"].ffill()
    previous = stage.groupby(frame["opportunity_id"], sort=False).shift()
    entered = stage.notna() & (stage != previous)
    out = pd.DataFrame(
        {
            "opportunity_id": frame.loc[entered, "opportunity_id"],
            "stage": stage[entered],
            "entered_date": frame.loc[entered, "changed_at"].dt.normalize(),
        }
    )
    return out.drop_duplicates().reset_index(drop=True)


@dataclass
class _Loaded:
    """What :func:`_build` has loaded so far, table by table in :data:`LOAD_ORDER`."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # kept rows, typed
    rows_read: dict[str, int] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    records: list[dict] = field(default_factory=list)  # quarantined rows
    quarantined_keys: dict[str, set[str]] = field(default_factory=dict)
    positions: dict[str, pd.Index] = field(default_factory=dict)  # kept rows' positions read
    keys_of: dict[str, pd.Series] = field(default_factory=dict)  # every key read, as text
    early_warnings: list[pd.DataFrame] = field(default_factory=list)
    long_cells: list[dict] = field(default_factory=list)


def _build(sources, config: Config, mapping, source: str, fingerprint: str) -> Dataset:
    """Type, check and quarantine each table of ``sources`` (see :func:`load_dataset`), then
    flag the odd-but-real rows (:mod:`spm_lib.dataset.row_warnings`)."""
    loaded = _Loaded()
    for table in LOAD_ORDER:
        if (
            table == "stage_history"
            and table not in sources
            and ("opportunity_history" in loaded.tables)
        ):
            derived = stage_entries(loaded.tables["opportunity_history"])
            sources = {**sources, table: (derived, Path(f"{source}#opportunity_history"), {})}
        if table in sources:
            _load_table(loaded, table, sources[table], config, mapping)
        elif TABLES[table].required:
            _missing(table, source)
    as_of = config.as_of or data_as_of(loaded.tables)
    return Dataset(
        tables=loaded.tables,
        config=config,
        quarantine=_quarantine_frame(loaded.records),
        rows_read=loaded.rows_read,
        source=source,
        files=loaded.files,
        fingerprint=fingerprint,
        as_of=as_of,
        warnings=_warnings(loaded, config, as_of),
    )


def _missing(table: str, folder: str) -> None:
    spec = TABLES[table]
    raise DataError(
        f"{folder}: required table {table} is missing; expected {table}.csv, "
        f"{table}.xlsx or {table}.parquet with columns "
        f"{', '.join(spec.required_columns)}, or a file named in spm.yaml "
        f"mapping.tables.{table}.file",
        table=table,
        path=str(folder),
        expected=f"{table}.csv or {table}.parquet",
    )


def _load_table(loaded: _Loaded, table: str, read: tuple, config: Config, mapping) -> None:
    """One table: typed, its rows quarantined with their reasons, the rest kept."""
    spec = TABLES[table]
    raw, file, detected = read
    check_columns(raw, spec, file)
    _check_has_rows(raw, spec, file)
    raw = raw.reset_index(drop=True)
    excluded = excluded_records(raw)
    typed, failures = _typed(table, raw, file, detected, config, mapping)
    if excluded:
        gone = {r["row"] - 1 for r in excluded}
        failures = [without_rows(f, gone) for f in failures]
    keys = key_text(typed, spec)
    typed, early = _early_records(loaded, table, typed, keys, excluded, config)
    skip = sorted({r["row"] - 1 for r in early})
    reference_keys = {
        ref.table: loaded.tables[ref.table][TABLES[ref.table].key[0]]
        for ref in spec.references
        if ref.table in loaded.tables
    }
    failed = schema_failure_cases(table, typed.drop(index=skip), config, reference_keys)
    table_records = early + quarantine_records(
        table, typed, keys, failures, failed, config, loaded.quarantined_keys
    )
    for record in table_records:
        record["table"], record["key"] = table, keys.iloc[record["row"] - 1]
    bad_positions = sorted({r["row"] - 1 for r in table_records})
    loaded.quarantined_keys[table] = set(keys.iloc[bad_positions].dropna())
    spec_names = {c.name for c in spec.columns}
    ordered = [c.name for c in spec.columns] + [c for c in typed.columns if c not in spec_names]
    kept = typed.drop(index=bad_positions)[ordered]
    texts = spec.columns_of_kind("text") + [c for c in ordered if c not in spec_names]
    kept, cut = long_text_warnings(table, kept, texts, keys)
    loaded.long_cells.extend(cut)
    loaded.positions[table] = kept.index
    loaded.keys_of[table] = keys
    loaded.tables[table] = kept.reset_index(drop=True)
    loaded.rows_read[table] = len(raw)
    loaded.files[table] = str(file)
    loaded.records.extend(table_records)


def _typed(
    table: str, raw: pd.DataFrame, file, detected, config: Config, mapping
) -> tuple[pd.DataFrame, list]:
    """The table parsed to its column types (:func:`parse_table`), with the reps' levels, and
    the stages checked and deals' flags derived; and the cells that did not parse."""
    spec = TABLES[table]
    options = mapping.table(table).options
    if options.number_format is None and config.number_format:
        options = replace(options, number_format=config.number_format)
    typed, failures = parse_table(
        raw.drop(columns=[EXCLUDED], errors="ignore"),
        spec,
        file,
        options,
        detected,
        config.timezone,
    )
    if table == "reps":
        typed = apply_levels(typed, config.hierarchy)
    if table == "opportunities":
        _check_stages(typed, config, file)
        typed = _derive_flags(typed, config)
    elif table in ("stage_history", "opportunity_history"):
        _check_stages(typed, config, file, table)
    return typed, failures


def _early_records(
    loaded: _Loaded,
    table: str,
    typed: pd.DataFrame,
    keys: pd.Series,
    excluded: list[dict],
    config: Config,
) -> tuple[pd.DataFrame, list[dict]]:
    """Rows quarantined before the schema checks: excluded by the mapping, a reference whose
    case matches several keys, superseded copies, split shares, currencies (amounts converted
    here); the table, converted."""
    spec = TABLES[table]
    keys_read = {
        ref.table: loaded.keys_of[ref.table]
        for ref in spec.references
        if ref.table in loaded.keys_of
    }
    ambiguous = align_reference_case(typed, spec, keys_read)
    early = excluded + ambiguous + superseded_copies(table, typed, keys)
    if table == "opportunity_splits":
        early += split_share_records(typed)
    if table in MONEY_TABLES:
        if table == "opportunity_history":
            typed = deal_currencies(typed, loaded.tables["opportunities"])
        currency_records, outliers = convert_currency(
            table, typed, config, loaded.tables.get("currency_rates")
        )
        early += currency_records
        if table == "opportunities":
            loaded.early_warnings.append(outliers)
    return typed, early


def _quarantine_frame(records: list[dict]) -> pd.DataFrame:
    quarantine = pd.DataFrame(records, columns=QUARANTINE_COLUMNS)
    if len(quarantine):
        quarantine = quarantine.astype({"row": "int64"}).sort_values(
            ["table", "row", "check"], kind="stable", ignore_index=True
        )
    return quarantine


def _warnings(loaded: _Loaded, config: Config, as_of) -> pd.DataFrame:
    """Rows kept and counted as warnings: odd-but-real deals, currency outliers, history that
    contradicts a deal, long text cut, rows dated after the as-of date."""
    positions, keys_of = loaded.positions, loaded.keys_of
    opps = loaded.tables["opportunities"].set_axis(positions["opportunities"])
    found = [opportunity_warnings(opps, loaded.tables["reps"], as_of, config.currency)]
    found += [w[w["pos"].isin(positions["opportunities"])] for w in loaded.early_warnings]
    found += [contradiction_warnings(opps, loaded.tables.get("opportunity_history"))]
    warnings = pd.concat([w for w in found if len(w)] or [found[0]], ignore_index=True)
    warnings = warnings.assign(
        table="opportunities",
        row=warnings["pos"].astype("int64") + 1,
        key=keys_of["opportunities"].iloc[warnings["pos"].astype("int64")].to_numpy(),
    )[QUARANTINE_COLUMNS].sort_values(["row", "check"], kind="stable", ignore_index=True)
    late = dated_after(loaded.tables, positions, keys_of, as_of, explicit=config.as_of is not None)
    cut = loaded.long_cells
    extra = [pd.DataFrame(cut, columns=QUARANTINE_COLUMNS)] if cut else []
    extra += [late[QUARANTINE_COLUMNS]] if len(late) else []
    if extra:
        warnings = pd.concat([warnings, *extra], ignore_index=True)
    return warnings
