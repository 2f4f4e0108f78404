"""Compensation: credited bookings, commission lines to the cent, statements, cost of sales.

Definitions (plans: :mod:`spm_lib.plans`):

- **Credit**: each won deal is credited on its close date to its rep, or to the reps of its rows
  in ``opportunity_splits`` (shares must sum to 1 per deal). A deal's amount is split in cents
  by largest remainder, so that the credits sum to the amount exactly.
- **Quota** of a rep in a quota period: the quotas table spread evenly over the months each row
  covers (its granularity, read from the spacing of ``period_start``), or the plan's quota
  amount spread over the period's months; times the plan's ramp share for each month of tenure;
  summed over the period and rounded to the cent.
- **Commission lines**: within each quota period a rep's credits are taken in date order; each
  one moves the rep's cumulative credit and is split across the tiers it spans
  (:func:`spm_lib.plans.tier_portions`); a line per tier portion pays portion x base_rate x
  multiplier, rounded half-up to the cent. A statement for a period pays the lines dated in it:
  a quota period longer than the statement (a year plan reported by quarter) is paid as earned
  and trued up cumulatively; shorter ones (a month plan reported by quarter) are summed.
- **Cap**: cumulative commission in a quota period is limited to the plan's cap; a cap line
  takes back the excess in the statement period where it arises.
- **SPIF**: a fixed amount per won deal of the product, split like the credit.
- **Clawback**: a deal cancelled within ``days`` of its close takes back its commission and
  SPIF in the statement period of the cancellation (scaled by the paid share if its quota
  period was capped); attainment is unchanged, unless ``reduce_attainment``: then the
  cancellation is a negative credit that runs through the tiers like any other.
- **payout** = commission + SPIFs + clawbacks + cap adjustment = the sum of the rep's lines.
- **Cost of sales** = payout / credited bookings.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.dataset.derived import once_per
from spm_lib.exceptions import DataError
from spm_lib.metrics import at_quota
from spm_lib.periods import Period, months_between, period_containing
from spm_lib.plans import (
    CENT,
    Plan,
    assign_plans,
    in_currency,
    parse_plans,
    rate_of,
    tier_portions,
    to_cents,
)
from spm_lib.roster import COUNTED, rep_status

ZERO = Decimal("0.00")
NO_QUOTA_TIER = "no quota: base rate"
LINE_COLUMNS = [
    "rep_id", "plan", "quota_period", "date", "opportunity_id", "product", "kind", "deal_amount",
    "share", "credit", "tier", "rate", "amount", "note",
]  # fmt: skip


def split_cents(amount: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """``amount`` split by ``shares`` (summing to 1) into cents that sum to it exactly: each
    gets the floor of its share, and the remaining cents go to the largest remainders (ties:
    the earlier share)."""
    cents = int((amount / CENT).to_integral_value(ROUND_HALF_UP))
    raw = [Decimal(cents) * s for s in shares]
    floors = [int(r.to_integral_value(rounding="ROUND_FLOOR")) for r in raw]
    left = cents - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[: max(left, 0)]:
        floors[i] += 1
    return [Decimal(c) * CENT for c in floors]


def credits(ds: Dataset) -> pd.DataFrame:
    """One row per (won deal, credited rep): opportunity_id, rep_id, close_date,
    cancelled_date, product, deal_amount, share, credit (Decimals, cents). Over the whole
    company even for a narrowed dataset, since a deal may be split across audiences. (Split rows
    of a deal whose shares do not sum to 1 are quarantined by the loader.) Computed once per
    dataset: the same frame is returned each time, so do not modify it in place."""
    ds = ds.company if ds.company is not None else ds  # a split may cross audiences
    splits = ds.get("opportunity_splits")
    return once_per(ds.opportunities, f"credits {id(splits)}", lambda: _credits(ds))


CREDIT_COLUMNS = ["opportunity_id", "rep_id", "close_date", "cancelled_date", "product",
                  "deal_amount", "share", "credit"]  # fmt: skip


def _credits(ds: Dataset) -> pd.DataFrame:
    """The credits (see :func:`credits`): a deal without split rows credits its whole amount to
    its owner; a split deal's rows (by rep_id) share it by :func:`split_cents`. Rows in the
    deals' order, each deal's reps together."""
    opps = ds.opportunities
    won = opps[opps["is_won"] & opps["close_date"].notna()]
    won = won.assign(
        cancelled_date=won.get("cancelled_date", pd.NaT), product=won.get("product", pd.NA)
    )
    splits = ds.get("opportunity_splits")
    split_rows = (
        splits[splits["opportunity_id"].isin(won["opportunity_id"])]
        if splits is not None
        else pd.DataFrame(columns=["opportunity_id", "rep_id", "share"])
    )
    by_deal: dict[str, tuple[list, list]] = {}  # deal -> its split rows' (rep_ids, shares)
    ordered = split_rows.sort_values(["opportunity_id", "rep_id"], kind="stable")
    columns = ("opportunity_id", "rep_id", "share")
    for deal, rep, share in zip(*(ordered[c].tolist() for c in columns), strict=True):
        reps, shares = by_deal.setdefault(deal, ([], []))
        reps.append(rep)
        shares.append(share)
    one = Decimal(1)
    rows = []
    for deal, owner, closed, cancelled, product, amount in zip(
        *(won[c].tolist() for c in ("opportunity_id", "rep_id", "close_date", "cancelled_date",
                                    "product", "amount")), strict=True,
    ):  # fmt: skip
        cents = to_cents(amount if pd.notna(amount) else 0)  # no amount: no credit
        group = by_deal.get(deal)
        if group is None:  # the whole amount to the owner
            rows.append((deal, owner, closed, cancelled, product, cents, one, cents))
            continue
        reps, raw = group
        shares = [Decimal(repr(float(s))) for s in raw]
        for rep, share, credit in zip(reps, shares, split_cents(cents, shares),
                                      strict=True):  # fmt: skip
            rows.append((deal, rep, closed, cancelled, product, cents, share, credit))
    return pd.DataFrame(rows, columns=CREDIT_COLUMNS)


def _quota_granularity(quotas: pd.DataFrame) -> int:
    """Months each quotas row covers: the commonest gap between a rep's consecutive rows
    (1, 3 or 12), 3 when no rep has two rows."""
    return once_per(quotas, "granularity", lambda: _granularity(quotas))


def _granularity(quotas: pd.DataFrame) -> int:
    ordered = quotas.sort_values(["rep_id", "period_start"])
    months = ordered["period_start"].dt.year * 12 + ordered["period_start"].dt.month
    gaps = months.groupby(ordered["rep_id"]).diff().dropna()
    gaps = gaps[gaps.isin([1, 3, 12])]
    return int(gaps.mode().iloc[0]) if len(gaps) else 3


def rows_by_rep(table: pd.DataFrame) -> dict:
    """``table``'s rows grouped by rep_id, in their order (once per table object)."""
    return once_per(table, "by_rep", lambda: {
        rep: rows for rep, rows in table.groupby("rep_id", sort=False)})  # fmt: skip


