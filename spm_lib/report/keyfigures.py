"""Key figures: record a number in the executed notebook, and show a key-figures block.

:func:`record` stores ``{name, value, label, unit}`` as an output with MIME type
:data:`KEY_FIGURE_MIME`. The runner reads these outputs from the executed notebook (no HTML
scraping) into the index and the manifest; the HTML template does not show them, so a report
shows its key figures through :func:`key_figures`, formatted for people. :func:`record_table`
does the same for a table the suite's consistency checks read back (:func:`read_tables`).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from numbers import Number
from typing import TYPE_CHECKING

import pandas as pd

from spm_lib.report.context import currency_of
from spm_lib.report.formats import UNITS, format_change, format_value
from spm_lib.report.section import emit

if TYPE_CHECKING:  # the runner reads notebooks; a kernel never imports nbformat (1.7 s)
    import nbformat

KEY_FIGURE_MIME = "application/vnd.spm.key-figure+json"
TABLE_MIME = "application/vnd.spm.table+json"
ACTION_MIME = "application/vnd.spm.action+json"


@dataclass(frozen=True)
class KeyFigure:
    name: str
    value: float | None
    label: str
    unit: str | None = None
    change: float | None = None  # relative change against a comparison period
    change_label: str = ""  # e.g. "on Q2"
    detail: str = ""  # a line under the label, e.g. the interval

    def formatted(self, currency: str | None = None) -> str:
        return format_value(self.value, self.unit, currency_of(currency))


def _plain_number(value: object) -> float | int | None:
    if value is None:
        return None
    if not isinstance(value, Number):
        raise TypeError(f"key figure value must be a number, got {type(value).__name__}")
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        return None
    return int(number) if float(number).is_integer() and abs(number) < 2**53 else number


def record(
    name: str,
    value: float | int | None,
    *,
    label: str | None = None,
    unit: str | None = None,
    change: float | None = None,
    change_label: str = "",
    detail: str = "",
) -> KeyFigure:
    """Record key figure ``name`` in the executed notebook and return it (for :func:`key_figures`).

    ``unit`` is one of count, currency, percent, number, days, ratio. NaN is recorded as null.
    """
    if unit is not None and unit not in UNITS:
        raise ValueError(f"unit {unit!r} is not one of {', '.join(UNITS)}")
    number = _plain_number(value)
    figure = KeyFigure(
        name, number, label or name.replace("_", " "), unit, change, change_label, detail
    )
    payload = {"name": name, "value": number, "label": figure.label, "unit": unit}
    emit(
        {KEY_FIGURE_MIME: payload, "text/plain": f"{figure.label}: {figure.formatted()}"},
        raw=True,
    )
    return figure


def _change_text(fig: KeyFigure) -> str:
    """A relative change, or for a rate (unit percent) the change in percentage points:
    now - before, with before = now / (1 + change) (a 15.0% -> 14.8% change is "-0.2 pts",
    not "-1.6%")."""
    if fig.unit == "percent" and fig.value is not None and fig.change != -1:
        points = (fig.value - fig.value / (1 + fig.change)) * 100
        return f"{points:+.1f} pts"
    return format_change(fig.change)


def key_figures_html(figures: list[KeyFigure], reading: str = "") -> str:
    """The key-figures block: one card per figure, then a one-line reading (escaped)."""
    cards = []
    for fig in figures:
        change = ""
        if fig.change is not None and not (
            isinstance(fig.change, float) and math.isnan(fig.change)
        ):
            change = (
                f'<div class="spm-kf-change">{_change_text(fig)} '
                f"{html.escape(fig.change_label)}</div>"
            )
        detail = f'<div class="spm-kf-change">{html.escape(fig.detail)}</div>' if fig.detail else ""
        cards.append(
            '<div class="spm-kf">'
            f'<div class="spm-kf-value">{html.escape(fig.formatted())}</div>'
            f'<div class="spm-kf-label">{html.escape(fig.label)}</div>{change}{detail}</div>'
        )
    text = f'<p class="spm-reading">{html.escape(reading)}</p>' if reading else ""
    row = f'<div class="spm-kf-row">{"".join(cards)}</div>'
    return f'<section class="spm-key-figures">{row}{text}</section>'


def key_figures(*figures: KeyFigure, reading: str = "") -> None:
    """Show the key-figures block for ``figures`` with a one-line ``reading``."""
    from IPython.display import HTML

    emit(HTML(key_figures_html(list(figures), reading)))


def read_key_figures(nb: nbformat.NotebookNode) -> dict[str, dict]:
    """``{name: {value, label, unit}}`` recorded in an executed notebook (last record wins)."""
    found: dict[str, dict] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(KEY_FIGURE_MIME)
            if payload:
                found[payload["name"]] = {k: payload.get(k) for k in ("value", "label", "unit")}
    return found


def _plain_cell(value: object) -> object:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Number):
        return _plain_number(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def record_table(name: str, frame: pd.DataFrame) -> None:
    """Record ``frame`` as data in the executed notebook under ``name`` (not shown in the
    report): the suite's own consistency checks read it back with :func:`read_tables`. Numbers
    become floats, missing values null, anything else text."""
    rows = [[_plain_cell(v) for v in row] for row in frame.itertuples(index=False)]
    payload = {"name": name, "columns": [str(c) for c in frame.columns], "rows": rows}
    emit({TABLE_MIME: payload, "text/plain": f"table {name}: {len(rows)} rows"}, raw=True)


def read_tables(nb: nbformat.NotebookNode) -> dict[str, pd.DataFrame]:
    """``{name: DataFrame}`` of the tables recorded with :func:`record_table` (last wins)."""
    found: dict[str, pd.DataFrame] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(TABLE_MIME)
            if payload:
                found[payload["name"]] = pd.DataFrame(payload["rows"], columns=payload["columns"])
    return found


SERIES_PREFIX = "series:"


def record_series(name: str, frame: pd.DataFrame, column: str = "value") -> None:
    """Record key figure ``name`` over earlier periods (not shown in the report): ``frame`` has
    ``period``, ``period_start``, ``period_end`` (ISO dates) and the value in ``column``. The
    brief's trends use it for the periods whose runs are not kept."""
    out = frame[["period", "period_start", "period_end", column]].rename(columns={column: "value"})
    record_table(SERIES_PREFIX + name, out)


def read_series(nb: nbformat.NotebookNode) -> dict[str, list[dict]]:
    """``{name: [{period, period_start, period_end, value}]}`` recorded with
    :func:`record_series`."""
    return {
        name[len(SERIES_PREFIX) :]: frame.to_dict("records")
        for name, frame in read_tables(nb).items()
        if name.startswith(SERIES_PREFIX)
    }


def record_action(text: str, section: str, *, weight: float = 0.0) -> None:
    """Record a line for the brief's "what changed and what to do" (not shown in the report):
    ``text`` says what is wrong and what to do, ``section`` is the heading (the ``##`` text)
    of the report's section that shows it, which the brief links; ``weight`` orders the
    lines of a run (largest first), e.g. the money at stake."""
    payload = {"text": str(text), "section": str(section), "weight": _plain_number(weight) or 0}
    emit({ACTION_MIME: payload, "text/plain": f"action: {text}"}, raw=True)


def read_actions(nb: nbformat.NotebookNode) -> list[dict]:
    """The ``{text, section, weight}`` lines recorded with :func:`record_action`, in order."""
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(ACTION_MIME)
            if payload:
                found.append({k: payload.get(k) for k in ("text", "section", "weight")})
    return found
