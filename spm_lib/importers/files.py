"""The files an import reads and the folder it writes, with nothing lost and nothing unbounded.

- :func:`expand`: files as given, a folder's CSV and .xlsx files, a ``.zip``'s members streamed
  to disk. Two inputs with one file name are refused (naming both): an adapter tells files apart
  by name, so one would hide the other. A zip is capped before it fills the disk or memory:
  its unpacked size (:data:`MAX_UNPACKED_BYTES` in all), its compression ratio
  (:data:`MAX_RATIO`, a zip bomb's tell) and the rows of each member (:data:`MAX_ROWS`).
- :func:`prepare_out`: the folder written must be new or empty; ``force`` empties one that
  holds only what an import writes (tables, ``spm.yaml``, the ``.spm`` cache), never anything
  else, so stale tables of an old import never mix with new ones.

The caps can be raised through the environment (``SPM_MAX_UNPACKED_MB``, ``SPM_MAX_ROWS``).
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

MAX_UNPACKED_BYTES = int(os.environ.get("SPM_MAX_UNPACKED_MB", "4096")) * 2**20
MAX_ROWS = int(os.environ.get("SPM_MAX_ROWS", "20000000"))  # per file unpacked from a zip
MAX_RATIO = 250  # unpacked / packed size of a member over RATIO_FROM bytes
RATIO_FROM = 16 * 2**20
READABLE = (".csv", ".xlsx")
WRITTEN = (".csv", ".csv.gz", ".parquet", ".xlsx", ".yaml")  # what an import folder may hold
_CHUNK = 2**20


def expand(paths: list[str | Path], scratch: Path | None = None) -> list[Path]:
    """Files given, with folders replaced by the CSV and .xlsx files inside them and a ``.zip``
    (a Salesforce Data Export) by its CSV and .xlsx members, unpacked into ``scratch``.
    ValueError, with a sentence, for two files of one name or a zip over a cap."""
    files: dict[Path, str] = {}  # file -> where it came from, as the user gave it
    for path in map(Path, paths):
        if path.is_dir():
            files.update(
                {p: str(p) for p in sorted(path.iterdir()) if p.suffix.lower() in READABLE}
            )
        elif path.suffix.lower() == ".zip":
            if scratch is None:
                raise ValueError(f"{path}: a .zip needs a folder to unpack into")
            files.update(_unzip(path, scratch / f"zip{len(files)}-{path.stem}"))
        else:
            files[path] = str(path)
    _refuse_repeated_names(files)
    return list(files)


def _refuse_repeated_names(files: dict[Path, str]) -> None:
    seen: dict[str, str] = {}
    for path, origin in files.items():
        name = path.name.casefold()
        if name in seen:
            raise ValueError(
                f"two files named {path.name}: {seen[name]} and {origin}; an import tells files "
                "apart by name, so one would hide the other. Rename one (for a report exported "
                "in parts: Opportunities 2024.csv, Opportunities 2025.csv)"
            )
        seen[name] = origin


def _unzip(archive_path: Path, target: Path) -> dict[Path, str]:
    """The zip's CSV and .xlsx members streamed into ``target`` (module docstring's caps)."""
    out: dict[Path, str] = {}
    with zipfile.ZipFile(archive_path) as archive:
        members = [
            m
            for m in archive.infolist()
            if m.filename.lower().endswith(READABLE) and not m.is_dir()
        ]
        declared = sum(m.file_size for m in members)
        if declared > MAX_UNPACKED_BYTES:
            raise ValueError(_too_big(archive_path, declared))
        names: dict[str, str] = {}
        written = 0
        target.mkdir(parents=True, exist_ok=True)
        for member in members:
            name = Path(member.filename).name
            if name.casefold() in names:
                raise ValueError(
                    f"{archive_path}: the zip holds {names[name.casefold()]} and "
                    f"{member.filename}, two files named {name}; unpacked, one would overwrite "
                    "the other. Import them from separate folders with distinct names"
                )
            names[name.casefold()] = member.filename
            written += _stream(archive, member, target / name, archive_path, written)
            out[target / name] = f"{archive_path}:{member.filename}"
    return out


def _stream(archive, member, destination: Path, archive_path: Path, written: int) -> int:
    """Copy one member to ``destination`` in chunks, counting bytes and rows against the caps;
    returns its unpacked bytes."""
    size = rows = 0
    with archive.open(member) as source, open(destination, "wb") as sink:
        while chunk := source.read(_CHUNK):
            size += len(chunk)
            rows += chunk.count(b"\n")
            if written + size > MAX_UNPACKED_BYTES:
                raise ValueError(_too_big(archive_path, written + size))
            if size > RATIO_FROM and size > MAX_RATIO * max(member.compress_size, 1):
                raise ValueError(
                    f"{archive_path}:{member.filename} unpacks to more than {MAX_RATIO} times "
                    f"its packed size ({member.compress_size:,} bytes): a CSV export does not "
                    "compress that far, so it is refused as a zip bomb"
                )
            if rows > MAX_ROWS:
                raise ValueError(
                    f"{archive_path}:{member.filename} has more than {MAX_ROWS:,} rows, the cap "
                    "per file (raise it with SPM_MAX_ROWS)"
                )
            sink.write(chunk)
    return size


def _too_big(archive_path: Path, size: int) -> str:
    return (
        f"{archive_path} unpacks to more than {MAX_UNPACKED_BYTES // 2**20:,} MB "
        f"({size // 2**20:,} MB or more), the cap on what an import unpacks (raise it with "
        "SPM_MAX_UNPACKED_MB)"
    )


def prepare_out(out: Path, force: bool = False) -> Path:
    """``out`` made ready to write: new, or empty; with ``force``, emptied when it holds only
    what an import writes (module docstring). ValueError with a sentence otherwise."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; expected a new or empty folder")
    entries = sorted(out.iterdir()) if out.exists() else []
    if entries and not force:
        raise ValueError(
            f"--out {out} is not empty ({len(entries)} entries, such as {entries[0].name}); an "
            "import writes into a new or empty folder so that no table of an earlier import "
            "stays beside it. Give a new folder, or --force to empty this one"
        )
    if entries:
        foreign = [e for e in entries if not _written_by_import(e)]
        if foreign:
            raise ValueError(
                f"--out {out} holds {foreign[0].name}, which an import does not write; --force "
                "empties only a folder of an earlier import. Give a new folder"
            )
        for entry in entries:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    out.mkdir(parents=True, exist_ok=True)
    return out


def _written_by_import(entry: Path) -> bool:
    if entry.is_dir():
        return entry.name == ".spm"
    return entry.name.lower().endswith(WRITTEN)
