"""What each report says, one module per notebook, named after it: readings, titles, notes,
column formats and labels, and the key figures it records. The analyses compute; a page module
turns their frames into a report's words, with the dataset's currency.

:data:`REPORTS` is the one table of reports the suite reads: where each goes in a pack, how long
it takes (so that the longest start first when no earlier run says), and the brief's headline
figures with their labels. Adding a report adds a row here; nothing in :mod:`spm_lib.suite`
names a report.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Headline:
    """A key figure the brief shows at the top, at ``position`` among the headlines."""

    figure: str  # the key figure's name, as the report records it
    position: int
    trend_label: str = ""  # the trend's label, where the figure's own label names one period


@dataclass(frozen=True)
class Report:
    """A report: its notebook ``notebooks/<name>.ipynb`` and page module ``pages/<name>.py``."""

    name: str
    first: bool = False  # shown before the others in a pack (the others by name)
    seconds: float = 0.0  # its time on the sample, 2 jobs: the order to start without a last run
    headlines: tuple[Headline, ...] = ()


REPORTS: dict[str, Report] = {
    report.name: report
    for report in (
        Report("data_quality", first=True, seconds=1.2),  # can the numbers be trusted?
        Report("compensation", seconds=6.4, headlines=(Headline("total_payout", 6),)),
        Report(
            "forecasting",
            seconds=19.6,
            headlines=(Headline("forecast_next_quarter", 4, "The next quarter's forecast"),),
        ),
        Report(
            "lead_conversion",
            seconds=1.8,
            headlines=(Headline("lead_conversion_rate", 5, "Lead conversion"),),
        ),
        Report("pipeline_review", seconds=24.6),
        Report("planning", seconds=31.3),
        Report(
            "rep_performance",
            seconds=10.8,
            headlines=(
                Headline("bookings", 1),
                Headline("quota_attainment", 2),
                Headline("win_rate", 3),
            ),
        ),
        Report("territory_assignment", seconds=6.4),
        Report(
            "training_gaps",
            seconds=1.9,
            headlines=(Headline("revenue_at_stake", 7, "Revenue at stake in skill gaps"),),
        ),
    )
}


def report_order(name: str) -> tuple:
    """The order of reports in a pack: those marked ``first``, then by name (a notebook with no
    row in :data:`REPORTS`, an analyst's own, by name with the others)."""
    report = REPORTS.get(name)
    return (not (report and report.first), name)


def headline_figures() -> list[tuple[str, Headline]]:
    """(report, headline) of every headline figure, in the brief's order."""
    found = [(report.name, h) for report in REPORTS.values() for h in report.headlines]
    return sorted(found, key=lambda item: item[1].position)


def expected_seconds(name: str) -> float:
    """The report's time on the sample (0 for a notebook with no row)."""
    report = REPORTS.get(name)
    return report.seconds if report else 0.0
