"""Mapping rules on any export: row filters, real nulls, rates pasted the wrong way round, ids
that differ by case."""

from __future__ import annotations

import pandas as pd

from spm_lib import load_dataset
from tests.helpers import ACCOUNTS, OPPORTUNITIES, REPS, write_tables

USERS = pd.DataFrame(
    {
        "User ID": ["U1", "U2", "U3", "U4"],
        "Full Name": ["Ann Lee", "Integration", "Bo Ek", "Cy"],
        "User Type": ["Standard", "AutomatedProcess", "Standard", "Standard"],
        "Team": ["West A", "", "", "East"],
    }
)


def test_where_and_exclude_leave_rows_out_with_their_reason(tmp_path):
    opps = pd.DataFrame(OPPORTUNITIES).assign(
        rep_id=["U1", "U1", "U3", "U4"], IsDeleted=["0", "1", "false", "TRUE"]
    )
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
    folder = write_tables(
        tmp_path / "ds", {"users": USERS, "opportunities": opps, "accounts": accounts}, yaml
    )
    ds = load_dataset(folder)
    assert ds.reconciliation()["reconciles"].all()
    q = ds.quarantine
    left = q[q["check"] == "excluded"].set_index(["table", "key"])["reason"]
    assert (
        "User Type is AutomatedProcess; spm.yaml keeps only User Type = 'Standard'"
        in left[("reps", "U2")]
    )
    assert set(left.loc["opportunities"].index) == {"O2", "O4"}  # 1 and TRUE are true
    assert set(q["check"]) == {"excluded"}, q
    teams = ds["reps"].set_index("rep_id")["team"]
    # a mapped value, an empty cell and a value mapped to null are real nulls, never "nan"
    assert teams["U1"] == "West Alpha" and pd.isna(teams["U3"]) and pd.isna(teams["U4"])
    assert "nan" not in set(ds["reps"]["team"].dropna())


def test_a_rate_pasted_the_wrong_way_round_is_a_warning_naming_it(tmp_path):
    opps = pd.DataFrame(OPPORTUNITIES).assign(currency=["USD", "EUR", "USD", "EUR"])
    folder = write_tables(
        tmp_path / "ds",
        {"reps": REPS, "opportunities": opps, "accounts": ACCOUNTS},
        "currency_rates: {EUR: 925.0}\nas_of: 2025-06-30\n",
    )
    ds = load_dataset(folder)
    w = ds.warnings[ds.warnings["check"] == "converted_amount_outlier"]
    assert set(w["key"]) == {"O2", "O4"}
    assert w["reason"].str.contains("EUR at 925").all()
    assert w["reason"].str.contains("wrong way round").all()
    sane = write_tables(
        tmp_path / "ok",
        {"reps": REPS, "opportunities": opps, "accounts": ACCOUNTS},
        "currency_rates: {EUR: 1.08}\nas_of: 2025-06-30\n",
    )
    assert load_dataset(sane).warnings.empty


def test_ids_differing_only_by_case_are_two_records(tmp_path):
    reps = [*REPS, dict(REPS[0], rep_id="r1", name="Another Ann")]
    opps = pd.DataFrame(OPPORTUNITIES).assign(rep_id=["R1", "r1", "R2", "r2"])
    folder = write_tables(
        tmp_path / "ds", {"reps": reps, "opportunities": opps, "accounts": ACCOUNTS}
    )
    ds = load_dataset(folder)
    owners = ds.opportunities.set_index("opportunity_id")["rep_id"]
    assert owners.to_dict() == {"O1": "R1", "O2": "r1", "O3": "R2", "O4": "R2"}  # r2 -> R2
    assert ds.quarantine.empty
    # a reference that matches two keys ignoring case is quarantined, not guessed
    reps2 = [*REPS, dict(REPS[0], rep_id="Ab", name="A"), dict(REPS[0], rep_id="aB", name="B")]
    opps2 = pd.DataFrame(OPPORTUNITIES).assign(rep_id=["R1", "ab", "Ab", "aB"])
    folder = write_tables(
        tmp_path / "ds3", {"reps": reps2, "opportunities": opps2, "accounts": ACCOUNTS}
    )
    ds = load_dataset(folder)
    q = ds.quarantine
    assert q["check"].tolist() == ["ambiguous_rep_id"] and q["key"].tolist() == ["O2"]
    assert "'Ab', 'aB'" in q["reason"].item()


def test_a_rep_missing_from_the_reps_export_never_takes_another_reps_deals(tmp_path):
    """The attack run: a rep absent from the reps export (an inactive user not exported) had
    324 deals re-pointed to the one rep whose Salesforce id differs only by case. A reference
    of Salesforce's shape matches exactly or is an orphan, quarantined and counted."""
    kept, absent = "005A0000001abcD", "005A0000001abcd"
    reps = [dict(REPS[0], rep_id=kept), *REPS[1:]]
    opps = pd.DataFrame(OPPORTUNITIES).assign(rep_id=[kept, absent, absent, "R3"])
    accounts = pd.DataFrame(ACCOUNTS).assign(owner_rep_id=[kept, "R2"])
    folder = write_tables(
        tmp_path / "ds", {"reps": reps, "opportunities": opps, "accounts": accounts}
    )
    ds = load_dataset(folder)
    owners = ds.opportunities.set_index("opportunity_id")["rep_id"]
    assert owners.to_dict() == {"O1": kept, "O4": "R3"}
    orphans = ds.quarantine[ds.quarantine["check"] == "orphan_rep_id"]
    assert orphans["key"].tolist() == ["O2", "O3"] and set(orphans["value"]) == {absent}
    assert ds.reconciliation()["reconciles"].all()


def test_a_reference_is_aligned_against_every_key_read_quarantined_ones_too(tmp_path):
    """``r1`` is a rep of the file, quarantined for a bad hire date: its deals are not handed
    to ``R1`` because that is the only *kept* key that matches ignoring case."""
    reps = [*REPS, dict(REPS[1], rep_id="r1", name="Quarantined Ann", hire_date="not a date")]
    opps = pd.DataFrame(OPPORTUNITIES).assign(rep_id=["R1", "r1", "R2", "R3"])
    folder = write_tables(
        tmp_path / "ds", {"reps": reps, "opportunities": opps, "accounts": ACCOUNTS}
    )
    ds = load_dataset(folder)
    assert "r1" in set(ds.quarantine.loc[ds.quarantine["table"] == "reps", "key"])
    owners = ds.opportunities.set_index("opportunity_id")["rep_id"]
    assert "O2" not in owners.index and owners["O1"] == "R1"
    deal = ds.quarantine[
        (ds.quarantine["table"] == "opportunities") & (ds.quarantine["key"] == "O2")
    ]
    assert len(deal) == 1 and deal["value"].item() == "r1"
