"""Quota attainment: the one official definition every report uses, and its named variant.

- **attainment** (official) = credited bookings / quota, as the commission plan pays it
  (:func:`spm_lib.compensation.statements`): credited bookings are the won amounts credited to
  the rep by the deal's splits (the owner takes 100% of a deal without splits) to the period's
  end in the plan's quota periods overlapping the period; quota is the plan's quota for those
  periods (the quotas table or the plan's own amount), ramped as the plan's ``ramp`` says.
  Without commission plans: credited bookings in the period / the quotas table's rows in it.
- **attainment_owner** (variant, named): owner bookings (the deal's owner takes all of it, no
  splits) / the quotas table's rows in the period
  (:func:`spm_lib.measures.metrics.quota_attainment`).

A rep is at quota when attainment >= :data:`~spm_lib.measures.metrics.AT_QUOTA` exactly (99.93% is
not at quota); :func:`~spm_lib.measures.metrics.at_quota` counts the counted reps
(:mod:`spm_lib.measures.roster`: active or ramping) with a quota, once, for every report.
"""

from __future__ import annotations

import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.measures import metrics, roster
from spm_lib.measures.metrics import AT_QUOTA, at_quota  # noqa: F401 - counted once, in metrics
from spm_lib.periods import Period

COLUMNS = [
    "rep_id",
    "credited_bookings",
    "quota",
    "attainment",
    "owner_bookings",
    "owner_quota",
    "attainment_owner",
    "status",
    "counted",
]


def _from_statement(statement: pd.DataFrame) -> pd.DataFrame:
    from spm_lib.compensation.summaries import attainment_table

    return attainment_table(statement)[["rep_id", "credited_bookings", "quota", "attainment"]]


def _without_plans(ds: Dataset, period: Period) -> pd.DataFrame:
    from spm_lib.compensation.crediting import credits

    credit = credits(ds)
    inside = credit[period.mask(credit["close_date"])]
    booked = inside.groupby("rep_id")["credit"].sum().astype(float)
    quota = metrics.quota(ds, period, "rep").set_index("rep_id")["quota"]
    ids = quota.index.union(booked.index.intersection(ds["reps"]["rep_id"]))
    out = pd.DataFrame({"rep_id": ids})
    out["credited_bookings"] = out["rep_id"].map(booked).fillna(0.0).to_numpy()
    out["quota"] = out["rep_id"].map(quota).to_numpy(dtype=float)
    out["attainment"] = out["credited_bookings"] / out["quota"].where(out["quota"] > 0)
    return out


def rep_attainment(
    ds: Dataset, period: Period, statement: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per rep of the audience with a status in the period: the official attainment
    and the owner variant (see the module docstring), the rep's status and whether they are
    counted. ``statement`` reuses :func:`spm_lib.compensation.statements` for the period."""
    from spm_lib.compensation.summaries import statements

    if statement is None and ds.config.commission_plans:
        statement = statements(ds, period)
    official = (
        _from_statement(statement)
        if statement is not None and len(statement)
        else (_without_plans(ds, period))
    )
    owner = metrics.quota_attainment(ds, period, "rep").rename(
        columns={
            "bookings": "owner_bookings",
            "quota": "owner_quota",
            "attainment": "attainment_owner",
        }
    )
    status = roster.rep_status(ds, period)[["rep_id", "status", "counted"]]
    out = official.merge(
        owner[["rep_id", "owner_bookings", "owner_quota", "attainment_owner"]],
        on="rep_id",
        how="outer",
    )
    out = out.merge(status, on="rep_id", how="left")
    out["status"] = out["status"].fillna("not in the reps table")
    out["counted"] = out["counted"].fillna(False).astype(bool)
    out["credited_bookings"] = out["credited_bookings"].fillna(0.0)
    out["owner_bookings"] = out["owner_bookings"].fillna(0.0)
    return out[COLUMNS].sort_values("rep_id", ignore_index=True)


def total_attainment(table: pd.DataFrame) -> float:
    """The audience's attainment: credited bookings / quota summed over reps with a quota."""
    with_quota = table[table["quota"] > 0]
    quota = float(with_quota["quota"].sum())
    return float(with_quota["credited_bookings"].sum()) / quota if quota else float("nan")
