"""The new-hire ramp against the one planted in the sample, on several generator seeds.

For each seed: generate the sample company at its own size (about 20 reps hired inside the
data), run :func:`spm_lib.measures.ramp.ramp_curve` and print the month new hires reach 80% of
their full productivity against the planted month (``ground_truth.json``: the ramp in new
opportunities carried through to bookings), the level they settle at against tenured reps
(``plateau``) and the reps behind it. The target of "Advice that holds up": within one month
of the planted on three seeds.

Usage: .venv/bin/python benchmarks/ramp_recovery.py [--seeds 42 1 2 3] [--reps N --years Y]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path


def one_seed(seed: int, reps: int | None, years: int | None) -> dict:
    from spm_lib import load_dataset
    from spm_lib.measures import ramp
    from spm_lib.sample import write_sample

    with tempfile.TemporaryDirectory() as folder:
        size = {k: v for k, v in (("reps", reps), ("years", years)) if v}
        path = write_sample(Path(folder) / "s", seed=seed, **size)
        planted = json.loads((path / "ground_truth.json").read_text())["ramp"]
        curve = ramp.ramp_curve(load_dataset(path))
    return {
        "seed": seed,
        "hired_inside": int(curve["reps"].iloc[0]),
        "planted_month": planted["bookings_months_to_80pct"],
        "recovered_month": ramp.months_to_target(curve),
        "plateau": round(curve.attrs["plateau"], 3),
        "plateau_reps": curve.attrs["plateau_reps"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2, 3])
    parser.add_argument("--reps", type=int)
    parser.add_argument("--years", type=int)
    args = parser.parse_args()
    rows = [one_seed(seed, args.reps, args.years) for seed in args.seeds]
    print(f"{'seed':>5} {'hired':>6} {'planted':>8} {'recovered':>10} {'plateau':>8} {'reps':>5}")
    for r in rows:
        print(
            f"{r['seed']:>5} {r['hired_inside']:>6} {r['planted_month']:>8} "
            f"{r['recovered_month']:>10.0f} {r['plateau']:>8.2f} {r['plateau_reps']:>5}"
        )
    within = sum(abs(r["recovered_month"] - r["planted_month"]) <= 1 for r in rows)
    print(f"within one month of the planted: {within} of {len(rows)} seeds")


if __name__ == "__main__":
    main()
