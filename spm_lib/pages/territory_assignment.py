"""The territory report's words and sections (notebook ``territory_assignment``; figures from
:mod:`spm_lib.territory`)."""

from __future__ import annotations

import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.pages.common import open_report
from spm_lib.periods import Period
from spm_lib.report import format_currency, plots
from spm_lib.report.display import note, say, table
from spm_lib.report.keyfigures import key_figures as show_key_figures
from spm_lib.report.keyfigures import record, record_action
from spm_lib.report.section import Section, section
from spm_lib.territory import assignment, books, profile
from spm_lib.territory.assignment import AssignmentResult, RegionPooling, Relaxation
from spm_lib.territory.solver import SolveMethod

__all__ = [
    "MOVE_FORMATS",
    "MOVE_LABELS",
    "PER_REP_FORMATS",
    "balance",
    "compute",
    "key_figures",
    "model",
    "move_reasons",
    "moves",
    "open_report",
    "pooling_text",
    "reading",
    "relaxation_text",
    "solve_method_text",
]

PER_REP_FORMATS = {
    "accounts_today": "count",
    "accounts_proposed": "count",
    "potential_today": "currency",
    "potential_proposed": "currency",
    "open_pipeline_proposed": "currency",
    "tenure_months": "count",
    "closed": "count",
    "win_rate": "percent",
    "deal_size": "currency",
    "strongest_win_rate": "percent",
    "strongest_closed": "count",
    "strongest_skill_level": "count",
}


def compute(
    ds: Dataset, period: Period, max_moves_pct: float, balance_tolerance: float
) -> AssignmentResult | None:
    """The proposed assignment (constraints relaxed step by step if they have no solution, each
    step noted), or None without usable accounts or without an active rep."""
    if not ds.has("accounts") or ds["accounts"].empty:
        note(
            "No usable accounts in this dataset (no accounts table, or every row quarantined): "
            "territories cannot be analysed."
        )
        return None
    if books.active_reps(ds, period.end).empty:
        note(
            f"No rep of this audience is active at the end of {period.label} (everyone in it "
            "has left): there is no one to assign accounts to."
        )
        return None
    result, relaxed = assignment.optimize_with_relaxation(
        ds, max_moves_pct=max_moves_pct, balance_tolerance=balance_tolerance, as_of=period.end
    )
    for step in relaxed:
        note(f"The constraints as set have no solution; {relaxation_text(step)}.")
    if result.problem is not None and result.problem.region_pooling is not None:
        note(f"Pools: {pooling_text(result.problem.region_pooling)}.")
    return result


def solve_method_text(method: SolveMethod) -> str:
    """How the assignment was solved, in words (:class:`spm_lib.territory.solver.SolveMethod`)."""
    if not method.pool_by_pool:
        return "one model for all pools"
    how = "pool by pool (the move limit split over the pools by their accounts)"
    if method.pool_gap is not None:
        how += (
            f"; each pool's gain within {method.pool_gap:.2%} of the best of the pairs it "
            "considered (proven by its bound)"
        )
    if method.restricted_pools:
        how += (
            f"; in {method.restricted_pools} large pools each account considered its owner, "
            f"the pool's {method.candidates_best} best reps in its industry and "
            f"{method.candidates_spread} others spread over the pool"
        )
    return how


def relaxation_text(step: Relaxation) -> str:
    """A relaxed constraint in words, with the solver's reason."""
    if step.constraint == "max_moves_pct":
        return f"move limit raised to {step.value:.0%} ({step.reason})"
    if step.constraint == "no_worse_balance":
        return f"the proposal may be less balanced than today ({step.reason})"
    return f"balance tolerance widened to {step.value:.0%} ({step.reason})"


def pooling_text(pooling: RegionPooling) -> str:
    """How the pools treat reps without a region, in words."""
    if pooling.code == "no_region_level":
        return (
            "the reps have no region (the hierarchy has no such level for them), so "
            "accounts are assigned across regions"
        )
    return (
        f"{pooling.without_region} active reps have no region; {pooling.pooled} of them "
        "are pooled with the region most of their accounts are in"
    )


