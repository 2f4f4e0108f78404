"""The as-of date: a stray date never moves it, and every row dated after it is a warning."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import yaml

from spm_lib import load_dataset
from spm_lib.dataset.as_of import data_as_of


def test_stray_dates_at_the_end_are_dropped_by_hand():
    day = pd.Timestamp
    tables = {
        "opportunities": pd.DataFrame(
            {
                "created_date": [day("2023-06-01"), day("2023-08-30")],
                "modified_date": [day("2023-09-01"), pd.NaT],
            }
        ),
        "opportunity_history": pd.DataFrame(
            {"changed_at": [day("2023-09-03 10:00"), day("2099-01-01")]}
        ),
        "leads": pd.DataFrame(
            {"created_date": [day("2031-12-31")], "converted_date": [day("2023-11-20")]}
        ),
    }
    # 2099 and 2031 stand years after every other date; 2023-11-20 is 78 days after 09-03
    assert data_as_of(tables) == dt.date(2023, 11, 20)
    tables["leads"]["converted_date"] = [day("2024-01-15")]  # 134 days after: dropped too
    assert data_as_of(tables) == dt.date(2023, 9, 3)
    assert data_as_of({}, today=dt.date(2026, 1, 2)) == dt.date(2026, 1, 2)


def test_a_row_dated_2099_moves_nothing_and_is_counted(small_sample, tmp_path):
    """The attack run: one history or lead row dated 2099, in an spm.yaml without as_of (as
    spm import writes it), moved a scheduled latest run to 2099-Q4 with $0 of bookings."""
    data = tmp_path / "ds"
    shutil.copytree(small_sample, data)
    config = yaml.safe_load((data / "spm.yaml").read_text())
    config.pop("as_of")
    (data / "spm.yaml").write_text(yaml.safe_dump(config))
    before = load_dataset(data)
    for table, column in (("opportunity_history", "changed_at"), ("leads", "created_date")):
        frame = pd.read_csv(data / f"{table}.csv", dtype=str, keep_default_na=False)
        frame.loc[3, column] = "2099-11-30" + (" 09:00:00" if table != "leads" else "")
        frame.to_csv(data / f"{table}.csv", index=False)
    ds = load_dataset(data)
    assert ds.as_of == before.as_of and ds.period("latest") == before.period("latest")
    late = ds.warnings[ds.warnings["check"] == "dated_after_as_of"]
    assert sorted(late["table"]) == ["leads", "opportunity_history"]
    assert set(late["row"]) == {4} and set(late["value"]) == {"2099-11-30"}
    assert "not moved" in late["reason"].iloc[0]
    # with spm.yaml as_of, rows after it are counted the same way
    (data / "spm.yaml").write_text(yaml.safe_dump({**config, "as_of": "2026-06-30"}))
    early = load_dataset(data).warnings
    assert (early["check"] == "dated_after_as_of").sum() > len(late)
