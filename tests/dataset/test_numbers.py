"""Numbers by the file's format: the column's own values decide the decimal mark; a value that
reads two ways is quarantined as unparseable_number, never guessed."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

from spm_lib import load_dataset
from spm_lib.dataset.config import parse_config
from spm_lib.dataset.numbers import number_format, read_numbers
from spm_lib.exceptions import DataError

NAN = float("nan")


def _read(values, **options):
    value, ambiguous = read_numbers(pd.Series(values, dtype="object"), **options)
    return [None if pd.isna(v) else v for v in value], ambiguous.tolist()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # a European export: the decimal comma decides the column
        (["63.500,00", "1.234.567,5", "12", "1,5"], [63500.0, 1234567.5, 12.0, 1.5]),
        # a US export: 1,234.56 and a fraction decide; 1.500 then reads 1.5
        (
            ["1,234.56", "$2,500", "1,234", "0.125", "1.500", "(120.00)", "USD 1,234.56"],
            [1234.56, 2500.0, 1234.0, 0.125, 1.5, -120.0, 1234.56],
        ),
        # spaces and no-break spaces group digits; a group that is not three digits is no number
        (["1 234,56", "1\u00a0234,5", "1,23,456", "12,50"], [1234.56, 1234.5, None, 12.5]),
        # text and blanks are not numbers
        ([None, "", "abc", "12"], [None, None, None, 12.0]),
    ],
)
def test_the_column_decides(values, expected):
    assert _read(values) == (expected, [False] * len(values))


def test_nothing_decides_the_file_default_does():
    assert _read(["1,234", "2,000", "300"])[0] == [1234.0, 2000.0, 300.0]
    assert _read(["1,234", "2,000", "300"], default_decimal=",")[0] == [1.234, 2.0, 300.0]


def test_a_value_that_reads_two_ways_in_a_mixed_column_is_not_read():
    values, ambiguous = _read(["1,234.56", "63.500,00", "1,234", "100"])
    assert values == [1234.56, 63500.0, None, 100.0] and ambiguous == [False, False, True, False]


def test_a_format_set_reads_by_it_alone():
    assert _read(["1.234,56", "1.5", "1,234"], decimal=",")[0] == [1234.56, None, 1.234]
    assert number_format("1.234,56") == (",", ".") and number_format("1,234.56") == (".", ",")
    with pytest.raises(ValueError, match="expected one of"):
        number_format("1234")
    with pytest.raises(DataError, match="number_format"):
        parse_config({"number_format": "#,##0.00"})


def _european(sample, out, amounts):
    shutil.copytree(sample, out)
    opps = pd.read_csv(out / "opportunities.csv", dtype=str, keep_default_na=False)
    opps["amount"] = amounts(opps["amount"].astype(float))
    opps.to_csv(out / "opportunities.csv", index=False)
    return out


def _eu(value: float) -> str:
    return f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def test_a_european_export_reads_its_amounts(small_sample, tmp_path):
    """The attack run: "63.500,00" in a comma-separated file read as 63.5 (bookings 1,000x
    off, exit 0). Read by the column's own format, the bookings are the sample's."""
    from spm_lib.measures.metrics import bookings
    from spm_lib.periods import parse_period

    data = _european(small_sample, tmp_path / "eu", lambda a: a.map(_eu))
    ds, truth = load_dataset(data), load_dataset(small_sample)
    assert (ds.rows_read, ds.rows_quarantined()) == (truth.rows_read, truth.rows_quarantined())
    quarter = parse_period("2026-Q3")
    assert bookings(ds, quarter, None)["bookings"].sum() == pytest.approx(
        bookings(truth, quarter, None)["bookings"].sum()
    )
    assert bookings(ds, quarter, None)["bookings"].sum() > 1_000_000
    assert ds.opportunities["amount"].sum() == pytest.approx(truth.opportunities["amount"].sum())


def test_a_mixed_column_quarantines_what_reads_two_ways(small_sample, tmp_path):
    data = _european(small_sample, tmp_path / "mixed", lambda a: a.map(lambda v: f"{v:,.2f}"))
    opps = pd.read_csv(data / "opportunities.csv", dtype=str, keep_default_na=False)
    opps.loc[0, "amount"] = "63.500,00"  # one European value: the column mixes formats
    opps.loc[1, "amount"] = "2,000"  # 2000 or 2.0: not read
    opps.to_csv(data / "opportunities.csv", index=False)
    ds = load_dataset(data)
    bad = ds.quarantine[
        (ds.quarantine["table"] == "opportunities")
        & (ds.quarantine["check"] == "unparseable_number")
    ]
    assert bad["row"].tolist() == [2] and "number_format" in bad["reason"].iloc[0]
    row0 = ds.opportunities[ds.opportunities["opportunity_id"] == opps.loc[0, "opportunity_id"]]
    assert row0["amount"].tolist() == [63500.0]
    assert ds.rows_read["opportunities"] == (
        len(ds.opportunities) + ds.rows_quarantined()["opportunities"]
    )
    # number_format set: that format alone, and this column is mostly the other one
    config = yaml.safe_load((data / "spm.yaml").read_text())
    (data / "spm.yaml").write_text(yaml.safe_dump({**config, "number_format": "1.234,56"}))
    with pytest.raises(DataError, match="column 'amount' of table opportunities does not parse"):
        load_dataset(data)
