"""Text a CSV carries safely into a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel, LibreOffice and Google Sheets (CSV injection: ``=HYPERLINK(...)`` in a team
name). :func:`neutralise` prefixes such text with ``'``, which spreadsheets show as text (and
doubles a leading ``'``);
:func:`restore` takes the prefix off when the suite reads its own file back. Numbers are never
touched (a negative number stays a number).
"""

from __future__ import annotations

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise_text(value: object) -> object:
    """``'`` + ``value`` for text that a spreadsheet would run as a formula, else ``value``."""
    if isinstance(value, str) and value.startswith((*FORMULA_START, QUOTE)):
        return QUOTE + value  # a leading quote is doubled, so that restoring is exact
    return value


def restore_text(value: object) -> object:
    """The text :func:`neutralise_text` was given."""
    if isinstance(value, str) and value.startswith(QUOTE):
        return value[1:]
    return value


def neutralise(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` with the text of ``columns`` neutralised (a copy)."""
    return frame.assign(**{c: frame[c].map(neutralise_text) for c in columns})


def restore(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` with the text of ``columns`` as it was before :func:`neutralise`."""
    return frame.assign(**{c: frame[c].map(restore_text) for c in columns})


__all__ = ["FORMULA_START", "neutralise", "neutralise_text", "restore", "restore_text"]
