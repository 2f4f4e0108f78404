"""Commission plans: read and validated from ``spm.yaml``; the tiered payout function.

A plan, under ``commission_plans: {name: {...}}``::

    standard:
      applies_to: {segment: [Enterprise, Commercial]}  # reps columns -> values; {} = everyone
      quota_period: quarter        # month, quarter or year (paid as it is earned: a year plan
                                   # reported by quarter is trued up cumulatively)
      quota: table                 # the quotas table (default), or an amount per quota period
      ramp: [0, 0.25, 0.5, 0.75]   # quota share by month of tenure (month 0 = hire month), then 1
      base_rate: 0.10              # commission per unit credited at multiplier 1
      tiers:                       # on attainment, contiguous from 0; the last may be open
        - {from: 0.0, to: 0.5, multiplier: 0.5}
        - {from: 0.5, to: 1.0, multiplier: 1.0}
        - {from: 1.0, to: 1.5, multiplier: 1.5}
        - {from: 1.5, multiplier: 2.0}
      cap: {multiple_of_target_pay: 3.0}  # or {amount: 50000}; target pay = base_rate x quota
      spifs: [{product: Suite, amount: 500}]  # a fixed bonus per won deal of the product
      clawback: {days: 90, reduce_attainment: false}
      no_quota: base_rate          # a period without quota pays base_rate flat; or: error
      pay_after_departure: through_end_date  # credits dated after a rep's end_date: none
                                   # (nothing is paid for a period the rep did not finish),
                                   # through_end_date (default: paid up to the end date) or all
      currency: EUR                # what the plan's amounts (quota, cap amount, spifs) are in;
                                   # default the dataset's: converted on load (in_currency)

Tiers may decelerate (a multiplier below the previous tier's). Within a tier the rate is
linear; a credit that crosses a boundary is split across the tiers it spans
(:func:`tier_portions`). Every amount is a :class:`~decimal.Decimal`; money is rounded to the
cent half-up only at the line level.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

from spm_lib.exceptions import DataError

CENT = Decimal("0.01")
PERIODS = ("month", "quarter", "year")
PLAN_KEYS = {
    "applies_to",
    "quota_period",
    "quota",
    "ramp",
    "base_rate",
    "tiers",
    "cap",
    "spifs",
    "clawback",
    "no_quota",
    "description",
    "pay_after_departure",
    "currency",
}
AFTER_DEPARTURE = ("none", "through_end_date", "all")


def to_cents(value: Any) -> Decimal:
    """A money value as a Decimal rounded half-up to the cent (floats via their shortest repr)."""
    if isinstance(value, Decimal):
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    return Decimal(repr(float(value)) if isinstance(value, float) else str(value)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


@dataclass(frozen=True)
class Tier:
    """Attainment from ``lower`` to ``upper`` (None: no upper bound) pays ``multiplier``."""

    lower: Decimal
    upper: Decimal | None
    multiplier: Decimal

    @property
    def label(self) -> str:
        def pct(value: Decimal) -> str:
            return f"{float(value) * 100:g}%"

        upper = f"–{pct(self.upper)}" if self.upper is not None else "+"
        return f"{pct(self.lower)}{upper} at {float(self.multiplier):g}x"


@dataclass(frozen=True)
class Plan:
    """One validated commission plan (see the module docstring for the keys)."""

    name: str
    base_rate: Decimal
    tiers: tuple[Tier, ...]
    quota_period: str = "quarter"
    quota_amount: Decimal | None = None  # None: the quotas table
    ramp: tuple[Decimal, ...] = ()
    applies_to: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cap_amount: Decimal | None = None
    cap_multiple: Decimal | None = None  # of target pay = base_rate x quota
    spifs: dict[str, Decimal] = field(default_factory=dict)
    clawback_days: int | None = None
    clawback_reduces_attainment: bool = False
    no_quota: str = "base_rate"
    pay_after_departure: str = "through_end_date"
    currency: str | None = None  # what its amounts are in (None: the dataset's currency)

    @property
    def decelerates(self) -> bool:
        """True when some tier pays less than the tier below it."""
        return any(
            b.multiplier < a.multiplier for a, b in zip(self.tiers, self.tiers[1:], strict=False)
        )

    def cap(self, quota: Decimal) -> Decimal | None:
        """The most the tiered commission may pay in a quota period (None: no cap)."""
        caps = [self.cap_amount] if self.cap_amount is not None else []
        if self.cap_multiple is not None and quota > 0:
            caps.append((self.cap_multiple * self.base_rate * quota).quantize(CENT, ROUND_HALF_UP))
        return min(caps) if caps else None

    def matches(self, rep: pd.Series) -> bool:
        """Whether the plan applies to a rep (a row of ``reps``)."""
        return all(str(rep.get(col, "")) in values for col, values in self.applies_to.items())


def tier_portions(
    plan: Plan, before: Decimal, credit: Decimal, quota: Decimal
) -> list[tuple[int, Decimal]]:
    """How a credit splits across tiers: [(tier index, portion)], non-zero portions only.

    With cumulative credit ``before`` in the quota period, the credit moves it to
    ``before + credit``; tier i spans [lower_i x quota, upper_i x quota) of credit and receives
    clamp(after) - clamp(before) of it (negative for a negative credit). Without a positive
    quota the whole credit is one portion at index -1 (paid at ``base_rate``).
    """
    if quota <= 0:
        return [(-1, credit)] if credit else []
    after = before + credit
    out = []
    for i, tier in enumerate(plan.tiers):
        lo = tier.lower * quota
        hi = tier.upper * quota if tier.upper is not None else None

        def clamp(x: Decimal, lo: Decimal = lo, hi: Decimal | None = hi) -> Decimal:
            return max(lo, x) if hi is None else min(max(lo, x), hi)

        portion = clamp(after) - clamp(before)
        if portion:
            out.append((i, portion))
    return out


def rate_of(plan: Plan, tier_index: int) -> Decimal:
    """Commission per unit of credit in a tier (index -1: no quota, the base rate)."""
    return plan.base_rate if tier_index < 0 else plan.base_rate * plan.tiers[tier_index].multiplier


def payout_curve(plan: Plan, credit: np.ndarray, quota: np.ndarray | float) -> np.ndarray:
    """The tiered commission (before any cap) for cumulative ``credit`` against ``quota``, in
    floats and vectorised: for forecasts and charts. Statements use the exact Decimal lines;
    a test keeps the two in agreement."""
    credit = np.asarray(credit, dtype=float)
    quota = np.broadcast_to(np.asarray(quota, dtype=float), credit.shape)
    base = float(plan.base_rate)
    total = np.zeros_like(credit)
    for tier in plan.tiers:
        lo = float(tier.lower) * quota
        hi = float(tier.upper) * quota if tier.upper is not None else np.inf
        total += (np.clip(credit, lo, hi) - lo) * base * float(tier.multiplier)
    return np.where(quota > 0, total, credit * base)


def capped_curve(plan: Plan, credit: np.ndarray, quota: np.ndarray | float) -> np.ndarray:
    """:func:`payout_curve` with the plan's cap applied per quota period."""
    quota = np.broadcast_to(np.asarray(quota, dtype=float), np.shape(credit))
    paid = payout_curve(plan, credit, quota)
    limit = np.full(paid.shape, np.inf)
    if plan.cap_amount is not None:
        limit = np.minimum(limit, float(plan.cap_amount))
    if plan.cap_multiple is not None:
        target = float(plan.cap_multiple) * float(plan.base_rate) * quota
        limit = np.where(quota > 0, np.minimum(limit, target), limit)
    return np.minimum(paid, limit)