def _month_number(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _quota_rows(quotas: pd.DataFrame) -> dict[str, list[tuple[int, float]]]:
    """Each rep's quotas rows as (month number of period_start, amount), in the table's
    order (once per table object)."""

    def build() -> dict[str, list[tuple[int, float]]]:
        start = quotas["period_start"]
        months = (start.dt.year * 12 + start.dt.month - 1).tolist()
        out: dict[str, list[tuple[int, float]]] = {}
        for rep, month, amount in zip(quotas["rep_id"].tolist(), months,
                                      quotas["amount"].tolist(), strict=True):  # fmt: skip
            if month == month:  # a row without a start (NaN) covers no month
                out.setdefault(rep, []).append((int(month), amount))
        return out

    return once_per(quotas, "quota rows", build)


def quota_for(
    ds: Dataset, plan: Plan, rep_id: str, period: Period, span: int | None = None
) -> Decimal | None:
    """The rep's quota for a quota period of the plan (see the module docstring); None when the
    plan reads the quotas table and the dataset has none. ``span``: months a quotas row covers
    (default: read from the table)."""
    first_month = _month_number(period.start)
    n_months = _month_number(period.end) - first_month + 1
    if plan.quota_amount is not None:
        monthly = np.full(n_months, float(plan.quota_amount) / n_months)
    else:
        quotas = ds.get("quotas")
        if quotas is None:
            return None
        span = span or _quota_granularity(quotas)
        monthly = np.zeros(n_months)
        for start, amount in _quota_rows(quotas).get(rep_id, ()):
            for k in range(span):
                i = start + k - first_month
                if 0 <= i < n_months:
                    monthly[i] += amount / span
    if plan.ramp:
        rows = rows_by_rep(ds.reps).get(rep_id)
        hire = rows["hire_date"].iloc[0] if rows is not None else None
        if hire is not None and not pd.isna(hire):
            for i in range(n_months):
                year, month = divmod(first_month + i, 12)
                tenure = months_between(hire.date(), dt.date(year, month + 1, 1))
                if 0 <= tenure < len(plan.ramp):
                    monthly[i] *= float(plan.ramp[tenure])
                elif tenure < 0:
                    monthly[i] = 0.0
    return to_cents(round(float(monthly.sum()), 6))


def load_plans(ds: Dataset, plans: dict[str, Plan] | dict | None = None) -> dict[str, Plan]:
    """Plans given (already parsed, or raw mappings), else those of the dataset's spm.yaml;
    each plan's amounts in the dataset's currency (:func:`spm_lib.plans.in_currency`)."""
    if plans is None:
        plans = ds.config.commission_plans
    if not (plans and all(isinstance(p, Plan) for p in plans.values())):
        plans = parse_plans(plans or {})
    rates = ds.config.currency_rates
    return {name: in_currency(plan, ds.config.currency, rates) for name, plan in plans.items()}


def _events(plan: Plan, rows: list, qp: Period) -> list[tuple]:
    """A rep's credit events in a quota period in date order: bookings, and cancellations as
    negative credits when the plan's clawback reduces attainment; ``rows``: credit records
    (:func:`_credit_records`)."""
    events = []
    for r in rows:
        if qp.contains(r.close_date):
            events.append((r.close_date.date(), 0, r, r.credit))
        if (plan.clawback_reduces_attainment and _clawed(plan, r)
                and qp.contains(r.cancelled_date)):  # fmt: skip
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
            table="quotas", rows=[rep_id], expected=f"a positive quota for {qp.label}",
        )  # fmt: skip
    effective = quota if quota is not None else ZERO
    lines: list[dict] = []
    cumulative = ZERO
    for day, kind, r, credit in _events(plan, rows, qp):
        base = {"rep_id": rep_id, "plan": plan.name, "quota_period": qp.label, "date": day,
                "opportunity_id": r.opportunity_id, "product": r.product,
                "deal_amount": r.deal_amount, "share": r.share}  # fmt: skip
        note = "" if kind == 0 else f"cancelled {day}: negative credit"
        for tier, portion in tier_portions(plan, cumulative, credit, effective):
            rate = rate_of(plan, tier)
            lines.append(base | {
                "kind": "commission", "credit": portion,
                "tier": plan.tiers[tier].label if tier >= 0 else NO_QUOTA_TIER,
                "rate": rate, "amount": (portion * rate).quantize(CENT, ROUND_HALF_UP),
                "note": note,
            })  # fmt: skip
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
        withheld = (line["date"] > end_day if plan.pay_after_departure == "through_end_date"
                    else end_day < period.end)  # fmt: skip
        if withheld:
            out.append(line | {
                "kind": "departure", "credit": ZERO, "amount": -line["amount"],
                "note": f"not paid: the rep left on {end_day} (pay_after_departure: "
                        f"{plan.pay_after_departure}); {line['kind']} of {line['date']}",
            })  # fmt: skip
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
    span = _quota_granularity(quotas) if quotas is not None and len(quotas) else None
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
    reps_in_scope = _reps_in(ds, period, with_plan)
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
            if cap is not None:
                adjustment = (min(earned_to, cap) - min(earned_before, cap)) - (
                    earned_to - earned_before
                )
                if adjustment:
                    lines.append({"rep_id": rep, "plan": plan.name, "quota_period": qp.label,
                                  "date": min(period.end, qp.end), "opportunity_id": None,
                                  "product": None, "kind": "cap", "deal_amount": None,
                                  "share": None, "credit": ZERO, "tier": "", "rate": None,
                                  "amount": adjustment,
                                  "note": f"cap {cap} on commission in {qp.label}"})  # fmt: skip
            credit_to = sum((x["credit"] for x in upto if x["kind"] == "commission"), ZERO)
            periods_rows.append({"rep_id": rep, "plan": plan.name, "quota_period": qp.label,
                                 "quota": quota, "credit_to_date": credit_to,
                                 "earned_before": earned_before, "earned_to_date": earned_to,
                                 "cap": cap})  # fmt: skip
        lines += _clawbacks(ds, plan, rep, period, records.get(rep, ()), quota_period_lines,
                            ledgers)  # fmt: skip
    lines += _after_departure(ds, period, plans, lines)
    frame = pd.DataFrame(lines, columns=LINE_COLUMNS)
    frame = frame.sort_values(["rep_id", "date", "kind"], kind="stable").reset_index(drop=True)
    quota_frame = pd.DataFrame(
        periods_rows,
        columns=["rep_id", "plan", "quota_period", "quota", "credit_to_date", "earned_before",
                 "earned_to_date", "cap"],
    )  # fmt: skip
    return frame, quota_frame


