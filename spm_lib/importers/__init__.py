"""Importers behind ``spm import``: from real CRM export files to a canonical dataset folder.

Each adapter turns export files into canonical tables plus the ``spm.yaml`` they need;
:func:`write_dataset` writes them as a dataset folder that :func:`spm_lib.load_dataset` reads.
Adapters rename and reshape; they never drop a row: rows the canonical model cannot use are left
for the loader to quarantine with a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import yaml

from spm_lib.importers import crm, maven

ADAPTERS: dict[str, Callable[[list[Path]], tuple[dict[str, pd.DataFrame], dict]]] = {
    "salesforce": crm.salesforce,
    "hubspot": crm.hubspot,
    "maven": maven.convert,
}


def expand(paths: list[str | Path], scratch: Path | None = None) -> list[Path]:
    """Files given, with folders replaced by the CSV files inside them and a ``.zip`` (a
    Salesforce Data Export) by its CSV members, unpacked into ``scratch``."""
    import zipfile

    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in (".csv", ".xlsx")))
        elif path.suffix.lower() == ".zip":
            if scratch is None:
                raise ValueError(f"{path}: a .zip needs a folder to unpack into")
            target = scratch / path.stem
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.namelist()
                           if m.lower().endswith((".csv", ".xlsx")) and not m.endswith("/")]
                for member in members:
                    name = Path(member).name
                    (target).mkdir(parents=True, exist_ok=True)
                    (target / name).write_bytes(archive.read(member))
                    files.append(target / name)  # fmt: skip
        else:
            files.append(path)
    return files


def write_dataset(out: str | Path, tables: dict[str, pd.DataFrame], config: dict) -> Path:
    """Write ``tables`` as ``<name>.csv`` and ``config`` as ``spm.yaml`` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(out / f"{name}.csv", index=False, lineterminator="\n")
    (out / "spm.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return out


def import_export(source: str, files: list[str | Path], out: str | Path) -> Path:
    """Convert export ``files`` (files, folders or a ``.zip``) from ``source`` into a canonical
    dataset folder ``out``. What the import decided is in its spm.yaml, under
    ``imported_from.notes``."""
    import tempfile

    if source not in ADAPTERS:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(ADAPTERS)}")
    with tempfile.TemporaryDirectory(prefix="spm-import-") as scratch:
        tables, config = ADAPTERS[source](expand(files, Path(scratch)))
    return write_dataset(out, tables, config)