# --- reading spm.yaml ----------------------------------------------------------------------


def _error(plan: str, key: str, message: str, expected: str) -> DataError:
    return DataError(
        f"spm.yaml: commission_plans.{plan}.{key}: {message}; expected {expected}",
        path="spm.yaml",
        column=f"commission_plans.{plan}.{key}",
        expected=expected,
    )


def _decimal(plan: str, key: str, value: Any, minimum: float | None = 0.0) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _error(plan, key, f"{value!r} is not a number", "a number") from None
    if not number.is_finite() or (minimum is not None and number < Decimal(str(minimum))):
        raise _error(plan, key, f"{value!r} is out of range", f"a number >= {minimum}")
    return number


def _tiers(name: str, raw: Any) -> tuple[Tier, ...]:
    if not isinstance(raw, list) or not raw:
        raise _error(name, "tiers", f"{raw!r}", "a non-empty list of {from, to, multiplier}")
    tiers = []
    for i, item in enumerate(raw):
        key = f"tiers[{i}]"
        if not isinstance(item, dict) or "from" not in item or "multiplier" not in item:
            raise _error(name, key, f"{item!r}", "a mapping with from, multiplier and to")
        unknown = set(item) - {"from", "to", "multiplier"}
        if unknown:
            raise _error(name, key, f"unknown keys {sorted(unknown)}", "from, to, multiplier")
        lower = _decimal(name, f"{key}.from", item["from"])
        upper = _decimal(name, f"{key}.to", item["to"]) if item.get("to") is not None else None
        multiplier = _decimal(name, f"{key}.multiplier", item["multiplier"])
        if upper is not None and upper <= lower:
            raise _error(name, key, f"to ({upper}) is not above from ({lower})", "from < to")
        tiers.append(Tier(lower, upper, multiplier))
    if tiers[0].lower != 0:
        raise _error(name, "tiers[0].from", f"{tiers[0].lower}", "0 (tiers start at 0%)")
    for i, (a, b) in enumerate(zip(tiers, tiers[1:], strict=False)):
        if a.upper is None or a.upper != b.lower:
            raise _error(
                name,
                f"tiers[{i + 1}].from",
                f"{b.lower} does not continue tier {i} (to {a.upper})",
                "contiguous tiers: each from equals the previous to",
            )
    return tuple(tiers)


