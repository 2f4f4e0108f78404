"""Exception types that carry what a caller needs to act on them."""

from __future__ import annotations


class SpmError(Exception):
    """Base class of every error raised by spm_lib."""


class DataError(SpmError):
    """A dataset cannot be used: a required table or column is missing, a file is unreadable,
    a date column does not parse, or the configuration is invalid.

    The message names the file, the column, example rows and what was expected. The same facts
    are kept as attributes for programs: ``table``, ``path``, ``column``, ``rows``, ``expected``.
    """

    def __init__(
        self,
        message: str,
        *,
        table: str | None = None,
        path: str | None = None,
        column: str | None = None,
        rows: list | None = None,
        expected: str | None = None,
    ) -> None:
        super().__init__(message)
        self.table = table
        self.path = path
        self.column = column
        self.rows = list(rows or [])
        self.expected = expected


class PeriodError(SpmError, ValueError):
    """A period string cannot be parsed or resolved."""


class InfeasibleAssignment(SpmError):
    """No territory assignment satisfies the constraints; the message says which to relax."""


class AssignmentTimeLimit(SpmError):
    """The territory solver ran out of time before it found any assignment (not proven
    infeasible); the message names the pool and the time it had."""


class OutputBusy(SpmError):
    """Another ``spm run`` holds the output folder (its lock file names the process)."""
