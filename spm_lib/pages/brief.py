"""What the brief says: the headline figures with their change and trend, the run's summary
line, and the "what to do" lines. The suite reads the manifests and renders the page
(:mod:`spm_lib.suite.index`); the words are here, beside the reports' own pages.
"""

from __future__ import annotations

import math

from spm_lib.pages import headline_figures
from spm_lib.report.formats import format_change, format_value

MAX_ACTIONS = 8

Point = tuple[str, float, bool]  # (period label, value, reported by a kept run)


def figure_of(manifest: dict, report: str, figure: str) -> float | None:
    """The key figure ``figure`` a manifest's ``report`` recorded, or None (missing, not finite)."""
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
    points = [
        (2 + i * step, height - 2 - (v - low) / span * (height - 4)) for i, v in enumerate(values)
    ]
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def trend_finding(label: str, points: list[Point], unit: str | None, currency: str) -> str:
    """The trend in words: first to last value, and how many points were recomputed."""
    (first_period, first, _), (last_period, last, _) = points[0], points[-1]
    direction = "rose" if last > first else "fell" if last < first else "held"
    recomputed = sum(not reported for _, _, reported in points)
    source = (
        f"; {recomputed} of {len(points)} recomputed from this run's data, no run of them kept"
        if recomputed
        else ""
    )
    return (
        f"{label} {direction} from {format_value(first, unit, currency)} in {first_period} "
        f"to {format_value(last, unit, currency)} in {last_period}{source}"
    )


def _past_value(kept: dict, recomputed: dict, report: str, figure: str, dates) -> Point | None:
    """A past period's value: the one its kept run reported, else this run's recomputed one."""
    if dates in kept:
        found = figure_of(kept[dates], report, figure)
        return None if found is None else (kept[dates]["period"], found, True)
    row = recomputed.get(dates)
    if row is None or not isinstance(row.get("value"), int | float):
        return None
    return (row["period"], float(row["value"]), False)


def headlines(
    manifest: dict,
    results: list[dict],
    kept: dict,
    window: list,
    compare: dict,
    currency: str = "USD",
) -> list[dict]:
    """The brief's headline figures: ``{label, value, prior, year, trend, finding}``.

    ``kept`` maps (start, end) to the manifest of a kept run of that period; ``window`` the
    trend's periods, oldest first, ending with this one; ``compare`` ``{"prior": dates,
    "year": dates}``. ``prior`` and ``year`` are change texts; ``trend`` the sparkline points.
    A past period's value is the one its kept run reported; where no run of it is kept, the
    one this run's report recomputed for it (:func:`spm_lib.report.record_series`), said so in
    the finding; where neither, the change is empty and the trend shorter."""
    by_name = {r["name"]: r for r in results}
    rows = []
    for report, headline in headline_figures():
        figure = headline.figure
        result = by_name.get(report) or {}
        meta = (result.get("key_figure_labels") or {}).get(figure)
        if meta is None:
            continue
        value, unit = meta.get("value"), meta.get("unit")
        label = meta.get("label") or figure
        recomputed = {
            (row["period_start"], row["period_end"]): row
            for row in (result.get("series") or {}).get(figure, [])
        }
        changes = {}
        for key, dates in compare.items():
            before = _past_value(kept, recomputed, report, figure, dates)
            changes[key] = change_text(value, before[1] if before else None, unit)
            changes[f"{key}_period"] = before[0] if before else ""
        points = [
            p
            for dates in window[:-1]
            if (p := _past_value(kept, recomputed, report, figure, dates))
        ]
        if value is not None:
            points.append((manifest["period"], float(value), True))
        rows.append(
            {
                "name": figure,
                "report": report,
                "label": label,
                "value": format_value(value, unit, currency),
                "prior": changes["prior"],
                "prior_period": changes["prior_period"],
                "year": changes["year"],
                "year_period": changes["year_period"],
                "trend": sparkline([v for _, v, _ in points]) if len(points) >= 2 else "",
                "finding": trend_finding(headline.trend_label or label, points, unit, currency)
                if len(points) >= 2
                else "",
            }
        )
    return rows


def actions(results: list[dict]) -> list[dict]:
    """The runs' "what to do" lines, the heaviest first, at most :data:`MAX_ACTIONS`."""
    found = [a for r in results for a in (r.get("actions") or [])]
    return sorted(found, key=lambda a: -float(a.get("weight") or 0))[:MAX_ACTIONS]


def report_rows(results: list[dict], currency: str) -> list[dict]:
    """The brief's list of reports: title, status, link, time and key figures, as shown."""
    return [
        {
            "name": r["name"],
            "title": r.get("title") or r["name"],
            "status": r["status"],
            "html": r.get("html"),
            "seconds": f"{r['seconds']:.1f} s",
            "error": r.get("error"),
            "carried": (r.get("carried_from") or {}).get("finished"),
            "figures": [
                {
                    "label": meta.get("label") or name,
                    "value": format_value(meta.get("value"), meta.get("unit"), currency),
                }
                for name, meta in r.get("key_figure_labels", {}).items()
            ],
        }
        for r in results
    ]


def run_summary(results: list[dict]) -> str:
    """The line under the brief's title: how many reports rendered, failed or were kept."""
    ran = [r for r in results if not r.get("carried_from")]
    failed = sum(r["status"] != "ok" for r in ran)
    summary = (
        ("The report rendered." if len(ran) == 1 else f"All {len(ran)} reports rendered.")
        if not failed
        else f"{failed} of {len(ran)} reports failed; the others rendered."
    )
    if len(ran) < len(results):
        kept = len(results) - len(ran)
        summary += (
            f" {kept} {'report was' if kept == 1 else 'reports were'} not part of "
            "this run and kept from an earlier one, as marked."
        )
    return summary


def audience_name(manifest: dict) -> str:
    """Whom the pack is for: the audience's name, ``All reps`` for the company's pack."""
    return "All reps" if manifest.get("audience") in (None, "All") else manifest["audience"]
