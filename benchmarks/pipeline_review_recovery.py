"""How well the pipeline review recovers what the sample data planted, seed by seed, and
what it reports on a real export.

For each seed (a sample of ``--reps`` reps over ``--years`` years):

- **calls**: the planted sandbaggers and over-committers (``ground_truth.json``,
  ``call_bias``) against the reps :func:`spm_lib.pipeline.calls.call_accuracy` flags, from the
  submitted calls (``forecast_calls``) and from the CRM's Commit category alone: precision, recall,
  and the share of reps without a planted bias that are flagged;
- **slippage**: the planted mean close-date changes per deal, by outcome, against the measured
  rate and its 90% interval (:func:`spm_lib.pipeline.slippage.changes_by_outcome`); the win rate by
  number of pushes.

Then the pipeline review's key figures on the Salesforce demo export
(``tests/data/salesforce-export-excel-mit``), for the quarters given.

Usage: .venv/bin/python benchmarks/pipeline_review_recovery.py [--seeds 42,11,12,13]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import pandas as pd

from spm_lib import load_dataset
from spm_lib.importers import import_export
from spm_lib.pages import pipeline_review as review
from spm_lib.pipeline import calls, slippage
from spm_lib.sample import write_sample

MIT_EXPORT = Path(__file__).resolve().parents[1] / "tests" / "data" / "salesforce-export-excel-mit"


def flag_recovery(ds, truth: dict[str, float]) -> dict[str, float]:
    """Precision, recall and false-flag rate of the rep-level call flags against ``truth``."""
    periods = review.past_periods(ds, ds.period("latest"))
    every = calls.calls(ds, periods)
    accuracy = calls.call_accuracy(calls.period_scores(every, calls.actuals(ds, periods)))
    reps = accuracy[(accuracy["level"] == "rep") & (accuracy["flag"] != "not enough periods")]
    flagged = reps[reps["flag"].isin(["sandbagging", "over-committing"])]
    right = sum(
        r in truth and (truth[r] < 0) == (f == "sandbagging")
        for r, f in zip(flagged["owner_id"], flagged["flag"], strict=True)
    )
    planted = sum(r in set(reps["owner_id"]) for r in truth)
    clean = reps[~reps["owner_id"].isin(list(truth))]
    wrongly = clean["flag"].isin(["sandbagging", "over-committing"]).sum()
    return {
        "flagged": len(flagged),
        "right": right,
        "planted": planted,
        "precision": right / len(flagged) if len(flagged) else float("nan"),
        "recall": right / planted if planted else float("nan"),
        "false_rate": wrongly / len(clean) if len(clean) else float("nan"),
    }


def _calls_line(label: str, r: dict[str, float]) -> str:
    return (
        f"  calls ({label}): precision {r['precision']:.2f}, recall {r['recall']:.2f} "
        f"({r['right']} right of {r['flagged']} flagged, {r['planted']} planted), "
        f"reps without a planted bias flagged {r['false_rate']:.1%}"
    )


def seed_report(folder: Path) -> list[str]:
    ds = load_dataset(folder)
    truth_all = json.loads((folder / "ground_truth.json").read_text())
    truth = {c["rep_id"]: c["bias"] for c in truth_all["call_bias"]}
    lines = [_calls_line("submitted", flag_recovery(ds, truth))]
    del ds.tables["forecast_calls"]
    lines.append(_calls_line("Commit category only", flag_recovery(ds, truth)))
    planted = truth_all["opportunity_history"]["close_date_changes_mean_by_outcome"]
    deals = slippage.pushes(ds)
    opps = ds.opportunities.set_index("opportunity_id").loc[deals["opportunity_id"]]
    room = ((opps["close_date"] - opps["created_date"]).dt.days >= 2).to_numpy()
    rates = slippage.changes_by_outcome(deals).set_index("outcome")
    for outcome in ("won", "lost"):
        expected = planted[outcome] * room[(deals["outcome"] == outcome).to_numpy()].mean()
        row = rates.loc[outcome]
        inside = "inside" if row["lower"] <= expected <= row["upper"] else "OUTSIDE"
        lines.append(
            f"  close-date changes per {outcome} deal: planted {expected:.3f}, measured "
            f"{row['per_deal']:.3f} (90% {row['lower']:.3f}-{row['upper']:.3f}, "
            f"{inside}, {int(row['deals'])} deals)"
        )
    table = slippage.win_rate_by_pushes(ds, deals)
    lines.append(
        "  win rate by pushes: "
        + ", ".join(
            f"{p}: {w:.0%} ({lo:.0%}-{hi:.0%}, n={n})"
            for p, w, lo, hi, n in table[
                ["pushes", "win_rate", "lower", "upper", "deals"]
            ].itertuples(index=False)
        )
    )
    return lines


def export_figures(quarters: list[str]) -> list[str]:
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        ds = load_dataset(import_export("salesforce", [MIT_EXPORT], Path(tmp) / "mit"))
        for quarter in quarters:
            page = review.compute(ds, ds.period(quarter))
            figures = review.figures(page)
            lines.append(
                f"{quarter}: "
                + ", ".join(
                    f"{k} {v:.1%}" if k.endswith("_pct") else f"{k} {v:,.0f}"
                    for k, v in figures.items()
                    if pd.notna(v)
                )
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="42,11,12,13")
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--quarters", default="2024-Q1,2026-Q1")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in (int(s) for s in args.seeds.split(",")):
            folder = write_sample(
                Path(tmp) / f"s{seed}", seed=seed, reps=args.reps, years=args.years
            )
            print(f"seed {seed} ({args.reps} reps, {args.years} years):")
            print("\n".join(seed_report(folder)), flush=True)
    print("Salesforce demo export (tests/data/salesforce-export-excel-mit):")
    print("\n".join("  " + line for line in export_figures(args.quarters.split(","))))


if __name__ == "__main__":
    main()
