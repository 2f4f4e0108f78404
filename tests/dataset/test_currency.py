"""One currency everywhere: a Data Export in USD, EUR and GBP whose dated rates change inside
the quarter and whose history rows are in local currency. The pipeline as of four dates, its
movement and the won flow equal a pandas replay of the raw files converted with the export's
own rates; bookings equal the won flow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.dataset.currency import dated_factors
from spm_lib.importers import import_export
from spm_lib.measures import metrics
from spm_lib.pipeline.as_of import pipeline_as_of
from spm_lib.pipeline.movement import period_movement, waterfall

USERS = ["005A", "005B", "005C"]
# Salesforce's convention: units of the currency per corporate (USD) unit
DATED = [
    ("EUR", "2024-01-01", "2024-02-15", 0.90),
    ("EUR", "2024-02-15", "2024-05-10", 0.80),
    ("EUR", "2024-05-10", "9999-12-31", 0.95),
    ("GBP", "2024-01-01", "2024-03-01", 0.75),
    ("GBP", "2024-03-01", "2024-05-20", 0.70),
    ("GBP", "2024-05-20", "9999-12-31", 0.85),
    ("USD", "2024-01-01", "9999-12-31", 1.0),
]
STAGES = ["Prospecting", "Qualification", "Negotiation/Review"]
DATES = ["2024-02-14", "2024-03-31", "2024-05-15", "2024-06-30"]


def _write_export(folder: Path, seed: int = 7) -> Path:
    """40 deals over the first half of 2024, each with a history row at creation and up to
    four changes (stage, amount, close date), closing won or lost or staying open."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    opps, history = [], []
    for i in range(40):
        currency = ["USD", "EUR", "GBP"][i % 3]
        created = pd.Timestamp("2024-01-03") + pd.Timedelta(days=int(rng.integers(0, 120)))
        close = created + pd.Timedelta(days=int(rng.integers(20, 90)))
        amount = float(rng.integers(10, 200)) * 100
        stage, at = STAGES[0], created + pd.Timedelta(hours=10)
        rows = [(at, stage, amount, close)]
        for _ in range(int(rng.integers(0, 4))):
            at += pd.Timedelta(days=int(rng.integers(3, 25)))
            stage = STAGES[min(STAGES.index(stage) + 1, 2)]
            amount = round(amount * float(rng.choice([0.8, 1.0, 1.25])), 2)
            close += pd.Timedelta(days=int(rng.choice([0, 0, 20, 45])))
            rows.append((at, stage, amount, close))
        outcome = rng.choice(["won", "lost", "open"], p=[0.45, 0.25, 0.3])
        if outcome != "open" and close <= pd.Timestamp("2024-06-30"):
            stage = "Closed Won" if outcome == "won" else "Closed Lost"
            at = max(at + pd.Timedelta(hours=1), close + pd.Timedelta(hours=9))
            rows.append((at, stage, amount, close))
        oid = f"006{i:012d}"
        for j, (when, s, a, c) in enumerate(rows):
            local = "" if j == 1 else currency  # a history row may leave its currency empty
            history.append(
                (
                    f"008{i:06d}{j:06d}",
                    oid,
                    when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    s,
                    f"{a:.2f}",
                    c.strftime("%Y-%m-%d"),
                    local,
                )
            )
        won, lost = stage == "Closed Won", stage == "Closed Lost"
        opps.append(
            (
                oid,
                USERS[i % 3],
                s,
                f"{amount:.2f}",
                currency,
                created.strftime("%Y-%m-%dT09:00:00.000Z"),
                close.strftime("%Y-%m-%d"),
                str(int(won or lost)),
                str(int(won)),
                "0",
            )
        )
    pd.DataFrame(
        opps,
        columns=[
            "Id",
            "OwnerId",
            "StageName",
            "Amount",
            "CurrencyIsoCode",
            "CreatedDate",
            "CloseDate",
            "IsClosed",
            "IsWon",
            "IsDeleted",
        ],
    ).to_csv(folder / "Opportunity.csv", index=False)
    pd.DataFrame(
        history,
        columns=[
            "Id",
            "OpportunityId",
            "CreatedDate",
            "StageName",
            "Amount",
            "CloseDate",
            "CurrencyIsoCode",
        ],
    ).to_csv(folder / "OpportunityHistory.csv", index=False)
    pd.DataFrame(
        {
            "Id": USERS,
            "Name": ["Ann", "Bo", "Cy"],
            "Username": USERS,
            "UserType": ["Standard"] * 3,
            "IsActive": ["1"] * 3,
        }
    ).to_csv(folder / "User.csv", index=False)
    pd.DataFrame(
        {
            "IsoCode": ["USD", "EUR", "GBP"],
            "ConversionRate": ["1", "0.9", "0.75"],
            "IsCorporate": ["1", "0", "0"],
        }
    ).to_csv(folder / "CurrencyType.csv", index=False)
    pd.DataFrame(DATED, columns=["IsoCode", "StartDate", "NextStartDate", "ConversionRate"]).to_csv(
        folder / "DatedConversionRate.csv", index=False
    )
    return folder


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    return _write_export(tmp_path_factory.mktemp("fx") / "export")