def _reps_in(ds: Dataset, period: Period, credit: pd.DataFrame) -> list[str]:
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
        qp = period_containing(r.close_date.date(), plan.quota_period,
                               ds.config.fiscal_year_start_month)  # fmt: skip
        original = [x for x in quota_period_lines(plan, rep, qp)
                    if x["opportunity_id"] == r.opportunity_id]  # fmt: skip
        commission = sum((x["amount"] for x in original if x["kind"] == "commission"), ZERO)
        spif = sum((x["amount"] for x in original if x["kind"] == "spif"), ZERO)
        quota = ledgers[(rep, plan.name, qp.label)][1]
        cap = plan.cap(quota if quota is not None else ZERO)
        earned = sum((x["amount"] for x in quota_period_lines(plan, rep, qp)
                      if x["kind"] == "commission"), ZERO)  # fmt: skip
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


def statements(dataset: Dataset, period: Period | str, plans: dict | None = None) -> pd.DataFrame:
    """One row per rep in scope (employed in the period, or credited in it): rep_id, name,
    team, region, plan, credited_bookings, quota, attainment, tier_1 .. tier_n (commission by
    tier), base_rate_no_quota (commission paid at the base rate for want of a quota),
    commission, spifs, clawbacks, cap_adjustment, after_departure (what the plan's
    pay_after_departure withholds, negative), payout, note; ``status`` (:mod:`spm_lib.roster`)
    after the plan.

    credited_bookings = credits dated in the period (net of cancellations under a plan whose
    clawback reduces attainment); quota = the quota of the plan's quota periods overlapping the
    period; attainment = credit to the period's end in those quota periods / their quota (NaN
    without a quota). Money columns are Decimals; payout is the sum of the rep's lines
    (:func:`statement_lines`). ``attrs["tiers"]`` maps tier columns to their labels.
    """
    ds = dataset
    period = ds.period(period)
    plans = load_plans(ds, plans)
    credit = credits(ds)
    lines, quota_periods = ledger(ds, period, plans, credit)
    assigned = assign_plans(ds.reps, plans) if plans else pd.Series(dtype=object)
    in_period = credit[period.mask(credit["close_date"])]
    reps = ds.reps.set_index("rep_id")
    scope = _reps_in(ds, period, credit)
    n_tiers = max((len(p.tiers) for p in plans.values()), default=0)
    sums = _line_sums(lines)
    booked_by: dict[str, Decimal] = {}
    for rep, value in zip(in_period["rep_id"].tolist(), in_period["credit"].tolist(),
                          strict=True):  # fmt: skip
        booked_by[rep] = booked_by.get(rep, ZERO) + value
    quota_by: dict[str, list] = {}
    columns = ("rep_id", "quota", "credit_to_date")
    for rep, quota, to_date in zip(*(quota_periods[c].tolist() for c in columns), strict=True):
        quota_by.setdefault(rep, []).append((quota, to_date))
    rows = []
    for rep in scope:
        mine = sums.get(rep, {})
        plan_name = assigned.get(rep)
        plan = plans.get(plan_name) if isinstance(plan_name, str) else None
        booked = booked_by.get(rep, ZERO)
        if plan is not None and plan.clawback_reduces_attainment:
            booked += mine.get("cancelled credit", ZERO)
        qps = quota_by.get(rep, [])
        quotas = [q for q, _ in qps if q is not None]
        quota = sum(quotas, ZERO) if quotas else None
        credit_to = sum((c for _, c in qps), ZERO)
        row = {
            "rep_id": rep, "name": reps["name"].get(rep), "team": reps["team"].get(rep),
            "region": reps["region"].get(rep), "plan": plan_name if plan else "(none)",
            "credited_bookings": booked, "quota": quota,
            "attainment": float(credit_to / quota) if quota else float("nan"),
        }  # fmt: skip
        for i in range(n_tiers):
            label = plan.tiers[i].label if plan is not None and i < len(plan.tiers) else None
            row[f"tier_{i + 1}"] = mine.get(("tier", label), ZERO)
        row["base_rate_no_quota"] = mine.get(("tier", NO_QUOTA_TIER), ZERO)
        row["commission"] = mine.get("commission", ZERO)
        kinds = (("spif", "spifs"), ("clawback", "clawbacks"), ("cap", "cap_adjustment"),
                 ("departure", "after_departure"))  # fmt: skip
        for kind, column in kinds:
            row[column] = mine.get(kind, ZERO)
        row["payout"] = mine.get("payout", ZERO)
        row["note"] = _note(plan, quota, ("tier", NO_QUOTA_TIER) in mine)
        rows.append(row)
    columns = ["rep_id", "name", "team", "region", "plan", "credited_bookings", "quota",
               "attainment", *(f"tier_{i + 1}" for i in range(n_tiers)), "base_rate_no_quota",
               "commission", "spifs", "clawbacks", "cap_adjustment", "after_departure",
               "payout", "note"]  # fmt: skip
    out = pd.DataFrame(rows, columns=columns)  # no rep in scope: the columns, no rows
    status = rep_status(ds, period).set_index("rep_id")["status"] if len(out) else {}
    out.insert(5, "status", out["rep_id"].map(status).fillna("not in the reps table"))
    out.attrs["tiers"] = {f"tier_{i + 1}": _tier_header(plans, i) for i in range(n_tiers)}
    return out


