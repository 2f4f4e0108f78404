"""Hand-made compensation cases shared by the compensation and payout tests: the golden plan
(base rate 10%; tiers 0-50% of quota at 0.5x, 50-100% at 1x, 100-150% at 1.5x, above at 2x),
three reps, their quotas, and builders for deals and datasets."""

from __future__ import annotations

from decimal import Decimal

from spm_lib import load_dataset
from tests.helpers import write_tables

D = Decimal
TIERS = """
    tiers:
      - {from: 0, to: 0.5, multiplier: 0.5}
      - {from: 0.5, to: 1.0, multiplier: 1.0}
      - {from: 1.0, to: 1.5, multiplier: 1.5}
      - {from: 1.5, multiplier: 2.0}"""
PLAN = f"""
commission_plans:
  golden:
    quota_period: quarter
    base_rate: 0.10{TIERS}
    spifs: [{{product: Suite, amount: 300}}]
    clawback: {{days: 30}}
"""
REPS = [
    {
        "rep_id": "R1",
        "name": "Ann Lee",
        "team": "A",
        "region": "West",
        "segment": "SMB",
        "hire_date": "2020-01-01",
        "end_date": "",
    },
    {
        "rep_id": "R2",
        "name": "Bob Ray",
        "team": "A",
        "region": "West",
        "segment": "SMB",
        "hire_date": "2020-01-01",
        "end_date": "",
    },
    {
        "rep_id": "R3",
        "name": "Cy Dee",
        "team": "B",
        "region": "East",
        "segment": "SMB",
        "hire_date": "2026-05-15",
        "end_date": "",
    },
]
QUOTAS = [
    {"rep_id": "R1", "period_start": "2026-07-01", "amount": 100000},
    {"rep_id": "R2", "period_start": "2026-07-01", "amount": 100000},
    {"rep_id": "R1", "period_start": "2026-10-01", "amount": 100000},
    {"rep_id": "R2", "period_start": "2026-10-01", "amount": 100000},
]


def deal(oid, rep, amount, close, product="Core", cancelled="", created="2026-01-01"):
    return {
        "opportunity_id": oid,
        "rep_id": rep,
        "product": product,
        "created_date": created,
        "close_date": close,
        "stage": "Closed Won",
        "amount": amount,
        "cancelled_date": cancelled,
    }


def dataset(tmp_path, deals, yaml=PLAN, quotas=QUOTAS, splits=None, name="ds"):
    tables = {"reps": REPS, "opportunities": deals, "quotas": quotas}
    if splits:
        tables["opportunity_splits"] = splits
    folder = write_tables(tmp_path / name, tables, yaml)
    ds = load_dataset(folder)
    assert ds.quarantine.empty, ds.quarantine
    return ds
