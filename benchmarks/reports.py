"""Wall time of the main job, `spm run` on the bundled sample for the latest quarter.

This is what `make reports` runs after the install. Usage:
    .venv/bin/python benchmarks/reports.py [--jobs 2] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from spm_lib.sample import bundled_sample


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    data = bundled_sample()
    spm = Path(sys.executable).with_name("spm")
    for run in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            subprocess.run(
                [
                    str(spm),
                    "run",
                    "--data",
                    str(data),
                    "--out",
                    tmp,
                    "--jobs",
                    str(args.jobs),
                    "--quiet",
                ],
                check=True,
                capture_output=True,
            )
            seconds = time.perf_counter() - started
            manifest = json.loads(next(Path(tmp).glob("*/all/manifest.json")).read_text())
            per = ", ".join(f"{n['name']} {n['seconds']:.1f} s" for n in manifest["notebooks"])
            print(f"run {run + 1}: {seconds:.1f} s wall ({per})")


if __name__ == "__main__":
    main()