def statement_lines(
    dataset: Dataset, period: Period | str, plans: dict | None = None
) -> pd.DataFrame:
    """The line-level table behind :func:`statements`: one row per tier portion of a credited
    deal, SPIF, clawback and cap adjustment (columns :data:`LINE_COLUMNS`), explaining every
    cent of each payout."""
    return ledger(dataset, period, plans)[0]


def _line_sums(lines: pd.DataFrame) -> dict[str, dict]:
    """Per rep, the sums of the ledger's lines a statement shows, in one pass: ``payout``
    (every line), ``commission``, (``"tier"``, label) (commission by tier), each other kind,
    and ``cancelled credit`` (the negative credits of cancellations run through the tiers).
    Decimal sums are exact, so they do not depend on the order of the lines."""
    sums: dict[str, dict] = {}
    columns = ("rep_id", "kind", "tier", "amount", "credit", "note")
    for rep, kind, tier, amount, credit, note in zip(*(lines[c].tolist() for c in columns),
                                                     strict=True):  # fmt: skip
        mine = sums.setdefault(rep, {})
        mine["payout"] = mine.get("payout", ZERO) + amount
        keys = [kind] if kind != "commission" else ["commission", ("tier", tier)]
        for key in keys:
            mine[key] = mine.get(key, ZERO) + amount
        if kind == "commission" and note.startswith("cancel"):
            mine["cancelled credit"] = mine.get("cancelled credit", ZERO) + credit
    return sums