@section
def key_figures(result: AssignmentResult | None, balance_tolerance: float) -> Section:
    """Expected bookings uplift, accounts moved and the balance of potential, today and
    proposed."""
    if result is None:
        return
    f = result.figures
    forced = f", plus {int(f['forced_moves'])} of reps who left" if f["forced_moves"] else ""
    show_key_figures(
        record(
            "expected_revenue_uplift_pct",
            f["expected_revenue_uplift_pct"],
            label="Expected bookings uplift",
            unit="percent",
            detail=f"{format_currency(f['expected_revenue_before'])} to "
            f"{format_currency(f['expected_revenue_after'])} a year",
        ),
        record(
            "accounts_moved_pct",
            f["accounts_moved_pct"],
            label="Accounts moved",
            unit="percent",
            detail=f"{int(f['accounts_moved'])} of {len(result.assignment)} accounts{forced}",
        ),
        record(
            "potential_cv_before",
            f["potential_cv_before"],
            label="Potential CV today",
            unit="number",
        ),
        record(
            "potential_cv_after",
            f["potential_cv_after"],
            label="Potential CV proposed",
            unit="number",
        ),
        reading=reading(result, balance_tolerance),
    )


@section
def balance(result: AssignmentResult | None, ds: Dataset, balance_tolerance: float) -> Section:
    """Potential per rep today and proposed, against the pool's mean, and each rep's book."""
    if result is None:
        return
    f = result.figures
    plots.show(
        plots.balance_chart(
            result.before,
            result.after,
            balance_tolerance,
            f"Proposed: each rep within {balance_tolerance:.0%} of the pool's mean or no further "
            f"than today (CV {f['potential_cv_before']:.3f} today, "
            f"{f['potential_cv_after']:.3f} proposed)",
        )
    )
    say(
        "Gini of potential across reps (relative to their pool's mean, 0 = equal): **{b}** "
        "today, **{a}** proposed; {n} reps in {p} pools.",
        b=f"{f['gini_before']:.3f}",
        a=f"{f['gini_after']:.3f}",
        n=len(result.after),
        p=result.after["pool"].nunique(),
    )
    table(
        assignment.per_rep_summary(result, ds),
        PER_REP_FORMATS,
        caption="Per rep: book today and proposed, and the record behind the proposal",
        max_rows=200,
    )


MOVE_FORMATS = {"potential": "currency", "net_gain": "currency", "evidence": "count"}
MOVE_LABELS = {
    "from_name": "From",
    "to_name": "To",
    "net_gain": "Gain after cost a year",
    "evidence": "Deals behind the new rate",
}


@section
def moves(result: AssignmentResult | None) -> Section:
    """The accounts that move, the largest gain after cost first, each with its reason and the
    deals behind the rate it rests on; then those that must move (their owner left)."""
    if result is None:
        return
    settings = result.settings or {}
    cost, floor = settings.get("move_cost_pct", 0.0), settings.get("min_evidence", 0)
    say(
        "A move must gain at least **{c}** of the account's expected bookings (the cost of a "
        "hand-over), and a rep's rate in an industry counts only with at least {n} closed deals "
        "there (else the rep's overall rate is the prior, and the reason says so).",
        c=f"{cost:.0%}",
        n=floor,
    )
    if result.within_tolerance:
        note(
            "The best gain found is within the solver's tolerance (the bound it can prove lies "
            "further above it than the gain itself, at the tightest gap tried): no move is "
            "proposed."
        )
    if result.moves.empty:
        note("No move pays for itself: today's assignment stays.")
        return
    f = result.figures
    voluntary = result.moves[~result.moves["forced"]]
    if len(voluntary):
        record_action(
            f"Moving {len(voluntary):,} accounts is expected to add "
            f"{format_currency(f['net_gain'])} of bookings a year after the cost of "
            "the moves: review the proposed moves.",
            "Which accounts move, and why?",
            weight=float(f["net_gain"]),
        )
        columns = [
            "account",
            "industry",
            "potential",
            "from_name",
            "to_name",
            "net_gain",
            "evidence",
            "reason",
        ]
        shown = voluntary.assign(reason=move_reasons(voluntary))
        table(
            shown[columns],
            MOVE_FORMATS,
            max_rows=300,
            labels=MOVE_LABELS,
            caption="Proposed moves, the largest gain after cost first",
        )
    else:
        note("No move pays for itself: only the accounts that must move are placed.")
    forced = result.moves[result.moves["forced"]]
    if len(forced):
        forced = forced.assign(reason=move_reasons(forced))
        table(
            forced[["account", "industry", "potential", "from_name", "to_name", "reason"]],
            {"potential": "currency"},
            max_rows=300,
            labels=MOVE_LABELS,
            caption="Accounts that must move (their owner has left or sells no more)",
        )


