"""The ledger: commission earned, withheld and clawed back per rep and quota period."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from spm_lib.compensation.crediting import ZERO, credits
from spm_lib.compensation.quota_periods import load_plans, quota_for, quota_granularity
from spm_lib.dataset import Dataset
from spm_lib.dataset.derived import once_per
from spm_lib.exceptions import DataError
from spm_lib.measures.plans import (
    CENT,
    Plan,
    assign_plans,
    rate_of,
    tier_portions,
)
from spm_lib.periods import Period, period_containing

NO_QUOTA_TIER = "no quota: base rate"
LINE_COLUMNS = [
    "rep_id",
    "plan",
    "quota_period",
    "date",
    "opportunity_id",
    "product",
    "kind",
    "deal_amount",
    "share",
    "credit",
    "tier",
    "rate",
    "amount",
    "note",
]


def _events(plan: Plan, rows: list, qp: Period) -> list[tuple]:
    """A rep's credit events in a quota period in date order: bookings, and cancellations as
    negative credits when the plan's clawback reduces attainment; ``rows``: credit records
    (:func:`_credit_records`)."""
    events = []
    for r in rows:
        if qp.contains(r.close_date):
            events.append((r.close_date.date(), 0, r, r.credit))
        if plan.clawback_reduces_attainment and _clawed(plan, r) and qp.contains(r.cancelled_date):
            events.append((r.cancelled_date.date(), 1, r, -r.credit))
    return sorted(events, key=lambda e: (e[0], e[1], e[2].opportunity_id))


def _clawed(plan: Plan, row) -> bool:
    """Whether a credited deal's cancellation falls within the plan's clawback window."""
    if plan.clawback_days is None or pd.isna(row.cancelled_date):
        return False
    return (row.cancelled_date - row.close_date).days <= plan.clawback_days


def _quota_period_lines(
    ds: Dataset, plan: Plan, rep_id: str, qp: Period, rows: list, span: int | None
) -> tuple[list[dict], Decimal | None]:
    """Commission and SPIF lines of one rep in one quota period, and the period's quota;
    ``rows``: the rep's credit records closed or cancelled in the quota period."""
    quota = quota_for(ds, plan, rep_id, qp, span)
    if (quota is None or quota <= 0) and plan.no_quota == "error":
        raise DataError(
            f"rep {rep_id} has no quota for {qp.label} under plan {plan.name}; add it to the "
            "quotas table or set no_quota: base_rate in the plan",
            table="quotas",
            rows=[rep_id],
            expected=f"a positive quota for {qp.label}",
        )
    effective = quota if quota is not None else ZERO
    lines: list[dict] = []
    cumulative = ZERO
    for day, kind, r, credit in _events(plan, rows, qp):
        base = {
            "rep_id": rep_id,
            "plan": plan.name,
            "quota_period": qp.label,
            "date": day,
            "opportunity_id": r.opportunity_id,
            "product": r.product,
            "deal_amount": r.deal_amount,
            "share": r.share,
        }
        note = "" if kind == 0 else f"cancelled {day}: negative credit"
        for tier, portion in tier_portions(plan, cumulative, credit, effective):
            rate = rate_of(plan, tier)
            lines.append(
                base
                | {
                    "kind": "commission",
                    "credit": portion,
                    "tier": plan.tiers[tier].label if tier >= 0 else NO_QUOTA_TIER,
                    "rate": rate,
                    "amount": (portion * rate).quantize(CENT, ROUND_HALF_UP),
                    "note": note,
                }
            )
        cumulative += credit
        spif = plan.spifs.get(str(r.product)) if r.product is not None else None
        if spif:
            amount = (spif * r.share).quantize(CENT, ROUND_HALF_UP)
            lines.append(
                base
                | {
                    "kind": "spif",
                    "credit": ZERO,
                    "tier": "",
                    "rate": None,
                    "amount": amount if kind == 0 else -amount,
                    "note": f"SPIF {r.product}" + (f"; {note}" if note else ""),
                }
            )
    return lines, quota


def _after_departure(
    ds: Dataset, period: Period, plans: dict[str, Plan], lines: list[dict]
) -> list[dict]:
    """Lines of kind ``departure`` that take back what a rep who left may not be paid under
    the plan's ``pay_after_departure``: commission and SPIF lines dated after the end date
    (``through_end_date``), or every such line of a period the rep did not finish (``none``).
    Each names the line it offsets, so the statement lists what was withheld."""
    ends = ds["reps"].drop_duplicates("rep_id").set_index("rep_id")["end_date"]
    out = []
    for line in lines:
        if line["kind"] not in ("commission", "spif") or not line["amount"]:
            continue
        plan = plans.get(line["plan"])
        end = ends.get(line["rep_id"])
        if plan is None or end is None or pd.isna(end) or plan.pay_after_departure == "all":
            continue
        end_day = end.date()
        withheld = (
            line["date"] > end_day
            if plan.pay_after_departure == "through_end_date"
            else end_day < period.end
        )
        if withheld:
            out.append(
                line
                | {
                    "kind": "departure",
                    "credit": ZERO,
                    "amount": -line["amount"],
                    "note": f"not paid: the rep left on {end_day} (pay_after_departure: "
                    f"{plan.pay_after_departure}); {line['kind']} of {line['date']}",
                }
            )
    return out


