"""Numbers as the file writes them: which of ``.`` and ``,`` is the decimal mark is decided per
column from the values that can only be read one way, never guessed for one that could be
read two ways.

A value is read strictly under each of two formats, ``1,234.56`` (decimal point, comma groups)
and ``1.234,56`` (decimal comma, point groups). Groups must be three digits after a first group
of one to three (``1,23,456`` is no number); a space, no-break space or apostrophe may group
digits in either format; a currency symbol or code, a sign and parentheses for a negative are
allowed around the number. Then, for one column:

- ``number_format`` given (spm.yaml, or a table's ``decimal``/``thousands``): that format only;
- else the values read under one format only (``1,5``, ``63.500,00``, ``1,234.56``, ``2.75``)
  decide: one format among them is the column's format, and every value is read by it;
- none decide (only ``1,234``- or ``100``-like values): the file's default format (a decimal
  comma in a ``;``-separated file, else a decimal point);
- both formats among them (a column that mixes them): each value read one way only is read
  that way; a value read two ways with two results (``1,234``) is not read.

A value not read is NaN, and :func:`read_numbers` says which of them were ambiguous: the loader
quarantines them as ``unparseable_number`` with the reason.
"""

from __future__ import annotations

import re

import pandas as pd

POINT, COMMA = ".", ","  # the decimal mark of each format
FORMATS = {
    "1,234.56": (".", ","),
    "1.234,56": (",", "."),
    "1 234,56": (",", " "),
    "1 234.56": (".", " "),
    "1'234.56": (".", "'"),
}
_SPACES = " \u00a0\u202f'"  # digit groups in either format
_AROUND = re.compile(r"^\s*(?:[A-Z]{3}\s*)?[$€£¥]?\s*|\s*(?:[$€£¥]|[A-Z]{3})?\s*$")


def number_format(value: str) -> tuple[str, str]:
    """spm.yaml ``number_format`` (one of :data:`FORMATS`, e.g. ``"1.234,56"``) as (decimal
    mark, thousands separator); ValueError for anything else."""
    text = str(value).strip().replace("\u00a0", " ")
    if text not in FORMATS:
        raise ValueError(
            f"number_format is {str(value)[:20]!r}; expected one of "
            f"{', '.join(repr(f) for f in FORMATS)}"
        )
    return FORMATS[text]


def _pattern(decimal: str, group: str) -> str:
    groups = re.escape(group) + re.escape(_SPACES) if group else re.escape(_SPACES)
    d = re.escape(decimal)
    whole = rf"(?:\d+|[1-9]\d{{0,2}}(?:[{groups}]\d{{3}})+)"
    return rf"^[+-]?(?:{whole}(?:{d}\d*)?|{d}\d+)(?:[eE][+-]?\d+)?$"


def _read(cleaned: pd.Series, decimal: str, group: str) -> pd.Series:
    """Each value read strictly with ``decimal`` and ``group`` (NaN where it does not read)."""
    ok = cleaned.str.fullmatch(_pattern(decimal, group)).fillna(False).astype(bool)
    text = cleaned[ok]
    for char in group + _SPACES:
        text = text.str.replace(char, "", regex=False)
    if decimal != ".":
        text = text.str.replace(decimal, ".", regex=False)
    out = pd.Series(float("nan"), index=cleaned.index)
    out[ok] = pd.to_numeric(text, errors="coerce")
    return out


def read_numbers(
    raw: pd.Series,
    decimal: str | None = None,
    thousands: str | None = None,
    default_decimal: str = POINT,
) -> tuple[pd.Series, pd.Series]:
    """(values, ambiguous) of a column of text (module docstring): ``decimal`` set (with
    ``thousands``, default the other mark) reads by that format alone; else the column decides,
    ``default_decimal`` when nothing in it does. ``ambiguous`` marks the values not read
    because two formats read them differently."""
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return raw.astype("float64"), pd.Series(False, index=raw.index)
    text = raw.astype("str").where(raw.notna()).str.strip()
    text = text.mask(text == "")
    out = pd.to_numeric(text, errors="coerce").astype("float64")  # plain 1234.5: the fast path
    no = pd.Series(False, index=raw.index)
    if decimal is None:  # a plain value with a 3-digit group after one point is read two ways
        two_ways = text.str.fullmatch(r"[+-]?[1-9]\d{0,2}(?:\.\d{3})+").fillna(False)
        out = out.where(~two_ways.astype(bool))
    elif decimal != POINT:  # a point is no decimal mark here: only whole numbers are plain
        out = out.where(text.str.fullmatch(r"[+-]?\d+").fillna(False).astype(bool))
    todo = text.notna() & out.isna()
    if not todo.any():
        return out, no
    cleaned = text[todo].str.replace(_AROUND, "", regex=True)
    negative = cleaned.str.match(r"^\(.*\)$").fillna(False).astype(bool)
    cleaned = cleaned.str.strip("()").str.strip()
    if decimal is not None:
        group = thousands if thousands is not None else (COMMA if decimal == POINT else POINT)
        value, ambiguous = _read(cleaned, decimal, group), pd.Series(False, index=cleaned.index)
    else:
        value, ambiguous = _by_evidence(cleaned, out[out.notna()], default_decimal)
    out[todo] = value.where(~negative, -value)
    return out, no.where(~todo, ambiguous.reindex(no.index, fill_value=False)).astype(bool)


def _by_evidence(
    cleaned: pd.Series, plain: pd.Series, default_decimal: str
) -> tuple[pd.Series, pd.Series]:
    """Values of a column whose format its own values decide (module docstring)."""
    point, comma = _read(cleaned, POINT, COMMA), _read(cleaned, COMMA, POINT)
    only_point = point.notna() & comma.isna()
    only_comma = comma.notna() & point.isna()
    says_point = bool(only_point.any()) or _plain_decimals(plain)
    says_comma = bool(only_comma.any())
    if says_point != says_comma:  # one format among the deciding values: the column's
        chosen = point if says_point else comma
        return chosen, pd.Series(False, index=cleaned.index)
    if not says_point:  # nothing decides: the file's default
        chosen = point if default_decimal == POINT else comma
        return chosen, pd.Series(False, index=cleaned.index)
    agree = point.notna() & comma.notna() & (point == comma)
    value = point.where(only_point | agree, comma.where(only_comma))
    return value, point.notna() & comma.notna() & ~agree


def _plain_decimals(plain: pd.Series) -> bool:
    """Whether the values read on the fast path include one with a fraction (``2.75``): a
    decimal point the other format cannot read."""
    return bool((plain != plain.round()).any())
