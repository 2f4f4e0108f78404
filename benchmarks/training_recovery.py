"""How well the training-gap analysis recovers what the sample data planted, seed by seed.

For each seed: precision and recall of the flagged (rep, stage) gaps against the planted
stage weaknesses, the share of (rep, stage) pairs of reps without a planted weakness that are
flagged, and how many training-effect 90% intervals contain the planted effect.

Usage: .venv/bin/python benchmarks/training_recovery.py [--seeds 42,0,1,2,...]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from spm_lib import load_dataset
from spm_lib.sample import write_sample
from spm_lib.training import skill_gaps, training_effects


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="42,0,1,2,3,4,5,6,7,8,9,10,11")
    args = parser.parse_args()
    totals = [0, 0]
    with tempfile.TemporaryDirectory() as tmp:
        for seed in (int(s) for s in args.seeds.split(",")):
            folder = write_sample(Path(tmp) / f"s{seed}", seed=seed)
            ds = load_dataset(folder)
            truth = json.loads((folder / "ground_truth.json").read_text())
            planted = {(w["rep_id"], w["stage"]) for w in truth["stage_weaknesses"]}
            gaps = skill_gaps(ds)
            rows = gaps[gaps["flagged"]]
            flagged = set(zip(rows["rep_id"], rows["stage"], strict=True))
            hits = len(flagged & planted)
            precision = hits / len(flagged) if flagged else float("nan")
            clean = gaps[~gaps["rep_id"].isin({r for r, _ in planted})]
            effects = training_effects(ds).set_index("module")
            inside = sum(
                effects.loc[t["module"], "relative_lower"]
                <= t["effective_relative_effect"]
                <= effects.loc[t["module"], "relative_upper"]
                for t in truth["training_effects"]
            )
            totals[0] += inside
            totals[1] += len(truth["training_effects"])
            print(
                f"seed {seed:>3}: precision {precision:.2f}  recall {hits / len(planted):.2f}  "
                f"({len(flagged)} flagged, {len(planted)} planted)  false flags "
                f"{clean['flagged'].mean():.1%} of clean pairs  training intervals "
                f"{inside}/{len(truth['training_effects'])}"
            )
    print(f"training-effect intervals holding the planted effect: {totals[0]}/{totals[1]}")


if __name__ == "__main__":
    main()
