"""The pages a run writes besides the reports: each audience's brief (``index.html`` of its pack)
and the index of every period an output folder keeps.

The brief is the page a leader reads first: the headline figures (those of the table of
reports, :func:`spm_lib.pages.headline_figures`, as the reports recorded them) with their change
on the period before and on the same period a year before, a trend of each over the last
:data:`TREND_PERIODS` periods, both read from the manifests of the runs kept under ``--out``
(:mod:`spm_lib.suite.history`); then what changed and what to do (the lines reports record with
:func:`spm_lib.report.record_action`, each linking its section), then the reports with their
status.
"""

from __future__ import annotations

import math
from pathlib import Path

import jinja2

from spm_lib.pages import headline_figures
from spm_lib.report.formats import format_change, format_value
from spm_lib.suite.history import comparison_periods, earlier_periods, periods_table
from spm_lib.suite.output import write_atomically

TEMPLATES = Path(__file__).parent / "templates"
TREND_PERIODS = 8
MAX_ACTIONS = 8


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _figure_of(manifest: dict, report: str, figure: str) -> float | None:
    for entry in manifest.get("notebooks", []):
        if entry.get("name") == report:
            value = (entry.get("key_figures") or {}).get(figure)
            if isinstance(value, int | float) and math.isfinite(value):
                return float(value)
    return None


def change_text(now: float | None, before: float | None, unit: str | None) -> str:
    """``now`` against ``before``: in percentage points for a rate (unit percent), else the
    relative change ``now / before - 1`` ("unchanged" when both are 0, "up from 0" or
    "down from 0" when only ``before`` is); empty when either is missing."""
    if now is None or before is None:
        return ""
    if unit == "percent":
        return f"{(now - before) * 100:+.1f} pts"
    if before == 0:
        return "unchanged" if now == 0 else "up from 0" if now > 0 else "down from 0"
    return format_change(now / before - 1)


def sparkline(values: list[float], width: int = 132, height: int = 34) -> str:
    """SVG polyline points of ``values`` scaled into ``width`` x ``height`` (2 px margin)."""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (width - 4) / max(1, len(values) - 1)
    points = [(2 + i * step, height - 2 - (v - low) / span * (height - 4))
              for i, v in enumerate(values)]  # fmt: skip
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _trend_finding(label: str, points: list[tuple[str, float, bool]], unit: str | None,
                   currency: str) -> str:  # fmt: skip
    (first_period, first, _), (last_period, last, _) = points[0], points[-1]
    direction = "rose" if last > first else "fell" if last < first else "held"
    recomputed = sum(not reported for _, _, reported in points)
    source = (f"; {recomputed} of {len(points)} recomputed from this run's data, no run of "
              "them kept" if recomputed else "")  # fmt: skip
    return (f"{label} {direction} from {format_value(first, unit, currency)} in {first_period} "
            f"to {format_value(last, unit, currency)} in {last_period}{source}")  # fmt: skip


def headlines(manifest: dict, results: list[dict], history: list[dict],
              currency: str = "USD") -> list[dict]:  # fmt: skip
    """The brief's headline figures: ``{label, value, prior, year, trend, finding}``.

    ``prior`` and ``year`` are change texts against the period before and the same period a
    year before; ``trend`` the sparkline points over the last :data:`TREND_PERIODS` periods.
    A past period's value is the one its kept run reported (``history``); where no run of it
    is kept, the one this run's report recomputed for it (:func:`spm_lib.report.record_series`),
    said so in the finding; where neither, the change is empty and the trend shorter."""
    by_name = {r["name"]: r for r in results}
    kept = {(m["period_start"], m["period_end"]): m for m in history
            if m["period"] != manifest["period"]}  # fmt: skip
    window = earlier_periods(manifest, TREND_PERIODS)
    compare = comparison_periods(manifest)
    rows = []
    for report, headline in headline_figures():
        figure, trend_label = headline.figure, headline.trend_label
        result = by_name.get(report) or {}
        meta = (result.get("key_figure_labels") or {}).get(figure)
        if meta is None:
            continue
        value, unit = meta.get("value"), meta.get("unit")
        label = meta.get("label") or figure
        recomputed = {(row["period_start"], row["period_end"]): row
                      for row in (result.get("series") or {}).get(figure, [])}  # fmt: skip

        def past(dates: tuple[str, str]) -> tuple[str, float, bool] | None:
            if dates in kept:
                found = _figure_of(kept[dates], report, figure)  # noqa: B023
                return None if found is None else (kept[dates]["period"], found, True)
            row = recomputed.get(dates)  # noqa: B023
            if row is None or not isinstance(row.get("value"), int | float):
                return None
            return (row["period"], float(row["value"]), False)

        changes = {}
        for key, dates in compare.items():
            before = past(dates)
            changes[key] = change_text(value, before[1] if before else None, unit)
            changes[f"{key}_period"] = before[0] if before else ""
        points = [p for dates in window[:-1] if (p := past(dates))]
        if value is not None:
            points.append((manifest["period"], float(value), True))
        rows.append({
            "name": figure, "report": report, "label": label,
            "value": format_value(value, unit, currency),
            "prior": changes["prior"], "prior_period": changes["prior_period"],
            "year": changes["year"], "year_period": changes["year_period"],
            "trend": sparkline([v for _, v, _ in points]) if len(points) >= 2 else "",
            "finding": _trend_finding(trend_label or label, points, unit, currency)
                       if len(points) >= 2 else "",
        })  # fmt: skip
    return rows


