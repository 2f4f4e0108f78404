"""The training-gaps report's words (notebook ``training_gaps``; figures from
:mod:`spm_lib.training`)."""

from __future__ import annotations

import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.report.formats import format_currency


def development_plans(ds: Dataset, gaps: pd.DataFrame, assignments: pd.DataFrame) -> pd.DataFrame:
    """One paragraph per flagged rep: top gaps, module, target conversion. Columns: rep_id,
    name, revenue_at_stake, plan."""
    names = ds.rep_names
    rows = []
    flagged = gaps[gaps["flagged"]]
    for rep, group in flagged.groupby("rep_id", sort=False):
        group = group.sort_values("revenue_at_stake", ascending=False)
        parts = []
        for gap in group.head(2).itertuples(index=False):
            modules = assignments[
                (assignments["rep_id"] == rep) & (assignments["stage"] == gap.stage)
            ]
            module = ", ".join(modules["module"]) or "coaching"
            at_stake = format_currency(gap.revenue_at_stake, ds.config.currency)
            parts.append(
                f"{gap.stage} converts at {gap.shrunk_rate:.0%} against {gap.benchmark:.0%} for "
                f"comparable peers ({at_stake} a year at stake): "
                f"{module}, with a target of {gap.benchmark:.0%} within two quarters"
            )
        total = float(group["revenue_at_stake"].sum())
        plan = f"{names.get(rep, rep)}: " + "; ".join(parts) + "."
        rows.append(
            {"rep_id": rep, "name": names.get(rep, rep), "revenue_at_stake": total, "plan": plan}
        )
    out = pd.DataFrame(rows, columns=["rep_id", "name", "revenue_at_stake", "plan"])
    return out.sort_values("revenue_at_stake", ascending=False, ignore_index=True)
