"""What runs inside a report notebook: the header (and the report's context), sentences,
tables, key figures, formats and charts (:mod:`spm_lib.report.plots`). The runner that renders
the suite is :mod:`spm_lib.suite`; each report's own words are in :mod:`spm_lib.pages`.

In a notebook::

    from spm_lib import report
    report.header("Data quality", ds, period)
    rows = report.record("rows_read", 1234, label="Rows read", unit="count")
    report.key_figures(rows, reading="Every row is accounted for.")
    report.table(frame, {"amount": "currency", "win_rate": "percent"})
"""

from spm_lib.report.display import escape_markdown, header, note, say, table, table_html
from spm_lib.report.formats import (
    format_change,
    format_count,
    format_currency,
    format_money,
    format_number,
    format_percent,
    format_value,
)
from spm_lib.report.keyfigures import (
    KeyFigure,
    key_figures,
    read_actions,
    read_key_figures,
    read_series,
    read_tables,
    record,
    record_action,
    record_series,
    record_table,
)

__all__ = [
    "KeyFigure",
    "escape_markdown",
    "format_change",
    "format_count",
    "format_currency",
    "format_money",
    "format_number",
    "format_percent",
    "format_value",
    "header",
    "key_figures",
    "note",
    "read_actions",
    "read_series",
    "read_key_figures",
    "read_tables",
    "record",
    "record_action",
    "record_series",
    "record_table",
    "say",
    "table",
    "table_html",
]
