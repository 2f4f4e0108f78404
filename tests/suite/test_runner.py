"""End to end: `spm run` renders every notebook to offline HTML with an index and a manifest."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from spm_lib import leads, load_dataset
from spm_lib.periods import trailing_year
from tests.helpers import ACCOUNTS, OPPORTUNITIES, REPS, ROOT, rendered, spm

NOTEBOOKS = ROOT / "notebooks"
REMOTE = re.compile(
    r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//""", re.I
)


@pytest.fixture(scope="module")
def suite(default_sample, tmp_path_factory):
    """The whole suite on the default sample: the run the consistency tests read too."""
    out, result = rendered(tmp_path_factory, "sample-run", default_sample)
    return SimpleNamespace(**result), out


def test_run_exits_zero_and_prints_the_index(suite):
    result, out = suite
    assert result.returncode == 0, result.stderr + result.stdout
    assert f"Brief: {out / '2026-Q3' / 'all' / 'index.html'}" in result.stdout
    assert f"Every period: {out / 'index.html'}" in result.stdout


def test_one_html_per_notebook_and_executed_copies(suite):
    _, out = suite
    folder = out / "2026-Q3" / "all"
    for notebook in NOTEBOOKS.glob("*.ipynb"):
        assert (folder / f"{notebook.stem}.html").stat().st_size > 1000
        assert (folder / "executed" / f"{notebook.stem}.ipynb").exists()


def test_index_links_resolve(suite):
    _, out = suite
    folder = out / "2026-Q3" / "all"
    index = (folder / "index.html").read_text()
    links = re.findall(r'href="([^"#]+)"', index)
    assert {f"{p.stem}.html" for p in NOTEBOOKS.glob("*.ipynb")} <= set(links)
    for link in links:
        assert (folder / link).exists(), link
    assert "Rows read" in index


def test_manifest_is_complete_and_reconciles(suite, default_sample):
    _, out = suite
    manifest = json.loads((out / "2026-Q3" / "all" / "manifest.json").read_text())
    assert manifest.keys() >= {
        "period",
        "data_fingerprint",
        "versions",
        "started",
        "finished",
        "notebooks",
    }
    ds = load_dataset(default_sample)
    assert manifest["period"] == "2026-Q3"
    assert manifest["data_fingerprint"] == ds.fingerprint
    assert manifest["data_lineage"] in (f"name:{ds.config.name}", manifest["data"])
    assert manifest["versions"]["pandas"] and manifest["versions"]["python"]
    names = [n["name"] for n in manifest["notebooks"]]
    assert names[0] == "data_quality"
    assert set(names) == {p.stem for p in NOTEBOOKS.glob("*.ipynb")}
    for entry in manifest["notebooks"]:
        assert entry.keys() == {
            "name",
            "status",
            "html",
            "seconds",
            "key_figures",
            "error",
            "series",
            "title",
            "key_figure_labels",
            "actions",
            "carried_from",
        }
        assert entry["carried_from"] is None and entry["title"]
        assert entry["status"] == "ok" and entry["error"] is None and entry["seconds"] > 0
    figures = manifest["notebooks"][0]["key_figures"]
    recon = ds.reconciliation()
    assert figures == {
        "rows_read": int(recon["rows_read"].sum()),
        "rows_used": int(recon["rows_used"].sum()),
        "rows_quarantined": int(recon["rows_quarantined"].sum()),
        "rows_warned": int(recon["rows_warned"].sum()),
    }


def test_forecasting_records_its_key_figures_and_keeps_history(suite):
    _, out = suite
    manifest = json.loads((out / "2026-Q3" / "all" / "manifest.json").read_text())
    figures = {n["name"]: n["key_figures"] for n in manifest["notebooks"]}["forecasting"]
    for name in (
        "forecast_next_quarter",
        "forecast_next_quarter_lower",
        "forecast_next_quarter_upper",
        "pipeline_forecast_p50",
    ):
        assert figures[name] > 0, name
    assert figures["forecast_next_quarter_lower"] < figures["forecast_next_quarter"]
    assert figures["forecast_next_quarter"] < figures["forecast_next_quarter_upper"]
    history = (out / "2026-Q3" / "all" / "forecast_history.csv").read_text()
    assert history.startswith("made_at,level,series,target") and len(history.splitlines()) > 10
    # kept for the audience's next run, outside the pack
    assert (out / ".spm" / "state" / "all" / "forecast_history.csv").read_text() == history


