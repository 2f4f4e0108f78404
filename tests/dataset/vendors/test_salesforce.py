"""Salesforce objects by API name: a Data Export with real quirks, each with its exact outcome."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

from spm_lib import load_dataset
from spm_lib.dataset.vendors.objects import key
from spm_lib.importers import import_export
from spm_lib.measures import metrics
from tests.dataset import salesforce_export as sf


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    return sf.write(tmp_path_factory.mktemp("sf") / "export")


@pytest.fixture(scope="module")
def imported(export, tmp_path_factory) -> Path:
    return import_export("salesforce", [export], tmp_path_factory.mktemp("sf") / "dataset")


@pytest.fixture(scope="module")
def ds(imported):
    return load_dataset(imported)


def test_column_keys_are_one_spelling_for_exports_and_warehouses():
    assert key("StageName") == key("stage_name") == key("Stage Name") == "stagename"
    assert key("Territory2Id") == key("territory_2_id")


def test_the_export_reads_with_its_latin1_and_nul_byte(export, ds):
    raw = (export / "Opportunity.csv").read_bytes()
    assert b"\x00" in raw and "Müller".encode("latin-1") in raw
    assert ds.rows_read["opportunities"] == len(sf.OPPORTUNITIES)
    names = ds["reps"].set_index("rep_id")["name"]
    assert names["005000000000001"] == "José Müller"


def test_every_row_is_accounted_for_with_its_reason(ds):
    assert ds.reconciliation()["reconciles"].all()
    q = ds.quarantine.set_index(["table", "key"])["check"]
    assert q[("opportunities", "006000000000005")] == "excluded"  # IsDeleted = 1
    assert q[("accounts", "001A0000001gone")] == "excluded"
    # Salesforce ids are case-sensitive: a reference in another case is an orphan, never folded
    assert q[("opportunities", "006000000000008")] == "orphan_account_id"
    assert q[("opportunities", "006000000000009")] == "orphan_account_id"
    assert len(ds.quarantine) == 4, ds.quarantine


def test_ids_that_differ_by_case_are_never_merged(ds):
    accounts = ds["accounts"]["account_id"].tolist()
    assert "001A0000001abcD" in accounts and "001A0000001abcd" in accounts
    opps = ds.opportunities.set_index("opportunity_id")
    assert opps.loc["006000000000001", "account_id"] == "001A0000001abcD"  # exact: as it is
    assert opps.loc["006000000000002", "account_id"] == "001A0000001abcd"
    # a Salesforce-shaped reference that matches a key only ignoring case is not re-pointed
    assert "006000000000009" not in opps.index and "006000000000008" not in opps.index
    reason = ds.quarantine.loc[ds.quarantine["key"] == "006000000000009", "reason"].item()
    assert "001a0000001xyzq" in reason


def test_sentinel_ids_are_empty_references(ds):
    opps = ds.opportunities.set_index("opportunity_id")
    assert pd.isna(opps.loc["006000000000006", "account_id"])
    leads = ds["leads"].set_index("lead_id")
    assert pd.isna(leads.loc["00Q000000000002", "opportunity_id"])
    assert leads["converted_date"].notna().sum() == 1  # only the converted lead
    assert pd.isna(leads.loc["00Q000000000003", "owner_rep_id"])  # owned by a queue
    assert leads["disqualified_date"].notna().sum() == 1  # "Closed - Not Converted"


def test_timestamps_become_dates_so_a_same_day_deal_is_not_closed_before_created(ds):
    opps = ds.opportunities.set_index("opportunity_id")
    assert opps.loc["006000000000002", "created_date"] == pd.Timestamp("2023-02-01")
    warned = ds.warnings.set_index("key")["check"]
    assert "006000000000002" not in warned.index or warned["006000000000002"] != (
        "closed_before_created"
    )


def test_odd_but_real_deals_stay_in_the_figures_with_warnings(ds):
    w = ds.warnings.groupby("check")["key"].apply(sorted).to_dict()
    assert w["won_with_zero_amount"] == ["006000000000002"]
    assert w["closed_before_created"] == ["006000000000004"]
    assert w["closed_after_as_of"] == ["006000000000007"]
    # the lost deals of a rep who left: owned after the end date
    assert w["owned_after_rep_left"] == ["006000000000004", "006000000000007"]
    assert set(ds.warnings["key"]) <= set(ds.opportunities["opportunity_id"])


def test_as_of_is_the_snapshot_never_a_planned_close_date(ds):
    # the latest created or modified timestamp (2023-06-30 18:00 UTC), not 2023-12-15
    assert ds.as_of == dt.date(2023, 6, 30)


def test_currency_rates_are_turned_into_corporate_units_per_unit(imported, ds):
    config = yaml.safe_load((imported / "spm.yaml").read_text())
    assert config["currency"] == "USD"
    assert config["currency_rates"]["EUR"] == pytest.approx(1 / sf.EUR_PER_USD)
    amount = ds.opportunities.set_index("opportunity_id").loc["006000000000003", "amount"]
    assert amount == pytest.approx(900 / sf.EUR_PER_USD)


def test_bookings_and_win_counts_equal_the_raw_files(export, ds):
    raw = sf.raw_bookings(export)
    # the two deals quarantined (accounts in another case) are the only difference, and named
    orphans = ds.quarantine[ds.quarantine["check"] == "orphan_account_id"]
    assert orphans["key"].tolist() == ["006000000000008", "006000000000009"]
    raw.loc["2023-Q1", "won_amount"] -= 300 + 400
    raw.loc["2023-Q1", "won"] -= 2
    for quarter, expected in raw.iterrows():
        period = ds.period(quarter)
        booked = metrics.bookings(ds, period, None).iloc[0]
        rate = metrics.win_rate(ds, period, None).iloc[0]
        assert booked["bookings"] == pytest.approx(expected["won_amount"]), quarter
        assert (rate["won"], rate["lost"]) == (expected["won"], expected["lost"]), quarter
    # the won deal at $0 is a win: 006..1, 006..2 ($0) and 006..3 (006..8, 006..9 orphans)
    q1 = metrics.win_rate(ds, ds.period("2023-Q1"), None).iloc[0]
    assert q1["won"] == 3


def test_history_keeps_every_change_and_stage_entries_are_the_stage_changes(ds):
    history = ds["opportunity_history"]
    assert len(history) == len(sf.HISTORY)
    one = history[history["opportunity_id"] == "006000000000001"]
    assert one["amount"].tolist() == [800, 1000, 1000, 1000, 1000]
    entries = ds["stage_history"]
    mine = entries[entries["opportunity_id"] == "006000000000001"]
    assert mine["stage"].tolist() == ["Prospecting", "Proposal/Price Quote", "Closed Won"]
    # independent: rows where the stage differs from the previous row of the same deal
    raw = pd.DataFrame(sf.HISTORY, columns=["opp", "at", "stage", "amount", "close"])
    changed = raw["stage"] != raw.groupby("opp")["stage"].shift()
    assert len(entries) == int(changed.sum()) == 7  # a stage entered again is a new entry
    again = entries[entries["opportunity_id"] == "006000000000006"]["stage"].tolist()
    assert again == ["Prospecting", "Proposal/Price Quote", "Prospecting", "Proposal/Price Quote"]


def test_who_sells(imported, ds):
    # reps own a deal (José; Lea, who left) or hold a selling role; the manager Ana Boss owns
    # no deal and holds the parent role, Old Timer is inactive in a selling role with no deal
    assert set(ds.reps["rep_id"]) == {"005000000000001", "005000000000005"}
    # users who are not reps and own nothing the tables refer to are not in reps at all
    assert set(ds["reps"]["rep_id"]) == {"005000000000001", "005000000000005"}
    reps = ds["reps"].set_index("rep_id")
    assert reps.loc["005000000000005", "end_date"] == pd.Timestamp("2023-03-15")
    assert pd.isna(reps.loc["005000000000001", "end_date"])
    assert reps.loc["005000000000001", "manager"] == "Ana Boss"
    assert reps.loc["005000000000001", "team"] == "West AE"
    assert reps.loc["005000000000001", "region"] == "West"
    assert reps.loc["005000000000001", "role_path"] == "West > West AE"
    people = yaml.safe_load((imported / "spm.yaml").read_text())["imported_from"]["people"]
    assert people["users"] == len(sf.USERS) and people["reps"] == 2
    assert people["left_out"] == {
        "an automated, integration or non-standard user": 2,
        "inactive, owning no deal": 1,
        "no deal, quota or selling role": 1,
    }


def test_a_non_seller_who_owns_records_is_kept_and_never_a_rep(export, tmp_path):
    accounts = pd.read_csv(export / "Account.csv", dtype=str, encoding="latin-1")
    accounts.loc[2, "OwnerId"] = "005000000000003"  # the integration user owns an account
    folder = tmp_path / "export"
    folder.mkdir()
    for path in export.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    accounts.to_csv(folder / "Account.csv", index=False, encoding="latin-1")
    ds = load_dataset(import_export("salesforce", [folder], tmp_path / "ds"))
    reps = ds["reps"].set_index("rep_id")
    assert reps.loc["005000000000003", "role"] == "Non-seller"
    assert "005000000000003" not in set(ds.reps["rep_id"])
    owned = ds["accounts"].set_index("account_id")["owner_rep_id"]
    assert owned["001A0000001xyzQ"] == "005000000000003"  # kept: its owner resolves


def test_a_user_without_name_is_named_first_and_last(tmp_path):
    from spm_lib.dataset.vendors.salesforce_users import user_names

    users = pd.DataFrame(
        {
            "id": ["1", "2", "3"],
            "name": ["Ann Lee", None, ""],
            "firstname": ["x", "Bo", None],
            "lastname": ["y", "Ek", "Ulm"],
        }
    )
    assert user_names(users).tolist() == ["Ann Lee", "Bo Ek", "Ulm"]


def test_stage_order_and_won_lost_come_from_the_data(imported):
    stages = yaml.safe_load((imported / "spm.yaml").read_text())["stages"]
    assert stages[:2] == ["Prospecting", "Proposal/Price Quote"]
    assert {"name": "Closed Won", "won": True} in stages
    assert {"name": "Closed Lost", "lost": True} in stages


def test_a_zip_of_the_export_imports_the_same(export, imported, tmp_path):
    archive = tmp_path / "WE_00D000000000001_1.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in export.iterdir():
            z.write(path, f"export/{path.name}")
    again = import_export("salesforce", [archive], tmp_path / "from-zip")
    for name in ("opportunities.csv", "reps.csv", "opportunity_history.csv"):
        assert (again / name).read_bytes() == (imported / name).read_bytes()


def test_timezone_decides_the_date_of_a_timestamp_with_an_offset(tmp_path):
    export = sf.write(tmp_path / "export")
    opps = pd.read_csv(export / "Opportunity.csv", encoding="latin-1", dtype=str)
    opps.loc[0, "CreatedDate"] = "2023-04-01T03:00:00.000Z"  # 2023-03-31 20:00 in Los Angeles
    opps.to_csv(export / "Opportunity.csv", index=False, encoding="latin-1")
    folder = import_export("salesforce", [export], tmp_path / "ds")
    created = load_dataset(folder).opportunities.set_index("opportunity_id")["created_date"]
    assert created["006000000000001"] == pd.Timestamp("2023-04-01")  # its own (UTC) date
    config = folder / "spm.yaml"
    config.write_text(config.read_text() + "timezone: America/Los_Angeles\n")
    created = load_dataset(folder).opportunities.set_index("opportunity_id")["created_date"]
    assert created["006000000000001"] == pd.Timestamp("2023-03-31")


def _objects(folder: Path) -> Path:
    """The other objects a Data Export may hold, small, with their documented columns."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = {
        "User": pd.DataFrame(
            {
                "Id": ["005A", "005B"],
                "Name": ["Ann", "Bo"],
                "UserType": ["Standard", "Standard"],
                "IsActive": ["1", "1"],
            }
        ),
        "Opportunity": pd.DataFrame(
            {
                "Id": ["006A", "006B"],
                "OwnerId": ["005A", "005B"],
                "StageName": ["Won", "Talk"],
                "Amount": ["1000", "2000"],
                "CurrencyIsoCode": ["EUR", "USD"],
                "CreatedDate": ["2024-01-02T10:00:00Z", "2024-02-01T10:00:00Z"],
                "CloseDate": ["2024-03-15", "2024-09-30"],
                "IsClosed": ["true", "false"],
                "IsWon": ["true", "false"],
                "IsDeleted": ["false", "false"],
            }
        ),
        "OpportunityFieldHistory": pd.DataFrame(
            {
                "Id": ["017A", "017B", "017C", "017D"],
                "OpportunityId": ["006A"] * 3 + ["006B"],
                "CreatedDate": [
                    "2024-01-02T10:00:00Z",
                    "2024-02-01T10:00:00Z",
                    "2024-03-15T10:00:00Z",
                    "2024-06-01T10:00:00Z",
                ],
                "Field": ["created", "Amount", "StageName", "CloseDate"],
                "OldValue": ["", "800", "Talk", "2024-06-30"],
                "NewValue": ["", "1000", "Won", "2024-09-30"],
                "IsDeleted": ["false"] * 4,
            }
        ),
        "OpportunitySplit": pd.DataFrame(
            {
                "Id": ["149A", "149B", "149C"],
                "OpportunityId": ["006A", "006A", "006A"],
                "SplitOwnerId": ["005A", "005B", "005B"],
                "SplitPercentage": ["60", "40", "100"],
                "SplitTypeId": ["Revenue", "Revenue", "Overlay"],
                "IsDeleted": ["0", "0", "0"],
            }
        ),
        "DatedConversionRate": pd.DataFrame(
            {
                "IsoCode": ["EUR", "EUR"],
                "ConversionRate": ["0.8", "0.5"],
                "StartDate": ["2024-01-01", "2024-04-01"],
                "NextStartDate": ["2024-04-01", "9999-12-31"],
            }
        ),
        "CurrencyType": pd.DataFrame(
            {
                "IsoCode": ["USD", "EUR"],
                "ConversionRate": ["1", "0.9"],
                "IsCorporate": ["true", "false"],
            }
        ),
        "FiscalYearSettings": pd.DataFrame(
            {"Id": ["022A"], "StartMonth": ["2"], "Name": ["FY2024"]}
        ),
        "Organization": pd.DataFrame({"Id": ["00DA"], "TimeZoneSidKey": ["Europe/Berlin"]}),
        "ForecastingQuota": pd.DataFrame(
            {
                "Id": ["0J9A", "0J9B"],
                "QuotaOwnerId": ["005A", "005B"],
                "StartDate": ["2024-02-01", "2024-02-01"],
                "QuotaAmount": ["5000", "4000"],
            }
        ),
        "Task": pd.DataFrame(
            {
                "Id": ["00TA"],
                "OwnerId": ["005A"],
                "WhatId": ["006A"],
                "ActivityDate": ["2024-01-10"],
                "TaskSubtype": ["Call"],
                "IsDeleted": ["0"],
            }
        ),
        "Event": pd.DataFrame(
            {
                "Id": ["00UA"],
                "OwnerId": ["005B"],
                "WhatId": ["001X"],
                "ActivityDateTime": ["2024-02-10T15:00:00Z"],
                "IsDeleted": ["0"],
            }
        ),
    }
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def test_the_other_objects_of_an_export(tmp_path):
    folder = import_export("salesforce", [_objects(tmp_path / "export")], tmp_path / "ds")
    config = yaml.safe_load((folder / "spm.yaml").read_text())
    assert config["fiscal_year_start_month"] == 2 and config["timezone"] == "Europe/Berlin"
    ds = load_dataset(folder)
    assert ds.reconciliation()["reconciles"].all() and ds.quarantine.empty, ds.quarantine
    opps = ds.opportunities.set_index("opportunity_id")
    # the EUR deal closed 2024-03-15 is converted at that date's rate (0.8 EUR per USD)
    assert opps.loc["006A", "amount"] == pytest.approx(1000 / 0.8)
    assert float(opps.loc["006A", "amount_original"]) == 1000  # what Salesforce holds
    # field history rebuilt as the state after each change
    h = ds["opportunity_history"].set_index(["opportunity_id", "changed_at"]).sort_index()
    a = h.loc["006A"]
    assert a["stage"].tolist() == ["Talk", "Talk", "Won"]
    assert a["amount"].tolist() == pytest.approx([800 / 0.8, 1000 / 0.8, 1000 / 0.8])
    b = h.loc["006B"]
    assert b["close_date"].tolist() == [pd.Timestamp("2024-09-30")]
    # the revenue split type, not the overlay
    splits = ds["opportunity_splits"]
    assert sorted(splits["share"].tolist()) == [0.4, 0.6]
    assert ds["quotas"]["amount"].sum() == 9000
    activities = ds["activities"].set_index("activity_id")
    assert activities.loc["00TA", "opportunity_id"] == "006A"
    assert pd.isna(activities.loc["00UA", "opportunity_id"])  # an account, not a deal
    assert activities.loc["00UA", "date"] == pd.Timestamp("2024-02-10")
    assert ds.period("FY2025").start.isoformat() == "2024-02-01"


