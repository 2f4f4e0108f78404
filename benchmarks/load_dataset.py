"""Wall time and peak memory of `load_dataset` (parse, validate, quarantine) at scale.

Usage: .venv/bin/python benchmarks/load_dataset.py [--reps 2000] [--years 5]
Writes a sample of that size to a temporary folder, then loads it once.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from spm_lib import load_dataset
from spm_lib.sample import write_sample


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--years", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_sample(Path(tmp) / "sample", reps=args.reps, years=args.years)
        started = time.perf_counter()
        ds = load_dataset(folder)
        seconds = time.perf_counter() - started
        rows = sum(ds.rows_read.values())
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"load_dataset: {rows:,} rows in {seconds:.1f} s; peak RSS {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