def test_lead_conversion_reports_the_library_figures(suite, default_sample):
    _, out = suite
    manifest = json.loads((out / "2026-Q3" / "all" / "manifest.json").read_text())
    figures = {n["name"]: n["key_figures"] for n in manifest["notebooks"]}["lead_conversion"]
    ds = load_dataset(default_sample)
    expected = leads.key_figures(ds, ds.period("2026-Q3")).set_index("figure")["value"]
    for name in ("leads", "lead_conversion_rate", "revenue_per_lead", "median_days_to_convert"):
        assert figures[name] == pytest.approx(expected[name]), name
    assert figures["leads"] > 0 and 0 < figures["lead_conversion_rate"] < 1
    page = html.unescape((out / "2026-Q3" / "all" / "lead_conversion.html").read_text())
    best = (
        leads.source_effects(
            ds, leads.created_in(leads.lead_frame(ds), trailing_year(ds.period("2026-Q3")))
        )
        .table["source"]
        .iloc[0]
    )
    assert f"{best} leads convert best" in page
    assert page.count("data:image/png;base64,") == 2  # the source intervals and Kaplan-Meier
    for heading in (
        "Which sources turn leads into revenue?",
        "How fast do leads convert?",
        "Which SDRs convert?",
        "Which leads are stalling?",
    ):
        assert heading in page


def _code_lines(notebook: Path) -> list[str]:
    nb = nbformat.read(notebook, as_version=4)
    return [
        line.strip()
        for cell in nb.cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if len(line.strip()) > 12
    ]


def test_html_is_offline_and_shows_no_code(suite):
    _, out = suite
    for page in (out / "2026-Q3" / "all").glob("*.html"):
        text = page.read_text()
        assert not REMOTE.search(text), (page.name, REMOTE.search(text).group(0))
        assert "require.js" not in text and "mathjax" not in text.lower()
        notebook = NOTEBOOKS / f"{page.stem}.ipynb"
        if notebook.exists():
            plain = html.unescape(text)
            leaked = [line for line in _code_lines(notebook) if line in plain]
            assert not leaked, (page.name, leaked[:3])
            assert "In&nbsp;[" not in text and "jp-InputPrompt" not in text


def test_report_reads_like_a_report(suite):
    _, out = suite
    text = (out / "2026-Q3" / "all" / "data_quality.html").read_text()
    assert '<h1 class="spm-title">Data quality</h1>' in text
    assert "2026-Q3 (2026-07-01 to 2026-09-30)" in text and "data as of 2026-09-30" in text
    assert '<nav class="spm-toc">' in text
    assert "data:image/png;base64," in text  # the chart is embedded


TIMES = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00|\d+\.\d s")


def test_same_data_and_parameters_give_the_same_pages_and_manifest(
    by_manager, small_sample, tmp_path
):
    """The company's pack of a second run of the whole suite (alone, into another folder)
    against the one rendered beside the regions' packs: every page byte for byte, the brief
    apart from its run times, and the manifest apart from times and seconds."""
    result = spm(
        "run", "--data", str(small_sample), "--out", str(tmp_path), "--jobs", "2", "--quiet"
    )
    assert result.returncode == 0, result.stderr
    one, two = by_manager / "2026-Q3" / "all", tmp_path / "2026-Q3" / "all"
    pages = sorted(p.name for p in one.glob("*.html"))
    assert pages == sorted(p.name for p in two.glob("*.html")) and len(pages) == 10
    for name in pages:
        a, b = (one / name).read_text(), (two / name).read_text()
        if name == "index.html":
            a, b = TIMES.sub("T", a), TIMES.sub("T", b)
        assert a == b, name

    def figures(folder: Path) -> dict:
        manifest = json.loads((folder / "manifest.json").read_text())
        for entry in manifest["notebooks"]:
            entry.pop("seconds")
        return {k: v for k, v in manifest.items() if k not in ("started", "finished")}

    assert figures(one) == figures(two)


def test_forwarded_pages_name_the_data_not_the_server_path(suite, default_sample):
    _, out = suite
    folder = out / "2026-Q3" / "all"
    for page in folder.glob("*.html"):
        text = page.read_text()
        assert str(default_sample) not in text and str(out) not in text, page.name
        assert f"data {default_sample.name} · fingerprint" in text, page.name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["data"] == str(default_sample)  # the manifest keeps the full reference


