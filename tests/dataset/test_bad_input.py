"""The bad-input matrix: each malformed input and its exact outcome (a fatal error's key words,
or the quarantine reason and count, or the repair made), and the reports still render for the
good rows."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.exceptions import DataError
from spm_lib.suite.cli import main
from tests.dataset.bad_input_rules import RULE_CASES
from tests.dataset.bad_inputs import FORMAT_CASES
from tests.helpers import ACCOUNTS, OPPORTUNITIES, REPS, spm, write_tables


def _opps(*changes: tuple[int, dict], extra: list[dict] | None = None) -> list[dict]:
    rows = [dict(r) for r in OPPORTUNITIES]
    for index, change in changes:
        rows[index].update(change)
    return rows + (extra or [])


def _folder(tmp_path: Path, opportunities=None, reps=None, yaml=None, **tables) -> Path:
    data = {
        "reps": reps or REPS,
        "opportunities": opportunities or OPPORTUNITIES,
        "accounts": ACCOUNTS,
    } | tables
    return write_tables(tmp_path / "ds", {k: v for k, v in data.items() if v is not None}, yaml)


def _csv(path: Path, rows: list[dict], **kwargs) -> None:
    pd.DataFrame(rows).to_csv(path, index=False, **kwargs)


# Each case: (id, build(tmp_path) -> folder, outcome). Outcomes:
#   ("error", [key words...])            load_dataset raises DataError naming them
#   ("quarantine", table, check, rows)   exactly these rows are quarantined with this check
#   ("ok", check(ds))                    loads clean, and the repair holds


def empty_reps(tmp):
    folder = _folder(tmp)
    (folder / "reps.csv").write_text("")
    return folder


def header_only_opportunities(tmp):
    folder = _folder(tmp)
    (folder / "opportunities.csv").write_text(
        "opportunity_id,rep_id,created_date,close_date,stage,amount\n"
    )
    return folder


def missing_amount_column(tmp):
    rows = [
        {k: v for k, v in r.items() if k != "amount"} | {"Deal Value": "5"} for r in OPPORTUNITIES
    ]
    return _folder(tmp, opportunities=rows)


def two_files_for_one_table(tmp):
    folder = _folder(tmp)
    pd.DataFrame(ACCOUNTS).to_excel(folder / "accounts.xlsx", index=False)
    return folder


def no_opportunities(tmp):
    folder = _folder(tmp)
    (folder / "opportunities.csv").unlink()
    return folder


def unterminated_quote(tmp):
    folder = _folder(tmp)
    (folder / "accounts.csv").write_bytes(b'account_id,name\n"A1,unterminated\n')
    return folder


def us_dates_without_format(tmp):
    rows = [r | {"created_date": "01/15/2025", "close_date": "02/20/2025"} for r in OPPORTUNITIES]
    return _folder(tmp, opportunities=rows)


CASES = [
    ("empty file", empty_reps, ("error", ["reps.csv", "the file is empty"])),
    (
        "header-only required table",
        header_only_opportunities,
        ("error", ["table opportunities has a header but no rows"]),
    ),
    (
        "missing required column, with a suggested mapping",
        missing_amount_column,
        ("error", ["has no column 'amount'", "found:", "Deal Value", "mapping:", "amount:"]),
    ),
    (
        "unknown stages",
        lambda t: _folder(
            t,
            opportunities=_opps(
                (0, {"stage": "Won-ish"}), (1, {"stage": "Won-ish"}), (2, {"stage": "Parked"})
            ),
        ),
        ("error", ["2 stages", "'Won-ish' (2 rows)", "'Parked' (1 rows)", "mapping line"]),
    ),
    (
        "two files for one table",
        two_files_for_one_table,
        ("error", ["accounts.csv, accounts.xlsx", "exactly one file per table"]),
    ),
    (
        "required table missing",
        no_opportunities,
        ("error", ["required table opportunities is missing"]),
    ),
    ("unreadable CSV", unterminated_quote, ("error", ["cannot read table accounts"])),
    (
        "US dates without a date format",
        us_dates_without_format,
        ("error", ["column 'created_date'", "does not parse", "date_format"]),
    ),
    (
        "mapping names a column the file lacks",
        lambda t: _folder(
            t, yaml=("mapping: {tables: {opportunities: {columns: {amount: Value}}}}\n")
        ),
        ("error", ["column amount comes from 'Value'", "does not have"]),
    ),
    (
        "unknown mapping key",
        lambda t: _folder(t, yaml="mapping: {bogus: 1}\n"),
        ("error", ["mapping.bogus", "unknown key"]),
    ),
    (
        "duplicate deal without a modified date",
        lambda t: _folder(t, opportunities=_opps(extra=[dict(OPPORTUNITIES[0], amount="1200")])),
        ("quarantine", "opportunities", "duplicate_key", [1, 5]),
    ),
    (
        "duplicate deal with modified dates: the latest kept",
        lambda t: _folder(
            t,
            opportunities=[r | {"modified_date": "2025-03-01"} for r in OPPORTUNITIES]
            + [dict(OPPORTUNITIES[0], amount="1200", modified_date="2025-04-01")],
        ),
        ("quarantine", "opportunities", "superseded_copy", [1]),
    ),
    (
        "orphan rep id",
        lambda t: _folder(t, opportunities=_opps((3, {"rep_id": "R404"}))),
        ("quarantine", "opportunities", "orphan_rep_id", [4]),
    ),
    (
        "orphan account id",
        lambda t: _folder(t, opportunities=_opps((0, {"account_id": "A404"}))),
        ("quarantine", "opportunities", "orphan_account_id", [1]),
    ),
    (
        "negative amount",
        lambda t: _folder(t, opportunities=_opps((1, {"amount": "-50"}))),
        ("quarantine", "opportunities", "negative_amount", [2]),
    ),
    (
        "created in the future",
        lambda t: _folder(
            t, opportunities=_opps((2, {"created_date": "2099-01-01", "close_date": "2099-02-01"}))
        ),
        ("quarantine", "opportunities", "created_in_future", [3]),
    ),
    (
        "won deal with zero amount",
        lambda t: _folder(t, opportunities=_opps((0, {"amount": "0"}))),
        ("warning", "opportunities", "won_with_zero_amount", [1]),
    ),
    (
        "deal with no amount",
        lambda t: _folder(t, opportunities=_opps((2, {"amount": ""}))),
        ("warning", "opportunities", "no_amount", [3]),
    ),
    (
        "infinite amount",
        lambda t: _folder(t, opportunities=_opps((2, {"amount": "inf"}))),
        ("quarantine", "opportunities", "infinite_amount", [3]),
    ),
    (
        "currency without a rate",
        lambda t: _folder(
            t, opportunities=_opps((0, {"currency": "GBP"}), (1, {"currency": "USD"}))
        ),
        ("quarantine", "opportunities", "currency_without_rate", [1]),
    ),
    (
        "a date that does not parse",
        lambda t: _folder(t, opportunities=_opps((2, {"close_date": "someday"}))),
        ("quarantine", "opportunities", "unparseable_date", [3]),
    ),
    (
        "a date beyond the calendar",
        lambda t: _folder(t, opportunities=_opps((2, {"close_date": "2999-01-01"}))),
        ("quarantine", "opportunities", "unparseable_date", [3]),
    ),
    (
        "a flag that does not parse",
        lambda t: _folder(t, opportunities=_opps((0, {"is_won": "maybe"}))),
        ("quarantine", "opportunities", "unparseable_bool", [1]),
    ),
    (
        "closed before created",
        lambda t: _folder(t, opportunities=_opps((0, {"close_date": "2024-01-01"}))),
        ("warning", "opportunities", "closed_before_created", [1]),
    ),
    (
        "closed the day it was created, created with a time of day",
        lambda t: _folder(
            t,
            opportunities=_opps(
                (0, {"created_date": "2025-02-10 21:24:51", "close_date": "2025-02-10 00:00:00"})
            ),
        ),
        (
            "ok",
            lambda ds: (
                "closed_before_created" not in set(ds.warnings["check"])
                and ds.opportunities.loc[0, "created_date"] == pd.Timestamp("2025-02-10")
            ),
        ),
    ),
    (
        "empty required value",
        lambda t: _folder(t, opportunities=_opps((2, {"rep_id": ""}))),
        ("quarantine", "opportunities", "empty_rep_id", [3]),
    ),
    (
        "currency converted with a rate",
        lambda t: _folder(
            t, opportunities=_opps((0, {"currency": "EUR"})), yaml="currency_rates: {EUR: 1.1}\n"
        ),
        (
            "ok",
            lambda ds: (
                ds.opportunities.set_index("opportunity_id").loc["O1", "amount"]
                == pytest.approx(1100)
            ),
        ),
    ),
    (
        "stage names in another case",
        lambda t: _folder(t, opportunities=_opps((0, {"stage": "closed WON"}))),
        ("ok", lambda ds: ds.opportunities.loc[0, "stage"] == "Closed Won"),
    ),
    (
        "ids with trailing spaces and another case",
        lambda t: _folder(
            t, opportunities=_opps((0, {"rep_id": " r1 "}), (2, {"account_id": "a1"}))
        ),
        (
            "ok",
            lambda ds: (
                list(ds.opportunities["rep_id"][:3]) == ["R1", "R1", "R2"]
                and ds.opportunities.loc[2, "account_id"] is not None
            ),
        ),
    ),
    (
        "US dates with the mapping's date format",
        lambda t: _folder(
            t,
            opportunities=[
                r | {"created_date": "01/15/2025", "close_date": "02/20/2025"}
                for r in OPPORTUNITIES
            ],
            yaml='mapping: {tables: {opportunities: {date_format: "%m/%d/%Y"}}}\n',
        ),
        ("ok", lambda ds: str(ds.opportunities.loc[0, "close_date"].date()) == "2025-02-20"),
    ),
    (
        "amounts with currency symbols and codes",
        lambda t: _folder(
            t,
            opportunities=_opps(
                (0, {"amount": "$1,234.56"}),
                (1, {"amount": "USD 2,000.00"}),
                (2, {"amount": "(50)"}),
            ),
        ),
        ("quarantine", "opportunities", "negative_amount", [3]),
    ),
]


CASES += FORMAT_CASES + RULE_CASES


@pytest.mark.parametrize(("case", "build", "outcome"), CASES, ids=[c[0] for c in CASES])
def test_bad_input(tmp_path, capsys, case, build, outcome):
    folder = build(tmp_path)
    kind = outcome[0]
    # spm validate: exit 2 and the sentence for an error, else exit 0 (never a traceback)
    code = main(["validate", str(folder)])
    said = capsys.readouterr()
    assert code == (2 if kind == "error" else 0), said.err
    if kind == "error":
        for words in outcome[1]:
            assert words in said.err, (words, said.err)
        with pytest.raises(DataError) as info:
            load_dataset(folder)
        for words in outcome[1]:
            assert words in str(info.value), (words, str(info.value))
        return
    ds = load_dataset(folder)
    assert ds.reconciliation()["reconciles"].all()
    if kind == "quarantine":
        _, table, check, rows = outcome
        found = ds.quarantine[ds.quarantine["check"] == check]
        assert sorted(found["row"]) == rows and set(found["table"]) == {table}, ds.quarantine
        assert found["reason"].str.len().gt(10).all()
        assert set(ds.quarantine["check"]) == {check}, ds.quarantine  # nothing else caught
    elif kind == "warning":  # odd but real: kept in every figure, counted as a warning
        _, table, check, rows = outcome
        assert ds.quarantine.empty, ds.quarantine
        found = ds.warnings[ds.warnings["check"] == check]
        assert sorted(found["row"]) == rows and set(found["table"]) == {table}, ds.warnings
        assert found["reason"].str.contains("counted").all(), found["reason"]
        assert ds.rows_used()[table] == ds.rows_read[table]
    else:
        assert ds.quarantine.empty, ds.quarantine
        assert outcome[1](ds)


def test_the_matrix_is_wide_enough():
    assert len(CASES) >= 100 and len({c[0] for c in CASES}) == len(CASES)


def test_money_formats_parse(tmp_path):
    build = next(c[1] for c in CASES if c[0] == "amounts with currency symbols and codes")
    ds = load_dataset(build(tmp_path))
    amounts = ds.opportunities.set_index("opportunity_id")["amount"]
    assert amounts["O1"] == 1234.56 and amounts["O2"] == 2000.0


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_excel_encodings_and_a_bom(tmp_path, encoding):
    folder = _folder(tmp_path)
    reps = [dict(REPS[0], name="José Müller"), *REPS[1:]]
    _csv(folder / "reps.csv", reps, encoding=encoding)
    ds = load_dataset(folder)
    assert ds.quarantine.empty and ds.reps.loc[0, "name"] == "José Müller"
    assert ds.reps.columns[0] == "rep_id"


def test_semicolons_and_decimal_commas(tmp_path):
    folder = _folder(tmp_path)
    rows = [
        r | {"amount": a}
        for r, a in zip(OPPORTUNITIES, ["1.000,50", "2.500,5", "4000", "9.000"], strict=True)
    ]
    _csv(folder / "opportunities.csv", rows, sep=";")
    ds = load_dataset(folder)
    assert list(ds.opportunities["amount"]) == [1000.5, 2500.5, 4000.0, 9000.0]


def test_xlsx_and_parquet_tables(tmp_path):
    folder = _folder(tmp_path)
    (folder / "opportunities.csv").unlink()
    pd.DataFrame(OPPORTUNITIES).to_excel(folder / "opportunities.xlsx", index=False)
    (folder / "accounts.csv").unlink()
    pd.DataFrame(ACCOUNTS).to_parquet(folder / "accounts.parquet")
    ds = load_dataset(folder)
    assert ds.quarantine.empty and len(ds.opportunities) == 4 and len(ds["accounts"]) == 2


def test_validate_on_an_unmapped_export_suggests_the_mapping(tmp_path):
    export = [
        {
            "Deal ID": r["opportunity_id"],
            "Owner": r["rep_id"],
            "Created": r["created_date"],
            "Close Date": r["close_date"],
            "Deal Stage": r["stage"],
            "Amount": r["amount"],
        }
        for r in OPPORTUNITIES
    ]
    folder = _folder(tmp_path, opportunities=export)
    result = spm("validate", str(folder))
    assert result.returncode == 2
    expected = [
        "found: Deal ID, Owner, Created, Close Date, Deal Stage, Amount",
        "opportunity_id: 'Deal ID'",
        "rep_id: 'Owner'",
        "close_date: 'Close Date'",
        "stage: 'Deal Stage'",
        "amount: 'Amount'",
        "created_date: 'Created'",
    ]
    for words in expected:
        assert words in result.stderr, (words, result.stderr)
    assert "Traceback" not in result.stderr


def test_reports_render_for_the_good_rows(tmp_path):
    rows = _opps(
        (0, {"amount": "-5"}),
        (1, {"rep_id": "R404"}),
        extra=[
            dict(
                OPPORTUNITIES[2],
                opportunity_id="O9",
                created_date="2099-01-01",
                close_date="2099-03-01",
            )
        ],
    )
    folder = _folder(tmp_path, opportunities=rows)
    ds = load_dataset(folder)
    assert len(ds.opportunities) == 2 and ds.reconciliation()["reconciles"].all()
    out = tmp_path / "out"
    result = spm(
        "run",
        "--data",
        str(folder),
        "--out",
        str(out),
        "--quiet",
        "--notebooks",
        "data_quality,rep_performance",
        "--period",
        "2025-Q1",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((out / "2025-Q1" / "all" / "manifest.json").read_text())
    assert [n["status"] for n in manifest["notebooks"]] == ["ok", "ok"]
    figures = manifest["notebooks"][0]["key_figures"]
    assert figures["rows_quarantined"] == 3
    page = (out / "2025-Q1" / "all" / "data_quality.html").read_text()
    assert "negative" in page and "R404" in page and "future" in page


def test_a_huge_text_cell_is_cut_and_counted_as_a_warning(tmp_path):
    reps = [dict(r) for r in REPS]
    reps[0]["name"] = "N" * 1_000_000
    ds = load_dataset(
        write_tables(
            tmp_path / "ds", {"reps": reps, "opportunities": OPPORTUNITIES, "accounts": ACCOUNTS}
        )
    )
    name = ds.tables["reps"].set_index("rep_id").loc[REPS[0]["rep_id"], "name"]
    assert name == "N" * 500 + "…"
    warned = ds.warnings[ds.warnings["check"] == "text_too_long"]
    assert warned[["table", "row", "key", "column"]].values.tolist() == [
        ["reps", 1, REPS[0]["rep_id"], "name"]
    ]
    assert "1,000,000 characters" in warned["reason"].iloc[0]
    assert len(ds.tables["reps"]) == len(REPS)  # kept, not dropped