def test_spm_import_says_what_each_file_is_and_whom_it_left_out(export, tmp_path, capsys):
    from spm_lib.suite.cli import main

    assert main(["import", "--from", "salesforce", "--out", str(tmp_path / "ds"), str(export)]) == 0
    out = capsys.readouterr().out
    assert (
        "Opportunity.csv: Opportunity (by its name), 9 rows; left out: 1 deleted at the "
        "source" in out
    )
    assert (
        "files not used: 1 (1 a Salesforce object this tool does not read (such as Contact))" in out
    )
    assert "4 of 6 users are not reps: 0 kept as Non-seller" in out
    assert "2 an automated, integration or non-standard user" in out


def test_territories_and_profiles_say_team_region_and_who_sells(tmp_path):
    folder = _objects(tmp_path / "export")
    users = pd.read_csv(folder / "User.csv", dtype=str)
    users["ProfileId"] = ["00eS", "00eA"]
    users.to_csv(folder / "User.csv", index=False)
    pd.DataFrame(
        {
            "Id": ["00eS", "00eA"],
            "Name": ["Standard User", "System Administrator"],
            "UserLicenseId": ["100A", "100A"],
        }
    ).to_csv(folder / "Profile.csv", index=False)
    pd.DataFrame(
        {
            "Id": ["0MIW", "0MIN"],
            "Name": ["West", "West North"],
            "ParentTerritory2Id": ["", "0MIW"],
            "Territory2ModelId": ["0MCA", "0MCA"],
        }
    ).to_csv(folder / "Territory2.csv", index=False)
    pd.DataFrame({"Id": ["0R0A"], "UserId": ["005A"], "Territory2Id": ["0MIN"]}).to_csv(
        folder / "UserTerritory2Association.csv", index=False
    )
    ds = load_dataset(import_export("salesforce", [folder], tmp_path / "ds"))
    reps = ds["reps"].set_index("rep_id")
    assert (reps.loc["005A", "team"], reps.loc["005A", "region"]) == ("West North", "West")
    assert reps.loc["005B", "role"] == "Non-seller"  # a system administrator
    assert set(ds.reps["rep_id"]) == {"005A"}
