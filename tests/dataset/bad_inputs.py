"""More of the bad-input matrix (:mod:`tests.dataset.test_bad_input`), first half: the inputs
of "Nothing gets through" in numbers, currency codes, ids, encodings and files, and the
builders both halves use (:mod:`tests.dataset.bad_input_rules` has the rest). Each case: (id,
build(tmp_path) -> folder, outcome)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

from tests.helpers import ACCOUNTS, OPPORTUNITIES, REPS, write_tables

HISTORY = [
    {
        "opportunity_id": "O1",
        "changed_at": "2025-01-05 09:00:00",
        "stage": "Prospecting",
        "amount": "1000",
        "close_date": "2025-02-10",
    },
    {
        "opportunity_id": "O1",
        "changed_at": "2025-02-10 10:00:00",
        "stage": "Closed Won",
        "amount": "1000",
        "close_date": "2025-02-10",
    },
]
LEADS = [
    {
        "lead_id": "L1",
        "created_date": "2025-01-02",
        "source": "Web",
        "owner_rep_id": "R1",
        "converted_date": "2025-01-05",
        "opportunity_id": "O1",
    },
    {
        "lead_id": "L2",
        "created_date": "2025-01-03",
        "source": "Event",
        "owner_rep_id": "R2",
        "converted_date": "",
        "opportunity_id": "",
    },
]
QUOTAS = [
    {"rep_id": "R1", "period_start": "2025-01-01", "period_end": "2025-03-31", "amount": "10000"},
    {"rep_id": "R2", "period_start": "2025-01-01", "period_end": "2025-03-31", "amount": "12000"},
]


def opps(*changes: tuple[int, dict]) -> list[dict]:
    rows = [dict(r) for r in OPPORTUNITIES]
    for index, change in changes:
        rows[index].update(change)
    return rows


def folder(tmp: Path, opportunities=None, reps=None, yaml=None, **tables) -> Path:
    data = {
        "reps": reps or REPS,
        "opportunities": opportunities or OPPORTUNITIES,
        "accounts": ACCOUNTS,
    } | tables
    return write_tables(tmp / "ds", {k: v for k, v in data.items() if v is not None}, yaml)


def amounts(*values: str, yaml: str | None = None):
    """A dataset whose four deals have these amounts (as text, as written)."""
    return lambda t: folder(
        t, opportunities=opps(*((i, {"amount": v}) for i, v in enumerate(values))), yaml=yaml
    )


def rewritten(table: str, change, **kwargs):
    """The base dataset with ``table``'s file rewritten by ``change(path)``."""

    def build(tmp):
        out = folder(tmp, **kwargs)
        change(out / f"{table}.csv")
        return out

    return build


def recoded(encoding: str, tail: bytes = b""):
    def change(path):
        path.write_bytes(
            path.read_text(encoding="utf-8").replace("Ann Lee", "José Müller").encode(encoding)
            + tail
        )

    return rewritten("reps", change)


def header(text_of) -> callable:
    def change(path):
        lines = path.read_text().splitlines()
        lines[0] = text_of(lines[0])
        path.write_text("\n".join(lines) + "\n")

    return change


def strict_ascii(tmp):
    out = recoded("utf-8")(tmp)
    (out / "spm.yaml").write_text("mapping: {encoding: ascii}\n")
    return out


def binary_config(tmp):
    out = folder(tmp)
    (out / "spm.yaml").write_bytes(bytes(range(256)) * 4)
    return out


def csv_named_xlsx(tmp):
    out = folder(tmp)
    (out / "accounts.csv").rename(out / "accounts.xlsx")
    return out


def gzipped(tmp):
    out = folder(tmp)
    data = (out / "accounts.csv").read_bytes()
    (out / "accounts.csv").unlink()
    (out / "accounts.csv.gz").write_bytes(gzip.compress(data))
    return out


def separated(separator: str):
    def change(path):
        pd.read_csv(path, dtype=str, keep_default_na=False).to_csv(path, index=False, sep=separator)

    return rewritten("reps", change)


YAML_STAGES = (
    "stages: [Prospecting, Qualification, Proposal, {name: Closed Won, won: true}, "
    "{name: Closed Lost, lost: true}"
)


def ds_ok(check):
    return ("ok", check)


def amount_of(deal: str, value: float):
    return ds_ok(
        lambda ds: (
            abs(ds.opportunities.set_index("opportunity_id").loc[deal, "amount"] - value) < 1e-6
        )
    )


