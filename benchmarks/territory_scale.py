"""Wall time of `optimize_assignment` at 2,000 accounts x 60 reps (target: under 10 s).

The sample with 78 reps has 60 still employed at its end (the others' accounts went to their
colleagues) and 1,755 accounts; 245 more are added as copies of existing ones (new ids, same
owner, industry and firmographics, no history), so the solver sees 2,000 accounts x 60 reps
(pools: 3 regions x 2 segments). Timed with and without the no-worse-balance constraint, and
once more on the 60-rep sample with every end date cleared (14 reps with empty books to fill).
Usage: .venv/bin/python benchmarks/territory_scale.py [--accounts 2000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from spm_lib import load_dataset
from spm_lib.sample import write_sample
from spm_lib.territory.assignment import optimize_assignment


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--gap", type=float, default=0.01, help="relative MIP gap")
    args = parser.parse_args()
    for reps, guards, clear_end_dates in ((78, (True, False), False), (60, (True,), True)):
        with tempfile.TemporaryDirectory() as tmp:
            _run(Path(tmp), reps, guards, clear_end_dates, args)


def _run(tmp: Path, reps: int, guards, clear_end_dates: bool, args) -> None:
    folder = write_sample(tmp / "s", reps=reps, years=4)
    accounts = pd.read_csv(folder / "accounts.csv", dtype=str)
    extra = accounts.sample(args.accounts - len(accounts), replace=True, random_state=0).copy()
    extra["account_id"] = [f"B{i:06d}" for i in range(len(extra))]
    pd.concat([accounts, extra]).to_csv(folder / "accounts.csv", index=False)
    if clear_end_dates:
        rep_table = pd.read_csv(folder / "reps.csv", dtype=str)
        rep_table.assign(end_date="").to_csv(folder / "reps.csv", index=False)
    ds = load_dataset(folder)
    active = int((ds.reps["end_date"].isna()).sum())
    label = ", end dates cleared" if clear_end_dates else ""
    for guard in guards:
        started = time.perf_counter()
        result = optimize_assignment(ds, mip_gap=args.gap, no_worse_balance=guard)
        seconds = time.perf_counter() - started
        f = result.figures
        uplift, moved = f["expected_revenue_uplift_pct"], f["accounts_moved_pct"]
        cv = f"{f['potential_cv_before']:.3f} -> {f['potential_cv_after']:.3f}"
        print(
            f"{len(ds['accounts']):,} accounts x {active} active reps{label}, no_worse_balance="
            f"{guard}: {seconds:.1f} s; uplift {uplift:+.1%}, moved {moved:.1%}, "
            f"potential CV {cv}"
        )


if __name__ == "__main__":
    main()