@pytest.mark.parametrize("period", ["../../etc", "2026-Q3/..", "2026-Q3\\x"])
def test_a_period_that_is_not_a_period_is_refused(make_dataset, tmp_path, period):
    result = spm(
        "run",
        "--data",
        str(make_dataset()),
        "--out",
        str(tmp_path / "o"),
        "--period",
        period,
        "--quiet",
    )
    assert result.returncode == 2 and "cannot read period" in result.stderr
    assert not [p for p in (tmp_path / "o").rglob("*") if p.is_file() and p.name != "lock"]


FIXTURES = Path(__file__).parent / "fixture_notebooks"  # tiny notebooks, as papermill keeps


def test_the_runner_on_tiny_notebooks_records_key_figures_and_reports_a_failure(
    make_dataset, tmp_path
):
    """The runner's key-figure and failure paths in seconds: one notebook records figures the
    test computes from the raw rows, the other stops in its third cell."""
    evil = dict(REPS[0], rep_id="R9", name="<script>alert(1)</script>")
    data = make_dataset(reps=[*REPS, evil], opportunities=OPPORTUNITIES, accounts=ACCOUNTS)
    out = tmp_path / "out"
    result = spm(
        "run",
        "--data",
        str(data),
        "--out",
        str(out),
        "--notebooks-dir",
        str(FIXTURES),
        "--period",
        "2025-Q1",
        "--jobs",
        "2",
        "--quiet",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 of 2 reports failed" in result.stderr
    folder = out / "2025-Q1" / "all"
    entries = {
        n["name"]: n for n in json.loads((folder / "manifest.json").read_text())["notebooks"]
    }
    ok, broken = entries["tiny_key_figures"], entries["tiny_broken"]
    won = [float(o["amount"]) for o in OPPORTUNITIES if o["is_won"] == "true"]
    assert ok["status"] == "ok"
    blas = int(os.environ.get("OPENBLAS_NUM_THREADS", "1"))  # one per parallel kernel, or yours
    assert ok["key_figures"] == {
        "opportunities": len(OPPORTUNITIES),
        "bookings": sum(won),
        "blas_threads": blas,
    }
    assert broken["status"] == "failed" and broken["error"]["exception"] == "ValueError"
    assert broken["error"]["cell"] is not None and broken["key_figures"] == {"before_failure": 1}
    page = (folder / "tiny_broken.html").read_text()
    assert "This report did not complete" in page and "planted failure" in page
    assert "<b>bold</b>" not in page and "Traceback" not in page
    tiny = (folder / "tiny_key_figures.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in tiny and "<script>alert(1)" not in tiny
    index = (folder / "index.html").read_text()
    assert "ValueError" in index and "failed" in index and "<b>bold</b>" not in index


def test_a_failing_notebook_is_reported_and_does_not_stop_the_others(make_dataset, tmp_path):
    evil = dict(REPS[0], rep_id="R9", name="<script>alert(1)</script>")
    data = make_dataset(reps=[*REPS, evil], opportunities=OPPORTUNITIES, accounts=ACCOUNTS)
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(NOTEBOOKS / "data_quality.ipynb", notebooks)
    shutil.copy(NOTEBOOKS / "forecasting.ipynb", notebooks)  # also: it copes with tiny data
    shutil.copy(FIXTURES / "tiny_broken.ipynb", notebooks / "broken.ipynb")
    out = tmp_path / "out"
    result = spm(
        *("run", "--data", str(data), "--out", str(out), "--notebooks-dir", str(notebooks)),
        *("--period", "2025-Q1", "--segment", "region=West", "--jobs", "2", "--quiet"),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 of 3 reports failed" in result.stderr
    folder = out / "2025-Q1" / "region-West"
    manifest = json.loads((folder / "manifest.json").read_text())
    entries = {n["name"]: n for n in manifest["notebooks"]}
    assert entries["data_quality"]["status"] == "ok"
    assert entries["forecasting"]["status"] == "ok", entries["forecasting"]["error"]
    broken = entries["broken"]
    assert broken["status"] == "failed"
    assert broken["error"]["exception"] == "ValueError"
    assert "planted failure" in broken["error"]["message"]
    assert broken["error"]["cell"] is not None
    assert broken["key_figures"] == {"before_failure": 1}
    page = (folder / "broken.html").read_text()
    assert "This report did not complete" in page and "planted failure" in page
    assert "<b>bold</b>" not in page and "Traceback" not in page
    index = (folder / "index.html").read_text()
    assert "ValueError" in index and "failed" in index and "<b>bold</b>" not in index
    dq = (folder / "data_quality.html").read_text()
    assert "region=West" in dq
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dq  # the rep without deals, as text
    assert "<script>alert(1)</script>" not in dq


def test_a_run_without_a_terminal_logs_the_summary_and_no_progress_bar(make_dataset, tmp_path):
    """Under cron or CI (no terminal) the progress bar stays off even without --quiet."""
    data = make_dataset(reps=REPS, opportunities=OPPORTUNITIES, accounts=ACCOUNTS)
    result = spm(
        "run",
        "--data",
        str(data),
        "--out",
        str(tmp_path / "out"),
        "--period",
        "2025-Q1",
        "--notebooks-dir",
        str(FIXTURES),
        "--notebooks",
        "tiny_key_figures",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tiny_key_figures" in result.stdout and "Brief:" in result.stdout
    assert "report/s" not in result.stderr and "\r" not in result.stderr, result.stderr


def test_parallel_workers_give_their_kernels_one_blas_thread_unless_told(monkeypatch):
    from spm_lib.suite.executors import environment

    for name in environment.BLAS_THREADS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "4")  # the user's choice stays
    environment.one_blas_thread()
    assert os.environ["OPENBLAS_NUM_THREADS"] == os.environ["OMP_NUM_THREADS"] == "1"
    assert os.environ["MKL_NUM_THREADS"] == "4"


def test_run_fails_fast_on_unusable_data(tmp_path):
    result = spm(
        "run", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "o"), "--quiet"
    )
    assert result.returncode == 2 and "no such dataset folder" in result.stderr


def test_a_kernel_that_dies_before_starting_is_started_again(monkeypatch, tmp_path):
    """Two kernels started at once can race for one port; no cell ran, so the run retries."""
    import papermill

    from spm_lib.suite.notebook import NotebookTask, execute_one

    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    (tmp_path / "executed").mkdir()
    task = NotebookTask(
        str(FIXTURES / "tiny_key_figures.ipynb"),
        str(tmp_path),
        {},
        "python3",
        "",
        60,
        engine="kernel",
    )
    result = execute_one(task)
    assert len(calls) == 2 and result.status == "ok" and result.error is None

    def broken(*args, **kwargs):
        calls.append(1)
        raise ValueError("a failure inside the notebook is not retried")

    calls.clear()
    monkeypatch.setattr(papermill, "execute_notebook", broken)
    result = execute_one(task)
    assert len(calls) == 1 and result.status == "failed"


def test_a_kernel_that_dies_mid_run_is_retried_once(monkeypatch, tmp_path):
    import papermill
    from nbclient.exceptions import DeadKernelError

    from spm_lib.suite.notebook import NotebookTask, execute_one

    calls = []

    def dies_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise DeadKernelError("Kernel died")

    monkeypatch.setattr(papermill, "execute_notebook", dies_once)
    (tmp_path / "executed").mkdir()
    for engine in ("kernel", "inprocess"):
        calls.clear()
        task = NotebookTask(
            str(FIXTURES / "tiny_key_figures.ipynb"),
            str(tmp_path),
            {},
            "python3",
            "",
            60,
            engine=engine,
        )
        result = execute_one(task)
        assert len(calls) == 2 and result.status == "ok", engine

    def always_dies(*args, **kwargs):
        calls.append(1)
        raise DeadKernelError("Kernel died")

    calls.clear()
    monkeypatch.setattr(papermill, "execute_notebook", always_dies)
    result = execute_one(task)
    assert len(calls) == 2 and result.status == "failed"
    assert result.error["exception"] == "DeadKernelError"


def test_an_out_folder_that_cannot_be_written_is_a_sentence(make_dataset, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = spm("run", "--data", str(make_dataset()), "--out", str(blocker / "reports"), "--quiet")
    assert result.returncode == 2 and "cannot write the reports to" in result.stderr
    assert "Traceback" not in result.stderr
