"""HubSpot as a connector lands it (Fivetran's schema: seeds and a realistic fixture in DuckDB)
and the deals export's "Date entered" columns."""

from __future__ import annotations

import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.importers import import_export
from spm_lib.measures import metrics
from tests.dataset.seeds import HS_SEEDS, duckdb_file, seed_frames, vendor_config


@pytest.mark.skipif(not HS_SEEDS.exists(), reason=f"no seeds at {HS_SEEDS}")
def test_fivetran_hubspot_seeds_every_row_has_its_reason(tmp_path):
    frames = seed_frames(HS_SEEDS, prefix="")
    db = duckdb_file(tmp_path / "hs.duckdb", frames)
    ds = load_dataset(vendor_config(tmp_path / "ds", str(db), "hubspot"))
    recon = ds.reconciliation().set_index("table")
    assert recon["reconciles"].all()
    deal = frames["deal"]
    assert recon.loc["opportunities", "rows_read"] == len(deal)
    # the seeds' deals have no stage (obfuscated away): every one is quarantined for it
    q = ds.quarantine
    empty = q[(q["table"] == "opportunities") & (q["check"] == "empty_stage")]
    assert len(empty) == int(deal["deal_pipeline_stage_id"].isna().sum()) == len(deal)
    assert q[q["check"] == "empty_rep_id"]["row"].nunique() == int(deal["owner_id"].isna().sum())
    # stage entries of deals that are not in the data are unknown references
    history = q[q["table"] == "opportunity_history"]
    assert set(history["check"]) <= {"orphan_opportunity_id", "unknown_stage"}
    assert recon.loc["opportunity_history", "rows_read"] == len(frames["deal_stage"])
    assert recon.loc["reps", "rows_used"] == len(frames["owner"])


PIPELINES = pd.DataFrame(
    {
        "pipeline_id": ["default", "ent"],
        "label": ["Sales", "Enterprise"],
        "display_order": ["0", "1"],
        "_fivetran_deleted": ["false", "false"],
    }
)
STAGES = pd.DataFrame(
    {
        "stage_id": ["s1", "s2", "s3", "s4", "e1", "e2", "e3"],
        "pipeline_id": ["default"] * 4 + ["ent"] * 3,
        "label": ["Qualified", "Contract sent", "Won", "Lost", "Discovery", "Won (E)", "Lost (E)"],
        "display_order": ["0", "1", "2", "3", "0", "1", "2"],
        "closed_won": ["false", "false", "true", "false", "false", "true", "false"],
        "is_closed": ["false", "false", "true", "true", "false", "true", "true"],
        "probability": ["0.2", "0.8", "1", "0", "0.3", "1", "0"],
        "_fivetran_deleted": ["false"] * 7,
    }
)
DEALS = pd.DataFrame(
    {
        "deal_id": ["101", "102", "103", "104", "105"],
        "is_deleted": ["false", "false", "false", "true", "false"],
        "deal_pipeline_id": ["default", "default", "ent", "default", "ent"],
        "deal_pipeline_stage_id": ["s3", "s4", "e2", "s3", "e1"],
        "owner_id": ["7", "7", "8", "7", "8"],
        "property_dealname": ["A", "B", "C", "Deleted", "Open"],
        "property_amount": ["1000", "500", "0", "9999", "2500"],
        "property_closedate": [
            "2024-02-10 15:00:00",
            "2024-03-01 09:00:00",
            "2024-03-05 10:00:00",
            "2024-02-11 10:00:00",
            "2024-06-30 10:00:00",
        ],
        "property_createdate": [
            "2024-01-05 10:00:00",
            "2024-01-06 10:00:00",
            "2024-03-05 08:00:00",
            "2024-01-07 10:00:00",
            "2024-03-10 10:00:00",
        ],
    }
)
OWNERS = pd.DataFrame(
    {
        "owner_id": ["7", "8", "9"],
        "email": ["a@x", "b@x", "q@x"],
        "first_name": ["Ann", "Bo", ""],
        "last_name": ["Lee", "Ek", ""],
        "type": ["PERSON", "PERSON", "QUEUE"],
    }
)
PROPERTY_HISTORY = pd.DataFrame(
    {
        "deal_id": ["101", "101", "101", "101", "105", "105"],
        "timestamp": [
            "2024-01-05 10:00:00",
            "2024-01-20 10:00:00",
            "2024-01-25 10:00:00",
            "2024-02-10 15:00:00",
            "2024-03-10 10:00:00",
            "2024-04-01 10:00:00",
        ],
        "name": ["dealstage", "amount", "dealstage", "dealstage", "dealstage", "closedate"],
        "value": ["s1", "1000", "s2", "s3", "e1", "2024-06-30 10:00:00"],
        "source": ["CRM_UI"] * 6,
    }
)
MERGED = pd.DataFrame({"deal_id": ["101"], "merged_deal_id": ["999"]})


