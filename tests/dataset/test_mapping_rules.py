"""Mapping rules on any export: row filters, real nulls, rates pasted the wrong way round, ids
that differ by case."""

from __future__ import annotations

import pandas as pd

from spm_lib import load_dataset
from tests.conftest import ACCOUNTS, OPPORTUNITIES, REPS, write_tables

USERS = pd.DataFrame({
    "User ID": ["U1", "U2", "U3", "U4"], "Full Name": ["Ann Lee", "Integration", "Bo Ek", "Cy"],
    "User Type": ["Standard", "AutomatedProcess", "Standard", "Standard"],
    "Team": ["West A", "", "", "East"],
})  # fmt: skip


def test_where_and_exclude_leave_rows_out_with_their_reason(tmp_path):
    opps = pd.DataFrame(OPPORTUNITIES).assign(rep_id=["U1", "U1", "U3", "U4"],
                                              IsDeleted=["0", "1", "false", "TRUE"])  # fmt: skip
    yaml = """
mapping:
  tables:
    reps:
      file: users.csv
      columns: {rep_id: User ID, name: Full Name, team: Team}
      where: {User Type: Standard}
      values: {team: {West A: West Alpha, East: ~}}
    opportunities:
      exclude: {IsDeleted: true}
"""
    accounts = pd.DataFrame(ACCOUNTS).assign(owner_rep_id=["U1", "U3"])
    folder = write_tables(tmp_path / "ds", {"users": USERS, "opportunities": opps,
                                            "accounts": accounts}, yaml)  # fmt: skip
    ds = load_dataset(folder)
    assert ds.reconciliation()["reconciles"].all()
    q = ds.quarantine
    left = q[q["check"] == "excluded"].set_index(["table", "key"])["reason"]
    assert "User Type is AutomatedProcess; spm.yaml keeps only User Type = 'Standard'" in left[
        ("reps", "U2")]  # fmt: skip
    assert set(left.loc["opportunities"].index) == {"O2", "O4"}  # 1 and TRUE are true
    assert set(q["check"]) == {"excluded"}, q
    teams = ds["reps"].set_index("rep_id")["team"]
    # a mapped value, an empty cell and a value mapped to null are real nulls, never "nan"
    assert teams["U1"] == "West Alpha" and pd.isna(teams["U3"]) and pd.isna(teams["U4"])
    assert "nan" not in set(ds["reps"]["team"].dropna())


def test_a_rate_pasted_the_wrong_way_round_is_a_warning_naming_it(tmp_path):
    opps = pd.DataFrame(OPPORTUNITIES).assign(currency=["USD", "EUR", "USD", "EUR"])
    folder = write_tables(tmp_path / "ds", {"reps": REPS, "opportunities": opps,
                                            "accounts": ACCOUNTS},
                          "currency_rates: {EUR: 925.0}\nas_of: 2025-06-30\n")  # fmt: skip
    ds = load_dataset(folder)
    w = ds.warnings[ds.warnings["check"] == "converted_amount_outlier"]
    assert set(w["key"]) == {"O2", "O4"}
    assert w["reason"].str.contains("EUR at 925").all()
    assert w["reason"].str.contains("wrong way round").all()
    sane = write_tables(tmp_path / "ok", {"reps": REPS, "opportunities": opps,
                                          "accounts": ACCOUNTS},
                        "currency_rates: {EUR: 1.08}\nas_of: 2025-06-30\n")  # fmt: skip
    assert load_dataset(sane).warnings.empty


def test_ids_differing_only_by_case_are_two_records(tmp_path):
    reps = [*REPS, dict(REPS[0], rep_id="r1", name="Another Ann")]
    opps = pd.DataFrame(OPPORTUNITIES).assign(rep_id=["R1", "r1", "R2", "r2"])
    folder = write_tables(tmp_path / "ds", {"reps": reps, "opportunities": opps,
                                            "accounts": ACCOUNTS})  # fmt: skip
    ds = load_dataset(folder)
    owners = ds.opportunities.set_index("opportunity_id")["rep_id"]
    assert owners.to_dict() == {"O1": "R1", "O2": "r1", "O3": "R2", "O4": "R2"}  # r2 -> R2
    assert ds.quarantine.empty
    # a reference that matches two keys ignoring case is quarantined, not guessed
    reps2 = [*REPS, dict(REPS[0], rep_id="Ab", name="A"), dict(REPS[0], rep_id="aB", name="B")]
    opps2 = pd.DataFrame(OPPORTUNITIES).assign(rep_id=["R1", "ab", "Ab", "aB"])
    folder = write_tables(tmp_path / "ds3", {"reps": reps2, "opportunities": opps2,
                                             "accounts": ACCOUNTS})  # fmt: skip
    ds = load_dataset(folder)
    q = ds.quarantine
    assert q["check"].tolist() == ["ambiguous_rep_id"] and q["key"].tolist() == ["O2"]
    assert "'Ab', 'aB'" in q["reason"].item()
