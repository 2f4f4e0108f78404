"""The :class:`Dataset`: validated canonical tables, their quarantine and warnings, and what
is known about where they came from (built by :func:`spm_lib.dataset.load_dataset`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import pandas as pd

from spm_lib.dataset.config import Config
from spm_lib.dataset.segments import clauses_of
from spm_lib.exceptions import DataError
from spm_lib.periods import Period, parse_period

QUARANTINE_COLUMNS = ["table", "row", "key", "column", "check", "value", "reason"]
ALL_AUDIENCE = "All"
# reps.role values of people who develop leads rather than sell: they own leads, carry no
# bookings quota, and are left out of the selling reps (Dataset.reps)
LEAD_DEVELOPMENT_ROLES = ("SDR", "BDR")
# users who own records but do not sell (automated, integration, inactive without deals), as an
# importer marks them: kept so that what they own is accounted for, never ranked or paid
NON_SELLER = "Non-seller"
NOT_SELLING_ROLES = (*LEAD_DEVELOPMENT_ROLES, NON_SELLER.upper())


@dataclass
class Dataset:
    """Validated canonical tables plus what is known about where they came from.

    ``tables`` maps table name to its DataFrame of usable rows; ``quarantine`` has one row per
    (quarantined row, reason) with columns ``table, row, key, column, check, value, reason``
    (``row`` is the 1-based data row in the file, header excluded). ``warnings`` has the same
    columns for rows that are odd but real and stay in every figure
    (:mod:`spm_lib.dataset.row_warnings`): a subset of the used rows.
    """

    tables: Mapping[str, pd.DataFrame]  # a dict, or a snapshot's tables read when first used
    config: Config
    quarantine: pd.DataFrame
    rows_read: dict[str, int]
    source: str
    files: dict[str, str]
    fingerprint: str
    as_of: dt.date
    warnings: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=QUARANTINE_COLUMNS), repr=False
    )
    audience: str = ALL_AUDIENCE
    company: Dataset | None = field(default=None, repr=False)

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self.tables:
            raise KeyError(f"the dataset at {self.source} has no table {name!r}")
        return self.tables[name]

    def has(self, name: str) -> bool:
        return name in self.tables

    def get(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    @property
    def reps(self) -> pd.DataFrame:
        """The selling reps: every rep but those whose ``role`` is a lead-development role
        (:data:`LEAD_DEVELOPMENT_ROLES`) or ``Non-seller`` (any case). ``dataset["reps"]`` has
        everyone."""
        reps = self.tables["reps"]
        if "role" not in reps:
            return reps
        developing = reps["role"].str.upper().isin(NOT_SELLING_ROLES)
        return reps if not developing.any() else reps[~developing].reset_index(drop=True)

    @property
    def opportunities(self) -> pd.DataFrame:
        return self.tables["opportunities"]

    @property
    def rep_names(self) -> pd.Series:
        """rep_id -> name over everyone in the reps table (SDRs and people who left too)."""
        return self.tables["reps"].set_index("rep_id")["name"]

    def rows_quarantined(self) -> dict[str, int]:
        """Distinct quarantined rows per table (of the whole files, also when narrowed)."""
        counts = self.quarantine.drop_duplicates(["table", "row"]).groupby("table").size()
        return {t: int(counts.get(t, 0)) for t in self.rows_read}

    def rows_used(self) -> dict[str, int]:
        return {t: self._rows(t) for t in self.rows_read}

    def _rows(self, table: str) -> int:
        """Rows of a table, without reading a snapshot's table that is not read yet."""
        count = getattr(self.tables, "rows", None)
        return count(table) if count is not None else len(self.tables[table])

    def rows_warned(self) -> dict[str, int]:
        """Distinct used rows with at least one warning, per table."""
        counts = self.warnings.drop_duplicates(["table", "row"]).groupby("table").size()
        return {t: int(counts.get(t, 0)) for t in self.rows_read}

    def reconciliation(self) -> pd.DataFrame:
        """One row per table: rows_read, rows_used, rows_quarantined and whether they add up;
        rows_warned (used rows with a warning, counted within rows_used).

        Row accounting is about the files, so a narrowed dataset reports its company's figures.
        """
        if self.company is not None:
            return self.company.reconciliation()
        quarantined = self.rows_quarantined()
        warned = self.rows_warned()
        frame = pd.DataFrame(
            {
                "table": list(self.rows_read),
                "rows_read": [self.rows_read[t] for t in self.rows_read],
                "rows_used": [self._rows(t) for t in self.rows_read],
                "rows_quarantined": [quarantined[t] for t in self.rows_read],
            }
        )
        frame["reconciles"] = frame["rows_read"] == frame["rows_used"] + frame["rows_quarantined"]
        frame["rows_warned"] = [warned[t] for t in self.rows_read]
        return frame

    def period(self, text: str | Period, as_of: dt.date | None = None) -> Period:
        """Resolve a period string with this dataset's fiscal calendar and as-of date.

        A period that holds the data's as-of date before its last day is that period to date
        (day N of M, :meth:`~spm_lib.periods.Period.up_to`): its comparisons are the same days
        of other periods. ``latest`` is the last complete quarter in which a deal closed."""
        found = parse_period(
            text,
            fiscal_year_start_month=self.config.fiscal_year_start_month,
            as_of=as_of or self.as_of,
            data_as_of=self.as_of,
        )
        if isinstance(text, str) and text.strip().lower() == "latest":
            found = self._with_closed_deals(found)
        return found if isinstance(text, Period) else found.up_to(self.as_of)

    def _with_closed_deals(self, latest: Period) -> Period:
        """``latest``, or the last quarter before it in which a deal closed; a DataError
        naming the periods that have deals when none closed by its end."""
        opps = (self.company or self).opportunities
        closed = opps.loc[opps["is_closed"] & opps["close_date"].notna(), "close_date"]
        before = closed[closed <= pd.Timestamp(latest.end)]
        if before.empty and opps.empty:
            raise DataError(
                "period 'latest': no usable opportunity (the table is empty or every row is "
                "quarantined; `spm validate` lists why): pass a period with --period",
                table="opportunities",
                expected="at least one usable opportunity",
            )
        if before.empty:
            quarters = sorted({self.period_of(d).label for d in opps["created_date"].dropna()})
            shown = ", ".join(
                quarters[:3] + (["..."] if len(quarters) > 6 else []) + quarters[-3:]
                if len(quarters) > 6
                else quarters
            )
            raise DataError(
                f"period 'latest': no deal closed by {latest.end} (the data's as-of date is "
                f"{self.as_of}); deals were created in {shown or 'no period'}: pass one of "
                "them with --period",
                expected="a period in which deals closed",
            )
        last = before.max().date()
        return latest if last >= latest.start else self.period_of(last)

    def period_of(self, day: dt.date | pd.Timestamp) -> Period:
        """The fiscal quarter holding ``day``."""
        from spm_lib.periods import period_containing

        day = day.date() if isinstance(day, pd.Timestamp) else day
        return period_containing(day, "quarter", self.config.fiscal_year_start_month)

    @property
    def data_start(self) -> dt.date:
        """The first day of the data: the earliest opportunity created (the company's)."""
        created = (self.company or self).opportunities["created_date"].dropna()
        return created.min().date() if len(created) else self.as_of

    def covers(self, period: Period) -> bool:
        """Whether the data covers ``period`` whole: it starts on or after the data's first day
        and ends by the as-of date (a period to date ends on it). A figure for a period the data
        covers only in part is no base for a comparison."""
        return self.data_start <= period.start and period.end <= self.as_of

    def narrow(self, segment: str | None) -> Dataset:
        """The dataset restricted to an audience such as ``"region=West"``.

        ``segment`` is ``column=value`` on the reps table (several joined by ``;`` must all
        hold; :mod:`spm_lib.dataset.segments`); empty or ``All`` returns the dataset
        unchanged. Every table keeps only the rows of the audience's reps (opportunities by
        rep, stage history by opportunity, accounts owned by or dealt with by those reps). The
        quarantine keeps counts by table and reason only, without row details, since those rows
        may belong to people outside the audience. The whole-company dataset stays available as
        ``company`` for aggregate benchmarks. An audience that matches no rep is a DataError
        (its reports would show $0 as if real).
        """
        if not segment or segment.strip().lower() in ("all", "none"):
            return self
        reps = self.tables["reps"]
        mask, clauses = _audience_mask(reps, segment)
        tables = _audience_tables(dict(self.tables), reps[mask].reset_index(drop=True), clauses)
        opp_ids = pd.Index(tables["opportunities"]["opportunity_id"])
        # warnings are on opportunities (spm_lib.dataset.row_warnings): the audience's own deals
        warnings = self.warnings[self.warnings["key"].isin(opp_ids)].reset_index(drop=True)
        return replace(
            self,
            tables=tables,
            quarantine=_counts_only(self.quarantine),
            warnings=warnings,
            audience=segment.strip(),
            company=self.company or self,
        )


