"""spm.yaml's values that are more than a name, validated: currency codes, the currency rates
and the planning section (the target, the share of reps at quota, the cost-of-sales target)."""

from __future__ import annotations

import re
from typing import Any

from spm_lib.exceptions import DataError

PLANNING_KEYS = ("target", "cost_of_sales_target", "reps_at_quota_target")


def parse_planning(value: object, path: str | None = "spm.yaml") -> dict[str, Any]:
    """``planning``: the next period's targets, for the planning report.

    - ``target``: the next quarter's bookings target, an amount (``target: 5000000``) or
      growth on the same quarter a year before (``target: {growth: 0.08}``);
    - ``cost_of_sales_target``: commissions as a fraction of bookings (0.08 for 8%);
    - ``reps_at_quota_target``: optional, the share of reps the quotas should put at quota
      (0.65), solved for instead of summing the quotas to the target.

    Returns {"target": {"amount": x} or {"growth": g} or None, "cost_of_sales_target": f or
    None, "reps_at_quota_target": f or None}; a DataError names the key and what was expected.
    """
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise DataError(
            f"{path}: planning must be a mapping such as {{target: {{growth: 0.08}}, "
            "cost_of_sales_target: 0.08}",
            path=path,
            column="planning",
        )
    unknown = sorted(set(value) - set(PLANNING_KEYS), key=str)
    if unknown:
        raise DataError(
            f"{path}: planning has unknown key {unknown[0]!r}; known keys: "
            f"{', '.join(PLANNING_KEYS)}",
            path=path,
            column=f"planning.{unknown[0]}",
            expected=" or ".join(PLANNING_KEYS),
        )

    def number(key: str, raw: object, low: float, high: float, what: str) -> float:
        try:
            out = float(raw)
        except (TypeError, ValueError):
            out = float("nan")
        if not low <= out <= high or out in (float("inf"), float("-inf")):
            raise DataError(
                f"{path}: {key} is {raw!r}; expected {what}", path=path, column=key, expected=what
            )
        return out

    target = value.get("target")
    if isinstance(target, dict):
        if set(target) != {"growth"}:
            raise DataError(
                f"{path}: planning.target is {target!r}; expected an amount or {{growth: 0.08}}",
                path=path,
                column="planning.target",
                expected="an amount or {growth: fraction}",
            )
        target = {
            "growth": number(
                "planning.target.growth",
                target["growth"],
                -0.99,
                100.0,
                "a fraction above -1 (0.08 for 8% growth)",
            )
        }
    elif target is not None:
        target = {
            "amount": number(
                "planning.target", target, 0.0, 1e15, "a positive amount, or {growth: 0.08}"
            )
        }
    out: dict[str, Any] = {"target": target}
    for key in ("cost_of_sales_target", "reps_at_quota_target"):
        raw = value.get(key)
        out[key] = (
            None
            if raw is None
            else number(
                f"planning.{key}", raw, 0.0, 1.0, "a fraction between 0 and 1 (0.08 for 8%)"
            )
        )
    return out


def parse_rates(value: object, path: str | None) -> dict[str, float]:
    """``currency_rates``: currency code -> a positive number of units of ``currency`` per unit."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DataError(
            f"{path}: currency_rates must be a mapping such as {{EUR: 1.08}}",
            path=path,
            column="currency_rates",
        )
    rates = {}
    for code, rate in value.items():
        try:
            number = float(rate)
        except (TypeError, ValueError):
            number = float("nan")
        if not number > 0 or number == float("inf"):
            raise DataError(
                f"{path}: currency_rates.{code} is {rate!r}; expected a positive number",
                path=path,
                column=f"currency_rates.{code}",
                expected="a positive number",
            )
        iso = currency_code(code)
        if iso is None:
            raise DataError(
                f"{path}: currency_rates has the key {str(code)[:40]!r}; expected ISO 4217 codes "
                "such as EUR (three letters)",
                path=path,
                column="currency_rates",
                expected="three-letter currency codes",
            )
        rates[iso] = number
    return rates


ISO_CURRENCY = re.compile(r"[A-Z]{3}")


def currency_code(value: object) -> str | None:
    """``value`` as an ISO 4217 code (three letters, upper-cased, spaces trimmed), else None:
    a code is printed beside every amount, so nothing else may pass for one."""
    text = str(value).strip().upper() if value is not None else ""
    return text if ISO_CURRENCY.fullmatch(text) else None
