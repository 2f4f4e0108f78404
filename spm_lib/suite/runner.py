"""The runner: load the data once, execute every report notebook of every audience through an
executor (see :mod:`spm_lib.suite.executors`), render HTML, write each audience's brief and
manifest, and swap the finished packs in (layout: :mod:`spm_lib.suite.layout`).

A notebook that fails does not stop the others; its entry carries the failing cell, the
exception and its message.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import gc
import json
import os
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

import pyarrow

from spm_lib.dataset import load_dataset, masked
from spm_lib.dataset.database import refuse_written_secrets
from spm_lib.dataset.segments import segment_of
from spm_lib.dataset.snapshot import write_snapshot
from spm_lib.exceptions import DataError, PeriodError
from spm_lib.pages import report_order
from spm_lib.suite.executors import executor_for
from spm_lib.suite.history import past_manifests, read_manifest
from spm_lib.suite.index import write_index, write_periods_index
from spm_lib.suite.inventory import (
    default_kernel,
    default_notebooks_dir,
    discover_notebooks,
    longest_first,
    versions,
)
from spm_lib.suite.layout import (
    HIDDEN,
    audience_folder,
    lock_file,
    pack_dir,
    snapshot_dir,
    staging_dir,
    state_dir,
)
from spm_lib.suite.notebook import NotebookResult, NotebookTask, execute_one
from spm_lib.suite.output import RunLock, copy_atomically, swap_in, write_atomically


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _data_reference(data: str | Path) -> str:
    """The dataset as the notebooks receive it: an absolute folder or file path, or a URL.

    A URL with a literal password is refused: executed notebooks keep their parameters, so the
    password must come from an environment variable (``${NAME}``) instead."""
    text = str(data)
    if "://" in text:
        refuse_written_secrets(text)
        return text
    return str(Path(data).resolve())


def audiences_of(dataset, segment: str = "", segment_by: str = "") -> list[str]:
    """The audiences of a run: ``segment`` alone, or with ``segment_by`` (a reps column) the
    company (``""``) and one ``column=value`` per value the column holds, in value order (reps
    without a value are in the company's pack only)."""
    if not segment_by:
        return [segment or ""]
    if segment:
        raise DataError(
            "give --segment or --segment-by, not both",
            column=segment_by,
            expected="one audience (--segment) or one per value (--segment-by)",
        )
    reps = dataset.tables["reps"]
    column = segment_by.strip()
    if column not in reps.columns:
        raise DataError(
            f"--segment-by {column!r}: reps has no column {column!r} "
            f"(columns: {', '.join(reps.columns)})",
            table="reps",
            column=column,
            expected="a column of reps",
        )
    values = sorted({str(v).strip() for v in reps[column].dropna()} - {""})
    return ["", *(segment_of([(column, value)]) for value in values)]


def run_suite(
    data: str | Path,
    period: str = "latest",
    out: str | Path = "reports",
    notebooks: Sequence[str] | None = None,
    notebooks_dir: str | Path | None = None,
    jobs: int = 1,
    segment: str = "",
    config: str | Path | None = None,
    kernel: str | None = None,
    timeout: int | None = 600,
    executor: str = "local",
    on_progress: Callable[[NotebookResult], None] | None = None,
    segment_by: str = "",
) -> dict:
    """Run the suite on dataset ``data`` for ``period``; return the manifest (also written) of
    its first audience, with ``audiences``: one ``{"audience", "folder", "path", "failed",
    "kept_previous"}`` per audience of the run.

    Manifest: ``{"period", "data_fingerprint", "versions", "started", "finished", "data",
    "audience", "notebooks": [{"name", "status", "html", "seconds", "key_figures", "error"}]}``.
    ``segment``: one audience (``region=West``); ``segment_by``: the company and one audience
    per value of that reps column. Each audience's pack goes to ``OUT/<period>/<audience>/``
    (:mod:`spm_lib.suite.layout`), rendered in a staging folder and swapped in when its reports
    are done; a pack with failed reports does not replace one whose reports all rendered (it
    is kept under ``OUT/.spm/failed/`` instead). One run at a time holds ``out``
    (:class:`~spm_lib.exceptions.OutputBusy` otherwise). ``config``: an spm.yaml to use instead
    of the dataset's own, applied by the run's one load. ``executor``: where the notebooks run
    (:mod:`spm_lib.suite.executors`), ``jobs`` at a time. Raises DataError (before anything is
    written) when the dataset cannot be loaded or an audience matches no rep.
    """
    out_root = Path(out).resolve()
    with RunLock(lock_file(out_root)):
        runs_on = executor_for(executor, jobs)
        runs_on.start()  # forkserver imports (or a cluster starts) while the data loads
        try:
            return _run(
                runs_on,
                data=data,
                period=period,
                out=out_root,
                notebooks=notebooks,
                notebooks_dir=notebooks_dir,
                segment=segment,
                segment_by=segment_by,
                config=config,
                kernel=kernel,
                timeout=timeout,
                on_progress=on_progress,
            )
        finally:
            runs_on.close()


SAFE_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _checked_label(label: str) -> str:
    """A period label that is safe as a folder name (the parser's labels always are)."""
    if not SAFE_LABEL.fullmatch(label) or ".." in label:
        raise PeriodError(
            f"period {label!r} cannot name a folder: expected letters, digits, "
            "'.', '_' or '-', such as 2026-Q3"
        )
    return label


def _snapshot(company, out: Path) -> Path:
    """The run's snapshot of ``company`` in ``OUT/.spm/data/<fingerprint>``, shared by the
    run's audiences: written through a staging folder renamed into place, every run (a snapshot
    of the same files by an older spm_lib could hold tables its checks would now change)."""
    folder = snapshot_dir(out, company.fingerprint)
    temporary = staging_dir(out) / f"data-{company.fingerprint[:16]}"
    shutil.rmtree(temporary, ignore_errors=True)
    write_snapshot(company, temporary)
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    os.replace(temporary, folder)
    return folder


def dataset_name(dataset) -> str:
    """What a forwarded page calls the data: spm.yaml's ``name``, else the folder's or
    database's name (never a path on the server, never a credential)."""
    if dataset.config.name:
        return dataset.config.name
    text = masked(str(dataset.source))
    if "://" in text:
        text = text.split("?", 1)[0].rstrip("/")
        return text.rsplit("/", 1)[-1] or text.split("://", 1)[0]
    return Path(text).name or text


def _run(
    runs_on,
    *,
    data,
    period,
    out,
    notebooks,
    notebooks_dir,
    segment,
    segment_by,
    config,
    kernel,
    timeout,
    on_progress,
) -> dict:
    """:func:`run_suite` once it holds the output folder and its executor has started."""
    started = _now()
    data_path = _data_reference(data)
    config_path = str(Path(config).resolve()) if config else ""
    company = load_dataset(data_path, config_path or None)
    segments = audiences_of(company, segment, segment_by)
    narrowed, unbuilt = _narrowed(company, segments, alone=not segment_by)
    segments = [s for s in segments if s in narrowed]
    resolved = company.period(period)
    label = _checked_label(resolved.label)
    folder = Path(notebooks_dir).resolve() if notebooks_dir else default_notebooks_dir()
    paths = discover_notebooks(folder, notebooks)
    staging = staging_dir(out)
    shutil.rmtree(staging, ignore_errors=True)  # what a run that was stopped left
    snapshot = _snapshot(company, out)
    kernel = kernel or (default_kernel() if runs_on.engine == "kernel" else "python3")
    found_versions = versions()
    name = dataset_name(company)
    # what makes runs one dataset's, for the brief's comparisons: its name, else its reference
    lineage = f"name:{company.config.name}" if company.config.name else masked(str(data_path))
    footer = (
        f"spm_lib {found_versions.get('spm-lib')} · data {name} · fingerprint "
        f"{company.fingerprint[:12]} · as of {company.as_of.isoformat()}"
    )
    run_with = {"kernel": kernel, "footer": footer, "timeout": timeout, "engine": runs_on.engine}
    packs, tasks = _staged(
        narrowed, segments, paths, staging / label, out, snapshot, label, run_with
    )
    del company, narrowed  # the notebooks read the snapshot: this process's copy can go
    release_memory()
    results: dict[tuple[str, str], NotebookResult] = {}
    for result in runs_on.run(longest_first(tasks, out / label)):
        results[(result.folder, result.name)] = result
        if on_progress:
            on_progress(result)
    finished = _now()
    summaries = []
    first: dict | None = None
    for stage_key, pack in packs.items():
        ran = [results[(stage_key, p.stem)] for p in paths]
        carried = _carried(out, label, pack, {r.name for r in ran})
        ordered = ran + sorted(carried, key=lambda r: report_order(r.name))
        run_facts = {
            "data": masked(str(data_path)),
            "data_name": name,
            "data_lineage": lineage,
            "versions": found_versions,
            "started": started,
            "finished": finished,
        }
        manifest = _manifest(label, resolved, pack, run_facts, ordered)
        summary = _finish_pack(out, pack, manifest, ordered, ran)
        summaries.append(summary)
        if first is None:
            first = manifest
    shutil.rmtree(staging, ignore_errors=True)
    _drop_unused_snapshots(out)
    write_periods_index(out)
    return {**first, "audiences": summaries + unbuilt}


def _staged(
    narrowed: dict,
    segments: list[str],
    paths: list[Path],
    staging: Path,
    out: Path,
    snapshot: Path,
    label: str,
    run_with: dict,
) -> tuple[dict, list[NotebookTask]]:
    """Each audience's staging folder (with the state files its last pack kept) and the
    notebook tasks that render into it."""
    packs: dict[str, dict] = {}
    tasks: list[NotebookTask] = []
    for seg in segments:
        ds = narrowed[seg]
        folder_name = audience_folder(seg)
        stage = staging / folder_name
        (stage / "executed").mkdir(parents=True, exist_ok=True)
        kept = state_dir(out, folder_name)
        for state_file in STATE_FILES:
            if (kept / state_file).is_file():
                shutil.copyfile(kept / state_file, stage / state_file)
        parameters = {
            "data": str(snapshot),
            "period": label,
            "segment": seg,
            "config": "",  # the snapshot carries the configuration it was loaded with
            "out_dir": str(stage),
        }
        packs[str(stage)] = {
            "segment": seg,
            "folder": folder_name,
            "stage": stage,
            "about": {
                "audience": ds.audience,
                "as_of": ds.as_of.isoformat(),
                "fingerprint": ds.fingerprint,
                "currency": ds.config.currency,
            },
        }
        tasks += [
            NotebookTask(
                str(p),
                str(stage),
                parameters,
                run_with["kernel"],
                run_with["footer"],
                run_with["timeout"],
                run_with["engine"],
            )
            for p in paths
        ]
    return packs, tasks


def _manifest(label: str, resolved, pack: dict, run_facts: dict, ordered: list) -> dict:
    """A pack's manifest: the period, the audience, the data, the versions, the notebooks."""
    about = pack["about"]
    return {
        "period": label,
        "period_title": resolved.title,  # "2023-Q3 to date (day 63 of 92)" in progress
        "period_start": resolved.start.isoformat(),
        "period_end": resolved.last_day.isoformat(),  # a period to date: its as-of day
        "audience": about["audience"],
        "segment": pack["segment"],
        "folder": pack["folder"],
        "data": run_facts["data"],
        "data_name": run_facts["data_name"],
        "data_lineage": run_facts["data_lineage"],
        "data_as_of": about["as_of"],
        "data_fingerprint": about["fingerprint"],
        "versions": run_facts["versions"],
        "started": run_facts["started"],
        "finished": run_facts["finished"],
        "notebooks": [r.manifest_entry() for r in ordered],
    }


def _narrowed(company, segments: list[str], alone: bool) -> tuple[dict, list[dict]]:
    """Each audience's dataset, and a summary of each that cannot be built. One asked for
    alone (``--segment``) stops the run (DataError); among ``--segment-by``'s, one fails
    alone and the others render."""
    narrowed, unbuilt = {}, []
    for seg in segments:
        try:
            narrowed[seg] = company.narrow(seg)
        except DataError as exc:
            if alone:
                raise
            unbuilt.append(
                {
                    "audience": seg,
                    "segment": seg,
                    "folder": audience_folder(seg),
                    "path": None,
                    "failed": True,
                    "kept_previous": False,
                    "error": str(exc),
                }
            )
    return narrowed, unbuilt


STATE_FILES = ("forecast_history.csv",)  # what a report keeps between runs of an audience


def _all_ok(manifest_path: Path) -> bool:
    found = read_manifest(manifest_path)
    return found is not None and all(n.get("status") == "ok" for n in found["notebooks"])


def _carried(out: Path, label: str, pack: dict, ran: set[str]) -> list[NotebookResult]:
    """The reports of the pack in place that this run did not render, their page and executed
    files copied into the run's pack, each marked with the run it came from: a run of fewer
    reports updates those and never shrinks the pack."""
    final = pack_dir(out, label, pack["folder"])
    previous = read_manifest(final / "manifest.json")
    if previous is None:
        return []
    stage: Path = pack["stage"]
    kept = []
    for entry in previous["notebooks"]:
        name = entry["name"]
        if name in ran or not (entry.get("html") and (final / entry["html"]).is_file()):
            continue
        shutil.copy2(final / entry["html"], stage / entry["html"])
        for suffix in (".ipynb", ".log"):
            if (final / "executed" / f"{name}{suffix}").is_file():
                shutil.copy2(
                    final / "executed" / f"{name}{suffix}", stage / "executed" / f"{name}{suffix}"
                )
        run = entry.get("carried_from") or {
            "finished": previous.get("finished"),
            "data_as_of": previous.get("data_as_of"),
            "data_fingerprint": previous.get("data_fingerprint"),
        }
        kept.append(NotebookResult.from_manifest_entry(entry, run))
    return kept


def _finish_pack(
    out: Path, pack: dict, manifest: dict, ordered: list[NotebookResult], ran: list[NotebookResult]
) -> dict:
    """Write the pack's manifest and brief in its staging folder, then swap it in (or, when
    this run's reports failed and the pack in place has none failed, keep it aside); keep its
    state."""
    stage: Path = pack["stage"]
    write_atomically(stage / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    final = pack_dir(out, manifest["period"], pack["folder"])
    failed = any(r.status != "ok" for r in ran)
    kept_previous = failed and _all_ok(final / "manifest.json")
    target = (
        out / HIDDEN / "failed" / manifest["period"] / pack["folder"] if kept_previous else final
    )
    history = past_manifests(out, pack["folder"], manifest["data_lineage"])
    write_index(
        stage / "index.html",
        manifest,
        [asdict(r) for r in ordered],
        pack["about"]["currency"],
        history=history,
        kept_previous=kept_previous,
    )
    if kept_previous:
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage, target)
    else:
        swap_in(stage, target)
        for state_file in STATE_FILES:
            if (target / state_file).is_file():
                copy_atomically(target / state_file, state_dir(out, pack["folder"]) / state_file)
    return {
        "audience": manifest["audience"],
        "segment": pack["segment"],
        "folder": pack["folder"],
        "path": str(target),
        "failed": failed,
        "kept_previous": kept_previous,
    }


def _drop_unused_snapshots(out: Path) -> None:
    """Remove the data snapshots no pack under ``out`` (kept or kept aside) was rendered from."""
    manifests = [*out.glob("*/*/manifest.json"), *out.glob(f"{HIDDEN}/failed/*/*/manifest.json")]
    used = {str(m.get("data_fingerprint"))[:16] for p in manifests if (m := read_manifest(p))}
    base = snapshot_dir(out, "x").parent
    for folder in base.glob("*") if base.is_dir() else []:
        if folder.name not in used:
            shutil.rmtree(folder, ignore_errors=True)


def release_memory() -> None:
    """Hand the memory of freed tables back to the system (collected, then glibc's and Arrow's
    allocators trimmed), so that the runner does not hold the data while the notebooks run: at
    1M opportunities it held 1.20 GB after the load, 0.23 GB after this."""
    gc.collect()
    with contextlib.suppress(AttributeError):
        pyarrow.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


__all__ = [
    "NotebookResult",
    "audiences_of",
    "dataset_name",
    "discover_notebooks",
    "execute_one",
    "longest_first",
    "run_suite",
]
