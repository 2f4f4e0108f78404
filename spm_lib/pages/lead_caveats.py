"""What the lead-conversion page says about the limits of the data it reads: a period moved to
where leads exist, an audience that only receives converted leads, leads without a usable
opportunity or timing, open leads no one can close out."""

from __future__ import annotations

import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.leads.figures import PeriodMoved
from spm_lib.leads.frame import NONE, has_leads, is_converted, is_open
from spm_lib.periods import Period

NO_LEADS = (
    "This dataset has no leads: add a leads table (lead_id, created_date, source, "
    "owner_rep_id, converted_date, opportunity_id, segment) to see the funnel. See the "
    "README."
)


def period_moved_text(moved: PeriodMoved | None, used: Period) -> str:
    """Why the report covers another period than the one asked for (empty: it does not)."""
    if moved is None:
        return ""
    why = (
        "the latest complete quarter of the leads."
        if moved.complete
        else "the quarter of the latest leads, which is not complete yet."
    )
    return (
        f"No lead was created in {moved.asked.label} (the last one came in on "
        f"{moved.last_lead:%Y-%m-%d}): this report covers {used.label}, {why}"
    )


def invalid_durations_note(count: int) -> str:
    """The sentence for converted leads left out of the timing."""
    lead = "converted lead has" if count == 1 else "converted leads have"
    return (
        f"{count:,} {lead} a conversion date before the created date (or none): counted as "
        "converted above, left out of the timing."
    )


def open_lead_caveats(frame: pd.DataFrame) -> list[str]:
    """What the data cannot say about open leads: no disqualifications recorded (every lead not
    converted is open), no owner on the open leads."""
    caveats = []
    unconverted = ~frame["converted"]
    if unconverted.any() and frame.loc[unconverted, "disqualified_date"].isna().all():
        caveats.append(
            "This data records no disqualified leads, so every lead that has not converted "
            "counts as open; with a disqualified_date, closed-out leads drop off this list."
        )
    open_ = frame[is_open(frame)]
    if len(open_) and (open_["owner_rep_id"] == NONE).all():
        caveats.append("Open leads carry no owner in this data, so they cannot be listed by owner.")
    return caveats


def audience_caveat(ds: Dataset) -> str:
    """A warning when the audience keeps only converted leads (an AE team: leads reach AEs only
    by converting), so that its conversion rates are 100% by construction; else ``""``."""
    if ds.company is None or not has_leads(ds):
        return ""
    if is_converted(ds["leads"]).all() and not is_converted(ds.company["leads"]).all():
        return (
            f"The audience {ds.audience} receives leads only once they convert (it owns no "
            "leads), so its conversion rates are 100% by construction; its win rates, revenue "
            "and speed are its own. Render the whole company or an SDR team for conversion."
        )
    return ""


def missing_opportunity_note(frame: pd.DataFrame) -> str:
    """The sentence for converted leads whose opportunity is not in the usable data (missing,
    or quarantined: see the data-quality report), or ``""`` when there are none."""
    count = int((frame["opportunity_id"].notna() & ~frame["opportunity_found"]).sum())
    if not count:
        return ""
    lead = "converted lead points" if count == 1 else "converted leads point"
    return (
        f"{count:,} {lead} to an opportunity that is not in the usable data (missing or "
        "quarantined, see the data-quality report): counted as converted, not as won."
    )
