"""The suite on the bundled sample: `spm run` against the plain approach, in one run.

The plain approach is what a team writes first: for each notebook the `papermill` command line
(its kernel loads the data itself), then `jupyter nbconvert --to html --no-input`, one notebook
after the other. `spm run` loads the data once and runs the notebooks in forked processes that
hold the imports (`--executor local`), `--jobs` at a time. Usage:
    .venv/bin/python benchmarks/suite.py [--jobs 2] [--repeat 1] [--skip-plain]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from spm_lib.dataset import load_dataset
from spm_lib.sample import bundled_sample
from spm_lib.suite.inventory import default_kernel, default_notebooks_dir, discover_notebooks

BIN = Path(sys.executable).parent


def plain(data: Path, period: str, out: Path) -> float:
    """Seconds for papermill then nbconvert, notebook by notebook."""
    started = time.perf_counter()
    kernel = default_kernel()
    for notebook in discover_notebooks(default_notebooks_dir()):
        executed = out / f"{notebook.stem}.ipynb"
        subprocess.run(
            [
                str(BIN / "papermill"),
                str(notebook),
                str(executed),
                "-k",
                kernel,
                "-p",
                "data",
                str(data),
                "-p",
                "period",
                period,
                "-p",
                "out_dir",
                str(out),
                "--no-progress-bar",
                "--cwd",
                str(notebook.parent),
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - started


def spm_run(data: Path, out: Path, jobs: int) -> tuple[float, dict]:
    started = time.perf_counter()
    subprocess.run(
        [
            str(BIN / "spm"),
            "run",
            "--data",
            str(data),
            "--out",
            str(out),
            "--jobs",
            str(jobs),
            "--quiet",
        ],
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - started
    return seconds, json.loads(next(out.glob("*/all/manifest.json")).read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-plain", action="store_true")
    args = parser.parse_args()
    data = bundled_sample()
    period = load_dataset(data).period("latest").label
    for run in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            ours, manifest = spm_run(data, Path(tmp) / "spm", args.jobs)
            per = ", ".join(f"{n['name']} {n['seconds']:.1f}" for n in manifest["notebooks"])
            line = f"run {run + 1}: spm run --jobs {args.jobs} {ours:.1f} s ({per})"
            if not args.skip_plain:
                (Path(tmp) / "plain").mkdir()
                theirs = plain(data, period, Path(tmp) / "plain")
                line += f"; plain papermill + nbconvert {theirs:.1f} s; {theirs / ours:.1f}x"
            print(line, flush=True)


if __name__ == "__main__":
    main()
