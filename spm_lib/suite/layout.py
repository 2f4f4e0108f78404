"""Where a run writes, under ``--out`` (OUT)::

    OUT/index.html                          every period and audience the folder holds
    OUT/<period>/<audience>/index.html      the audience's brief: headline figures, reports
    OUT/<period>/<audience>/<notebook>.html the reports
    OUT/<period>/<audience>/manifest.json   figures, statuses, versions, data fingerprint
    OUT/<period>/<audience>/executed/       executed notebooks and their logs
    OUT/.spm/data/<fingerprint>/            the run's data snapshot (shared, never forwarded)
    OUT/.spm/state/<audience>/              what a report keeps between runs (forecast history)
    OUT/.spm/staging/                       a run in progress (swapped in when it ends)
    OUT/.spm/lock                           held while a run writes to OUT

An audience folder holds nothing of another audience, so it can be forwarded as it is: the
snapshot of the whole company's data lives apart, in ``.spm``.

Audience folders are named from the segment: ``all`` for the company, ``region-West`` for
``region=West`` (``;``-joined clauses by ``+``). A value with characters other than letters,
digits, ``.``, ``_`` and ``-`` (or two dots in a row) has them replaced by ``_`` and a
short hash of the segment added, so that two values never share a folder and no value can
name a path outside OUT.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from spm_lib.dataset.segments import clauses_of

COMPANY = "all"
HIDDEN = ".spm"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+|\.{2,}")
MAX_NAME = 80


def audience_folder(segment: str | None) -> str:
    """The folder name of audience ``segment`` (see the module docstring)."""
    if not segment or segment.strip().lower() in ("all", "none"):
        return COMPANY
    raw, safe = [], []
    for column, value in clauses_of(segment):
        part = f"{column}-{value}"
        raw.append(part)
        safe.append(_SAFE.sub("_", part).strip("._") or "_")
    changed = safe != raw
    safe = "+".join(safe)
    if changed or len(safe) > MAX_NAME or safe.lower() == COMPANY:
        digest = hashlib.sha256(segment.encode("utf-8")).hexdigest()[:8]
        safe = f"{safe[:MAX_NAME]}-{digest}"
    return safe


def hidden(out: Path) -> Path:
    return out / HIDDEN


def snapshot_dir(out: Path, fingerprint: str) -> Path:
    return hidden(out) / "data" / fingerprint[:16]


def state_dir(out: Path, folder: str) -> Path:
    return hidden(out) / "state" / folder


def staging_dir(out: Path) -> Path:
    return hidden(out) / "staging"


def lock_file(out: Path) -> Path:
    return hidden(out) / "lock"


def pack_dir(out: Path, period: str, folder: str) -> Path:
    return out / period / folder


__all__ = [
    "COMPANY",
    "audience_folder",
    "lock_file",
    "pack_dir",
    "snapshot_dir",
    "staging_dir",
    "state_dir",
]
