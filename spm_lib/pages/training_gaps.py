"""The training-gaps report's words and sections (notebook ``training_gaps``; figures from
:mod:`spm_lib.training`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from spm_lib import training
from spm_lib.dataset import Dataset
from spm_lib.measures import roster
from spm_lib.pages.common import open_report, who_counts
from spm_lib.periods import Period
from spm_lib.report import format_change, plots
from spm_lib.report.display import note, say, table
from spm_lib.report.formats import format_currency
from spm_lib.report.keyfigures import key_figures as show_key_figures
from spm_lib.report.keyfigures import record, record_action
from spm_lib.report.section import Section, section

__all__ = [
    "GapPage",
    "assignments",
    "compute",
    "development_plans",
    "gap_table",
    "heatmap",
    "key_figures",
    "module_effects",
    "open_report",
    "recommendation_reasons",
]


@dataclass
class GapPage:
    """What the training-gaps page shows, computed once."""

    ds: Dataset
    period: Period
    threshold: float
    gaps: pd.DataFrame
    effects: pd.DataFrame  # measured module effects: a module that cannot help is not assigned

    @property
    def flagged(self) -> pd.DataFrame:
        return self.gaps[self.gaps["flagged"]]


def compute(ds: Dataset, period: Period, window_months: int, threshold: float) -> GapPage:
    gaps = training.skill_gaps(
        ds, as_of=period.end, window_months=window_months, threshold=threshold
    )
    return GapPage(ds, period, threshold, gaps, training.training_effects(ds))


@section
def key_figures(page: GapPage) -> Section:
    """Gaps flagged, reps affected and revenue at stake; and whom the report counts."""
    gaps, flagged = page.gaps, page.flagged
    if gaps.empty:
        note(
            "No stage history in this dataset: stage conversion, and so skill gaps, cannot be "
            "computed."
        )
    reps = flagged["rep_id"].nunique()
    show_key_figures(
        record(
            "gaps_flagged",
            len(flagged),
            label="Skill gaps flagged",
            unit="count",
            detail=f"of {len(gaps):,} rep-stage pairs measured",
        ),
        record("reps_affected", reps, label="Reps affected", unit="count"),
        record(
            "revenue_at_stake",
            flagged["revenue_at_stake"].sum(),
            label="Revenue at stake a year",
            unit="currency",
        ),
        reading=(
            f"{len(flagged)} gaps across {reps} reps are real beyond noise (at least "
            f"{page.threshold:.0%} likely and 20% below comparable peers)."
            if len(flagged)
            else "No rep converts clearly below comparable peers at any stage."
        ),
    )
    say(
        who_counts(roster.rep_status(page.ds, page.period))
        + " Only counted reps are flagged; the benchmark uses everyone's deals."
    )


def _points(value: float) -> str:
    return f"{value * 100:.0f} pts"


@section
def gap_table(page: GapPage) -> Section:
    """The flagged gaps, one row per rep and stage."""
    flagged = page.flagged
    if flagged.empty:
        note("No gap is flagged.")
        return
    shown = flagged.assign(name=flagged["rep_id"].map(page.ds.rep_names))
    top = shown.sort_values("revenue_at_stake", ascending=False).iloc[0]
    record_action(
        f"{len(flagged)} skill gaps are flagged across {flagged['rep_id'].nunique()} "
        f"reps, {format_currency(flagged['revenue_at_stake'].sum())} of revenue a year "
        f"at stake (largest: {top['name']} at {top['stage']}): act on the plans the "
        "report proposes (a module where it can help, else coaching).",
        "Which gaps cost the most?",
        weight=float(flagged["revenue_at_stake"].sum()),
    )
    pct = "percent"
    table(
        shown[
            [
                "name",
                "stage",
                "entered",
                "converted",
                "raw_rate",
                "shrunk_rate",
                "benchmark",
                "gap",
                "p_below",
                "revenue_at_stake",
            ]
        ],
        {
            "entered": "count",
            "converted": "count",
            "raw_rate": pct,
            "shrunk_rate": pct,
            "benchmark": pct,
            "gap": _points,
            "p_below": pct,
            "revenue_at_stake": "currency",
        },
        labels={"raw_rate": "Raw", "shrunk_rate": "Shrunk", "p_below": "P(below)"},
    )


HEATMAP_REPS = 60  # rows of the heatmap; beyond, the reps with the most and largest gaps


@section
def heatmap(page: GapPage) -> Section:
    """Gaps by rep and stage, red where a rep converts below peers (the :data:`HEATMAP_REPS`
    reps with the most flagged and then the largest gaps, when there are more)."""
    gaps = page.gaps
    reps = gaps["rep_id"].nunique()
    if reps > HEATMAP_REPS:
        order = gaps.groupby("rep_id").agg(flagged=("flagged", "sum"), gap=("gap", "max"))
        shown = order.sort_values(["flagged", "gap"], ascending=False).index[:HEATMAP_REPS]
        gaps = gaps[gaps["rep_id"].isin(shown)]
    heat = gaps.assign(name=gaps["rep_id"].map(page.ds.rep_names)).pivot_table(
        index="name", columns="stage", values="gap", aggfunc="first"
    )
    heat = heat.reindex(columns=[s for s in page.ds.config.open_stages if s in heat.columns])
    if heat.empty:
        return
    heat = heat.rename_axis(index="Rep", columns="Stage")
    plots.show(
        plots.gap_heatmap(
            heat,
            "Gaps below peers (red) concentrate in a few reps and stages",
            "Benchmark - shrunk rate",
        )
    )
    if reps > HEATMAP_REPS:
        note(
            f"The heatmap shows the {HEATMAP_REPS} reps of {reps:,} with the most flagged and "
            "then the largest gaps; the table above lists every flagged gap."
        )


@section
def assignments(page: GapPage) -> Section:
    """The module (or coaching) each flagged gap gets, and each manager's development plans."""
    ds = page.ds
    assigned = training.recommendations(ds, page.gaps, as_of=page.period.end, effects=page.effects)
    if assigned.empty:
        note("No assignment: no gap is flagged.")
        return
    shown = assigned.assign(reason=recommendation_reasons(assigned))
    table(
        shown[["name", "stage", "module", "reason", "revenue_at_stake"]],
        {"revenue_at_stake": "currency"},
    )
    plans = development_plans(ds, page.gaps, assigned, page.effects)
    for manager, team in ds.reps.groupby("manager"):
        mine = plans[plans["rep_id"].isin(team["rep_id"])]
        if len(mine):
            table(
                mine[["name", "revenue_at_stake", "plan"]],
                {"revenue_at_stake": "currency"},
                caption=f"Development plans, team of {manager}",
            )


