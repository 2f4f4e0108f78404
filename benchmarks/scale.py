"""The suite at scale: 100k, 300k and 1M opportunities, timed and measured.

For each size, a sample of 5 years with reps in proportion (2,000 reps give 1.15M
opportunities, with stage and opportunity history, activities and leads in proportion) is
written once to --cache, then:
- `load_dataset` in its own process: seconds and peak resident memory;
- `spm run --jobs 2` on it: wall seconds, each notebook's seconds and status, and the peak of
  the whole process tree's resident memory (sampled every 0.2 s: parallel notebooks add up).
Usage:
    .venv/bin/python benchmarks/scale.py [--sizes 100000 300000 1000000] [--jobs 2]
        [--timeout 900] [--notebooks a,b] [--cache /tmp/spm-scale]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

BIN = Path(sys.executable).parent
OPPORTUNITIES_PER_REP = 1_152_874 / 2000  # over 5 years, measured on the generator
LOAD = """
import resource, sys, time
from spm_lib import load_dataset
started = time.perf_counter()
ds = load_dataset(sys.argv[1])
print(time.perf_counter() - started, sum(ds.rows_read.values()), len(ds.opportunities),
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def sample(size: int, cache: Path) -> Path:
    reps = max(6, round(size / OPPORTUNITIES_PER_REP))
    folder = cache / f"reps{reps}"
    if not (folder / "spm.yaml").exists():
        subprocess.run(
            [
                str(BIN / "spm"),
                "sample-data",
                "--out",
                str(folder),
                "--reps",
                str(reps),
                "--years",
                "5",
            ],
            check=True,
        )
    return folder


class PeakMemory:
    """Peak total RSS of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.process, self.peak, self._stop = psutil.Process(pid), 0, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                tree = [self.process, *self.process.children(recursive=True)]
                total = 0
                for p in tree:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
                self.peak = max(self.peak, total)
            except psutil.Error:
                return
            time.sleep(0.2)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**30


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=900, help="seconds a cell may run")
    parser.add_argument("--notebooks", default="")
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "spm-scale"))
    args = parser.parse_args()
    for size in args.sizes:
        folder = sample(size, Path(args.cache))
        out = subprocess.run(
            [sys.executable, "-c", LOAD, str(folder)], check=True, capture_output=True, text=True
        ).stdout.split()
        load_s, rows, opps, load_mb = float(out[0]), int(out[1]), int(out[2]), float(out[3])
        with tempfile.TemporaryDirectory() as tmp:
            command = [
                str(BIN / "spm"),
                "run",
                "--data",
                str(folder),
                "--out",
                tmp,
                "--jobs",
                str(args.jobs),
                "--timeout",
                str(args.timeout),
                "--quiet",
            ]
            if args.notebooks:
                command += ["--notebooks", args.notebooks]
            started = time.perf_counter()
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            memory = PeakMemory(process.pid)
            process.communicate()
            wall, peak = time.perf_counter() - started, memory.stop()
            manifest = json.loads(next(Path(tmp).glob("*/all/manifest.json")).read_text())
        per = ", ".join(
            f"{n['name']} {n['seconds']:.1f} s"
            + ("" if n["status"] == "ok" else f" ({n['error']['exception']})")
            for n in manifest["notebooks"]
        )
        print(
            f"{opps:,} opportunities ({rows:,} rows): load {load_s:.1f} s, {load_mb:,.0f} MB; "
            f"suite {wall:.1f} s wall, peak {peak:.2f} GB; {per}",
            flush=True,
        )


if __name__ == "__main__":
    main()
