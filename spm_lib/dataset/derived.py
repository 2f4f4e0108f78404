"""Tables derived from a dataset's tables, computed once per table object while it lives.

A statement asks for one rep's quotas thousands of times, a report asks for the credits or the
stage outcomes of one dataset several times. Datasets are not modified in place (a narrowed or
edited dataset holds new table objects), so the identity of the table is the key; the entry
goes when the table does.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TypeVar

import pandas as pd

T = TypeVar("T")

# (id(table), what) -> (a weak reference to the table, the result)
_DERIVED: dict[tuple[int, str], tuple[weakref.ref, object]] = {}


def once_per(table: pd.DataFrame, what: str, compute: Callable[[], T]) -> T:
    """``compute()``, or its result from the last call for this ``table`` object and ``what``
    (``what`` names the result and everything else it depends on)."""
    key = (id(table), what)
    held = _DERIVED.get(key)
    if held is None or held[0]() is not table:
        held = (weakref.ref(table), compute())
        _DERIVED[key] = held
        weakref.finalize(table, _DERIVED.pop, key, None)
    return held[1]  # type: ignore[return-value]


__all__ = ["once_per"]