def parse_plan(name: str, raw: Any) -> Plan:
    """Validate one plan's mapping; raise :class:`DataError` naming the key at fault."""
    if not isinstance(raw, dict):
        raise _error(name, "", f"{raw!r}", "a mapping of plan keys")
    unknown = set(raw) - PLAN_KEYS
    if unknown:
        raise _error(name, sorted(unknown)[0], "unknown key", f"one of {sorted(PLAN_KEYS)}")
    if "base_rate" not in raw or "tiers" not in raw:
        raise _error(
            name,
            "base_rate" if "base_rate" not in raw else "tiers",
            "missing",
            "base_rate and tiers",
        )
    period = raw.get("quota_period", "quarter")
    if period not in PERIODS:
        raise _error(name, "quota_period", f"{period!r}", "month, quarter or year")
    quota = raw.get("quota", "table")
    quota_amount = None if quota == "table" else _decimal(name, "quota", quota)
    ramp_raw = raw.get("ramp") or []
    if isinstance(ramp_raw, dict):
        ramp_raw = ramp_raw.get("by_month_of_tenure", [])
    if not isinstance(ramp_raw, list):
        raise _error(name, "ramp", f"{ramp_raw!r}", "a list of quota shares by month of tenure")
    ramp = tuple(_decimal(name, f"ramp[{i}]", v) for i, v in enumerate(ramp_raw))
    if any(v > 1 for v in ramp):
        raise _error(name, "ramp", f"{ramp_raw!r}", "shares between 0 and 1")
    applies = raw.get("applies_to") or {}
    if not isinstance(applies, dict):
        raise _error(name, "applies_to", f"{applies!r}", "a mapping of reps columns to values")
    applies_to = {
        str(col): tuple(str(v) for v in (vals if isinstance(vals, list) else [vals]))
        for col, vals in applies.items()
    }
    cap = raw.get("cap") or {}
    if not isinstance(cap, dict) or set(cap) - {"amount", "multiple_of_target_pay"}:
        raise _error(name, "cap", f"{cap!r}", "{amount: X} or {multiple_of_target_pay: k}")
    spifs_raw = raw.get("spifs") or []
    if not isinstance(spifs_raw, list) or not all(
        isinstance(s, dict) and {"product", "amount"} <= set(s) for s in spifs_raw
    ):
        raise _error(name, "spifs", f"{spifs_raw!r}", "a list of {product, amount}")
    clawback = raw.get("clawback") or {}
    if not isinstance(clawback, dict) or (clawback and "days" not in clawback):
        raise _error(name, "clawback", f"{clawback!r}", "{days: N, reduce_attainment: bool}")
    no_quota = raw.get("no_quota", "base_rate")
    if no_quota not in ("base_rate", "error"):
        raise _error(name, "no_quota", f"{no_quota!r}", "base_rate or error")
    after = raw.get("pay_after_departure", "through_end_date")
    if after not in AFTER_DEPARTURE:
        raise _error(name, "pay_after_departure", f"{after!r}", "none, through_end_date or all")
    return Plan(
        name=name,
        base_rate=_decimal(name, "base_rate", raw["base_rate"]),
        tiers=_tiers(name, raw["tiers"]),
        quota_period=period,
        quota_amount=quota_amount,
        ramp=ramp,
        applies_to=applies_to,
        cap_amount=to_cents(_decimal(name, "cap.amount", cap["amount"]))
        if "amount" in cap
        else None,
        cap_multiple=_decimal(name, "cap.multiple_of_target_pay", cap["multiple_of_target_pay"])
        if "multiple_of_target_pay" in cap
        else None,
        spifs={
            str(s["product"]): to_cents(_decimal(name, "spifs.amount", s["amount"]))
            for s in spifs_raw
        },
        clawback_days=int(_decimal(name, "clawback.days", clawback["days"])) if clawback else None,
        clawback_reduces_attainment=bool(clawback.get("reduce_attainment", False)),
        no_quota=no_quota,
        pay_after_departure=after,
        currency=str(raw["currency"]).strip().upper() if raw.get("currency") else None,
    )


