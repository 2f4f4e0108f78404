"""The runs an output folder keeps: each period's packs, read back from their manifests.

Every run leaves ``OUT/<period>/<audience>/manifest.json`` (:mod:`spm_lib.suite.layout`);
:func:`past_manifests` reads an audience's across periods (the brief's trends and changes),
and :func:`periods_table` lists every pack for ``OUT/index.html``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path

from spm_lib.periods import Period, period_starting
from spm_lib.suite.layout import COMPANY, HIDDEN


def read_manifest(path: Path) -> dict | None:
    """A run's manifest, or None when the file is missing or is not one."""
    with contextlib.suppress(OSError, ValueError):
        found = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(found, dict) and {"period", "period_start", "period_end", "notebooks"} <= set(
            found
        ):
            return found
    return None


def past_manifests(out: Path, folder: str, lineage: str | None = None) -> list[dict]:
    """The manifests of audience ``folder`` kept under ``out``, one per period, oldest first;
    with ``lineage``, only those of the same dataset (:func:`lineage_of`): a brief never
    compares one company's figures with another's kept in the same folder."""
    paths = sorted(Path(out).glob(f"*/{folder}/manifest.json"))
    found = [m for p in paths if (m := read_manifest(p))]
    if lineage is not None:
        found = [m for m in found if lineage_of(m) == lineage]
    return sorted(found, key=lambda m: (m["period_end"], m["period_start"]))


def lineage_of(manifest: dict) -> str:
    """What makes runs one dataset's: the manifest's ``data_lineage`` (spm.yaml ``name``, else
    the data's reference); a manifest written before it, its data reference."""
    return str(manifest.get("data_lineage") or manifest.get("data") or "")


KINDS = {1: "month", 3: "quarter", 12: "year"}


def period_of(manifest: dict) -> Period:
    """The manifest's period as a :class:`~spm_lib.periods.Period` (its fiscal year starting
    in the period's own start month, which leaves its start and end as they are)."""
    start = dt.date.fromisoformat(manifest["period_start"])
    end = dt.date.fromisoformat(manifest["period_end"])
    label = str(manifest.get("period", ""))
    if "-Q" in label:
        kind = "quarter"
    elif label.startswith("FY"):
        kind = "year"
    elif len(label) == 7:
        kind = "month"
    else:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        kind = KINDS.get(months, "quarter")
    return period_starting(start, kind, start.month).up_to(end)  # a period to date: its days


def _dates(period: Period) -> tuple[str, str]:
    return period.start.isoformat(), period.end.isoformat()


def comparison_periods(manifest: dict) -> dict[str, tuple[str, str]]:
    """``{"prior": (start, end), "year": (start, end)}``: the period just before the
    manifest's, of the same length, and the same period a year before (ISO dates)."""
    period = period_of(manifest)
    return {"prior": _dates(period.previous()), "year": _dates(period.same_period_last_year())}


def earlier_periods(manifest: dict, count: int) -> list[tuple[str, str]]:
    """(start, end) of the ``count`` periods as long as the manifest's that end with its own,
    oldest first (ISO dates)."""
    period = period_of(manifest)
    return [_dates(period.shift(-back)) for back in range(count - 1, -1, -1)]


def periods_table(out: Path) -> list[dict]:
    """Every pack under ``out``: ``{"period", "folder", "audience", "status", "finished",
    "href", "failed_run"}`` by period (newest first), the company's pack first in each."""
    out = Path(out)
    rows = []
    for path in out.glob("*/*/manifest.json"):
        manifest = read_manifest(path)
        if manifest is None or path.parent.parent.name.startswith("."):
            continue
        failed = sum(n.get("status") != "ok" for n in manifest["notebooks"])
        aside = out / HIDDEN / "failed" / path.parent.parent.name / path.parent.name
        rows.append(
            {
                "period": manifest["period"],
                "period_end": manifest["period_end"],
                "folder": path.parent.name,
                "audience": "All reps"
                if manifest.get("audience") in (None, "All")
                else manifest["audience"],
                "status": "ok" if not failed else f"{failed} failed",
                "finished": manifest.get("finished", ""),
                "href": f"{path.parent.parent.name}/{path.parent.name}/index.html",
                "failed_run": (
                    f"{HIDDEN}/failed/{path.parent.parent.name}/{path.parent.name}/index.html"
                )
                if (aside / "index.html").exists()
                else "",
            }
        )
    rows.sort(key=lambda r: (r["period_end"], r["period"]), reverse=True)
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["period"], []).append(row)
    ordered = []
    for packs in grouped.values():
        ordered += sorted(packs, key=lambda r: (r["folder"] != COMPANY, r["audience"]))
    return ordered


__all__ = [
    "comparison_periods",
    "earlier_periods",
    "past_manifests",
    "period_of",
    "periods_table",
    "read_manifest",
]
