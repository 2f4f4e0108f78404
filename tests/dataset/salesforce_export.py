"""A small Salesforce Data Export (API names, one CSV per object) with the quirks of real ones.

Written in Latin-1 with a NUL byte inside a rich-text field; 0/1 booleans; CreatedDate as a
UTC timestamp beside CloseDate as a date; a deleted row; the all-zero sentinel id; corporate
USD with EUR at 0.9 EUR per USD (Salesforce's convention: units per corporate unit); history
rows on amount and close-date changes; two accounts whose 15-character ids differ only by case;
a deal closed the day it was created; a won deal at $0; a back-dated deal; a lost deal whose
close date lies after the export; automated, integration and inactive users.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SENTINEL = "000000000000000AAA"
EUR_PER_USD = 0.9

USERS = [
    # Id, Name, Username, UserType, IsActive, ManagerId, UserRoleId, Division, LastModifiedDate
    (
        "005000000000001",
        "José Müller",
        "jose@acme.example",
        "Standard",
        "1",
        "005000000000006",
        "00E000000000001",
        "",
        "2023-01-02T10:00:00.000Z",
    ),
    (
        "005000000000002",
        "Automated Process",
        "autoproc@00d.example",
        "AutomatedProcess",
        "1",
        SENTINEL,
        "",
        "",
        "2022-01-01T00:00:00.000Z",
    ),
    (
        "005000000000003",
        "Integration User",
        "integration@acme.example",
        "Standard",
        "1",
        SENTINEL,
        "",
        "",
        "2022-01-01T00:00:00.000Z",
    ),
    (
        "005000000000004",
        "Old Timer",
        "old@acme.example",
        "Standard",
        "0",
        SENTINEL,
        "00E000000000001",
        "",
        "2022-06-30T12:00:00.000Z",
    ),
    (
        "005000000000005",
        "Lea Left",
        "lea@acme.example",
        "Standard",
        "0",
        "005000000000006",
        "00E000000000001",
        "",
        "2023-03-15T12:00:00.000Z",
    ),
    (
        "005000000000006",
        "Ana Boss",
        "ana@acme.example",
        "Standard",
        "1",
        SENTINEL,
        "00E000000000000",
        "",
        "2022-01-01T00:00:00.000Z",
    ),
]
ROLES = [("00E000000000000", "West", ""), ("00E000000000001", "West AE", "00E000000000000")]
ACCOUNTS = [
    ("001A0000001abcD", "Acme GmbH", "Retail", "0"),
    ("001A0000001abcd", "acme inc", "Energy", "0"),  # differs from the first only by case
    ("001A0000001xyzQ", "Zeta", "Retail", "0"),
    ("001A0000001gone", "Gone Ltd", "Retail", "1"),  # deleted
]
# Id, OwnerId, AccountId, StageName, Amount, Currency, CreatedDate, CloseDate, IsClosed, IsWon,
# IsDeleted, Name
OPPORTUNITIES = [
    (
        "006000000000001",
        "005000000000001",
        "001A0000001abcD",
        "Closed Won",
        "1000",
        "USD",
        "2023-01-10T09:00:00.000Z",
        "2023-01-23",
        "1",
        "1",
        "0",
        "Deal one",
    ),
    (
        "006000000000002",
        "005000000000001",
        "001A0000001abcd",
        "Closed Won",
        "0",
        "USD",
        "2023-02-01T21:24:51.000Z",
        "2023-02-01",
        "1",
        "1",
        "0",
        "Same day, zero",
    ),
    (
        "006000000000003",
        "005000000000001",
        "001A0000001xyzQ",
        "Closed Won",
        "900",
        "EUR",
        "2023-02-05T08:00:00.000Z",
        "2023-03-20",
        "1",
        "1",
        "0",
        "Euro deal",
    ),
    (
        "006000000000004",
        "005000000000005",
        "001A0000001xyzQ",
        "Closed Lost",
        "500",
        "USD",
        "2023-04-10T08:00:00.000Z",
        "2023-01-05",
        "1",
        "0",
        "0",
        "Back-dated",
    ),
    (
        "006000000000005",
        "005000000000001",
        "001A0000001xyzQ",
        "Closed Won",
        "7000",
        "USD",
        "2023-02-10T08:00:00.000Z",
        "2023-02-20",
        "1",
        "1",
        "1",
        "Deleted",
    ),
    (
        "006000000000006",
        "005000000000001",
        SENTINEL,
        "Proposal/Price Quote",
        "2500",
        "USD",
        "2023-05-02T08:00:00.000Z",
        "2023-07-31",
        "0",
        "0",
        "0",
        "Open, no account",
    ),
    (
        "006000000000007",
        "005000000000005",
        "001A0000001xyzQ",
        "Closed Lost",
        "800",
        "USD",
        "2023-05-20T08:00:00.000Z",
        "2023-12-15",
        "1",
        "0",
        "0",
        "Lost, planned close",
    ),
    (
        "006000000000008",
        "005000000000001",
        "001a0000001ABCD",
        "Closed Won",
        "300",
        "USD",
        "2023-03-01T08:00:00.000Z",
        "2023-03-02",
        "1",
        "1",
        "0",
        "Ambiguous account",
    ),
    (
        "006000000000009",
        "005000000000001",
        "001a0000001xyzq",
        "Closed Won",
        "400",
        "USD",
        "2023-03-03T08:00:00.000Z",
        "2023-03-04",
        "1",
        "1",
        "0",
        "Account in lower case",
    ),
]
# OpportunityId, CreatedDate, StageName, Amount, CloseDate
HISTORY = [
    ("006000000000001", "2023-01-10T09:00:00.000Z", "Prospecting", "800", "2023-02-28"),
    ("006000000000001", "2023-01-12T09:00:00.000Z", "Prospecting", "1000", "2023-02-28"),
    ("006000000000001", "2023-01-15T09:00:00.000Z", "Prospecting", "1000", "2023-01-31"),
    ("006000000000001", "2023-01-18T09:00:00.000Z", "Proposal/Price Quote", "1000", "2023-01-31"),
    ("006000000000001", "2023-01-23T17:00:00.000Z", "Closed Won", "1000", "2023-01-23"),
    ("006000000000006", "2023-05-02T08:00:00.000Z", "Prospecting", "2500", "2023-06-30"),
    ("006000000000006", "2023-05-09T08:00:00.000Z", "Proposal/Price Quote", "2500", "2023-06-30"),
    ("006000000000006", "2023-06-20T08:00:00.000Z", "Proposal/Price Quote", "2500", "2023-07-31"),
    ("006000000000006", "2023-06-25T08:00:00.000Z", "Prospecting", "2500", "2023-07-31"),
    ("006000000000006", "2023-06-28T08:00:00.000Z", "Proposal/Price Quote", "2500", "2023-07-31"),
]
LEADS = [
    # Id, OwnerId, CreatedDate, IsConverted, ConvertedDate, ConvertedOpportunityId, Status
    (
        "00Q000000000001",
        "005000000000001",
        "2023-01-05T10:00:00.000Z",
        "1",
        "2023-01-10",
        "006000000000001",
        "Closed - Converted",
    ),
    (
        "00Q000000000002",
        "005000000000001",
        "2023-01-06T10:00:00.000Z",
        "0",
        "",
        SENTINEL,
        "Open - Not Contacted",
    ),
    (
        "00Q000000000003",
        "00G000000000001",
        "2023-01-07T10:00:00.000Z",
        "0",
        "",
        SENTINEL,
        "Closed - Not Converted",
    ),
]
EXPORT_DATE = "2023-06-30T18:00:00.000Z"


def _write(path: Path, rows: list[tuple], columns: list[str]) -> None:
    frame = pd.DataFrame(rows, columns=columns)
    frame.to_csv(path, index=False, encoding="latin-1", lineterminator="\r\n")


def write(folder: Path) -> Path:
    """Write the export into ``folder``; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(
        folder / "User.csv",
        [(*u[:6], u[6], u[7], u[8]) for u in USERS],
        [
            "Id",
            "Name",
            "Username",
            "UserType",
            "IsActive",
            "ManagerId",
            "UserRoleId",
            "Division",
            "LastModifiedDate",
        ],
    )
    _write(folder / "UserRole.csv", ROLES, ["Id", "Name", "ParentRoleId"])
    _write(
        folder / "Account.csv",
        [(*a[:3], "005000000000001", a[3]) for a in ACCOUNTS],
        ["Id", "Name", "Industry", "OwnerId", "IsDeleted"],
    )
    opps = [
        (
            *o[:3],
            o[11],
            "Notes \x00 about Müller" if i == 0 else "",
            o[3],
            o[4],
            o[5],
            o[6],
            o[7],
            o[8],
            o[9],
            o[10],
            "Web",
            EXPORT_DATE if i == 0 else o[6],
        )
        for i, o in enumerate(OPPORTUNITIES)
    ]
    _write(
        folder / "Opportunity.csv",
        opps,
        [
            "Id",
            "OwnerId",
            "AccountId",
            "Name",
            "Description",
            "StageName",
            "Amount",
            "CurrencyIsoCode",
            "CreatedDate",
            "CloseDate",
            "IsClosed",
            "IsWon",
            "IsDeleted",
            "LeadSource",
            "LastModifiedDate",
        ],
    )
    _write(
        folder / "OpportunityHistory.csv",
        [(f"008{i:012d}", *h, "0") for i, h in enumerate(HISTORY)],
        ["Id", "OpportunityId", "CreatedDate", "StageName", "Amount", "CloseDate", "IsDeleted"],
    )
    _write(
        folder / "Lead.csv",
        [(*lead, EXPORT_DATE) for lead in LEADS],
        [
            "Id",
            "OwnerId",
            "CreatedDate",
            "IsConverted",
            "ConvertedDate",
            "ConvertedOpportunityId",
            "Status",
            "LastModifiedDate",
        ],
    )
    _write(
        folder / "CurrencyType.csv",
        [("USD", "1", "1"), ("EUR", str(EUR_PER_USD), "0")],
        ["IsoCode", "ConversionRate", "IsCorporate"],
    )
    _write(folder / "Contact.csv", [("003000000000001", "Rose")], ["Id", "LastName"])
    return folder


def raw_bookings(folder: Path) -> pd.DataFrame:
    """Independent pandas: won amount and won/lost counts per calendar quarter of CloseDate,
    from the raw files, deleted rows out, amounts in USD with the export's own rates."""
    o = pd.read_csv(folder / "Opportunity.csv", encoding="latin-1", dtype=str)
    rates = pd.read_csv(folder / "CurrencyType.csv", dtype=str)
    per_usd = dict(zip(rates["IsoCode"], rates["ConversionRate"].astype(float), strict=True))
    o = o[o["IsDeleted"] != "1"]
    amount = o["Amount"].astype(float) / o["CurrencyIsoCode"].map(per_usd)
    quarter = pd.PeriodIndex(pd.to_datetime(o["CloseDate"]), freq="Q").strftime("%Y-Q%q")
    won, closed = o["IsWon"] == "1", o["IsClosed"] == "1"
    frame = pd.DataFrame(
        {
            "quarter": quarter,
            "won_amount": amount.where(won, 0.0),
            "won": won.astype(int),
            "lost": (closed & ~won).astype(int),
        }
    )
    return frame[closed].groupby("quarter").sum()