def _note(plan: Plan | None, quota: Decimal | None, no_quota_lines: bool) -> str:
    if plan is None:
        return "no plan applies to this rep"
    if no_quota_lines or not quota:
        return "no quota: paid at the base rate"
    return ""


def _tier_header(plans: dict[str, Plan], i: int) -> str:
    labels = {p.tiers[i].label for p in plans.values() if i < len(p.tiers)}
    return labels.pop() if len(labels) == 1 else f"Tier {i + 1}"


def cost_of_sales(statement: pd.DataFrame, by: str = "team") -> pd.DataFrame:
    """Per ``by`` (a statements column: team, region, plan) and in total: payout,
    credited_bookings and cost_of_sales = payout / credited_bookings (NaN without bookings)."""
    grouped = statement.groupby(by, dropna=False)
    out = pd.DataFrame({
        "payout": grouped["payout"].apply(lambda s: sum(s, ZERO)),
        "credited_bookings": grouped["credited_bookings"].apply(lambda s: sum(s, ZERO)),
        "reps": grouped.size(),
    })  # fmt: skip
    total = pd.DataFrame(
        {"payout": [sum(statement["payout"], ZERO)],
         "credited_bookings": [sum(statement["credited_bookings"], ZERO)],
         "reps": [len(statement)]},
        index=pd.Index(["Total"], name=by),
    )  # fmt: skip
    out = pd.concat([out, total])
    out["cost_of_sales"] = [
        float(p / b) if b else float("nan")
        for p, b in zip(out["payout"], out["credited_bookings"], strict=True)
    ]
    return out.rename_axis(by).reset_index()


