"""Output swapped in whole, one run at a time: a killed or interrupted run leaves the previous
pack as it was, and a second run on the same --out stops at once."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spm_lib.exceptions import OutputBusy
from spm_lib.suite.cli import EXIT_BUSY
from spm_lib.suite.layout import audience_folder, lock_file
from spm_lib.suite.output import RunLock, swap_in
from tests.helpers import ACCOUNTS, OPPORTUNITIES, REPS, ROOT, spm, write_notebook, write_tables


def _figure(value: str) -> str:
    return (
        "from spm_lib.report import record\n"
        f"record('answer', {value}, label='The answer', unit='count')"
    )


def _start(data: Path, out: Path, notebooks: Path, *options: str) -> subprocess.Popen:
    script = Path(sys.executable).with_name("spm")
    return subprocess.Popen(
        [
            str(script),
            "run",
            "--data",
            str(data),
            "--out",
            str(out),
            "--notebooks-dir",
            str(notebooks),
            "--period",
            "2025-Q1",
            "--quiet",
            *options,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_for(condition, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A dataset and a finished run of a one-figure notebook (answer 42) into ``out``."""
    base = tmp_path_factory.mktemp("finished")
    data = write_tables(
        base / "data", {"reps": REPS, "opportunities": OPPORTUNITIES, "accounts": ACCOUNTS}
    )
    quick = write_notebook(base / "quick", "answer", _figure("42"))
    result = spm(
        "run",
        "--data",
        str(data),
        "--out",
        str(base / "out"),
        "--notebooks-dir",
        str(quick),
        "--period",
        "2025-Q1",
        "--quiet",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return data, base / "out", quick


@pytest.fixture
def good_run(finished_run, tmp_path):
    """A copy of the finished run, and a slow notebook folder that answers 7 after a long
    sleep (it touches ``started`` first)."""
    data, finished, quick = finished_run
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    shutil.copytree(quick, tmp_path / "quick")
    slow = write_notebook(
        tmp_path / "slow",
        "answer",
        f"open({str(tmp_path / 'started')!r}, 'w').close()\nimport time\ntime.sleep(600)",
        _figure("7"),
    )
    return data, out, slow, tmp_path / "started"


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT])
def test_a_run_stopped_mid_way_leaves_the_previous_pack_intact(good_run, stop):
    data, out, slow, started = good_run
    pack = out / "2025-Q1" / "all"
    before = _files(pack)
    assert json.loads((pack / "manifest.json").read_text())["notebooks"][0]["key_figures"] == {
        "answer": 42
    }
    run = _start(data, out, slow)
    _wait_for(started.exists)  # the new run is inside its notebook
    os.killpg(run.pid, stop)
    _, stderr = run.communicate(timeout=120)
    assert _files(pack) == before
    if stop == signal.SIGINT:  # Ctrl-C: a sentence, not a traceback
        assert run.returncode == 130 and "INTERRUPTED" in stderr and "Traceback" not in stderr
    # the lock died with the run: the next one starts and replaces the pack whole
    quick = slow.parent / "quick"
    result = spm(
        "run",
        "--data",
        str(data),
        "--out",
        str(out),
        "--notebooks-dir",
        str(quick),
        "--period",
        "2025-Q1",
        "--quiet",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert not list((out / ".spm").glob("staging/*/*"))  # no half-written pack left behind


def test_a_second_run_on_the_same_out_stops_at_once(good_run):
    data, out, slow, started = good_run
    run = _start(data, out, slow)
    try:
        _wait_for(started.exists)
        began = time.monotonic()
        result = spm(
            "run",
            "--data",
            str(data),
            "--out",
            str(out),
            "--notebooks-dir",
            str(slow.parent / "quick"),
            "--period",
            "2025-Q1",
            "--quiet",
        )
        assert result.returncode == EXIT_BUSY, result.stdout + result.stderr
        assert "another spm run is writing to" in result.stderr
        assert f"pid {run.pid}" in result.stderr
        assert time.monotonic() - began < 60  # did not wait for the first run
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.communicate(timeout=120)


def test_a_pack_with_failed_reports_does_not_replace_a_good_one(good_run):
    data, out, slow, _ = good_run
    pack = out / "2025-Q1" / "all"
    before = _files(pack)
    broken = write_notebook(slow.parent / "broken", "answer", "raise ValueError('no answer today')")
    result = spm(
        "run",
        "--data",
        str(data),
        "--out",
        str(out),
        "--notebooks-dir",
        str(broken),
        "--period",
        "2025-Q1",
        "--quiet",
    )
    assert result.returncode == 1
    assert "the last good pack of 2025-Q1 was kept in place" in result.stderr
    assert _files(pack) == before
    failed = out / ".spm" / "failed" / "2025-Q1" / "all"
    manifest = json.loads((failed / "manifest.json").read_text())
    assert manifest["notebooks"][0]["error"]["message"] == "no answer today"
    index = (out / "index.html").read_text()
    assert 'href=".spm/failed/2025-Q1/all/index.html"' in index and "a later run failed" in index
    assert 'href="../../../../index.html">all periods' in (failed / "index.html").read_text()
    assert (failed / "../../../../index.html").resolve() == (out / "index.html").resolve()


def test_the_lock_is_held_and_released(tmp_path):
    path = lock_file(tmp_path)
    with RunLock(path), pytest.raises(OutputBusy, match=f"pid {os.getpid()}"):
        RunLock(path).__enter__()
    with RunLock(path):  # released on exit
        pass


def test_swap_in_replaces_a_folder_whole(tmp_path):
    final, staged = tmp_path / "pack", tmp_path / "staged"
    final.mkdir()
    (final / "old.html").write_text("old")
    staged.mkdir()
    (staged / "new.html").write_text("new")
    swap_in(staged, final)
    assert [p.name for p in final.iterdir()] == ["new.html"] and not staged.exists()
    other = tmp_path / "other"
    other.mkdir()
    swap_in(other, tmp_path / "fresh")
    assert (tmp_path / "fresh").is_dir() and not other.exists()


@pytest.mark.parametrize(
    "segment, folder",
    [
        ("", "all"),
        ("All", "all"),
        ("region=West", "region-West"),
        ("region=West;team=A", "region-West+team-A"),
    ],
)
def test_audience_folders_are_named_from_the_segment(segment, folder):
    assert audience_folder(segment) == folder


@pytest.mark.parametrize(
    "segment",
    [
        "region=../../etc",
        "region=a/b",
        "region=..",
        "team=West A",
        "region=Wést",
        "region=" + "x" * 300,
        "region=all",
    ],
)
def test_unsafe_segment_values_become_safe_distinct_folders(segment):
    folder = audience_folder(segment)
    assert "/" not in folder and ".." not in folder and len(folder) <= 100
    assert folder not in ("", ".", "..", "all")
    assert folder != audience_folder(segment + "x")  # never shared by two values
