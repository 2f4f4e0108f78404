"""Display helpers for report notebooks: the header, tables, and sentences built from data.

Everything that came from data is escaped: a rep named ``<script>`` shows as text.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable, Mapping

import pandas as pd
from pandas.io.formats.style import Styler

from spm_lib.dataset import Dataset
from spm_lib.periods import Period
from spm_lib.report.context import ReportContext, activate, currency_of
from spm_lib.report.formats import MISSING, format_value
from spm_lib.report.section import emit

REPORT_MIME = "application/vnd.spm.report+json"
_table_ids = itertools.count(1)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>$-])")


def escape_markdown(text: object) -> str:
    """``text`` safe inside Markdown: HTML escaped and Markdown syntax backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))


def _display(bundle: dict) -> None:
    emit(bundle, raw=True)


def header_info(title: str, dataset: Dataset, period: Period | str) -> dict:
    period_text = (
        f"{period.title} ({period.start:%Y-%m-%d} to {period.last_day:%Y-%m-%d})"
        if isinstance(period, Period)
        else str(period)
    )
    return {
        "title": title,
        "period": period.label if isinstance(period, Period) else str(period),
        "period_text": period_text,
        "audience": dataset.audience,
        "as_of": dataset.as_of.isoformat(),
        "currency": dataset.config.currency,
    }


def header_html(info: Mapping[str, str]) -> str:
    e = html.escape
    audience = "All reps" if info["audience"] == "All" else info["audience"]
    return (
        '<header class="spm-header">'
        f'<h1 class="spm-title">{e(info["title"])}</h1>'
        f'<p class="spm-meta"><strong>{e(info["period_text"])}</strong> · {e(audience)} · '
        f"data as of {e(info['as_of'])}</p></header>"
    )


def header(title: str, dataset: Dataset, period: Period | str) -> ReportContext:
    """Show the report header (title, period, audience, data as-of date) and register it;
    return the report's :class:`~spm_lib.report.context.ReportContext`, now the active one, so
    every helper formats money in the dataset's currency.

    The runner reads the header from the executed notebook for the page header and the index.
    """
    info = header_info(title, dataset, period)
    context = activate(ReportContext.of(dataset, period if isinstance(period, Period) else None))
    _display({REPORT_MIME: info, "text/html": header_html(info), "text/plain": title})
    return context


def say(template: str, **values: object) -> None:
    """Show a Markdown sentence; ``values`` (escaped) fill ``{name}`` fields of ``template``.
    Without values the template is shown as Markdown with any HTML in it as text; Markdown
    syntax in data it quotes must be escaped by whoever builds it (:func:`escape_markdown`).

    Use it for narrative that quotes data: ``say("**{n}** reps have no deals.", n=12)``.
    """
    safe = {k: escape_markdown(v) for k, v in values.items()}
    # no fields: the braces are text, and HTML is shown as text whoever built the sentence
    text = template.format(**safe) if values else html.escape(template, quote=False)
    _display({"text/markdown": text, "text/plain": text})


def note(text: str) -> None:
    """A one-line note such as "No quotas table in this dataset: attainment is not shown."."""
    _display({"text/html": f'<p class="spm-note">{html.escape(text)}</p>', "text/plain": text})


Formatter = str | Callable[[object], str]


def _column_formatter(series: pd.Series, fmt: Formatter | None, currency: str) -> Callable:
    """The cell text of a column, HTML-escaped as it leaves: what a formatter adds (a currency
    code, a unit) is escaped like the data it formats."""
    if callable(fmt):
        return lambda v: MISSING if pd.isna(v) else html.escape(str(fmt(v)))
    if fmt is None:
        if pd.api.types.is_datetime64_any_dtype(series):
            fmt = "date"
        elif pd.api.types.is_integer_dtype(series):
            fmt = "count"
        elif pd.api.types.is_float_dtype(series):
            fmt = "number"
    return lambda v: html.escape(format_value(v, fmt, currency))