def in_currency(plan: Plan, currency: str, rates: dict[str, float]) -> Plan:
    """``plan`` with its money (quota amount, cap amount, spifs) in ``currency``, converted
    with spm.yaml ``currency_rates`` (units of ``currency`` per unit of the plan's), the
    rates every amount of the dataset is converted with; the plan itself when it is already in
    ``currency`` or names none. A plan currency without a rate is a DataError."""
    if plan.currency is None or plan.currency.upper() == currency.upper():
        return plan
    code = plan.currency.upper()
    if code not in rates:
        raise _error(
            plan.name,
            "currency",
            f"{code} has no rate to {currency} (spm.yaml "
            f"currency_rates: {', '.join(sorted(rates)) or 'none given'})",
            f"a rate for {code} in currency_rates",
        )
    rate = Decimal(str(rates[code]))

    def money(value: Decimal | None) -> Decimal | None:
        return None if value is None else to_cents(value * rate)

    return replace(
        plan,
        currency=currency,
        quota_amount=money(plan.quota_amount),
        cap_amount=money(plan.cap_amount),
        spifs={k: money(v) for k, v in plan.spifs.items()},
    )


def parse_plans(raw: dict[str, Any]) -> dict[str, Plan]:
    """All plans of ``commission_plans``, validated."""
    return {str(name): parse_plan(str(name), spec) for name, spec in (raw or {}).items()}


def assign_plans(reps: pd.DataFrame, plans: dict[str, Plan]) -> pd.Series:
    """The plan name of each rep (index rep_id); NaN for a rep no plan applies to. A rep that
    two plans apply to is an error naming both: applies_to must not overlap."""
    names = pd.Series(np.nan, index=reps["rep_id"].to_numpy(), dtype=object)
    for _, rep in reps.iterrows():
        matching = [p.name for p in plans.values() if p.matches(rep)]
        if len(matching) > 1:
            raise DataError(
                f"spm.yaml: rep {rep['rep_id']} matches plans {', '.join(matching)}; make "
                "applies_to exclusive",
                path="spm.yaml",
                table="reps",
                rows=[rep["rep_id"]],
                expected="each rep in at most one plan",
            )
        if matching:
            names[rep["rep_id"]] = matching[0]
    return names
