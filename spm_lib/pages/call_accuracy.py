"""The pipeline-review page's call accuracy: whose forecast calls sit beyond noise from the
actual, each caller's flag (:func:`spm_lib.pipeline.calls.call_accuracy`) in words, and the
table of every rep's or manager's record."""

from __future__ import annotations

import pandas as pd

from spm_lib.pipeline import calls
from spm_lib.report import format_percent
from spm_lib.report.display import note, say, table
from spm_lib.report.keyfigures import record_action, record_table

PCT = "percent"
NOT_SHOWN = {"owner_id", "level", "conversion_lower", "conversion_upper", "hit_lower", "hit_upper"}
UNBOUNDED_FACTOR = 10  # a bound this many times past the estimate (or 100%) says nothing


def bound_text(bound: float, estimate: float) -> str:
    """An interval bound as shown: a percent, or ``unbounded`` when it lies more than
    :data:`UNBOUNDED_FACTOR` times past the estimate (at least 10 x 10%); empty when missing."""
    if bound != bound:
        return ""
    if abs(bound) > UNBOUNDED_FACTOR * max(abs(estimate), 0.1):
        return "unbounded"
    return format_percent(bound)


def show_call_accuracy(accuracy: pd.DataFrame, rep_names: pd.Series, level: str) -> None:
    """The call accuracy of every rep or manager (``level``): who is biased, and the table."""
    acc = accuracy[accuracy["level"] == level].copy()
    if acc.empty:
        note(f"No {level} has a call and bookings in a closed period.")
        return
    if level == "rep":
        acc.insert(1, "name", acc["owner_id"].map(rep_names).fillna(acc["owner_id"]))
    readings = call_readings(acc)
    biased = acc["flag"].isin(calls.BIASED)
    acc["flag"] = acc["flag"].map(FLAG_LABELS)
    flagged = acc[biased]
    if len(flagged):
        names = ", ".join(
            f"{n} ({f})"
            for n, f in zip(flagged.get("name", flagged["owner_id"]), flagged["flag"], strict=True)
        )
        say("Biased beyond noise: {names}.", names=names)
        record_action(
            f"{len(flagged)} {level}s' calls are biased beyond noise ({names}): "
            "read their commits with that in mind.",
            "Whose calls can you trust?",
            weight=float(len(flagged)),
        )
    else:
        say("No {level}'s calls are biased beyond noise.", level=level)
    pct = PCT
    name = [c for c in ("name", "owner_id") if c in acc.columns][:1]
    columns = name + [c for c in calls.ACCURACY_COLUMNS if c not in NOT_SHOWN]
    shown = acc[columns].sort_values("bias")
    for bound in ("bias_lower", "bias_upper"):
        shown[bound] = [bound_text(b, e) for b, e in zip(shown[bound], shown["bias"], strict=True)]
    table(
        shown,
        {
            "periods": "count",
            "bias": pct,
            "baseline": pct,
            "conversion": pct,
            "hit_rate": pct,
            "value_added": pct,
            "value_lower": pct,
            "value_upper": pct,
        },
        labels={
            "owner_id": "Manager",
            "bias_lower": "Bias low",
            "bias_upper": "Bias high",
            "baseline": "Against",
            "conversion": "Commit conversion",
            "hit_rate": "Hit rate (10%)",
            "value_added": "Value added",
            "value_lower": "Value low",
            "value_upper": "Value high",
        },
        max_rows=200,
    )
    record_table(f"call_accuracy_{level}", acc.assign(reading=readings))


FLAG_LABELS = {
    "sandbagging": "sandbagging",
    "over_committing": "over-committing",
    "no_clear_bias": "no clear bias",
    "too_few_periods": "not enough periods",
}  # a caller's flag (spm_lib.pipeline.calls.FLAGS) as the page shows it


def call_readings(accuracy: pd.DataFrame) -> pd.Series:
    """Each caller's flag (:func:`spm_lib.pipeline.calls.call_accuracy`) in words: how far
    the calls sit from the actual or the company norm, or why there is no verdict."""

    def reading(row) -> str:
        if row.flag == "too_few_periods":
            return f"not enough periods ({row.periods} of {calls.MIN_PERIODS})"
        if row.flag == "no_clear_bias":
            return "no bias beyond noise"
        sign = "below" if row.flag == "sandbagging" else "above"
        return (
            f"calls {abs(row.bias - row.baseline) * 100:.0f}% {sign} the "
            f"{'actual' if row.baseline == 0 else 'company norm'}"
        )

    return pd.Series(
        [reading(r) for r in accuracy.itertuples(index=False)], index=accuracy.index, dtype=object
    )