def table_html(
    frame: pd.DataFrame,
    formats: Mapping[str, Formatter] | None = None,
    *,
    caption: str | None = None,
    max_rows: int = 100,
    currency: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> str:
    """HTML of ``frame`` for a report: formatted per column, every text escaped, no index.

    ``formats`` maps a column to a unit (count, currency, percent, number, days, ratio, date) or
    a function value -> str; unformatted columns are formatted by dtype. Column headers are
    ``labels[column]``, else the column name with ``_`` as spaces, first letter capitalised.
    Tables longer than ``max_rows`` show the first rows and say how many there are. An empty
    frame is one sentence, never a header without rows.
    """
    if frame.empty:
        what = html.escape(caption) if caption else "This table"
        return f'<p class="spm-empty">{what}: no rows in this data.</p>'
    currency = currency_of(currency)
    formats = dict(formats or {})
    unknown = set(formats) - set(frame.columns)
    if unknown:
        raise KeyError(f"formats name columns not in the table: {sorted(unknown)}")
    shown = frame.head(max_rows).reset_index(drop=True)
    uid = f"spm{next(_table_ids)}"
    labels = dict(labels or {})
    headers = [labels.get(c, pretty_label(str(c))) for c in shown.columns]
    # a caption for every table: the one given, else (for screen readers only) its columns
    told = (
        html.escape(caption)
        if caption
        else html.escape("Table of " + ", ".join(headers[:6]) + (", …" if len(headers) > 6 else ""))
    )
    styler = Styler(shown, uuid=uid, cell_ids=False, caption=told)
    formatters = {c: _column_formatter(shown[c], formats.get(c), currency) for c in shown.columns}
    styler = styler.format(formatters, escape=None, na_rep=MISSING)  # escaped by formatters
    # escaped here: pandas' escape= does not reach a label a formatter returns for an index
    # (a lead source "\"><svg onload=...>" in "Odds vs <source>" ran in the browser)
    styler = styler.format_index(
        lambda c: html.escape(labels.get(c, pretty_label(str(c)))), axis=1
    ).hide(axis="index")
    right = [
        i
        for i, c in enumerate(shown.columns)
        if formats.get(c) in ("count", "currency", "percent", "number", "days", "ratio")
        or (
            c not in formats
            and pd.api.types.is_numeric_dtype(shown[c])
            and not pd.api.types.is_bool_dtype(shown[c])
        )
    ]
    styler = styler.set_table_styles(
        [
            {"selector": f"td.col{i}, th.col_heading.col{i}", "props": "text-align: right;"}
            for i in right
        ]
    ).set_table_attributes('class="spm-table"')
    body = _HEADER_CELL.sub(r'<th scope="col" \1class="col_heading', styler.to_html())
    if not caption:
        body = body.replace("<caption>", '<caption class="spm-sr-only">', 1)
    parts = [body]
    if len(frame) > max_rows:
        parts.append(
            f'<p class="spm-note">Showing the first {max_rows:,} of {len(frame):,} rows.</p>'
        )
    return f'<div class="spm-table-wrap">{"".join(parts)}</div>'


_HEADER_CELL = re.compile(r'<th ((?:id="[^"]*" )?)class="col_heading')


def pretty_label(column: str) -> str:
    """``rows_read -> Rows read``."""
    text = column.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def table(
    frame: pd.DataFrame,
    formats: Mapping[str, Formatter] | None = None,
    *,
    caption: str | None = None,
    max_rows: int = 100,
    labels: Mapping[str, str] | None = None,
) -> None:
    """Show ``frame`` as a report table (see :func:`table_html`)."""
    text = frame.head(max_rows).to_string(index=False)
    _display(
        {
            "text/html": table_html(
                frame, formats, caption=caption, max_rows=max_rows, labels=labels
            ),
            "text/plain": text,
        }
    )
