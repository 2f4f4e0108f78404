"""The lead frame: one row per lead with its conversion, opportunity and group columns."""

from __future__ import annotations

import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.exceptions import DataError
from spm_lib.periods import Period

GROUPS = {
    "source": "source",
    "segment": "segment",
    "sdr": "owner_rep_id",
    "ae": "rep_id",
    "cohort": "cohort",
}
NONE = "(none)"
OUTSIDE = "(outside this audience)"  # the AEs of an audience's leads who are not in it, as one


def has_leads(ds: Dataset) -> bool:
    """Whether the dataset has a leads table with at least one lead."""
    return ds.has("leads") and len(ds["leads"]) > 0


def has_amounts(ds: Dataset) -> bool:
    """False when deals carry no money (``currency: deals``, each won deal counts 1)."""
    return ds.config.currency.strip().lower() != "deals"


def is_converted(leads: pd.DataFrame) -> pd.Series:
    """A lead is converted when it has a converted_date or an opportunity_id."""
    return leads["converted_date"].notna() | leads["opportunity_id"].notna()


def is_open(frame: pd.DataFrame) -> pd.Series:
    """Leads of a :func:`lead_frame` that are open: neither converted nor disqualified."""
    return ~frame["converted"] & frame["disqualified_date"].isna()


def lead_frame(ds: Dataset) -> pd.DataFrame:
    """One row per lead of the audience with its outcome, as of ``ds.as_of``.

    Columns: lead_id, created_date, source, segment, owner_rep_id (``(none)`` when empty;
    :data:`OUTSIDE` for an SDR outside a narrowed dataset's audience), converted (bool),
    converted_date, opportunity_id, opportunity_found (bool), rep_id (the AE; :data:`OUTSIDE`
    for an AE outside the audience), won (bool), lost (bool), won_date, revenue,
    disqualified_date, days_to_convert, days_to_won, cohort (``YYYY-MM`` of created_date).
    """
    if not ds.has("leads"):
        raise DataError(
            "the dataset has no leads table; lead conversion needs one (see the README)",
            table="leads",
            expected="a leads table",
        )
    leads = ds["leads"]
    # a lead's outcome is a fact whoever's audience this is: its opportunity is looked up in
    # the whole company's (a West SDR's lead may become another region's deal)
    opps = (ds.company or ds).opportunities.set_index("opportunity_id")
    opp = leads["opportunity_id"]
    found = opp.isin(opps.index)
    lookup = opps.reindex(opp.where(found))
    conv_date = leads["converted_date"].fillna(
        pd.Series(lookup["created_date"].to_numpy(), index=leads.index)
    )
    converted = is_converted(leads)
    won = pd.Series(lookup["is_won"].fillna(False).to_numpy(dtype=bool), index=leads.index)
    closed = pd.Series(lookup["is_closed"].fillna(False).to_numpy(dtype=bool), index=leads.index)
    won_date = pd.Series(lookup["close_date"].to_numpy(), index=leads.index).where(won)
    amount = pd.Series(lookup["amount"].to_numpy(dtype=float), index=leads.index)
    if "disqualified_date" in leads:
        disqualified = leads["disqualified_date"].where(~converted)
    else:
        disqualified = pd.Series(pd.NaT, index=leads.index)
    out = pd.DataFrame(
        {
            "lead_id": leads["lead_id"],
            "created_date": leads["created_date"],
            "source": _label(leads, "source"),
            "segment": _label(leads, "segment"),
            "owner_rep_id": _audience_only(ds, _label(leads, "owner_rep_id")),
            "converted": converted,
            "converted_date": conv_date.where(converted),
            "opportunity_id": opp,
            "opportunity_found": found,
            "rep_id": _audience_only(
                ds, pd.Series(lookup["rep_id"].to_numpy(), index=leads.index).fillna(NONE)
            ),
            "won": won,
            "lost": closed & ~won,
            "won_date": won_date,
            "revenue": amount.where(won, 0.0),
            "disqualified_date": disqualified,
        }
    )
    for column in ("created_date", "converted_date", "won_date", "disqualified_date"):
        out[column] = out[column].dt.normalize()  # whole days (exports may carry a time)
    out["days_to_convert"] = (out["converted_date"] - out["created_date"]).dt.days
    out["days_to_won"] = (out["won_date"] - out["created_date"]).dt.days
    out["cohort"] = out["created_date"].dt.strftime("%Y-%m")
    return out


def _audience_only(ds: Dataset, rep_ids: pd.Series) -> pd.Series:
    """``rep_ids`` with every rep outside a narrowed dataset's audience as :data:`OUTSIDE`: an
    SDR team's leads become other teams' deals, and other SDRs' leads an AE team's deals, whose
    people are shown only as one aggregate."""
    if ds.company is None:
        return rep_ids
    own = rep_ids.isin(ds["reps"]["rep_id"]) | rep_ids.eq(NONE)
    return rep_ids.where(own, OUTSIDE)


def _label(leads: pd.DataFrame, column: str) -> pd.Series:
    if column not in leads:
        return pd.Series(NONE, index=leads.index)
    return leads[column].fillna(NONE).astype(str)


def group_column(by: str) -> str:
    if by not in GROUPS:
        raise ValueError(f"by must be one of {', '.join(GROUPS)}; got {by!r}")
    return GROUPS[by]


def created_in(frame: pd.DataFrame, period: Period | None) -> pd.DataFrame:
    """The leads of ``frame`` created in ``period`` (all when None)."""
    if period is None:
        return frame
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    return frame[frame["created_date"].between(start, end)]
