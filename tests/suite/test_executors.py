"""The executors: every notebook in a fresh process, the same pages whichever runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spm_lib.pages import expected_seconds
from spm_lib.suite.executors import executor_for
from spm_lib.suite.executors.local import ForkedExecutor, KernelExecutor
from spm_lib.suite.inventory import longest_first
from spm_lib.suite.layout import audience_folder
from spm_lib.suite.notebook import NotebookTask
from spm_lib.suite.runner import run_suite
from tests.helpers import spm, write_notebook

CHARTED = "data_quality,lead_conversion"  # two real reports, with charts and tables
VARIES = {"started", "finished"}  # what differs between two runs of the same data


def _pages(folder: Path) -> dict[str, bytes]:
    """The report pages (the index shows times, which differ run to run)."""
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.html")) if p.stem != "index"}


def _manifest(folder: Path) -> dict:
    manifest = json.loads((folder / "manifest.json").read_text())
    for entry in manifest["notebooks"]:
        entry.pop("seconds")
    return {k: v for k, v in manifest.items() if k not in VARIES}


def _run(data: Path, out: Path, *options: str) -> Path:
    result = spm(
        "run",
        "--data",
        str(data),
        "--out",
        str(out),
        "--notebooks",
        CHARTED,
        "--jobs",
        "2",
        "--quiet",
        *options,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    segment = options[options.index("--segment") + 1] if "--segment" in options else ""
    return out / "2026-Q3" / audience_folder(segment)


@pytest.fixture(scope="module")
def local_run(small_sample, tmp_path_factory) -> Path:
    return _run(small_sample, tmp_path_factory.mktemp("local"))


def test_forked_in_process_pages_are_byte_identical_to_a_jupyter_kernels(
    local_run, small_sample, tmp_path
):
    kernel = _run(small_sample, tmp_path, "--executor", "kernel")
    local = _pages(local_run)
    assert set(local) == {"data_quality.html", "lead_conversion.html"}
    assert b"data:image/png;base64," in local["lead_conversion.html"]  # charts drawn
    assert _pages(kernel) == local
    assert _manifest(kernel) == _manifest(local_run)


def test_a_dask_cluster_renders_the_same_pages_and_manifests_for_each_audience(
    local_run, small_sample, tmp_path
):
    """A LocalCluster of 2 workers on 127.0.0.1, two audiences, against the local pool."""
    for segment in ("", "region=West"):
        extra = ("--segment", segment) if segment else ()
        local = local_run if not segment else _run(small_sample, tmp_path / "local", *extra)
        dask = _run(small_sample, tmp_path / f"dask{len(segment)}", "--executor", "dask", *extra)
        assert _pages(dask) == _pages(local), segment
        assert _manifest(dask) == _manifest(local), segment
        if segment:
            assert _manifest(dask)["audience"] != _manifest(local_run)["audience"]


PID = "import os\nfrom spm_lib import report\nreport.record('pid', os.getpid(), unit='count')"


def test_every_notebook_runs_in_a_fresh_process_of_its_own(make_dataset, tmp_path):
    folder = tmp_path / "notebooks"
    for name in ("one", "two", "three"):
        write_notebook(
            folder, name, PID, "LEAK = 1" if name == "one" else "assert 'LEAK' not in globals()"
        )
    manifest = run_suite(
        make_dataset(), period="2025-Q1", out=tmp_path / "out", notebooks_dir=folder, jobs=2
    )
    entries = manifest["notebooks"]
    assert [e["status"] for e in entries] == ["ok"] * 3, [e["error"] for e in entries]
    pids = {e["key_figures"]["pid"] for e in entries}
    assert len(pids) == 3 and __import__("os").getpid() not in pids


def test_a_cell_that_runs_too_long_is_stopped_and_reported(make_dataset, tmp_path):
    folder = tmp_path / "notebooks"
    write_notebook(folder, "hangs", "import time\ntime.sleep(120)")
    manifest = run_suite(
        make_dataset(), period="2025-Q1", out=tmp_path / "out", notebooks_dir=folder, timeout=2
    )
    (entry,) = manifest["notebooks"]
    assert entry["status"] == "failed" and entry["seconds"] < 60
    assert entry["error"]["exception"] == "CellTimeoutError"  # cell 3: after the parameters
    assert "longer than 2 s" in entry["error"]["message"] and entry["error"]["cell"] == 3


def test_executors_are_named_as_the_command_line_names_them():
    assert isinstance(executor_for("local", 2), ForkedExecutor)
    assert isinstance(executor_for("kernel"), KernelExecutor)
    assert executor_for("dask").address is None
    assert executor_for("dask://10.0.0.5:8786").address == "dask://10.0.0.5:8786"
    with pytest.raises(ValueError, match="unknown executor 'spark'.*local, kernel, dask"):
        executor_for("spark")


def test_an_unknown_executor_stops_the_run_before_the_data_is_read(tmp_path):
    result = spm("run", "--data", str(tmp_path / "missing"), "--executor", "spark", "--quiet")
    assert result.returncode == 2 and "unknown executor 'spark'" in result.stderr
    assert "no such dataset folder" not in result.stderr


def test_the_longest_notebooks_start_first(tmp_path):
    tasks = [
        NotebookTask(f"/n/{name}.ipynb", str(tmp_path), {})
        for name in ("data_quality", "compensation", "forecasting", "leads")
    ]
    order = [t.name for t in longest_first(tasks, tmp_path)]
    # without a previous run: by the seconds of the table of reports, an unknown notebook last
    seconds = {name: expected_seconds(name) for name in order}
    assert order == sorted(order, key=lambda n: -seconds[n]) and order[-1] == "leads"
    assert seconds["forecasting"] > seconds["compensation"] > seconds["data_quality"] > 0
    last = {
        "notebooks": [
            {"name": "data_quality", "seconds": 9.0},
            {"name": "forecasting", "seconds": 3.0},
            {"name": "compensation", "seconds": 5.0},
        ]
    }
    (tmp_path / "manifest.json").write_text(json.dumps(last))
    order = [t.name for t in longest_first(tasks, tmp_path)]
    assert order == ["leads", "data_quality", "compensation", "forecasting"]  # new ones first


def test_a_context_variable_set_in_one_cell_is_seen_in_the_next(make_dataset, tmp_path):
    """As in a Jupyter kernel: the report's currency context and decimal's live in ContextVars."""
    folder = tmp_path / "notebooks"
    write_notebook(
        folder,
        "context",
        "import contextvars, decimal\nVAR = contextvars.ContextVar('v', default=0)\n"
        "VAR.set(7)\ndecimal.getcontext().prec = 5",
        "from spm_lib import report\nreport.record('var', VAR.get(), unit='count')\n"
        "report.record('prec', decimal.getcontext().prec, unit='count')",
    )
    manifest = run_suite(
        make_dataset(), period="2025-Q1", out=tmp_path / "out", notebooks_dir=folder
    )
    (entry,) = manifest["notebooks"]
    assert entry["status"] == "ok", entry["error"]
    assert entry["key_figures"] == {"var": 7, "prec": 5}


def test_a_notebook_whose_process_is_killed_is_reported_and_the_others_still_run(
    make_dataset, tmp_path
):
    """As the system's out-of-memory killer would: the run goes on and says which report died."""
    folder = tmp_path / "notebooks"
    write_notebook(folder, "killed", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    for name in ("fine", "also_fine"):
        write_notebook(folder, name, PID)
    manifest = run_suite(
        make_dataset(), period="2025-Q1", out=tmp_path / "out", notebooks_dir=folder, jobs=2
    )
    entries = {e["name"]: e for e in manifest["notebooks"]}
    assert entries["killed"]["status"] == "failed"
    assert entries["killed"]["error"]["exception"] == "ProcessDied"
    assert entries["fine"]["status"] == entries["also_fine"]["status"] == "ok"
    index = (tmp_path / "out" / "2025-Q1" / "all" / "index.html").read_text()
    assert "ProcessDied" in index


def test_a_daemonic_dask_worker_runs_the_notebook_in_a_new_interpreter(
    make_dataset, tmp_path, monkeypatch
):
    """`dask worker`'s processes are daemonic and may not fork: the notebook then runs in
    `python -m spm_lib.suite.executors.child`, started with one BLAS thread."""
    import multiprocessing

    from spm_lib.dataset import load_dataset
    from spm_lib.dataset.snapshot import write_snapshot
    from spm_lib.suite.executors.dask_cluster import run_isolated

    folder = tmp_path / "notebooks"
    write_notebook(
        folder,
        "blas",
        PID + "\nreport.record('parent', os.getppid(), unit='count')\n"
        "report.record('blas', int(os.environ['OPENBLAS_NUM_THREADS']), unit='count')",
    )
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setattr(multiprocessing.current_process(), "daemon", True, raising=False)
    out = tmp_path / "out"
    (out / "executed").mkdir(parents=True)
    snapshot = write_snapshot(load_dataset(make_dataset()), out / "executed" / "data")
    task = NotebookTask(
        str(folder / "blas.ipynb"),
        str(out),
        {"data": str(snapshot), "period": "2025-Q1", "out_dir": str(out)},
    )
    result = run_isolated(task)
    assert result.status == "ok", result.error
    assert result.key_figures["blas"] == 1
    # a child of this process itself (a fork would be the forkserver's child)
    assert result.key_figures["parent"] == __import__("os").getpid()
