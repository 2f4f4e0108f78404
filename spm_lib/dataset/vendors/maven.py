"""Maven Analytics "CRM Sales Opportunities" export -> canonical tables.

Files: ``sales_pipeline.csv`` (opportunity_id, sales_agent, product, account, deal_stage,
engage_date, close_date, close_value), ``sales_teams.csv`` (sales_agent, manager,
regional_office), ``accounts.csv`` (account, sector, year_established, revenue in $ millions,
employees, office_location, subsidiary_of), ``products.csv`` (product, series, sales_price).

Mapping: sales_agent -> rep (id and name), manager -> manager and team, regional_office ->
region; engage_date -> created_date; close_value -> amount; deal_stage Prospecting / Engaging /
Won / Lost -> the stages of the same names (Won won, Lost lost); account -> account_id (open
deals without an account keep an empty one); sector -> industry with the export's typo
``technolgy`` corrected; revenue x 1,000,000 -> annual_revenue; office_location kept as a column.
The export has no account owner: the agent with the most deals on an account owns it, and the
account's region is that agent's office. Product ``GTXPro`` is the ``GTX Pro`` of products.csv.
Open deals carry no value in this export: their amount is the product's list price
(``amount_source`` says which). Prospecting deals have no engage date; the loader quarantines
them (no created_date), counted in the data-quality report. There are no quotas, stage history,
activities or trainings.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from spm_lib.dataset.readers import read_raw
from spm_lib.exceptions import DataError

PRODUCT_SPELLINGS = {"GTXPro": "GTX Pro"}
SECTOR_SPELLINGS = {"technolgy": "technology"}
REQUIRED = ("sales_pipeline.csv", "sales_teams.csv")


def _read(files: dict[str, Path], name: str) -> pd.DataFrame | None:
    path = files.get(name)
    if path is None:
        return None
    return read_raw(path, Path(name).stem)[0]  # one encoding, decided from the bytes


def convert(paths: list[Path]) -> tuple[dict[str, pd.DataFrame], dict]:
    """Canonical tables and ``spm.yaml`` content from the Maven export files."""
    files = {p.name: p for p in paths}
    missing = [name for name in REQUIRED if name not in files]
    if missing:
        raise DataError(
            f"Maven CRM export: missing {', '.join(missing)} (given: {', '.join(files) or 'none'})",
            expected=", ".join(missing),
        )
    pipeline = _read(files, "sales_pipeline.csv")
    teams = _read(files, "sales_teams.csv")
    accounts = _read(files, "accounts.csv")
    products = _read(files, "products.csv")
    tables = {"reps": _reps(teams), "opportunities": _opportunities(pipeline, products)}
    if accounts is not None:
        tables["accounts"] = _accounts(accounts, pipeline, teams)
    return tables, _config(pipeline)


def _reps(teams: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rep_id": teams["sales_agent"],
            "name": teams["sales_agent"],
            "manager": teams["manager"],
            "team": teams["manager"],
            "region": teams["regional_office"],
            "segment": pd.NA,
            "hire_date": pd.NA,
            "end_date": pd.NA,
        }
    )


def _opportunities(pipeline: pd.DataFrame, products: pd.DataFrame | None) -> pd.DataFrame:
    """Deals; an open deal (no close value) at its product's list price, said in
    ``amount_source``."""
    product = pipeline["product"].replace(PRODUCT_SPELLINGS)
    list_price = (
        product.map(products.set_index("product")["sales_price"]) if products is not None else None
    )
    has_value = pipeline["close_value"].notna()
    amount = pipeline["close_value"].where(has_value, list_price)
    return pd.DataFrame(
        {
            "opportunity_id": pipeline["opportunity_id"],
            "rep_id": pipeline["sales_agent"],
            "account_id": pipeline["account"],
            "product": product,
            "created_date": pipeline["engage_date"],
            "close_date": pipeline["close_date"],
            "stage": pipeline["deal_stage"],
            "amount": amount,
            "amount_source": pd.Series("close_value", index=pipeline.index).where(
                has_value, "list price"
            ),
        }
    )


def _accounts(accounts: pd.DataFrame, pipeline: pd.DataFrame, teams: pd.DataFrame) -> pd.DataFrame:
    """Accounts. The export has no account owner: the agent with the most deals on the account
    owns it (ties to the first in name order), and the account sits in that agent's region."""
    revenue = pd.to_numeric(accounts["revenue"], errors="coerce") * 1_000_000
    deals = pipeline.dropna(subset=["account"]).groupby(["account", "sales_agent"]).size()
    deals = (
        deals.rename("deals")
        .reset_index()
        .sort_values(["account", "deals", "sales_agent"], ascending=[True, False, True])
    )
    owner = deals.drop_duplicates("account").set_index("account")["sales_agent"]
    owner_region = owner.map(teams.set_index("sales_agent")["regional_office"])
    return pd.DataFrame(
        {
            "account_id": accounts["account"],
            "name": accounts["account"],
            "industry": accounts["sector"].replace(SECTOR_SPELLINGS),
            "region": accounts["account"].map(owner_region),
            "employees": accounts["employees"],
            "annual_revenue": revenue.round(0),
            "owner_rep_id": accounts["account"].map(owner),
            "office_location": accounts["office_location"],
            "year_established": accounts["year_established"],
            "subsidiary_of": accounts["subsidiary_of"],
        }
    )


def _config(pipeline: pd.DataFrame) -> dict:
    """spm.yaml: USD, calendar fiscal year, the data's last date as the as-of date, Maven's
    stages, and what the adapter decided."""
    dates = pd.concat([pipeline["engage_date"], pipeline["close_date"]]).dropna()
    return {
        "currency": "USD",
        "fiscal_year_start_month": 1,
        "as_of": str(max(dates)) if len(dates) else None,
        "stages": [
            "Prospecting",
            "Engaging",
            {"name": "Won", "won": True},
            {"name": "Lost", "lost": True},
        ],
        "source": {
            "adapter": "maven",
            "notes": [
                "open deals: amount = product list price (column amount_source)",
                "product GTXPro read as GTX Pro; sector technolgy read as technology",
                "Prospecting deals have no engage date and are quarantined by the loader",
            ],
        },
    }