def _audience_mask(reps: pd.DataFrame, segment: str) -> tuple[pd.Series, list[tuple[str, str]]]:
    """The reps of the audience, and its clauses (column, value); a DataError when a column
    is not the reps' or no rep matches."""
    mask = pd.Series(True, index=reps.index)
    clauses: list[tuple[str, str]] = []
    for column, value in clauses_of(segment):
        if column not in reps.columns:
            raise DataError(
                f"audience {segment!r}: reps has no column {column!r} "
                f"(columns: {', '.join(reps.columns)})",
                table="reps",
                column=column,
                expected="a column of reps",
            )
        mask &= reps[column].astype("str").str.strip() == value
        clauses.append((column, value))
    if not mask.any():
        last = clauses[-1][0]
        shown = ", ".join(sorted({str(v) for v in reps[last].dropna()})[:12])
        raise DataError(
            f"audience {segment!r} matches no rep in the reps table: its reports would all "
            f"be empty (values of {last}: {shown or 'none'})",
            table="reps",
            column=last,
            expected="a value some rep has",
        )
    return mask, clauses


def _audience_tables(
    tables: dict[str, pd.DataFrame], reps: pd.DataFrame, clauses: list[tuple[str, str]]
) -> dict[str, pd.DataFrame]:
    """Every table restricted to the rows of the audience's ``reps``."""
    tables["reps"] = reps
    rep_ids = pd.Index(reps["rep_id"])
    for name, col in (
        ("opportunities", "rep_id"),
        ("quotas", "rep_id"),
        ("activities", "rep_id"),
        ("trainings", "rep_id"),
        ("rep_skills", "rep_id"),
    ):
        if name in tables:
            tables[name] = tables[name][tables[name][col].isin(rep_ids)].reset_index(drop=True)
    if "forecast_calls" in tables:  # a rep's own calls, or their manager's
        calls = tables["forecast_calls"]
        bosses = reps.get("manager", pd.Series(dtype=object))
        keep = calls["owner_id"].isin(rep_ids) | calls["owner_id"].isin(bosses)
        tables["forecast_calls"] = calls[keep].reset_index(drop=True)
    opp_ids = pd.Index(tables["opportunities"]["opportunity_id"])
    for name in ("stage_history", "opportunity_history"):
        if name in tables:
            frame = tables[name]
            tables[name] = frame[frame["opportunity_id"].isin(opp_ids)].reset_index(drop=True)
    if "accounts" in tables:
        acc = tables["accounts"]
        keep = acc["owner_rep_id"].isin(rep_ids) | acc["account_id"].isin(
            tables["opportunities"]["account_id"]
        )
        tables["accounts"] = acc[keep].reset_index(drop=True)
    if "leads" in tables:
        # a lead belongs to the audience through its owner, its opportunity, or its own
        # columns when the leads table has every column of the audience (segment=Enterprise)
        leads = tables["leads"]
        keep = leads["owner_rep_id"].isin(rep_ids) | leads["opportunity_id"].isin(opp_ids)
        if all(column in leads for column, _ in clauses):
            own = pd.Series(True, index=leads.index)
            for column, value in clauses:
                own &= leads[column].astype("str").str.strip() == value
            keep |= own
        tables["leads"] = leads[keep].reset_index(drop=True)
    return tables


def _counts_only(quarantine: pd.DataFrame) -> pd.DataFrame:
    """The quarantine by table and reason only: its rows may belong to people outside the
    audience."""
    quarantine = quarantine.copy()
    quarantine[["key", "value"]] = pd.NA
    quarantine["reason"] = (
        quarantine["check"].str.replace("_", " ")
        + " ("
        + quarantine["column"].astype("str")
        + "); details only in the whole-company report"
    )
    return quarantine
