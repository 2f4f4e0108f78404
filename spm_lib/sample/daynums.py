"""Dates as day numbers (days since 1970-01-01) for the vectorised sample generators."""

from __future__ import annotations

import datetime as dt

import numpy as np


def day_number(date: dt.date) -> int:
    """The day number of ``date``."""
    return int(np.datetime64(date, "D").astype("int64"))


def date_strings(days: np.ndarray) -> np.ndarray:
    """ISO dates (``2026-09-30``) of day numbers."""
    return np.datetime_as_string(np.asarray(days).astype("int64").astype("datetime64[D]"), unit="D")


def optional_date_strings(days: np.ndarray) -> np.ndarray:
    """ISO dates of day numbers, empty where the number is negative (no date)."""
    days = np.asarray(days)
    return np.where(days >= 0, date_strings(np.maximum(days, 0)), "")
