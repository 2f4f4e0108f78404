"""The brief: headline figures with their change on the period before and a year before, and
trends, from kept runs first and the report's recomputed series second; computed by hand."""

from __future__ import annotations

import re

from spm_lib.suite.history import comparison_periods, earlier_periods
from spm_lib.suite.index import headlines, index_html

QUARTERS = [
    ("2025-Q1", "2025-01-01", "2025-03-31"),
    ("2025-Q2", "2025-04-01", "2025-06-30"),
    ("2025-Q3", "2025-07-01", "2025-09-30"),
    ("2025-Q4", "2025-10-01", "2025-12-31"),
    ("2026-Q1", "2026-01-01", "2026-03-31"),
    ("2026-Q2", "2026-04-01", "2026-06-30"),
]


def _manifest(label: str, start: str, end: str, bookings: float | None, rate: float) -> dict:
    figures = {"win_rate": rate} if bookings is None else {"bookings": bookings, "win_rate": rate}
    return {
        "period": label,
        "period_start": start,
        "period_end": end,
        "audience": "All",
        "data_fingerprint": "f" * 64,
        "versions": {"spm-lib": "0"},
        "started": "s",
        "finished": "f",
        "data_as_of": end,
        "data_name": "sample",
        "notebooks": [{"name": "rep_performance", "status": "ok", "key_figures": figures}],
    }


def _result(bookings: float, rate: float, series: dict | None = None) -> dict:
    return {
        "name": "rep_performance",
        "title": "Rep performance",
        "status": "ok",
        "html": "rep_performance.html",
        "seconds": 1.0,
        "error": None,
        "actions": [],
        "series": series or {},
        "key_figure_labels": {
            "bookings": {"value": bookings, "label": "Bookings", "unit": "currency"},
            "win_rate": {"value": rate, "label": "Win rate", "unit": "percent"},
        },
    }


def test_comparison_periods_of_a_quarter_and_a_month():
    quarter = {"period_start": "2026-04-01", "period_end": "2026-06-30"}
    assert comparison_periods(quarter) == {
        "prior": ("2026-01-01", "2026-03-31"),
        "year": ("2025-04-01", "2025-06-30"),
    }
    month = {"period_start": "2026-03-01", "period_end": "2026-03-31"}
    assert comparison_periods(month) == {
        "prior": ("2026-02-01", "2026-02-28"),
        "year": ("2025-03-01", "2025-03-31"),
    }
    assert earlier_periods(quarter, 3) == [
        ("2025-10-01", "2025-12-31"),
        ("2026-01-01", "2026-03-31"),
        ("2026-04-01", "2026-06-30"),
    ]


def test_changes_and_trend_read_kept_runs_before_the_recomputed_series():
    history = [
        _manifest(*q, bookings=b, rate=r)
        for q, b, r in zip(
            QUARTERS[:5], [100, 120, 150, 130, 160], [0.2, 0.2, 0.3, 0.25, 0.3], strict=True
        )
    ]
    history[3] = _manifest(*QUARTERS[3], bookings=None, rate=0.25)  # no bookings that quarter
    current = _manifest(*QUARTERS[5], bookings=200, rate=0.35)
    # the report's recomputed series: used only where no kept run has the figure
    series = {
        "bookings": [
            {
                "period": "2025-Q4",
                "period_start": "2025-10-01",
                "period_end": "2025-12-31",
                "value": 999.0,
            }
        ]
    }
    rows = {r["name"]: r for r in headlines(current, [_result(200, 0.35, series)], history)}
    bookings, rate = rows["bookings"], rows["win_rate"]
    assert (bookings["prior"], bookings["prior_period"]) == ("+25%", "2026-Q1")  # 200 / 160
    assert (bookings["year"], bookings["year_period"]) == ("+67%", "2025-Q2")  # 200 / 120
    assert (rate["prior"], rate["year"]) == ("+5.0 pts", "+15.0 pts")
    # 2025-Q4's kept run has no bookings: the trend skips it (its recomputed 999 is not used,
    # since the kept run is what was reported) - 100, 120, 150, 160, 200
    assert "from $100 in 2025-Q1 to $200 in 2026-Q2" in bookings["finding"]
    assert "recomputed" not in bookings["finding"]
    ys = [float(p.split(",")[1]) for p in bookings["trend"].split()]
    assert len(ys) == 5 and ys[-1] == min(ys) and ys[0] == max(ys)  # SVG y grows downwards


