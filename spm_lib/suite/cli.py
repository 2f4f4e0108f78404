"""The ``spm`` command: ``spm run``, ``spm validate``, ``spm sample-data``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from spm_lib.exceptions import DataError, OutputBusy, PeriodError

EXIT_BUSY = 75  # sysexits' EX_TEMPFAIL: another run holds --out; try again later


def _cmd_sample_data(args: argparse.Namespace) -> int:
    from spm_lib.sample import write_sample

    started = time.perf_counter()
    try:
        out = write_sample(args.out, seed=args.seed, reps=args.reps, years=args.years)
    except OSError as exc:  # disk full, a folder not writable
        print(
            f"ERROR: cannot write the sample to {args.out}: {exc.strerror or exc}", file=sys.stderr
        )
        return 2
    print(
        f"Sample dataset written to {out} in {time.perf_counter() - started:.1f} s "
        f"(seed {args.seed}, {args.reps} reps, {args.years} years)."
    )
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from spm_lib.dataset import load_dataset
    from spm_lib.dataset.quality import quarantine_summary, warning_summary

    try:
        ds = load_dataset(args.dir, config=args.config)
        from spm_lib.pages.compensation import checked_plans

        plans = checked_plans(ds)
    except DataError as exc:
        print(f"FATAL: {exc}", file=sys.stderr)
        return 2
    recon = ds.reconciliation()
    print(f"Dataset {ds.source} · data as of {ds.as_of} · fingerprint {ds.fingerprint[:12]}")
    print(recon.to_string(index=False))
    summary = quarantine_summary(ds)
    if summary.empty:
        print("No rows quarantined: every row read is used.")
    else:
        print(f"\nQuarantined rows by reason ({int(recon['rows_quarantined'].sum()):,} rows):")
        print(summary.to_string(index=False, max_colwidth=110))
    if plans:
        print(f"Commission plans: {len(plans)} valid ({', '.join(plans)}).")
    warned = warning_summary(ds)
    if not warned.empty:
        print(
            f"\nRows used with a warning, odd but real and counted in every figure "
            f"({int(recon['rows_warned'].sum()):,} rows):"
        )
        print(warned.to_string(index=False, max_colwidth=110))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from spm_lib.sample import bundled_sample
    from spm_lib.suite.executors import executor_for
    from spm_lib.suite.inventory import default_notebooks_dir, discover_notebooks
    from spm_lib.suite.runner import run_suite

    data = args.data if args.data else bundled_sample()
    names = [n.strip() for n in args.notebooks.split(",") if n.strip()] if args.notebooks else None
    folder = Path(args.notebooks_dir) if args.notebooks_dir else default_notebooks_dir()
    try:
        executor_for(args.executor, args.jobs)  # an unknown executor stops here, before the load
        total = len(discover_notebooks(folder, names))  # per audience
    except (FileNotFoundError, ValueError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    audience = args.segment or (f"each {args.segment_by}" if args.segment_by else "everyone")
    # on a terminal only: a scheduler's log (cron, CI) gets the summary lines, not a bar
    bar = tqdm(
        total=None if args.segment_by else total,
        desc=f"reports for {audience}",
        unit="report",
        disable=args.quiet or not sys.stderr.isatty(),
        file=sys.stderr,
    )

    def progress(result) -> None:
        bar.set_postfix_str(f"{result.name}: {result.status}")
        bar.update(1)

    try:
        manifest = run_suite(
            data,
            period=args.period,
            out=args.out,
            notebooks=names,
            notebooks_dir=folder,
            jobs=args.jobs,
            segment=args.segment,
            segment_by=args.segment_by,
            config=args.config,
            kernel=args.kernel,
            executor=args.executor,
            timeout=args.timeout or None,
            on_progress=progress,
        )
    except KeyboardInterrupt:
        bar.close()
        print(
            "INTERRUPTED: the packs this run had not finished were not written; the ones "
            f"already in {args.out} are as they were.",
            file=sys.stderr,
        )
        return 130
    except OutputBusy as exc:
        bar.close()
        print(f"BUSY: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except (DataError, PeriodError) as exc:
        bar.close()
        print(f"FATAL: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # --out not writable, disk full
        bar.close()
        print(f"FATAL: cannot write the reports to {args.out}: {exc}", file=sys.stderr)
        return 2
    bar.close()
    return 1 if _summary(manifest, args.out) else 0


def _summary(manifest: dict, out: str) -> int:
    """A line per report of each pack, where its brief is and what failed; returns the
    reports (and audiences) that failed."""
    failures = 0
    for pack in manifest["audiences"]:
        if pack["path"] is None:  # an audience that could not be built: the others rendered
            failures += 1
            print(f"  {pack['audience']}: not built: {pack['error']}", file=sys.stderr)
            continue
        found = json.loads((Path(pack["path"]) / "manifest.json").read_text(encoding="utf-8"))
        print(f"{pack['audience']} ({manifest['period']}):")
        ran = [n for n in found["notebooks"] if not n.get("carried_from")]
        for entry in found["notebooks"]:
            line = f"  {entry['status']:>6}  {entry['name']:<24} {entry['seconds']:>6.1f} s"
            if entry.get("carried_from"):
                line = (
                    f"  {'kept':>6}  {entry['name']:<24} from the run of "
                    f"{str(entry['carried_from'].get('finished'))[:10]}"
                )
            if entry["error"]:
                err = entry["error"]
                line += f"  {err['exception']}: {err['message'][:120]}"
            print(line)
        failed = sum(n["status"] != "ok" for n in ran)
        failures += failed
        print(f"  Brief: {Path(pack['path']) / 'index.html'}")
        if pack["kept_previous"]:
            print(
                f"  {failed} reports failed: the last good pack of {manifest['period']} was "
                f"kept in place; this run's pack is at {pack['path']}",
                file=sys.stderr,
            )
        elif failed:
            print(f"  {failed} of {len(ran)} reports failed.", file=sys.stderr)
    print(f"Every period: {Path(out).resolve() / 'index.html'}")
    return failures


def _cmd_import(args: argparse.Namespace) -> int:
    import yaml

    from spm_lib.importers import import_export

    try:
        out = import_export(args.source, args.files, args.out, force=args.force)
    except (FileNotFoundError, ValueError, DataError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # disk full, a folder not writable
        print(
            f"ERROR: cannot write the dataset to {args.out}: {exc.strerror or exc}", file=sys.stderr
        )
        return 2
    found = yaml.safe_load((out / "spm.yaml").read_text(encoding="utf-8")) or {}
    imported = found.get("imported_from") or {}
    for name, kind in (imported.get("files") or imported.get("objects") or {}).items():
        print(f"  {name}: {kind}")
    not_used = imported.get("not_used") or {}
    if not_used.get("count"):
        reasons = "; ".join(
            f"{v['files']} {reason} (such as {', '.join(v['such as'])})"
            for reason, v in not_used["reasons"].items()
        )
        print(f"  files not used: {not_used['count']} ({reasons})")
    for note in imported.get("notes") or []:
        print(f"  - {note}")
    print(f"Canonical dataset written to {out}; check it with `spm validate {out}`.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spm", description="Sales performance reports.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute every report notebook and render HTML")
    run.add_argument(
        "--data",
        help="dataset folder, DuckDB/SQLite file or database URL "
        "(default: the bundled sample data)",
    )
    run.add_argument(
        "--config",
        help="spm.yaml to use instead of the dataset's own, applied when the run loads the data "
        "once for every notebook (default: $SPM_CONFIG, else the dataset's)",
    )
    run.add_argument(
        "--period",
        default="latest",
        help="2026-Q3, 2026-09, FY2026, latest, last-quarter or last-month",
    )
    run.add_argument("--out", default="reports", help="output folder (default: reports)")
    run.add_argument("--notebooks", help="comma-separated notebook names (default: all)")
    run.add_argument("--notebooks-dir", help="folder of report notebooks (default: notebooks/)")
    run.add_argument("--jobs", type=int, default=1, help="notebooks run in parallel")
    run.add_argument("--segment", default="", help="one audience, e.g. region=West")
    run.add_argument(
        "--segment-by",
        default="",
        help="a reps column (region, team, manager_id...): the company's pack plus one pack "
        "per value of the column, each in OUT/PERIOD/<audience>/",
    )
    run.add_argument(
        "--executor",
        default="local",
        help="where notebooks run: local (default: forked processes that hold the imports), "
        "kernel (a Jupyter kernel per notebook), dask (a local Dask cluster of --jobs workers) "
        "or dask://HOST:PORT (a Dask scheduler; --out on a path its workers share)",
    )
    run.add_argument(
        "--kernel",
        help="Jupyter kernel of --executor kernel (default: spm if installed, else python3)",
    )
    run.add_argument(
        "--timeout",
        type=int,
        default=600,
        help="seconds a cell may run before its report is stopped and marked failed "
        "(default: 600; the slowest report at 1M opportunities takes 123 s in all; 0: no limit)",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=_cmd_run)

    validate = sub.add_parser("validate", help="check a dataset folder and summarise its quality")
    validate.add_argument("dir", help="dataset folder, DuckDB/SQLite file or database URL")
    validate.add_argument("--config", help="spm.yaml to use (default: the folder's)")
    validate.set_defaults(func=_cmd_validate)

    imp = sub.add_parser("import", help="convert a CRM export into a canonical dataset folder")
    imp.add_argument(
        "--from",
        dest="source",
        required=True,
        choices=["salesforce", "hubspot", "maven"],
        help="the export's source system",
    )
    imp.add_argument("--out", required=True, help="dataset folder to write: new or empty")
    imp.add_argument(
        "--force", action="store_true", help="empty --out first when it holds an earlier import"
    )
    imp.add_argument("files", nargs="+", help="export files, or a folder holding them")
    imp.set_defaults(func=_cmd_import)

    sample = sub.add_parser("sample-data", help="write the deterministic sample dataset")
    sample.add_argument("--out", required=True, help="folder to write (replaced if present)")
    sample.add_argument("--seed", type=int, default=42)
    sample.add_argument("--reps", type=int, default=60)
    sample.add_argument("--years", type=int, default=4)
    sample.set_defaults(func=_cmd_sample_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