@pytest.fixture(scope="module")
def ds(export, tmp_path_factory):
    return load_dataset(import_export("salesforce", [export], tmp_path_factory.mktemp("fx") / "d"))


def _usd(amount: pd.Series, code: pd.Series, day: pd.Series) -> pd.Series:
    """Independent conversion: the DatedConversionRate row whose [start, next) holds ``day``."""
    rates = pd.DataFrame(DATED, columns=["code", "start", "next", "per_usd"])
    out = []
    for a, c, d in zip(amount, code, day, strict=True):
        row = rates[(rates["code"] == c) & (rates["start"] <= d) & (d < rates["next"])]
        out.append(a / row["per_usd"].item())
    return pd.Series(out, index=amount.index)


def _replay(export: Path, day: str) -> pd.DataFrame:
    """Each deal's last history row written by the end of ``day``, in USD."""
    h = pd.read_csv(export / "OpportunityHistory.csv", dtype=str)
    o = pd.read_csv(export / "Opportunity.csv", dtype=str).set_index("Id")
    h["CurrencyIsoCode"] = h["CurrencyIsoCode"].fillna(h["OpportunityId"].map(o["CurrencyIsoCode"]))
    h = h[h["CreatedDate"].str[:10] <= day].sort_values("CreatedDate")
    last = h.groupby("OpportunityId").tail(1)
    last = last.assign(
        usd=_usd(last["Amount"].astype(float), last["CurrencyIsoCode"], last["CloseDate"])
    )
    return last


@pytest.mark.parametrize("day", DATES)
def test_the_pipeline_as_of_four_dates_equals_a_replay_in_usd(export, ds, day):
    raw = _replay(export, day)
    open_raw = raw[~raw["StageName"].str.startswith("Closed")]
    mine = pipeline_as_of(ds, pd.Timestamp(day))
    assert len(mine) == len(open_raw)
    assert mine["amount"].sum() == pytest.approx(open_raw["usd"].sum(), abs=0.01)


def test_movement_reconciles_and_the_won_flow_is_bookings(export, ds):
    for quarter in ("2024-Q1", "2024-Q2"):
        period = ds.period(quarter)
        whole = waterfall(period_movement(ds, period, window=False)).set_index("bucket")["amount"]
        start = _replay(export, str(pd.Timestamp(period.start) - pd.Timedelta(days=1))[:10])
        end = _replay(export, str(period.end))
        assert whole["starting pipeline"] == pytest.approx(
            start.loc[~start["StageName"].str.startswith("Closed"), "usd"].sum(), abs=0.01
        )
        assert whole["ending pipeline"] == pytest.approx(
            end.loc[~end["StageName"].str.startswith("Closed"), "usd"].sum(), abs=0.01
        )
        assert whole.drop("ending pipeline").sum() == pytest.approx(
            whole["ending pipeline"], abs=0.01
        )
        due = waterfall(period_movement(ds, period)).set_index("bucket")["amount"]
        won = end[
            (end["StageName"] == "Closed Won")
            & (end["CloseDate"] >= str(period.start))
            & (end["CloseDate"] <= str(period.end))
        ]
        booked = metrics.bookings(ds, period, None)["bookings"].item()
        assert -due["won"] == pytest.approx(booked, abs=0.01)
        assert booked == pytest.approx(won["usd"].sum(), abs=0.01) and booked > 0


def test_history_keeps_its_currency_and_original_amount(export, ds):
    h = ds["opportunity_history"]
    assert set(h["currency"]) == {"USD", "EUR", "GBP"}  # empty ones took their deal's
    eur = h[h["currency"] == "EUR"]
    assert (eur["amount"] != eur["amount_original"]).all()


def test_a_dated_rate_is_the_one_in_force_on_the_day():
    rates = pd.DataFrame(
        {
            "currency": ["EUR", "EUR"],
            "rate": [1.25, 2.0],
            "start_date": pd.to_datetime(["2024-01-01", "2024-02-15"]),
        }
    )
    days = pd.to_datetime(pd.Series(["2023-12-31", "2024-01-01", "2024-02-14", "2024-02-15"]))
    got = dated_factors(pd.Series(["EUR"] * 4), days, rates)
    assert got.isna().tolist()[0] and got.tolist()[1:] == [1.25, 1.25, 2.0]


def test_the_data_quality_summary_says_which_rate_converted_what(export, ds):
    from spm_lib.dataset.quality import currency_summary

    found = currency_summary(ds).set_index(["table", "currency"])
    raw = pd.read_csv(export / "Opportunity.csv", dtype=str)
    counts = raw["CurrencyIsoCode"].value_counts()
    for code in ("EUR", "GBP"):
        assert found.loc[("opportunities", code), "rule"] == "dated"
        assert found.loc[("opportunities", code), "rows"] == counts[code]
    assert found.loc[("opportunities", "USD"), "rule"] == "none"
    assert found.xs("opportunities")["amount"].sum() == pytest.approx(
        ds.opportunities["amount"].sum()
    )