EVIDENCE_NOTES = {
    "measured": "",
    "no_history": "not enough data: no stage history or trainings",
    "too_little": "not enough data",
}  # a module effect's evidence (spm_lib.training.training_effects) in words


@section
def module_effects(page: GapPage) -> Section:
    """Each module's measured effect on its stage's conversion, with its interval."""
    effects = page.effects.assign(note=page.effects["evidence"].map(EVIDENCE_NOTES))
    table(
        effects[
            [
                "module",
                "stage",
                "trained_reps",
                "entries",
                "relative_effect",
                "relative_lower",
                "relative_upper",
                "effect",
                "note",
            ]
        ],
        {
            "trained_reps": "count",
            "entries": "count",
            "relative_effect": format_change,
            "relative_lower": format_change,
            "relative_upper": format_change,
            "effect": lambda v: f"{v * 100:+.1f} pts",
        },
        labels={
            "relative_effect": "Effect on conversion",
            "relative_lower": "90% low",
            "relative_upper": "90% high",
            "effect": "In points",
        },
    )


def development_plans(
    ds: Dataset,
    gaps: pd.DataFrame,
    assignments: pd.DataFrame,
    effects: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One paragraph per flagged rep: top gaps, module, and a target only where the module's
    effect is measured (:func:`spm_lib.training.training_effects`, evidence ``measured``):
    the rep's conversion lifted by the measured relative effect, at most the benchmark.
    Columns: rep_id, name, revenue_at_stake, plan."""
    measured = _measured_effects(effects)
    names = ds.rep_names
    rows = []
    flagged = gaps[gaps["flagged"]]
    for rep, group in flagged.groupby("rep_id", sort=False):
        group = group.sort_values("revenue_at_stake", ascending=False)
        parts = []
        for gap in group.head(2).itertuples(index=False):
            modules = assignments[
                (assignments["rep_id"] == rep) & (assignments["stage"] == gap.stage)
            ]["module"]
            at_stake = format_currency(gap.revenue_at_stake, ds.config.currency)
            parts.append(
                f"{gap.stage} converts at {gap.shrunk_rate:.0%} against {gap.benchmark:.0%} for "
                f"comparable peers ({at_stake} a year at stake): "
                + plan_target(list(modules), gap.shrunk_rate, gap.benchmark, measured)
            )
        total = float(group["revenue_at_stake"].sum())
        plan = f"{names.get(rep, rep)}: " + "; ".join(parts) + "."
        rows.append(
            {"rep_id": rep, "name": names.get(rep, rep), "revenue_at_stake": total, "plan": plan}
        )
    out = pd.DataFrame(rows, columns=["rep_id", "name", "revenue_at_stake", "plan"])
    return out.sort_values("revenue_at_stake", ascending=False, ignore_index=True)


def _measured_effects(effects: pd.DataFrame | None) -> dict[str, float]:
    """Module -> its measured relative effect on its stage's conversion."""
    if effects is None or not len(effects) or "evidence" not in effects:
        return {}
    measured = effects[effects["evidence"].eq("measured") & effects["relative_effect"].notna()]
    return dict(zip(measured["module"], measured["relative_effect"], strict=True))


def plan_target(modules: list[str], rate: float, benchmark: float, measured: dict) -> str:
    """What a plan proposes for one gap: the module (or coaching), and a target only where the
    module's effect is measured: ``rate`` x (1 + effect), at most ``benchmark``; no horizon,
    since no effect of time is measured."""
    if not modules or modules == ["coaching"]:
        return "coaching; no target, since coaching's effect is not measured"
    effect = max((measured[m] for m in modules if m in measured), default=None)
    shown = ", ".join(modules)
    if effect is None or effect <= 0:
        return f"{shown}; no target, since the module's effect is not measured here"
    target = min(rate * (1 + effect), benchmark)
    return (
        f"{shown}, whose measured effect ({effect:+.0%} on conversion) sets a target of "
        f"{target:.0%}"
    )


def recommendation_reasons(assigned: pd.DataFrame) -> pd.Series:
    """Why each flagged gap gets its module or coaching, in words, from the reason code and
    the evidence :func:`spm_lib.training.recommendations` returns."""
    reasons = []
    for row in assigned.itertuples(index=False):
        base = (
            f"{row.stage}: converts {row.shrunk_rate:.0%} (shrunk) against a peer benchmark "
            f"of {row.benchmark:.0%} over {row.entered} decided deals"
        )
        if row.reason_code == "no_module":
            base += "; no module in the catalogue builds this stage"
        elif row.reason_code == "completed_recently":
            base += f"; completed {row.considered} recently, so coach rather than repeat it"
        elif row.reason_code == "effect_ruled_out":
            base += (
                f"; {row.considered}'s measured effect is {row.relative_effect:+.1%} (90% "
                f"interval {row.relative_lower:+.1%} to {row.relative_upper:+.1%}), which "
                f"rules out a useful gain of {training.MIN_USEFUL_EFFECT:.0%} or more, so "
                "coach instead"
            )
        reasons.append(base)
    return pd.Series(reasons, index=assigned.index, dtype=object)
