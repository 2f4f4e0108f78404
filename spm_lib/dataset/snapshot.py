"""A run's validated dataset on disk, read back without parsing or validating again.

``spm run`` loads and validates the dataset once, writes it here, and passes the folder to
every notebook as its ``data``: each report of the run sees exactly the data the manifest
fingerprints, and a notebook's load takes a fraction of a second instead of a full load. A
notebook opened alone still loads from its ``data`` as before.

Layout of a snapshot folder: ``snapshot.json`` (format, source, fingerprint, as-of date, rows
read and files per table, table order), ``spm.yaml`` (the configuration the load used), one
``<table>.parquet`` per table, ``quarantine.parquet`` and ``warnings.parquet``. Tables keep their
dtypes (Parquet's pandas metadata); the quarantine and warnings keep their text.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import yaml

from spm_lib.dataset.config import parse_config
from spm_lib.dataset.container import QUARANTINE_COLUMNS, Dataset
from spm_lib.exceptions import DataError

SNAPSHOT_FILE = "snapshot.json"
SNAPSHOT_FORMAT = 1


def is_snapshot(path: str | Path) -> bool:
    """Whether ``path`` is a folder written by :func:`write_snapshot`."""
    return (Path(path) / SNAPSHOT_FILE).is_file()


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The quarantine or warnings with every value as text (they are shown, never computed
    on), so that mixed cells store as one Parquet column."""
    out = frame.reindex(columns=QUARANTINE_COLUMNS).copy()
    for column in out.columns:
        if column != "row":
            out[column] = [None if pd.isna(v) else str(v) for v in out[column]]
    out["row"] = pd.to_numeric(out["row"], errors="coerce").astype("Int64")
    return out


def _without_credentials(raw: dict) -> dict:
    """The configuration with its database URL masked: the snapshot never reconnects, and it
    is written under the run's output folder."""
    from spm_lib.dataset.database import masked

    database = raw.get("database") if isinstance(raw, dict) else None
    if isinstance(database, dict) and "url" in database:
        return {**raw, "database": {**database, "url": masked(str(database["url"]))}}
    return raw


def write_snapshot(dataset: Dataset, folder: str | Path) -> Path:
    """Write ``dataset`` (its whole company when it is narrowed) into ``folder``; return it."""
    ds = dataset.company if dataset.company is not None else dataset
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in ds.tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    _as_text(ds.quarantine).to_parquet(folder / "quarantine.parquet", index=False)
    _as_text(ds.warnings).to_parquet(folder / "warnings.parquet", index=False)
    (folder / "spm.yaml").write_text(
        yaml.safe_dump(_without_credentials(ds.config.raw), sort_keys=False), encoding="utf-8"
    )
    meta = {
        "format": SNAPSHOT_FORMAT,
        "source": ds.source,
        "fingerprint": ds.fingerprint,
        "as_of": ds.as_of.isoformat(),
        "rows_read": ds.rows_read,
        "files": ds.files,
        "tables": list(ds.tables),
    }
    (folder / SNAPSHOT_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return folder


def _text_frame(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    for column in frame.columns.drop("row"):  # an all-empty column reads back as float
        frame[column] = frame[column].astype("str")
    frame["row"] = frame["row"].astype("int64") if frame["row"].notna().all() else frame["row"]
    return frame


class SnapshotTables(Mapping):
    """A snapshot's tables by name, each read from its Parquet file when first asked for and
    kept: a report reads only the tables it uses (forecasting never reads the leads).
    :meth:`rows` counts a table's rows without reading it."""

    def __init__(self, folder: Path, names: list[str]) -> None:
        self._folder, self._names, self._read = folder, list(names), {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._read:
            if name not in self._names:
                raise KeyError(name)
            self._read[name] = pd.read_parquet(self._folder / f"{name}.parquet")
        return self._read[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def rows(self, name: str) -> int:
        if name in self._read:
            return len(self._read[name])
        return pq.ParquetFile(self._folder / f"{name}.parquet").metadata.num_rows


def read_snapshot(folder: str | Path) -> Dataset:
    """The :class:`Dataset` written by :func:`write_snapshot` into ``folder``."""
    folder = Path(folder)
    meta = json.loads((folder / SNAPSHOT_FILE).read_text(encoding="utf-8"))
    if meta.get("format") != SNAPSHOT_FORMAT:
        raise DataError(
            f"{folder}: a run snapshot of format {meta.get('format')}; this version reads "
            f"format {SNAPSHOT_FORMAT}: load the original data instead",
            path=str(folder),
            expected=f"snapshot format {SNAPSHOT_FORMAT}",
        )
    raw = yaml.safe_load((folder / "spm.yaml").read_text(encoding="utf-8")) or {}
    return Dataset(
        tables=SnapshotTables(folder, meta["tables"]),
        config=parse_config(raw, str(folder / "spm.yaml")),
        quarantine=_text_frame(folder / "quarantine.parquet"),
        rows_read={k: int(v) for k, v in meta["rows_read"].items()},
        source=meta["source"],
        files=meta["files"],
        fingerprint=meta["fingerprint"],
        as_of=dt.date.fromisoformat(meta["as_of"]),
        warnings=_text_frame(folder / "warnings.parquet"),
    )
