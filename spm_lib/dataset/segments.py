"""An audience as text: ``column=value`` clauses joined by ``;`` (all must hold), such as
``region=West;segment=Enterprise``. A value is taken as it is, any character included: inside a
value, ``\\`` and ``;`` are written ``\\\\`` and ``\\;`` (:func:`segment_of` does it), so a region
named ``West;segment=Enterprise`` is one value, never a second clause."""

from __future__ import annotations

from spm_lib.exceptions import DataError


def segment_of(clauses: list[tuple[str, str]]) -> str:
    """The text of an audience's clauses, each value escaped."""
    return ";".join(f"{column}={_escaped(value)}" for column, value in clauses)


def _escaped(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace(";", "\\;")


def clauses_of(segment: str) -> list[tuple[str, str]]:
    """(column, value) of each clause of ``segment`` (spaces around both trimmed); DataError
    for a clause without ``=``."""
    clauses, current, escaped = [], [], False
    for char in segment:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ";":
            clauses.append("".join(current))
            current = []
        else:
            current.append(char)
    clauses.append("".join(current))
    out = []
    for clause in clauses:
        column, sep, value = clause.partition("=")
        if not sep or not column.strip():
            raise DataError(
                f"audience {segment!r}: expected column=value, e.g. region=West",
                table="reps",
                expected="column=value",
            )
        out.append((column.strip(), value.strip()))
    return out