@pytest.fixture
def warehouse(tmp_path):
    frames = {
        "deal": DEALS,
        "deal_pipeline": PIPELINES,
        "deal_pipeline_stage": STAGES,
        "owner": OWNERS,
        "deal_property_history": PROPERTY_HISTORY,
        "merged_deal": MERGED,
    }
    db = duckdb_file(tmp_path / "hubspot.duckdb", frames, schema="hubspot")
    return load_dataset(vendor_config(tmp_path / "ds", str(db), "hubspot", "  schema: hubspot\n"))


def test_pipelines_stay_apart_and_won_lost_come_from_the_stages(warehouse):
    ds = warehouse
    assert ds.config.open_stages == [
        "Enterprise: Discovery",
        "Sales: Qualified",
        "Sales: Contract sent",
    ]
    opps = ds.opportunities.set_index("opportunity_id")
    assert opps["stage"].to_dict() == {
        "101": "Closed Won",
        "102": "Closed Lost",
        "103": "Closed Won",
        "105": "Enterprise: Discovery",
    }
    assert ds.quarantine.set_index("key").loc["104", "check"] == "excluded"  # is_deleted
    assert not ds.reps["rep_id"].isin(["9"]).any()  # a queue is no selling rep
    assert set(ds["reps"]["rep_id"]) == {"7", "8", "9"}


def test_bookings_equal_the_deals(warehouse):
    q1 = warehouse.period("2024-Q1")
    booked = metrics.bookings(warehouse, q1, None).iloc[0]
    assert (booked["bookings"], booked["won_deals"]) == (1000, 2)  # 101 and 103 (at $0)
    rates = metrics.win_rate(warehouse, q1, None).iloc[0]
    assert (rates["won"], rates["lost"]) == (2, 1)
    assert warehouse.warnings.set_index("key").loc["103", "check"] == "won_with_zero_amount"


def test_property_history_gives_the_history_and_the_stage_entries(warehouse):
    h = warehouse["opportunity_history"]
    one = h[h["opportunity_id"] == "101"]
    assert one["stage"].tolist() == [
        "Sales: Qualified",
        "Sales: Qualified",
        "Sales: Contract sent",
        "Closed Won",
    ]
    assert one["amount"].tolist()[1:] == [1000, 1000, 1000]
    entries = warehouse["stage_history"]
    assert entries[entries["opportunity_id"] == "101"]["stage"].tolist() == [
        "Sales: Qualified",
        "Sales: Contract sent",
        "Closed Won",
    ]
    pushed = h[h["opportunity_id"] == "105"]["close_date"].tolist()
    assert pushed[-1] == pd.Timestamp("2024-06-30")


def test_the_deals_export_date_entered_columns_give_stage_history(tmp_path):
    export = pd.DataFrame(
        {
            "Record ID": ["1", "2"],
            "Deal Name": ["A", "B"],
            "Deal Stage": ["Closed Won", "Contract Sent"],
            "Pipeline": ["Sales Pipeline", "Sales Pipeline"],
            "Amount": ["100", "200"],
            "Close Date": ["2024-02-01 00:00", "2024-05-01 00:00"],
            "Create Date": ["2024-01-02 09:30", "2024-01-03 09:30"],
            "Deal owner": ["Ann", "Bo"],
            'Date entered "Appointment Scheduled (Sales Pipeline)"': [
                "2024-01-02 09:30",
                "2024-01-03 09:30",
            ],
            'Date entered "Contract Sent (Sales Pipeline)"': [
                "2024-01-20 10:00",
                "2024-02-01 10:00",
            ],
            'Date entered "Closed Won (Sales Pipeline)"': ["2024-02-01 11:00", ""],
        }
    )
    path = tmp_path / "hubspot-crm-exports-all-deals.csv"
    export.to_csv(path, index=False)
    ds = load_dataset(import_export("hubspot", [path], tmp_path / "ds"))
    entries = ds["stage_history"].sort_values(["opportunity_id", "entered_date"])
    assert entries.groupby("opportunity_id")["stage"].apply(list).to_dict() == {
        "1": ["Appointment Scheduled", "Contract Sent", "Closed Won"],
        "2": ["Appointment Scheduled", "Contract Sent"],
    }
    assert ds.reconciliation()["reconciles"].all() and ds.quarantine.empty
