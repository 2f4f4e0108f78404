"""A copy of a sample dataset with attack payloads in every text column a report shows (rep,
manager, team, region, account, product, stage, lead source and training module names) and in
the spm.yaml values pages print (the dataset's name, stage, module and commission plan names);
and vendor exports with payloads in every text column the importers write."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import yaml

PAYLOADS = (
    "<script>document.title='pwned'</script>",
    "<img src=x onerror=\"document.title='pwned'\">",
    '"><svg onload="document.title=\'pwned\'">',
    "[click](javascript:document.title='pwned')",
    "$\\unicode{x}$ $x^2$",
    "{x} ${7*7}",
    '=HYPERLINK("http://example.invalid","x")',
)
DATASET_NAME = f"{PAYLOADS[1]} Corp"  # spm.yaml name: the header of every page
SMALL_SOURCES = (PAYLOADS[0], PAYLOADS[5])  # fewer than 30 leads: the pooled-sources note


def _renamed(values: pd.Series) -> dict[str, str]:
    """Each distinct value -> a payload, then the value (so that values stay distinct)."""
    distinct = sorted(values.dropna().astype(str).unique())
    return {v: f"{PAYLOADS[i % len(PAYLOADS)]} {v}" for i, v in enumerate(distinct)}


def write_payload_dataset(sample: Path, out: Path) -> Path:
    """``sample`` copied to ``out`` with the payloads written in (see the module docstring)."""
    shutil.copytree(sample, out)

    def rewrite(name: str, change) -> None:
        path = out / f"{name}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        change(frame)
        frame.to_csv(path, index=False, lineterminator="\n")

    def names(frame: pd.DataFrame, column: str) -> None:
        frame[column] = [
            f"{PAYLOADS[i % len(PAYLOADS)]} {v}" if v else v for i, v in enumerate(frame[column])
        ]

    def mapped(frame: pd.DataFrame, column: str, mapping: dict[str, str]) -> None:
        frame[column] = frame[column].map(lambda v: mapping.get(v, v))

    opps = pd.read_csv(out / "opportunities.csv", dtype=str, keep_default_na=False)
    reps = pd.read_csv(out / "reps.csv", dtype=str, keep_default_na=False)
    products = _renamed(opps["product"])
    sources = _renamed(opps["lead_source"].replace("", None))
    groups = {c: _renamed(reps[c].replace("", None)) for c in ("manager", "team", "region")}
    stage = "Discovery"
    new_stage = f"Discovery {PAYLOADS[4]} {PAYLOADS[0]}"
    module = "Discovery Mastery"
    new_module = f"{PAYLOADS[2]} Mastery {PAYLOADS[4]}"

    def change_reps(frame):
        names(frame, "name")
        for column, mapping in groups.items():
            mapped(frame, column, mapping)

    def change_opps(frame):
        mapped(frame, "product", products)
        mapped(frame, "lead_source", sources)
        mapped(frame, "stage", {stage: new_stage})

    def change_leads(frame):
        mapped(frame, "source", sources)
        for i, small in enumerate(SMALL_SOURCES):  # two sources of 12 leads each
            frame.loc[frame.index[i * 12 : (i + 1) * 12], "source"] = small

    rewrite("reps", change_reps)

    def change_accounts(frame):
        names(frame, "name")
        mapped(frame, "region", groups["region"])  # territories pair accounts and reps by region

    rewrite("accounts", change_accounts)
    rewrite("opportunities", change_opps)
    for history in ("stage_history", "opportunity_history"):
        rewrite(history, lambda f: mapped(f, "stage", {stage: new_stage}))
    rewrite("leads", change_leads)
    rewrite("trainings", lambda f: mapped(f, "module", {module: new_module}))
    config = yaml.safe_load((out / "spm.yaml").read_text())
    config["stages"] = [new_stage if s == stage else s for s in config["stages"]]
    config["training_catalogue"] = {
        (new_module if k == module else k): (
            {**v, "stage": new_stage} if v.get("stage") == stage else v
        )
        for k, v in config["training_catalogue"].items()
    }
    config["name"] = DATASET_NAME
    config["commission_plans"] = {
        f"{PAYLOADS[2]} {name}": plan
        for name, plan in (config.get("commission_plans") or {}).items()
    }
    for plan in (config.get("commission_plans") or {}).values():
        for spif in plan.get("spifs") or []:
            if "product" in spif:
                spif["product"] = products.get(spif["product"], spif["product"])
        for key, values in (plan.get("applies_to") or {}).items():
            if key in groups:
                plan["applies_to"][key] = [groups[key].get(v, v) for v in values]
    (out / "spm.yaml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return out


CURRENCY_PAYLOAD = PAYLOADS[1]  # written into a few rows' currency column by the exports below
CURRENCY_ROWS = 5


def write_payload_exports(sample: Path, out: Path) -> dict[str, list[Path]]:
    """A HubSpot deals export and a Salesforce report export of ``sample`` (see
    :mod:`tests.importers.vendor_exports`) with the payloads in every text column the importers
    write into the dataset: deal and opportunity names, owners, accounts, pipelines, stages,
    types, lead sources, the users' roles, managers, divisions and departments, and the
    currency column of :data:`CURRENCY_ROWS` rows."""
    from tests.importers import vendor_exports

    def payloaded(frame: pd.DataFrame, columns: list[str]) -> None:
        for column in columns:
            mapping = _renamed(frame[column].replace("", None))
            frame[column] = frame[column].map(lambda v, m=mapping: m.get(v, v))

    def currency(frame: pd.DataFrame, column: str) -> None:
        frame[column] = "USD"
        frame.loc[frame.index[:CURRENCY_ROWS], column] = CURRENCY_PAYLOAD

    hubspot = vendor_exports.hubspot(sample, out / "hubspot")
    deals = pd.read_csv(hubspot, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    deals["Deal Type"] = pd.read_csv(sample / "opportunities.csv", dtype=str)["product"]
    payloaded(deals, ["Deal Name", "Pipeline", "Associated Company", "Deal Type"])
    owners = _renamed(deals["Deal owner"])
    deals["Deal owner"] = deals["Deal owner"].map(owners)
    deals["Deal Stage"] = deals["Deal Stage"].replace(
        "Presentation Scheduled", f"Presentation {PAYLOADS[3]} Scheduled"
    )
    currency(deals, "Currency")
    deals.to_csv(hubspot, index=False, encoding="utf-8")
    report, history, users = vendor_exports.salesforce(sample, out / "salesforce")
    frames = {
        p: pd.read_csv(p, dtype=str, keep_default_na=False, encoding="cp1252")
        for p in (report, history, users)
    }
    owners = _renamed(frames[users]["Full Name"])
    stage = {"Needs Analysis": f"Needs {PAYLOADS[0]} Analysis"}
    o = frames[report]
    payloaded(o, ["Opportunity Name", "Account Name", "Lead Source", "Type"])
    o["Opportunity Owner"] = o["Opportunity Owner"].map(owners)
    o["Stage"] = o["Stage"].replace(stage)
    currency(o, "Amount Currency")
    o["Amount"] = o["Amount"].str.replace("USD ", "", regex=False)
    frames[history]["To Stage"] = frames[history]["To Stage"].replace(stage)
    u = frames[users]
    u["Full Name"] = u["Full Name"].map(owners)
    payloaded(u, ["Role", "Manager", "Division", "Department"])
    for path, frame in frames.items():
        frame.to_csv(path, index=False, encoding="utf-8")
    return {
        "hubspot": [hubspot],
        "salesforce": [report, history, users],
        "salesforce-export": [_data_export(out / "data-export")],
    }


def _data_export(out: Path) -> Path:
    """The small Salesforce Data Export (:mod:`tests.dataset.salesforce_export`) with the
    payloads in the text fields the object adapter writes: users', roles', accounts' and
    deals' names, division, industry, lead source, a CurrencyIsoCode."""
    from tests.dataset import salesforce_export

    folder = salesforce_export.write(out)
    fields = {
        "User.csv": ["Name", "Division"],
        "UserRole.csv": ["Name"],
        "Account.csv": ["Name", "Industry"],
        "Opportunity.csv": ["Name", "LeadSource"],
    }
    for name, columns in fields.items():
        frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False, encoding="latin-1")
        for column in columns:
            frame[column] = [f"{PAYLOADS[i % 4]} {v}" for i, v in enumerate(frame[column])]
        if name == "Opportunity.csv":
            frame.loc[frame.index[:1], "CurrencyIsoCode"] = CURRENCY_PAYLOAD
        frame.to_csv(folder / name, index=False, encoding="utf-8")
    return folder
