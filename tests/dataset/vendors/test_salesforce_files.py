"""A Data Export beside objects whose columns resemble the sales objects: the name decides."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from spm_lib import load_dataset
from spm_lib.dataset.vendors.objects import normalise
from spm_lib.dataset.vendors.salesforce_files import by_columns, classify
from spm_lib.exceptions import DataError
from spm_lib.importers import import_export
from tests.dataset import salesforce_export as sf

U1, U5 = "005000000000001", "005000000000005"
# look-alikes with the fields Salesforce's object reference gives them, filled so that a
# reading by a few common columns would take them for users, accounts, periods or activities
LOOK_ALIKES = {
    "TenantSecurityLogin": pd.DataFrame(
        {
            "Id": [f"0Xs{i:012d}" for i in range(6)],
            "Name": ["LoginsWithUNPW", "LoginsWithOAUTH", "LoginsWithSAML"] * 2,
            "CreatedById": [U1] * 6,
            "CreatedDate": ["2023-05-01T00:00:00.000Z"] * 6,
            "UserType": ["Standard"] * 6,
            "IsActive": ["1"] * 6,
            "IsDeleted": ["0"] * 6,
        }
    ),
    "Campaign": pd.DataFrame(
        {
            "Id": ["701A", "701B", "701C"],
            "Name": ["Webinar", "Fair", "Mail"],
            "Type": ["Year"] * 3,
            "StartDate": ["2023-07-01"] * 3,
            "EndDate": ["2024-06-30"] * 3,
            "OwnerId": [U1] * 3,
            "IsActive": ["1"] * 3,
        }
    ),
    "Quote": pd.DataFrame(
        {
            "Id": ["0Q0A"],
            "Name": ["Q-1"],
            "OpportunityId": ["006000000000001"],
            "AccountId": ["001A0000001xyzQ"],
            "BillingCountry": ["US"],
            "Industry": ["Retail"],
            "NumberOfEmployees": ["10"],
            "Status": ["Draft"],
        }
    ),
    "Contract": pd.DataFrame(
        {
            "Id": ["800A"],
            "Name": ["C-1"],
            "AccountId": ["001A0000001xyzQ"],
            "BillingCountry": ["US"],
            "Industry": ["Retail"],
            "Status": ["Activated"],
        }
    ),
    "Order": pd.DataFrame(
        {
            "Id": ["801A"],
            "Name": ["O-1"],
            "AccountId": ["001A0000001xyzQ"],
            "BillingCountry": ["US"],
            "NumberOfEmployees": ["5"],
            "Status": ["Draft"],
        }
    ),
    "Entitlement": pd.DataFrame(
        {
            "Id": ["550A"],
            "Name": ["Gold"],
            "Type": ["Year"],
            "StartDate": ["2023-07-01"],
            "EndDate": ["2024-06-30"],
        }
    ),
    "ContactMonthlyMetric": pd.DataFrame(
        {
            "Id": ["0cmA", "0cmB"],
            "OwnerId": [U1, U1],
            "WhatId": ["006000000000001"] * 2,
            "WhoId": ["003A"] * 2,
            "Status": ["Done"] * 2,
            "ActivityDate": ["2023-05-01"] * 2,
        }
    ),
    "UserMonthlyMetric": pd.DataFrame(
        {
            "Id": ["0umA"],
            "OwnerId": [U1],
            "WhatId": ["006000000000001"],
            "WhoId": ["003A"],
            "Status": ["Done"],
            "ActivityDate": ["2023-05-01"],
        }
    ),
    "VideoCall": pd.DataFrame(
        {
            "Id": ["0VCA"],
            "OwnerId": [U1],
            "StartDateTime": ["2023-05-01T10:00:00Z"],
            "IsAllDayEvent": ["0"],
            "ActivityDateTime": ["2023-05-01T10:00:00Z"],
            "DurationInMinutes": ["30"],
        }
    ),
    "Incident": pd.DataFrame(
        {
            "Id": ["0ItA"],
            "OwnerId": [U1],
            "WhatId": ["006000000000001"],
            "WhoId": ["003A"],
            "Status": ["New"],
            "StartDateTime": ["2023-05-01T10:00:00Z"],
        }
    ),
}
TASKS = pd.DataFrame(
    {
        "Id": ["00TA", "00TB"],
        "OwnerId": [U1, U5],
        "WhatId": ["006000000000001", "001A0000001xyzQ"],
        "WhoId": ["", ""],
        "Status": ["Completed"] * 2,
        "ActivityDate": ["2023-01-11", "2023-02-02"],
        "IsDeleted": ["0", "0"],
    }
)
EVENTS = pd.DataFrame(
    {
        "Id": ["00UA"],
        "OwnerId": [U1],
        "WhatId": ["006000000000003"],
        "ActivityDateTime": ["2023-02-10T15:00:00Z"],
        "DurationInMinutes": ["60"],
        "IsDeleted": ["0"],
    }
)
PERIODS = pd.DataFrame(
    {
        "Id": ["026A", "026B"],
        "Type": ["Year", "Quarter"],
        "StartDate": ["2023-02-01", "2023-02-01"],
        "EndDate": ["2024-01-31", "2023-04-30"],
        "FiscalYearSettingsId": ["022A", "022A"],
    }
)
SALES_FILES = {
    "User.csv",
    "UserRole.csv",
    "Account.csv",
    "Opportunity.csv",
    "OpportunityHistory.csv",
    "Lead.csv",
    "CurrencyType.csv",
    "Task.csv",
    "Event.csv",
    "Period.csv",
}


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    folder = sf.write(tmp_path_factory.mktemp("look-alikes") / "export")
    for name, frame in {**LOOK_ALIKES, "Task": TASKS, "Event": EVENTS, "Period": PERIODS}.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def imported(export, tmp_path_factory) -> Path:
    return import_export("salesforce", [export], tmp_path_factory.mktemp("imp") / "ds")


@pytest.fixture(scope="module")
def ds(imported):
    return load_dataset(imported)


def test_each_file_lands_where_its_name_says_or_is_not_used(export, imported):
    found = yaml.safe_load((imported / "spm.yaml").read_text())["imported_from"]
    assert set(found["files"]) == SALES_FILES
    assert all("(by its name)" in line for line in found["files"].values())
    not_used = found["not_used"]
    assert not_used["count"] == len(LOOK_ALIKES) + 1  # and Contact.csv
    assert set(not_used["reasons"]) == {"a Salesforce object this tool does not read"}


def test_counts_equal_the_raw_files(export, ds):
    users = pd.read_csv(export / "User.csv", dtype=str, encoding="latin-1")
    opps = pd.read_csv(export / "Opportunity.csv", dtype=str, encoding="latin-1")
    standard = users[users["UserType"] == "Standard"]
    owners = set(opps["OwnerId"]) & set(standard["Id"])
    assert set(ds.reps["rep_id"]) == owners
    names = ds["reps"]["name"].tolist()
    assert not any(n.startswith("Logins") for n in names)
    accounts = pd.read_csv(export / "Account.csv", dtype=str, encoding="latin-1")
    assert ds.rows_read["accounts"] == len(accounts)
    assert ds.rows_read["activities"] == len(TASKS) + len(EVENTS)
    # the fiscal year from Period (February), not from the Campaigns' or Entitlements' "Year"
    assert ds.config.fiscal_year_start_month == 2


def test_unnamed_files_are_recognised_by_an_objects_required_columns():
    user_like = normalise(LOOK_ALIKES["TenantSecurityLogin"])
    assert by_columns(user_like) is None  # Id and UserType alone make no user
    for name in ("Quote", "Contract", "Order"):
        assert by_columns(normalise(LOOK_ALIKES[name])) is None, name
    assert by_columns(normalise(LOOK_ALIKES["Campaign"])) is None
    opps = normalise(pd.DataFrame(columns=["Id", "StageName", "CloseDate", "Amount"]))
    frames = {"extract.csv": opps, "bulkQuery_result.csv": user_like}
    kinds = {r.name: (r.kind, r.how) for r in classify(frames)}
    assert kinds["extract.csv"] == ("Opportunity", "columns")
    assert kinds["bulkQuery_result.csv"][0] is None


def test_two_files_of_one_object_are_one_when_their_columns_agree(tmp_path):
    folder = sf.write(tmp_path / "export")
    opps = pd.read_csv(folder / "Opportunity.csv", dtype=str, encoding="latin-1")
    (folder / "Opportunity.csv").unlink()
    opps.iloc[:4].to_csv(folder / "Opportunities 2023 a.csv", index=False)
    opps.iloc[4:].to_csv(folder / "Opportunities 2023 b.csv", index=False)
    ds = load_dataset(import_export("salesforce", [folder], tmp_path / "ds"))
    assert ds.rows_read["opportunities"] == len(opps)
    opps.iloc[4:].drop(columns=["LeadSource"]).to_csv(
        folder / "Opportunities 2023 b.csv", index=False
    )
    with pytest.raises(DataError, match=r"Opportunities 2023 a\.csv and Opportunities 2023 b"):
        import_export("salesforce", [folder], tmp_path / "ds2")
