"""Profile one report notebook, executed in this process, with pyinstrument.

Prints the top functions by own time (and writes the full call tree as HTML with --html).
The run snapshot of a dataset is written first (as `spm run` does), so the profile is of the
notebook, not of the load. Usage:
    .venv/bin/python benchmarks/profile_notebook.py forecasting [--data data/sample]
        [--period 2026-Q3] [--top 5] [--html /tmp/forecasting.html]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from spm_lib.suite.executors.environment import report_environment

report_environment()

ROOT = Path(__file__).resolve().parents[1]


def own_times(session, top: int) -> list[tuple[float, str]]:
    """(seconds, function) of the ``top`` functions by self time in a pyinstrument session."""
    totals: dict[str, float] = {}

    def walk(frame) -> None:
        if frame.function and not frame.function.startswith("["):
            key = f"{frame.function} ({Path(frame.file_path or '?').name}:{frame.line_no})"
            totals[key] = totals.get(key, 0.0) + frame.total_self_time
        for child in frame.children:
            walk(child)

    walk(session.root_frame())
    return sorted(((s, f) for f, s in totals.items()), reverse=True)[:top]


def project_times(session, top: int) -> list[tuple[float, str]]:
    """(seconds, function) of the ``top`` spm_lib functions by total time (callees included)."""
    totals: dict[str, float] = {}

    def walk(frame, seen: frozenset) -> None:
        key = None
        if "spm_lib" in (frame.file_path or "") and "/suite/" not in (frame.file_path or ""):
            key = f"{frame.function} ({Path(frame.file_path).name}:{frame.line_no})"
            if key not in seen:
                totals[key] = totals.get(key, 0.0) + frame.time
        for child in frame.children:
            walk(child, seen | {key} if key else seen)

    walk(session.root_frame(), frozenset())
    return sorted(((s, f) for f, s in totals.items()), reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("notebook")
    parser.add_argument("--data", default=str(ROOT / "data" / "sample"))
    parser.add_argument("--period", default="latest")
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--html")
    args = parser.parse_args()

    import papermill
    from pyinstrument import Profiler

    from spm_lib.dataset import load_dataset
    from spm_lib.dataset.snapshot import write_snapshot
    from spm_lib.suite.executors.inprocess import ENGINE_NAME

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        ds = load_dataset(args.data)
        snapshot = write_snapshot(ds, Path(tmp) / "data")
        label = ds.period(args.period).label
        print(f"load and snapshot: {time.perf_counter() - started:.1f} s")
        profiler = Profiler(interval=0.002)
        started = time.perf_counter()
        with profiler:
            papermill.execute_notebook(
                str(ROOT / "notebooks" / f"{args.notebook}.ipynb"),
                str(Path(tmp) / "out.ipynb"),
                parameters={"data": str(snapshot), "period": label, "out_dir": tmp},
                engine_name=ENGINE_NAME,
                progress_bar=False,
                cwd=str(ROOT / "notebooks"),
            )
        print(f"{args.notebook}: {time.perf_counter() - started:.1f} s executed")
        print("spm_lib functions by total time:")
        for seconds, function in project_times(profiler.last_session, args.top * 3):
            print(f"  {seconds:7.2f} s  {function}")
        print("functions by own time:")
        for seconds, function in own_times(profiler.last_session, args.top):
            print(f"  {seconds:7.2f} s  {function}")
        if args.html:
            Path(args.html).write_text(profiler.output_html(), encoding="utf-8")


if __name__ == "__main__":
    main()
