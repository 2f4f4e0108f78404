"""Importers behind ``spm import``: from real CRM export files to a canonical dataset folder.

Each adapter (a vendor's ``files`` in the one registry of CRM formats,
:data:`spm_lib.dataset.vendors.VENDORS`) turns export files into canonical tables plus the
``spm.yaml`` they need; :func:`write_dataset` writes them as a dataset folder that
:func:`spm_lib.load_dataset` reads. Adapters rename and reshape; they never drop a row: rows the
canonical model cannot use are left for the loader to quarantine with a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import yaml

from spm_lib.dataset.vendors import VENDORS
from spm_lib.importers.files import expand, prepare_out

__all__ = ["ADAPTERS", "expand", "import_export", "write_dataset"]

ADAPTERS: dict[str, Callable[[list[Path]], tuple[dict[str, pd.DataFrame], dict]]] = {
    name: vendor.files for name, vendor in VENDORS.items()
}


def write_dataset(
    out: str | Path, tables: dict[str, pd.DataFrame], config: dict, force: bool = False
) -> Path:
    """Write ``tables`` as ``<name>.csv`` and ``config`` as ``spm.yaml`` into ``out``, a new or
    empty folder (``force`` empties an earlier import's: :func:`~.files.prepare_out`)."""
    out = prepare_out(Path(out), force)
    for name, frame in tables.items():
        frame.to_csv(out / f"{name}.csv", index=False, lineterminator="\n")
    (out / "spm.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return out


def import_export(
    source: str, files: list[str | Path], out: str | Path, force: bool = False
) -> Path:
    """Convert export ``files`` (files, folders or a ``.zip``) from ``source`` into a canonical
    dataset folder ``out`` (new or empty; ``force`` empties an earlier import's). What the
    import decided is in its spm.yaml, under ``imported_from.notes``."""
    import tempfile

    if source not in ADAPTERS:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(ADAPTERS)}")
    prepare_out(Path(out), force)  # refused before any work, emptied only when asked
    with tempfile.TemporaryDirectory(prefix="spm-import-") as scratch:
        tables, config = ADAPTERS[source](expand(files, Path(scratch)))
    return write_dataset(out, tables, config, force=True)