def test_without_kept_runs_the_recomputed_series_fills_in_and_says_so():
    current = _manifest(*QUARTERS[5], bookings=200, rate=0.35)
    values = zip(QUARTERS[:5], [50, 60, 70, 80, 100], strict=True)
    series = {
        "bookings": [
            {"period": q[0], "period_start": q[1], "period_end": q[2], "value": v}
            for q, v in values
        ]
    }
    rows = {r["name"]: r for r in headlines(current, [_result(200, 0.35, series)], [])}
    assert rows["bookings"]["prior"] == "+100%" and rows["bookings"]["year"] == "+233%"
    assert "5 of 6 recomputed from this run's data" in rows["bookings"]["finding"]
    assert rows["win_rate"]["prior"] == "" and rows["win_rate"]["trend"] == ""


def test_the_brief_page_escapes_and_labels_its_charts():
    current = _manifest(*QUARTERS[5], bookings=200, rate=0.35)
    current["audience"] = "region=<b>West</b>"
    result = _result(200, 0.35)
    result["actions"] = [
        {
            "text": "<script>x()</script> is at risk",
            "weight": 1,
            "href": "rep_performance.html#x",
            "report": "Rep performance",
        }
    ]
    history = [_manifest(*QUARTERS[4], bookings=100, rate=0.3)]
    page = index_html(current, [result], "USD", history)
    assert "<script>x()" not in page and "&lt;script&gt;x()&lt;/script&gt; is at risk" in page
    assert "<b>West</b>" not in page
    labels = re.findall(r'<svg[^>]*role="img" aria-label="([^"]+)"', page)
    assert labels == [
        "Bookings rose from $100 in 2026-Q1 to $200 in 2026-Q2",
        "Win rate rose from 30% in 2026-Q1 to 35% in 2026-Q2",
    ]
    assert '<th scope="col">Report</th>' in page and "<caption>" in page


def test_the_brief_compares_only_kept_runs_of_the_same_dataset(tmp_path):
    """The attack run: the brief compared against kept runs of another dataset in the same
    --out. Kept runs are read by lineage (spm.yaml name, else the data's reference)."""
    import json

    from spm_lib.suite.history import lineage_of, past_manifests

    runs = {("2026-Q1", "ours"): 160, ("2026-Q1b", "theirs"): 9e9}
    for (label, lineage), bookings in runs.items():
        manifest = _manifest(label[:7], "2026-01-01", "2026-03-31", bookings, 0.3)
        manifest["data_lineage"] = f"name:{lineage}"
        folder = tmp_path / label / "all"
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text(json.dumps(manifest))
    old = _manifest("2025-Q4", "2025-10-01", "2025-12-31", 100, 0.3)
    old["data"] = "/data/crm"  # a manifest from before lineages: its data reference
    (tmp_path / "2025-Q4" / "all").mkdir(parents=True)
    (tmp_path / "2025-Q4" / "all" / "manifest.json").write_text(json.dumps(old))
    ours = past_manifests(tmp_path, "all", "name:ours")
    assert [m["notebooks"][0]["key_figures"]["bookings"] for m in ours] == [160]
    assert [lineage_of(m) for m in past_manifests(tmp_path, "all", "/data/crm")] == ["/data/crm"]
    assert len(past_manifests(tmp_path, "all")) == 3  # without a lineage: every kept run
    current = _manifest(*QUARTERS[5], bookings=200, rate=0.35)
    rows = {r["name"]: r for r in headlines(current, [_result(200, 0.35)], ours)}
    assert rows["bookings"]["prior"] == "+25%"  # 200 on 160, never on 9e9
