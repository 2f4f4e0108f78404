"""The planning report's figures on several generator seeds: territory moves that pay, and the
quota backtest.

For each seed (a default-size sample): the territory assignment at the default limits
(`spm_lib.territory.optimize_assignment`: 15% of accounts, a move cost of 5% of the account's
expected bookings, 15 closed deals behind an industry rate), with the moves, the gain after
cost, the uplift, the CV of potential before and after, the smallest gain after cost of a move,
the moves whose rate rests on the rep's overall rate (the prior) and those to a rep with no
closed deal in the account's industry, the moves to a planted industry strength, and the
seconds; then the quota backtest (`spm_lib.planning.quotas.backtest`: four quarters, the predicted
share of reps at quota P10-P90 against the actual).

Usage: .venv/bin/python benchmarks/planning_seeds.py [--seeds 1 2 3 4 5]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def one_seed(seed: int) -> str:
    from spm_lib import load_dataset
    from spm_lib.planning import quotas
    from spm_lib.sample import write_sample
    from spm_lib.territory.assignment import optimize_assignment

    with tempfile.TemporaryDirectory() as tmp:
        folder = write_sample(Path(tmp) / "s", seed=seed)
        ds = load_dataset(folder)
        truth = json.loads((folder / "ground_truth.json").read_text())["industry_strengths"]
        strengths = {(t["rep_id"], t["industry"]) for t in truth}
        started = time.perf_counter()
        result = optimize_assignment(ds)
        seconds = time.perf_counter() - started
        f = result.figures
        moves = result.moves[~result.moves["forced"]]
        planted = sum(
            (r, i) in strengths for r, i in zip(moves["to_rep"], moves["industry"], strict=True)
        )
        prior = int((moves["rate_basis"] == "overall").sum())
        unproven = int((moves["evidence"] == 0).sum())
        period = ds.period("latest")
        table = quotas.backtest(ds, period, ds.config.planning.get("target"))
    lines = [
        f"seed {seed}: {int(f['accounts_moved'])} moves ({f['accounts_moved_pct']:.1%}), gain "
        f"after cost ${f['net_gain'] / 1e6:.2f}M a year, uplift "
        f"{f['expected_revenue_uplift_pct']:.2%}, "
        f"CV {f['potential_cv_before']:.3f} -> {f['potential_cv_after']:.3f}, smallest gain "
        f"after cost ${moves['net_gain'].min() if len(moves) else 0:,.0f}, {prior} on the prior "
        f"({unproven} to a rep with no closed deal in the industry), {planted} to a planted "
        f"strength; {seconds:.1f} s",
        "  quota backtest: "
        + "; ".join(
            f"{r.quarter} {r.share_p10:.0%}-{r.share_p90:.0%} (P50 {r.share_p50:.0%}), actual "
            f"{r.actual_share:.0%}{'' if r.inside else ' OUTSIDE'}"
            for r in table.itertuples()
        )
        + f" ({int(table['inside'].sum())} of {len(table)})",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    with Pool(args.processes) as pool:
        for text in pool.imap(one_seed, args.seeds):
            print(text, flush=True)


if __name__ == "__main__":
    main()
