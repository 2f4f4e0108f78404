"""Wall time of `spm sample-data` at scale (issue: --reps 2000 --years 5 in under a minute).

Usage: .venv/bin/python benchmarks/sample_data.py [--reps 2000] [--years 5] [--repeat 1]
Prints the seconds per run and the rows written per table.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    spm = Path(sys.executable).with_name("spm")
    for run in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "sample"
            started = time.perf_counter()
            subprocess.run(
                [
                    str(spm),
                    "sample-data",
                    "--out",
                    str(out),
                    "--reps",
                    str(args.reps),
                    "--years",
                    str(args.years),
                ],
                check=True,
                capture_output=True,
            )
            seconds = time.perf_counter() - started
            rows = {p.stem: sum(1 for _ in p.open()) - 1 for p in sorted(out.glob("*.csv"))}
            print(f"run {run + 1}: {seconds:.1f} s for --reps {args.reps} --years {args.years}")
            print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))


if __name__ == "__main__":
    main()