@section
def model(result: AssignmentResult | None, ds: Dataset) -> Section:
    """How well potential predicts bookings, and what recorded skills add to win rates."""
    if result is None:
        return
    fit = result.fit
    say(
        "Potential (next year's bookings from employees, revenue, industry and last year's "
        "bookings) correlates **{r}** with the accounts' bookings in the training year; the "
        "model explains {d} of the deviance.",
        r=f"{fit['correlation']:.2f}",
        d=f"{fit['deviance_explained']:.0%}",
    )
    if result.solved is not None and result.solved.pool_by_pool:
        note(
            f"At this size the assignment was solved {solve_method_text(result.solved)}; each "
            "pool's share of the move limit is its share of the accounts."
        )
    if not ds.has("rep_skills"):
        note("No rep_skills table: win rates come from history alone.")
        return
    skills = profile.skill_table(result.profile)
    say(
        "Recorded skill levels move a rep's expected win rate by a factor of {lo} to {hi} "
        "(1 = no effect), as much as history shows they predict.",
        lo=f"{skills['factor'].min():.2f}",
        hi=f"{skills['factor'].max():.2f}",
    )
    table(
        skills,
        {"factor": "number", "closed": "count", "won": "count"},
        caption="Wins against those expected at the rep's overall rate, by recorded skill level",
    )


def reading(result: AssignmentResult, balance_tolerance: float) -> str:
    """The one-line reading of the key figures."""
    f = result.figures
    if not f["accounts_moved"] and not f["forced_moves"]:
        return "No move pays for itself within the constraints: today's assignment stays."
    balance = (
        "more balanced than today"
        if f["potential_cv_after"] < f["potential_cv_before"] - 0.005
        else "as balanced as today"
    )
    return (
        f"Moving {f['accounts_moved_pct']:.0%} of accounts to reps who win more often in their "
        f"industry raises expected bookings by {f['expected_revenue_uplift_pct']:.1%} a year "
        f"({format_currency(f['net_gain'])} after the cost of the moves); each rep's potential "
        f"stays within {balance_tolerance:.0%} of the pool's mean or no further than today, "
        f"{balance}."
    )


def move_reasons(moves: pd.DataFrame) -> pd.Series:
    """Why each account moves, in words: its ``reason_code`` and the evidence behind each rate
    (the deals behind a rep's rate in the account's industry, or the overall rate used as the
    prior)."""
    from_name = moves["from_name"].where(moves["from_name"].notna(), moves["from_rep"])
    to_name = moves["to_name"].where(moves["to_name"].notna(), moves["to_rep"])

    def evidence(name, industry: str, rate: float, basis: str, closed: int) -> str:
        if basis == "industry":
            return f"{name} wins {rate:.0%} in {industry} ({closed} closed)"
        return (
            f"{name}'s overall rate {rate:.0%} used as the prior ({closed} closed in "
            f"{industry}, too few to rate alone)"
        )

    reasons = []
    for row, old, new in zip(moves.itertuples(index=False), from_name, to_name, strict=True):
        to_words = evidence(new, row.industry, row.to_rate, row.rate_basis, row.evidence)
        if row.reason_code == "no_owner":
            reasons.append(f"no owner yet; {to_words}")
        elif row.reason_code == "owner_left":
            reasons.append(f"{old} has left or is no selling rep; {to_words}")
        else:
            from_words = evidence(
                old, row.industry, row.from_rate, row.from_basis, row.from_evidence
            )
            reasons.append(f"{to_words}, against {from_words}")
    return pd.Series(reasons, index=moves.index, dtype=object)