def plan_curves(
    statement: pd.DataFrame, plans: dict[str, Plan], max_attainment: float = 2.5
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The attainment-to-pay curve of each plan used in ``statement`` and the reps on it.

    pay_share = capped commission / target pay, target pay = base_rate x quota; the curve uses
    the median quota of the plan's reps (which matters only for a cap set as an amount).
    Returns (curves, points), both with plan, attainment, pay_share; points also rep_id.
    Reps without a quota are left out of the points.
    """
    from spm_lib.plans import capped_curve

    curve_rows, point_rows = [], []
    reached = statement["attainment"].astype(float).max()
    if np.isfinite(reached):
        max_attainment = max(max_attainment, float(reached) * 1.05)
    grid = np.linspace(0, max_attainment, 251)
    for name, rows in statement.groupby("plan"):
        plan = plans.get(name)
        quotas = [float(q) for q in rows["quota"] if q is not None and not pd.isna(q) and q > 0]
        if plan is None or not quotas or not float(plan.base_rate) > 0:
            continue  # no target pay (no quota, or a plan that pays no base rate): no curve
        quota = float(np.median(quotas))
        target = float(plan.base_rate) * quota
        pay = capped_curve(plan, grid * quota, quota) / target
        curve_rows.append(pd.DataFrame({"plan": name, "attainment": grid, "pay_share": pay}))
        for r in rows.itertuples(index=False):
            if r.quota is not None and not pd.isna(r.quota) and r.quota > 0:
                paid = float(r.commission + r.cap_adjustment)
                share = paid / (float(plan.base_rate) * float(r.quota))
                point_rows.append({"plan": name, "rep_id": r.rep_id, "attainment": r.attainment,
                                   "pay_share": share})  # fmt: skip
    curves = pd.concat(curve_rows) if curve_rows else pd.DataFrame(
        columns=["plan", "attainment", "pay_share"])  # fmt: skip
    points = pd.DataFrame(point_rows, columns=["plan", "rep_id", "attainment", "pay_share"])
    return curves, points


def headline(statement: pd.DataFrame) -> dict[str, float]:
    """Key figures of a statement: total_payout, credited_bookings, cost_of_sales_pct
    (payout / credited bookings), reps_paid, reps_with_quota and reps_above_quota (counted reps
    at or above 100%, unrounded: :func:`spm_lib.metrics.at_quota`, the count rep
    performance shows too)."""
    payout = float(sum(statement["payout"], ZERO))
    booked = float(sum(statement["credited_bookings"], ZERO))
    table = attainment_table(statement) if len(statement) else pd.DataFrame(
        columns=["status", "quota", "attainment"])
    reps = at_quota(table.assign(counted=table["status"].isin(COUNTED)))
    return {
        "total_payout": payout,
        "credited_bookings": booked,
        "cost_of_sales_pct": payout / booked if booked else float("nan"),
        "reps_paid": int((statement["payout"] != 0).sum()),
        "reps_with_quota": reps["reps_with_quota"],
        "reps_above_quota": reps["reps_at_or_above_quota"],
    }


def plan_summary(plans: dict[str, Plan]) -> pd.DataFrame:
    """One row per plan: who it applies to, quota period, base rate, tiers, cap, SPIFs,
    clawback, ramp, in words."""
    rows = []
    for plan in plans.values():
        cap = [f"{plan.cap_multiple:g}x target pay"] if plan.cap_multiple is not None else []
        cap += [f"{plan.cap_amount:,.2f}"] if plan.cap_amount is not None else []
        rows.append({
            "plan": plan.name,
            "applies_to": "; ".join(f"{k} in {', '.join(v)}" for k, v in plan.applies_to.items())
            or "everyone",
            "quota_period": plan.quota_period,
            "base_rate": f"{float(plan.base_rate):.2%}",
            "tiers": "; ".join(t.label for t in plan.tiers)
            + (" (decelerates)" if plan.decelerates else ""),
            "cap": " or ".join(cap) or "none",
            "spifs": ", ".join(f"{p}: {a:,.2f}" for p, a in plan.spifs.items()) or "none",
            "clawback": f"within {plan.clawback_days} days"
            + (", reduces attainment" if plan.clawback_reduces_attainment else "")
            if plan.clawback_days is not None else "none",
            "ramp": ", ".join(f"{float(r):.0%}" for r in plan.ramp) or "none",
        })  # fmt: skip
    return pd.DataFrame(rows)


def attainment_table(statement: pd.DataFrame) -> pd.DataFrame:
    """rep_id, status, credited_bookings, quota, attainment of a statement, in floats: the
    official attainment (:mod:`spm_lib.attainment`) as compensation pays it."""
    out = statement[["rep_id", "status", "credited_bookings", "quota", "attainment"]].copy()
    out["credited_bookings"] = out["credited_bookings"].astype(float)
    out["quota"] = pd.to_numeric(out["quota"].astype(object), errors="coerce").astype(float)
    return out


def withheld_after_departure(lines: pd.DataFrame, statement: pd.DataFrame) -> pd.DataFrame:
    """Per rep who left, what the plan's pay_after_departure did not pay: rep_id, name,
    end_date, lines, amount (positive: the money withheld)."""
    gone = lines[lines["kind"] == "departure"]
    if gone.empty:
        return pd.DataFrame(columns=["rep_id", "name", "lines", "amount"])
    out = gone.groupby("rep_id").agg(lines=("amount", "size"),
                                     amount=("amount", lambda a: -sum(a, ZERO)))  # fmt: skip
    names = statement.set_index("rep_id")["name"]
    out.insert(0, "name", names.reindex(out.index))
    return out.reset_index()


def line_summary(lines: pd.DataFrame) -> pd.DataFrame:
    """Lines and amount per kind (and tier for commission), with the total."""
    label = lines["kind"].where(lines["kind"] != "commission", "commission " + lines["tier"])
    grouped = lines.groupby(label, sort=True)
    out = pd.DataFrame({"lines": grouped.size(),
                        "amount": grouped["amount"].apply(lambda s: sum(s, ZERO))})  # fmt: skip
    total = pd.DataFrame({"lines": [len(lines)], "amount": [sum(lines["amount"], ZERO)]},
                         index=["total"])  # fmt: skip
    return pd.concat([out, total]).rename_axis("kind").reset_index()
