"""Many audiences on one machine: the suite for 10, 30 and 100 audiences, run one after the
other in one process (`run_suite` per audience, `--jobs 2`; the forkserver that holds the
imports starts once, each audience loads and snapshots the data again).

The audiences are reps (`rep_id=...`, a rep's own pack) of a sample with as many reps as the
largest count asked for. Prints the wall time per count and per audience. Usage:
    .venv/bin/python benchmarks/segments.py [--counts 10 30 100] [--jobs 2]
        [--notebooks a,b] [--cache /tmp/spm-segments]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pandas as pd

from spm_lib.suite.runner import run_suite

BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", type=int, nargs="+", default=[10, 30, 100])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--notebooks", default="")
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "spm-segments"))
    args = parser.parse_args()
    reps = max(60, max(args.counts))
    folder = Path(args.cache) / f"reps{reps}"
    if not (folder / "spm.yaml").exists():
        subprocess.run(
            [str(BIN / "spm"), "sample-data", "--out", str(folder), "--reps", str(reps)], check=True
        )
    rep_ids = pd.read_csv(folder / "reps.csv")["rep_id"].tolist()
    names = [n for n in args.notebooks.split(",") if n] or None
    for count in args.counts:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            failed: Counter[str] = Counter()
            for i, rep in enumerate(rep_ids[:count]):
                manifest = run_suite(
                    folder,
                    out=Path(tmp) / str(i),
                    jobs=args.jobs,
                    segment=f"rep_id={rep}",
                    notebooks=names,
                )
                failed.update(
                    f"{n['name']} ({n['error']['exception']})"
                    for n in manifest["notebooks"]
                    if n["status"] != "ok"
                )
            wall = time.perf_counter() - started
        which = ", ".join(f"{name} x{k}" for name, k in failed.most_common())
        print(
            f"{count} audiences: {wall:.1f} s wall, {wall / count:.1f} s an audience; "
            f"{sum(failed.values())} reports failed{': ' + which if which else ''}",
            flush=True,
        )


if __name__ == "__main__":
    main()