def ledger(
    ds: Dataset,
    period: Period | str,
    plans: dict | None = None,
    credit: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every line that a statement for ``period`` pays, and the quota periods behind it.

    Returns (lines, quota_periods): lines as in :data:`LINE_COLUMNS` (kind: commission, spif,
    clawback, cap, departure: see :func:`_after_departure`) dated in the period; quota_periods
    per (rep_id, plan, quota_period): quota,
    credit_to_date (cumulative credit to the period's end), earned_before / earned_to_date
    (commission before the period and to its end, uncapped), cap. Computed once per
    (audience, period, plans, credit table): the statements and their lines share it.
    """
    period = ds.period(period)
    plans = load_plans(ds, plans)
    credit = credits(ds) if credit is None else credit
    key = f"ledger {period.label} {id(credit)} {sorted(plans.items())!r}"
    lines, quota_periods = once_per(ds.reps, key, lambda: _ledger(ds, period, plans, credit))
    return lines.copy(), quota_periods.copy()


def _credit_records(credit: pd.DataFrame) -> dict[str, list]:
    """The credit rows by rep_id, in the table's order, as records (named tuples of the
    columns plus ``close_day`` and ``cancelled_day``, dates or None); once per credit table,
    so the ledgers of several periods share them."""

    def build() -> dict[str, list]:
        def days(column: str) -> list:
            values = credit[column]
            return [d if pd.notna(d) else None for d in values.dt.date] if len(values) else []

        table = credit.assign(close_day=days("close_date"), cancelled_day=days("cancelled_date"))
        out: dict[str, list] = {}
        for r in table.itertuples(index=False):
            out.setdefault(r.rep_id, []).append(r)
        return out

    return once_per(credit, "records by rep", build)


def _in_quota_period(qp: Period, r) -> bool:
    """Whether a credit record closes or is cancelled in the quota period."""
    return qp.start <= r.close_day <= qp.end or (
        r.cancelled_day is not None and qp.start <= r.cancelled_day <= qp.end
    )


def _ledger(ds: Dataset, period: Period, plans: dict[str, Plan], credit: pd.DataFrame):
    assigned = assign_plans(ds.reps, plans) if plans else pd.Series(dtype=object)
    quotas = ds.get("quotas")
    span = quota_granularity(quotas) if quotas is not None and len(quotas) else None
    lines: list[dict] = []
    periods_rows: list[dict] = []
    ledgers: dict[tuple, tuple[list[dict], Decimal | None]] = {}
    records = _credit_records(credit)  # a rep's rows all fall under the rep's one plan

    def quota_period_lines(plan: Plan, rep: str, qp: Period) -> list[dict]:
        key = (rep, plan.name, qp.label)
        if key not in ledgers:
            rows = [r for r in records.get(rep, ()) if _in_quota_period(qp, r)]
            ledgers[key] = _quota_period_lines(ds, plan, rep, qp, rows, span)
        return ledgers[key][0]

    with_plan = credit[credit["rep_id"].map(assigned).notna().to_numpy(bool)]
    reps_in_scope = reps_in(ds, period, with_plan)
    for rep in reps_in_scope:
        name = assigned.get(rep)
        if not isinstance(name, str):
            continue
        plan = plans[name]
        for qp in _quota_periods(plan, period, ds.config.fiscal_year_start_month):
            all_lines = quota_period_lines(plan, rep, qp)
            quota = ledgers[(rep, plan.name, qp.label)][1]
            in_period = [x for x in all_lines if period.start <= x["date"] <= period.end]
            upto = [x for x in all_lines if x["date"] <= period.end]
            before = [x for x in all_lines if x["date"] < period.start]
            earned_before = sum((x["amount"] for x in before if x["kind"] == "commission"), ZERO)
            earned_to = sum((x["amount"] for x in upto if x["kind"] == "commission"), ZERO)
            cap = plan.cap(quota) if quota is not None else plan.cap(ZERO)
            lines += in_period
            capped = _cap_line(rep, plan, qp, period, earned_before, earned_to, cap)
            lines += [capped] if capped else []
            credit_to = sum((x["credit"] for x in upto if x["kind"] == "commission"), ZERO)
            periods_rows.append(
                {
                    "rep_id": rep,
                    "plan": plan.name,
                    "quota_period": qp.label,
                    "quota": quota,
                    "credit_to_date": credit_to,
                    "earned_before": earned_before,
                    "earned_to_date": earned_to,
                    "cap": cap,
                }
            )
        lines += _clawbacks(
            ds, plan, rep, period, records.get(rep, ()), quota_period_lines, ledgers
        )
    lines += _after_departure(ds, period, plans, lines)
    frame = pd.DataFrame(lines, columns=LINE_COLUMNS)
    frame = frame.sort_values(["rep_id", "date", "kind"], kind="stable").reset_index(drop=True)
    quota_frame = pd.DataFrame(
        periods_rows,
        columns=[
            "rep_id",
            "plan",
            "quota_period",
            "quota",
            "credit_to_date",
            "earned_before",
            "earned_to_date",
            "cap",
        ],
    )
    return frame, quota_frame


def _cap_line(
    rep: str,
    plan: Plan,
    qp: Period,
    period: Period,
    earned_before: Decimal,
    earned_to: Decimal,
    cap: Decimal | None,
) -> dict | None:
    """The line that holds a quota period's commission to its ``cap`` in ``period``:
    (min(earned to date, cap) - min(earned before, cap)) - (earned to date - earned before),
    or None when there is no cap or nothing to hold back."""
    if cap is None:
        return None
    adjustment = (min(earned_to, cap) - min(earned_before, cap)) - (earned_to - earned_before)
    if not adjustment:
        return None
    return {
        "rep_id": rep,
        "plan": plan.name,
        "quota_period": qp.label,
        "date": min(period.end, qp.end),
        "opportunity_id": None,
        "product": None,
        "kind": "cap",
        "deal_amount": None,
        "share": None,
        "credit": ZERO,
        "tier": "",
        "rate": None,
        "amount": adjustment,
        "note": f"cap {cap} on commission in {qp.label}",
    }


def reps_in(ds: Dataset, period: Period, credit: pd.DataFrame) -> list[str]:
    """Reps of the audience employed at some point of the period, or with credits or
    cancellations dated in it."""
    reps = ds.reps
    employed = (reps["hire_date"].isna() | (reps["hire_date"] <= pd.Timestamp(period.end))) & (
        reps["end_date"].isna() | (reps["end_date"] >= pd.Timestamp(period.start))
    )
    active = set(credit.loc[period.mask(credit["close_date"]), "rep_id"]) | set(
        credit.loc[period.mask(credit["cancelled_date"]), "rep_id"]
    )
    audience = set(reps["rep_id"])
    return sorted(set(reps.loc[employed, "rep_id"]) | (active & audience))


def _quota_periods(plan: Plan, period: Period, fsm: int) -> list[Period]:
    """The plan's quota periods overlapping the statement period."""
    out, day = [], period.start
    while day <= period.end:
        qp = period_containing(day, plan.quota_period, fsm)
        out.append(qp)
        day = qp.end + dt.timedelta(days=1)
    return out


def _clawbacks(ds, plan, rep, period, records, quota_period_lines, ledgers) -> list[dict]:
    """Clawback lines for the rep's deals cancelled in the period (attainment unchanged);
    ``records``: the rep's credit records (:func:`_credit_records`)."""
    if plan.clawback_days is None or plan.clawback_reduces_attainment:
        return []
    out = []
    for r in records:
        if r.cancelled_day is None or not period.start <= r.cancelled_day <= period.end:
            continue
        if not _clawed(plan, r):
            continue
        qp = period_containing(
            r.close_date.date(), plan.quota_period, ds.config.fiscal_year_start_month
        )
        original = [
            x for x in quota_period_lines(plan, rep, qp) if x["opportunity_id"] == r.opportunity_id
        ]
        commission = sum((x["amount"] for x in original if x["kind"] == "commission"), ZERO)
        spif = sum((x["amount"] for x in original if x["kind"] == "spif"), ZERO)
        quota = ledgers[(rep, plan.name, qp.label)][1]
        cap = plan.cap(quota if quota is not None else ZERO)
        earned = sum(
            (x["amount"] for x in quota_period_lines(plan, rep, qp) if x["kind"] == "commission"),
            ZERO,
        )
        if cap is not None and earned > cap > 0:
            commission = (commission * cap / earned).quantize(CENT, ROUND_HALF_UP)
        days = (r.cancelled_date - r.close_date).days
        out.append(
            {
                "rep_id": rep,
                "plan": plan.name,
                "quota_period": qp.label,
                "date": r.cancelled_date.date(),
                "opportunity_id": r.opportunity_id,
                "product": r.product,
                "kind": "clawback",
                "deal_amount": r.deal_amount,
                "share": r.share,
                "credit": ZERO,
                "tier": "",
                "rate": None,
                "amount": -(commission + spif),
                "note": f"cancelled {days} days after close ({r.close_date.date()})",
            }
        )
    return out


def withheld_after_departure(lines: pd.DataFrame, statement: pd.DataFrame) -> pd.DataFrame:
    """Per rep who left, what the plan's pay_after_departure did not pay: rep_id, name,
    end_date, lines, amount (positive: the money withheld)."""
    gone = lines[lines["kind"] == "departure"]
    if gone.empty:
        return pd.DataFrame(columns=["rep_id", "name", "lines", "amount"])
    out = gone.groupby("rep_id").agg(
        lines=("amount", "size"), amount=("amount", lambda a: -sum(a, ZERO))
    )
    names = statement.set_index("rep_id")["name"]
    out.insert(0, "name", names.reindex(out.index))
    return out.reset_index()