FORMAT_CASES = [
    # numbers by the file's format (a decimal comma decides, groups are strict)
    (
        "European amounts in a comma CSV",
        amounts("1.234,56", "63.500,00", "4000", "9000"),
        amount_of("O2", 63500.0),
    ),
    ("a decimal comma alone", amounts("1,5", "2500", "4000", "9000"), amount_of("O1", 1.5)),
    (
        "space-grouped European amounts",
        amounts("12 345,67", "2500", "4000", "9000"),
        amount_of("O1", 12345.67),
    ),
    (
        "an amount that reads two ways in a mixed column",
        amounts("1,234.56", "63.500,00", "2,000", "9000"),
        ("quarantine", "opportunities", "unparseable_number", [3]),
    ),
    (
        "digit groups that are not groups",
        amounts("1,23,456", "2500", "4000", "9000"),
        ("quarantine", "opportunities", "unparseable_number", [1]),
    ),
    (
        "an amount that is a word",
        amounts("lots", "2500", "4000", "9000"),
        ("quarantine", "opportunities", "unparseable_number", [1]),
    ),
    ("an amount in exponent form", amounts("1e3", "2500", "4000", "9000"), amount_of("O1", 1000.0)),
    (
        "number_format set: 1.000 is a thousand",
        amounts("1.000", "2.500", "4.000", "9.000", yaml='number_format: "1.234,56"\n'),
        amount_of("O1", 1000.0),
    ),
    (
        "number_format that is no format",
        amounts("1", "2", "3", "4", yaml='number_format: "#,##0.00"\n'),
        ("error", ["number_format", "expected one of"]),
    ),
    (
        "a currency code after a European amount",
        amounts("1.234,56 €", "2500", "4000", "9000"),
        amount_of("O1", 1234.56),
    ),
    (
        "a US amount with a code before it",
        amounts("USD 1,234.56", "2500", "4000", "9000"),
        amount_of("O1", 1234.56),
    ),
    # currency codes are ISO 4217 wherever they come from
    (
        "markup in a row's currency",
        lambda t: folder(
            t,
            opportunities=opps(
                (0, {"currency": "<img src=x onerror=alert(1)>"}), (1, {"currency": "USD"})
            ),
        ),
        ("quarantine", "opportunities", "invalid_currency", [1]),
    ),
    (
        "a four-letter currency",
        lambda t: folder(
            t, opportunities=opps((0, {"currency": "EURO"}), (1, {"currency": "USD"}))
        ),
        ("quarantine", "opportunities", "invalid_currency", [1]),
    ),
    (
        "a currency in lower case",
        lambda t: folder(t, opportunities=opps((0, {"currency": "usd"}), (1, {"currency": "USD"}))),
        amount_of("O1", 1000.0),
    ),
    (
        "spm.yaml currency that is no code",
        lambda t: folder(t, yaml="currency: US$\n"),
        ("error", ["currency is 'US$'", "ISO 4217"]),
    ),
    (
        "spm.yaml currency with markup",
        lambda t: folder(t, yaml="currency: '<img src=x onerror=alert(1)>'\n"),
        ("error", ["ISO 4217"]),
    ),
    (
        "spm.yaml currency deals",
        lambda t: folder(t, yaml="currency: deals\n"),
        ds_ok(lambda ds: ds.config.currency == "deals"),
    ),
    (
        "a currency_rates key that is no code",
        lambda t: folder(t, yaml="currency_rates: {'<b>': 1.1}\n"),
        ("error", ["expected ISO 4217 codes"]),
    ),
    (
        "a currency rate of zero",
        lambda t: folder(t, yaml="currency_rates: {EUR: 0}\n"),
        ("error", ["currency_rates.EUR is 0"]),
    ),
    # ids: Salesforce-shaped ids are never case-folded; aligned against every key read
    (
        "a Salesforce-shaped rep id in another case",
        lambda t: folder(
            t,
            reps=[dict(REPS[0], rep_id="005A0000001abcD"), *REPS[1:]],
            opportunities=opps(
                (0, {"rep_id": "005A0000001abcD"}), (1, {"rep_id": "005A0000001abcd"})
            ),
            accounts=pd.DataFrame(ACCOUNTS).assign(owner_rep_id=["005A0000001abcD", "R2"]),
        ),
        ("quarantine", "opportunities", "orphan_rep_id", [2]),
    ),
    (
        "ids that differ only by case, both keys",
        lambda t: folder(
            t,
            reps=[
                *REPS,
                dict(REPS[0], rep_id="Ab", name="A"),
                dict(REPS[0], rep_id="aB", name="B"),
            ],
            opportunities=opps((1, {"rep_id": "ab"})),
        ),
        ("quarantine", "opportunities", "ambiguous_rep_id", [2]),
    ),
    (
        "a rep id with spaces around it",
        lambda t: folder(t, opportunities=opps((1, {"rep_id": "  R2  "}))),
        ds_ok(lambda ds: ds.opportunities.loc[1, "rep_id"] == "R2"),
    ),
    (
        "an empty opportunity id",
        lambda t: folder(t, opportunities=opps((2, {"opportunity_id": ""}))),
        ("quarantine", "opportunities", "empty_opportunity_id", [3]),
    ),
    (
        "an account owned by nobody known",
        lambda t: folder(
            t,
            accounts=pd.DataFrame(ACCOUNTS).assign(owner_rep_id=["R1", "R404"]),
            opportunities=opps((1, {"account_id": "A1"})),
        ),
        ("quarantine", "accounts", "orphan_owner_rep_id", [2]),
    ),
    # encodings: one per file, decided once, read strictly
    (
        "a stray Windows-1252 byte in a UTF-8 file",
        recoded("utf-8", "R9,Ren\xe9\n".encode("cp1252")),
        ("error", ["reps.csv", "line 5", "is not UTF-8"]),
    ),
    (
        "a UTF-16 file",
        recoded("utf-16"),
        ds_ok(lambda ds: ds.reps.set_index("rep_id").loc["R1", "name"] == "José Müller"),
    ),
    (
        "a UTF-8 file with a BOM",
        recoded("utf-8-sig"),
        ds_ok(lambda ds: list(ds.reps.columns)[0] == "rep_id"),
    ),
    (
        "a Windows-1252 file",
        recoded("cp1252"),
        ds_ok(lambda ds: ds.reps.set_index("rep_id").loc["R1", "name"] == "José Müller"),
    ),
    (
        "an encoding spm.yaml sets that cannot read it",
        strict_ascii,
        ("error", ["cannot be decoded", "ascii"]),
    ),
    (
        "an encoding Python does not know",
        lambda t: folder(t, yaml="mapping: {encoding: klingon}\n"),
        ("error", ["no encoding Python knows"]),
    ),
    # files
    (
        "two columns of one name",
        rewritten("reps", header(lambda h: h.replace("team", "region"))),
        ("error", ["two columns named 'region'"]),
    ),
    ("a CSV named .xlsx", csv_named_xlsx, ("error", ["not an Excel workbook"])),
    (
        "a header of 6,000 columns",
        rewritten("accounts", header(lambda h: h + "," + ",".join(f"x{i}" for i in range(6000)))),
        ("error", ["more than 5,000 columns"]),
    ),
    (
        "a header line of two million characters",
        rewritten("accounts", header(lambda h: h + ",x" + "y" * 2_000_000)),
        ("error", ["characters"]),
    ),
    ("a gzipped table", gzipped, ds_ok(lambda ds: len(ds["accounts"]) == 2)),
    ("a tab-separated table", separated("\t"), ds_ok(lambda ds: len(ds.reps) == 3)),
    ("a pipe-separated table", separated("|"), ds_ok(lambda ds: len(ds.reps) == 3)),
    (
        "spaces around the header names",
        rewritten("reps", header(lambda h: ",".join(f" {c} " for c in h.split(",")))),
        ds_ok(lambda ds: "rep_id" in ds.reps.columns),
    ),
    (
        "a NUL byte inside a name",
        rewritten(
            "reps", lambda p: p.write_bytes(p.read_bytes().replace(b"Bob Ray", b"Bob\x00Ray"))
        ),
        ds_ok(lambda ds: len(ds.reps) == 3),
    ),
    (
        "markup in a name stays text",
        lambda t: folder(t, reps=[dict(REPS[0], name="<script>alert(1)</script>"), *REPS[1:]]),
        ds_ok(lambda ds: ds.reps.loc[0, "name"] == "<script>alert(1)</script>"),
    ),
    (
        "a formula in a name stays text",
        lambda t: folder(t, reps=[dict(REPS[0], name='=HYPERLINK("http://x.invalid")'), *REPS[1:]]),
        ds_ok(lambda ds: ds.reps.loc[0, "name"].startswith("=HYPERLINK")),
    ),
]
