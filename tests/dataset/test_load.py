"""load_dataset: typed tables, fatal errors that name file/column/rows, counted quarantine."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from spm_lib import DataError, load_dataset
from tests.helpers import OPPORTUNITIES, REPS, spm


def _with(rows: list[dict], index: int, **changes: str) -> list[dict]:
    out = [dict(r) for r in rows]
    out[index].update(changes)
    return out


def test_valid_data_loads_with_canonical_dtypes(make_dataset):
    ds = load_dataset(make_dataset())
    opps = ds.opportunities
    assert len(opps) == 4 and ds.quarantine.empty
    assert opps["created_date"].dtype == "datetime64[ns]"
    assert opps["amount"].dtype == "float64"
    assert opps["is_won"].dtype == bool and opps["is_closed"].dtype == bool
    assert opps["rep_id"].dtype == "str"
    assert opps.loc[opps.opportunity_id == "O2", "amount"].item() == 2500.5
    assert pd.isna(opps.loc[opps.opportunity_id == "O3", "account_id"].item())
    assert ds.reps["end_date"].notna().sum() == 1
    assert ds["accounts"]["employees"].dtype == "Int64"
    # optional columns that the file lacks exist, empty
    assert opps["forecast_category"].isna().all()


def test_as_of_is_latest_created_or_modified_date_unless_configured(make_dataset):
    # the latest creation is O4 on 2025-03-01; its close on 2025-03-20 is not a snapshot date
    ds = load_dataset(make_dataset())
    assert ds.as_of == dt.date(2025, 3, 1)
    late = ds.warnings[ds.warnings["check"] == "closed_after_as_of"]
    assert late["key"].tolist() == ["O4"] and "counted in the period" in late["reason"].item()
    ds = load_dataset(make_dataset(yaml="as_of: 2025-06-30\n"))
    assert ds.as_of == dt.date(2025, 6, 30) and ds.warnings.empty
    # a modified date, a planned close date in the future of a lost deal
    rows = [dict(r, modified_date="2025-03-25") for r in OPPORTUNITIES]
    rows[1] = dict(rows[1], close_date="2025-12-15")
    ds = load_dataset(make_dataset(opportunities=rows))
    assert ds.as_of == dt.date(2025, 3, 25)


def test_flags_are_derived_from_stage_when_absent(make_dataset):
    rows = [{k: v for k, v in r.items() if k not in ("is_closed", "is_won")} for r in OPPORTUNITIES]
    opps = load_dataset(make_dataset(opportunities=rows)).opportunities.set_index("opportunity_id")
    assert opps["is_won"].to_dict() == {"O1": True, "O2": False, "O3": False, "O4": True}
    assert opps["is_closed"].to_dict() == {"O1": True, "O2": True, "O3": False, "O4": True}


def test_missing_required_table_is_fatal(make_dataset):
    folder = make_dataset(opportunities=None)
    with pytest.raises(DataError, match="required table opportunities is missing") as err:
        load_dataset(folder)
    assert err.value.table == "opportunities"


def test_missing_required_column_names_file_and_column(make_dataset):
    rows = [{k: v for k, v in r.items() if k != "stage"} for r in OPPORTUNITIES]
    with pytest.raises(DataError) as err:
        load_dataset(make_dataset(opportunities=rows))
    message = str(err.value)
    assert "opportunities.csv" in message and "'stage'" in message and "expected columns" in message
    assert err.value.column == "stage"


def test_unparseable_date_column_is_fatal_with_examples(make_dataset):
    rows = [dict(r, created_date=f"{i + 1:02d}/01/2025") for i, r in enumerate(OPPORTUNITIES)]
    with pytest.raises(DataError) as err:
        load_dataset(make_dataset(opportunities=rows))
    message = str(err.value)
    assert "created_date" in message and "does not parse" in message
    assert "row 1: '01/01/2025'" in message and "YYYY-MM-DD" in message
    assert err.value.rows == [1, 2, 3]


def test_one_unparseable_date_is_quarantined(make_dataset):
    ds = load_dataset(make_dataset(opportunities=_with(OPPORTUNITIES, 1, created_date="soon")))
    q = ds.quarantine
    assert q[["table", "row", "key", "check"]].values.tolist() == [
        ["opportunities", 2, "O2", "unparseable_date"]
    ]
    assert "created_date is 'soon'" in q["reason"].item()
    assert len(ds.opportunities) == 3


def test_duplicate_key_quarantines_every_copy(make_dataset):
    reps = REPS + [dict(REPS[0], name="Ann Again")]
    ds = load_dataset(make_dataset(reps=reps))
    dupes = ds.quarantine[ds.quarantine.check == "duplicate_key"]
    assert dupes["row"].tolist() == [1, 4]
    assert "rep_id = 'R1' (2 rows)" in dupes["reason"].iloc[0]
    # R1's deals now point at a rep that is not usable: quarantined, and the reason says why
    orphans = ds.quarantine[ds.quarantine.check == "orphan_rep_id"]
    assert orphans["key"].tolist() == ["O1", "O2"]
    assert orphans["reason"].str.contains("quarantined there").all()


def test_orphan_rep_id_is_quarantined(make_dataset):
    ds = load_dataset(make_dataset(opportunities=_with(OPPORTUNITIES, 3, rep_id="R99")))
    q = ds.quarantine
    assert q["check"].tolist() == ["orphan_rep_id"]
    assert q["reason"].item() == "rep_id 'R99' is not in reps"
    assert "O4" not in set(ds.opportunities["opportunity_id"])


def test_orphan_account_only_checked_when_accounts_present(make_dataset):
    rows = _with(OPPORTUNITIES, 0, account_id="A404")
    assert load_dataset(make_dataset(opportunities=rows)).quarantine["check"].tolist() == [
        "orphan_account_id"
    ]
    assert load_dataset(make_dataset(opportunities=rows, accounts=None)).quarantine.empty


def test_negative_amount_is_quarantined(make_dataset):
    ds = load_dataset(make_dataset(opportunities=_with(OPPORTUNITIES, 2, amount="-40")))
    q = ds.quarantine
    assert q["check"].tolist() == ["negative_amount"] and q["value"].item() == "-40.0"
    assert "expected amount >= 0" in q["reason"].item()


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ({"stage": "Proposal", "is_closed": "false", "is_won": "true"}, "won_not_closed"),
        ({"amount": "lots"}, "unparseable_number"),
        ({"is_won": "maybe"}, "unparseable_bool"),
        ({"rep_id": ""}, "empty_rep_id"),
        ({"stage": "Closed Won", "is_won": "false"}, "won_flag_disagrees_with_stage"),
    ],
)
def test_row_level_checks_quarantine_with_reason(make_dataset, changes, check):
    ds = load_dataset(make_dataset(opportunities=_with(OPPORTUNITIES, 0, **changes)))
    assert check in set(ds.quarantine["check"]), ds.quarantine
    assert set(ds.quarantine["row"]) == {1}
    recon = ds.reconciliation().set_index("table")
    assert recon.loc["opportunities", "rows_quarantined"] == 1
    assert recon["reconciles"].all()


def test_rows_read_equal_rows_used_plus_quarantined(make_dataset):
    rows = _with(_with(OPPORTUNITIES, 0, amount="-1", is_won="maybe"), 2, rep_id="R77")
    rows = _with(rows, 1, close_date="2024-01-01")  # closed before created: a warning
    ds = load_dataset(make_dataset(opportunities=rows))
    recon = ds.reconciliation().set_index("table")
    assert recon.loc["opportunities"].to_dict() == {
        "rows_read": 4,
        "rows_used": 2,
        "rows_quarantined": 2,
        "reconciles": True,
        "rows_warned": 2,  # O2 closed before created; O4 closed after the as-of date
    }
    # a row failing two checks is listed under both, counted once
    assert (ds.quarantine["row"] == 1).sum() == 2


def test_empty_file_and_unreadable_file_are_fatal(make_dataset):
    folder = make_dataset()
    (folder / "accounts.csv").write_text("")
    with pytest.raises(DataError, match="accounts.csv: the file is empty"):
        load_dataset(folder)
    (folder / "accounts.csv").write_bytes(b'account_id,name\n"A1,unterminated\n')
    with pytest.raises(DataError, match="cannot read table accounts"):
        load_dataset(folder)


def test_header_only_optional_table_loads_empty(make_dataset):
    folder = make_dataset()
    (folder / "accounts.csv").write_text("account_id,name\n")
    ds = load_dataset(folder)
    assert len(ds["accounts"]) == 0 and ds.rows_read["accounts"] == 0


def test_parquet_tables_load_like_csv(make_dataset, tmp_path):
    csv_folder = make_dataset()
    pq_folder = tmp_path / "parquet"
    pq_folder.mkdir()
    for name in ("reps", "opportunities", "accounts"):
        frame = pd.read_csv(csv_folder / f"{name}.csv", dtype=str, keep_default_na=False)
        frame.to_parquet(pq_folder / f"{name}.parquet")
    a, b = load_dataset(csv_folder), load_dataset(pq_folder)
    pd.testing.assert_frame_equal(a.opportunities, b.opportunities)


def test_two_files_for_one_table_is_fatal(make_dataset):
    folder = make_dataset()
    pd.read_csv(folder / "reps.csv").to_parquet(folder / "reps.parquet")
    with pytest.raises(DataError, match="exactly one file per table"):
        load_dataset(folder)


def test_custom_stage_list_from_config(make_dataset):
    yaml = "stages: [New, Demo, {name: Won, won: true}, {name: Lost, lost: true}]\n"
    rows = [
        dict(r, stage={"Closed Won": "Won", "Closed Lost": "Lost"}.get(r["stage"], "Demo"))
        for r in OPPORTUNITIES
    ]
    ds = load_dataset(make_dataset(yaml=yaml, opportunities=rows))
    assert ds.quarantine.empty
    assert ds.config.open_stages == ["New", "Demo"]


def test_fingerprint_changes_with_content(make_dataset):
    a = load_dataset(make_dataset())
    b = load_dataset(make_dataset())
    c = load_dataset(make_dataset(opportunities=_with(OPPORTUNITIES, 0, amount="1001")))
    assert a.fingerprint == b.fingerprint != c.fingerprint
    assert len(a.fingerprint) == 64


def test_narrow_restricts_every_table_and_keeps_company(make_dataset):
    ds = load_dataset(make_dataset())
    west = ds.narrow("region=West")
    assert set(west.reps["rep_id"]) == {"R1", "R2"}
    assert set(west.opportunities["opportunity_id"]) == {"O1", "O2", "O3"}
    assert west.audience == "region=West" and west.company is ds
    assert ds.narrow("") is ds
    with pytest.raises(DataError, match="reps has no column 'planet'"):
        ds.narrow("planet=Mars")


def test_an_audience_that_matches_nobody_is_an_error(make_dataset, tmp_path):
    """Its reports would render "ok" with $0 everywhere, as if the audience sold nothing."""
    folder = make_dataset()
    ds = load_dataset(folder)
    with pytest.raises(DataError, match="'region=Mars' matches no rep") as info:
        ds.narrow("region=Mars")
    assert "East" in str(info.value) and "West" in str(info.value)  # what it could have been
    with pytest.raises(DataError, match="matches no rep"):
        ds.narrow("region=West;team=East A")  # each clause matches someone, both no one
    result = spm(
        "run",
        "--data",
        str(folder),
        "--segment",
        "region=Mars",
        "--period",
        "2025-Q1",
        "--out",
        str(tmp_path / "out"),
        "--quiet",
    )
    assert result.returncode == 2 and "matches no rep" in result.stderr
    assert not (tmp_path / "out" / "2025-Q1" / "all").exists()


def test_narrow_quarantine_keeps_counts_not_row_details(make_dataset):
    ds = load_dataset(make_dataset(opportunities=_with(OPPORTUNITIES, 3, rep_id="R99")))
    west = ds.narrow("region=West")
    assert len(west.quarantine) == 1
    assert west.quarantine["key"].isna().all() and "R99" not in west.quarantine["reason"].item()
    assert west.reconciliation().equals(ds.reconciliation())


def test_missing_folder_is_fatal(tmp_path):
    with pytest.raises(DataError, match="no such dataset folder"):
        load_dataset(tmp_path / "nope")


def test_a_file_that_changes_while_it_is_read_is_an_error(make_dataset, monkeypatch):
    """Its figures would not be those of the fingerprinted bytes (two bookings figures under one
    fingerprint, when a folder was changed during a run)."""
    import os

    from spm_lib.dataset import load as load_module

    folder = make_dataset()
    read = load_module._read_sources

    def read_then_change(*args, **kwargs):
        found = read(*args, **kwargs)
        path = folder / "opportunities.csv"
        path.write_text(path.read_text() + "\n")
        os.utime(path, ns=(1, 1))  # a different time whatever the clock's resolution
        return found

    monkeypatch.setattr(load_module, "_read_sources", read_then_change)
    with pytest.raises(DataError, match="opportunities.csv: the file changed while it was"):
        load_dataset(folder)
    monkeypatch.setattr(load_module, "_read_sources", read)
    assert load_dataset(folder).fingerprint  # unchanged since: loads


def test_an_absent_optional_number_column_loads_empty(make_dataset):
    """opportunity_history without probability (a field-history export has none)."""
    opp = OPPORTUNITIES[0]["opportunity_id"]
    history = [
        {
            "opportunity_id": opp,
            "changed_at": "2025-01-05 09:00:00",
            "stage": "Prospecting",
            "amount": 10,
            "close_date": "2025-03-31",
            "forecast_category": "Pipeline",
        }
    ]
    ds = load_dataset(make_dataset(opportunity_history=history))
    loaded = ds.tables["opportunity_history"]
    assert loaded["probability"].dtype == "float64" and loaded["probability"].isna().all()
    assert loaded["amount"].tolist() == [10.0]


def test_latest_is_the_last_complete_quarter_in_which_a_deal_closed(make_dataset):
    """The deals close in 2025-Q1 (the conftest data); an export taken in 2026 reports on
    2025-Q1, not on an empty 2026 quarter. With no closed deal, the error names the quarters
    the deals were created in."""
    ds = load_dataset(make_dataset(yaml="as_of: 2026-06-15\n"))
    assert ds.period("latest").label == "2025-Q1" and not ds.period("latest").to_date
    assert ds.period("2026-Q2").title == "2026-Q2 to date (day 76 of 91)"
    opens = [dict(r, stage="Proposal", is_closed="false", is_won="false") for r in OPPORTUNITIES]
    none_closed = load_dataset(make_dataset(yaml="as_of: 2026-06-15\n", opportunities=opens))
    with pytest.raises(DataError, match=r"no deal closed by 2026-03-31.*created in 2025-Q1"):
        none_closed.period("latest")
