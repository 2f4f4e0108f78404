"""The pages a run writes besides the reports: each audience's brief (``index.html`` of its pack)
and the index of every period an output folder keeps.

The brief is the page a leader reads first: the headline figures (those of the table of
reports, :func:`spm_lib.pages.headline_figures`, as the reports recorded them) with their change
on the period before and on the same period a year before, a trend of each over the last
:data:`TREND_PERIODS` periods, both read from the manifests of the runs kept under ``--out``
(:mod:`spm_lib.suite.history`); then what changed and what to do (the lines reports record with
:func:`spm_lib.report.record_action`, each linking its section), then the reports with their
status. Its words are the brief page's (:mod:`spm_lib.pages.brief`); this module reads the
kept runs and renders.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from spm_lib.pages import brief
from spm_lib.suite.history import comparison_periods, earlier_periods, periods_table
from spm_lib.suite.output import write_atomically

TEMPLATES = Path(__file__).parent / "templates"
TREND_PERIODS = 8


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def headlines(
    manifest: dict, results: list[dict], history: list[dict], currency: str = "USD"
) -> list[dict]:
    """The brief's headline figures (:func:`spm_lib.pages.brief.headlines`) against the runs
    kept before (``history``, manifests): the period before, a year before, and the last
    :data:`TREND_PERIODS` periods."""
    kept = {
        (m["period_start"], m["period_end"]): m
        for m in history
        if m["period"] != manifest["period"]
    }
    window = earlier_periods(manifest, TREND_PERIODS)
    return brief.headlines(manifest, results, kept, window, comparison_periods(manifest), currency)


def index_html(
    manifest: dict,
    results: list[dict],
    currency: str = "USD",
    history: list[dict] | None = None,
    kept_previous: bool = False,
) -> str:
    """The audience's brief from its manifest, the per-notebook results (labels, titles,
    actions) and the manifests of the runs kept before (``history``)."""
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    return (
        _environment()
        .get_template("index/index.html.j2")
        .render(
            manifest=manifest,
            reports=brief.report_rows(results, currency),
            summary=brief.run_summary(results),
            audience=brief.audience_name(manifest),
            css=css,
            headlines=headlines(manifest, results, history or [], currency),
            actions=brief.actions(results),
            kept_previous=kept_previous,
            data_name=manifest.get("data_name") or "",
        )
    )


def write_index(
    path: Path,
    manifest: dict,
    results: list[dict],
    currency: str = "USD",
    history: list[dict] | None = None,
    kept_previous: bool = False,
) -> Path:
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


__all__ = ["headlines", "index_html", "periods_index_html", "write_index", "write_periods_index"]
