"""Account potential: each account's expected bookings over the next year (a Poisson GLM)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spm_lib.dataset import Dataset


def as_of_date(ds: Dataset, as_of) -> pd.Timestamp:
    return pd.Timestamp(as_of if as_of is not None else ds.as_of)


def account_segments(ds: Dataset) -> pd.Series:
    """Segment per account (indexed by account_id): the accounts' ``segment`` column where
    filled, else the segment of the account's owner in ``reps``, else ``"(all)"``."""
    accounts = ds["accounts"]
    own = accounts["segment"] if "segment" in accounts else pd.Series(pd.NA, index=accounts.index)
    reps = ds.company.reps if ds.company is not None else ds.reps
    owner_segment = (
        accounts["owner_rep_id"].map(reps.set_index("rep_id")["segment"])
        if "segment" in reps
        else pd.Series(pd.NA, index=accounts.index)
    )
    segment = own.where(own.notna() & own.astype("str").str.len().gt(0), owner_segment)
    return pd.Series(segment.fillna("(all)").astype("str").to_numpy(), index=accounts["account_id"])


def _won_per_year(opps: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    won = opps[opps["is_won"] & (opps["close_date"] > start) & (opps["close_date"] <= end)]
    years = (end - start).days / 365.25
    return won.groupby("account_id")["amount"].sum() / years


def account_potential(ds: Dataset, as_of=None, history_months: int = 24) -> pd.DataFrame:
    """Expected bookings of each account over the next year.

    A Poisson GLM (log link, quasi-likelihood scale; statsmodels) of the yearly won amount in the
    latest half of the ``history_months`` window on log(1 + employees), log(1 + annual revenue),
    industry (which carries the industry's win rate and deal size) and the account's history,
    log(1 + won amount per year in the earlier half) with a flag for none. The potential is the
    model's prediction with the history shifted to the latest half: firmographics plus last
    year's bookings forecast next year's. Missing firmographics take the median.

    Returns per account: account_id, name, industry, segment, region, employees,
    annual_revenue, owner_rep_id, bookings_per_year (latest half of the window) and potential.
    ``attrs["fit"]``: correlation of fitted and observed bookings in the training year,
    deviance explained, accounts.
    """
    import statsmodels.api as sm

    accounts = ds["accounts"].copy()
    accounts["segment"] = accounts["account_id"].map(account_segments(ds)).to_numpy()
    end = as_of_date(ds, as_of)
    middle = end - pd.DateOffset(months=history_months // 2)
    start = end - pd.DateOffset(months=history_months)
    opps = ds.opportunities
    earlier = accounts["account_id"].map(_won_per_year(opps, start, middle)).fillna(0.0)
    latest = accounts["account_id"].map(_won_per_year(opps, middle, end)).fillna(0.0)
    accounts["bookings_per_year"] = latest
    employees = accounts["employees"].astype("float64")
    revenue = accounts["annual_revenue"].astype("float64")
    log_emp = np.log1p(employees.fillna(employees.median() if employees.notna().any() else 0))
    log_rev = np.log1p(revenue.fillna(revenue.median() if revenue.notna().any() else 0))
    industry = accounts["industry"].fillna("(unknown)")

    def design(history: pd.Series) -> pd.DataFrame:
        return pd.concat(
            [
                pd.Series(1.0, index=accounts.index, name="const"),
                log_emp.rename("log_employees"),
                log_rev.rename("log_revenue"),
                np.log1p(history).rename("log_past_bookings"),
                history.eq(0).astype(float).rename("no_past_bookings"),
                pd.get_dummies(industry, prefix="industry", drop_first=True, dtype=float),
            ],
            axis=1,
        )

    train, predict = design(earlier), design(latest)
    informative = train.std(ddof=0).gt(0) | (train.columns == "const")
    train, predict = train.loc[:, informative], predict.loc[:, informative]
    y = latest.to_numpy()
    explained = float("nan")
    if y.sum() > 0 and len(accounts) > train.shape[1] + 2:
        fit = sm.GLM(y / y.mean(), train, family=sm.families.Poisson()).fit(scale="X2")
        fitted = fit.predict(train) * y.mean()
        accounts["potential"] = fit.predict(predict) * y.mean()
        if fit.null_deviance:
            explained = float(1 - fit.deviance / fit.null_deviance)
    else:
        fitted = np.full(len(y), y.mean() if len(y) else 0.0)
        accounts["potential"] = fitted
    fitted = np.asarray(fitted, float)
    corr = float(np.corrcoef(fitted, y)[0, 1]) if y.std() > 0 and fitted.std() > 0 else float("nan")
    cols = [
        "account_id",
        "name",
        "industry",
        "segment",
        "region",
        "employees",
        "annual_revenue",
        "owner_rep_id",
        "bookings_per_year",
        "potential",
    ]
    out = accounts[[c for c in cols if c in accounts]]
    out.attrs["fit"] = {
        "correlation": corr,
        "deviance_explained": explained,
        "accounts": len(accounts),
    }
    return out