def actions(results: list[dict]) -> list[dict]:
    """The runs' "what to do" lines, the heaviest first, at most :data:`MAX_ACTIONS`."""
    found = [a for r in results for a in (r.get("actions") or [])]
    return sorted(found, key=lambda a: -float(a.get("weight") or 0))[:MAX_ACTIONS]


def index_html(manifest: dict, results: list[dict], currency: str = "USD",
               history: list[dict] | None = None, kept_previous: bool = False) -> str:  # fmt: skip
    """The audience's brief from its manifest, the per-notebook results (labels, titles,
    actions) and the manifests of the runs kept before (``history``)."""
    reports = []
    for r in results:
        figures = [
            {
                "label": meta.get("label") or name,
                "value": format_value(meta.get("value"), meta.get("unit"), currency),
            }
            for name, meta in r.get("key_figure_labels", {}).items()
        ]
        reports.append(
            {
                "name": r["name"],
                "title": r.get("title") or r["name"],
                "status": r["status"],
                "html": r.get("html"),
                "seconds": f"{r['seconds']:.1f} s",
                "error": r.get("error"),
                "carried": (r.get("carried_from") or {}).get("finished"),
                "figures": figures,
            }
        )
    ran = [r for r in results if not r.get("carried_from")]
    failed = sum(r["status"] != "ok" for r in ran)
    summary = (
        ("The report rendered." if len(ran) == 1 else f"All {len(ran)} reports rendered.")
        if not failed
        else f"{failed} of {len(ran)} reports failed; the others rendered."
    )
    if len(ran) < len(results):
        kept = len(results) - len(ran)
        summary += (f" {kept} {'report was' if kept == 1 else 'reports were'} not part of "
                    "this run and kept from an earlier one, as marked.")  # fmt: skip
    audience = "All reps" if manifest.get("audience") in (None, "All") else manifest["audience"]
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    return (
        _environment()
        .get_template("index/index.html.j2")
        .render(manifest=manifest, reports=reports, summary=summary, audience=audience, css=css,
                headlines=headlines(manifest, results, history or [], currency),
                actions=actions(results), kept_previous=kept_previous,
                data_name=manifest.get("data_name") or "")  # fmt: skip
    )


def write_index(path: Path, manifest: dict, results: list[dict], currency: str = "USD",
                history: list[dict] | None = None,
                kept_previous: bool = False) -> Path:  # fmt: skip
    write_atomically(path, index_html(manifest, results, currency, history, kept_previous))
    return path


def periods_index_html(rows: list[dict]) -> str:
    """``OUT/index.html``: every period's packs (rows of :func:`.history.periods_table`)."""
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    periods: dict[str, list[dict]] = {}
    for row in rows:
        periods.setdefault(row["period"], []).append(row)
    return _environment().get_template("index/periods.html.j2").render(periods=periods, css=css)


def write_periods_index(out: Path) -> Path:
    """Write ``OUT/index.html``: every period's packs, linked (:func:`.history.periods_table`)."""
    path = Path(out) / "index.html"
    write_atomically(path, periods_index_html(periods_table(out)))
    return path


__all__ = ["actions", "change_text", "headlines", "index_html",
           "periods_index_html", "sparkline", "write_index", "write_periods_index"]  # fmt: skip
