"""A dataset in another currency prints that currency everywhere: no report falls back to $."""

from __future__ import annotations

import json
import shutil

from tests.helpers import spm


def test_a_eur_dataset_shows_no_dollar_in_any_report(small_sample, tmp_path):
    data = tmp_path / "eur"
    shutil.copytree(small_sample, data)
    config = (data / "spm.yaml").read_text(encoding="utf-8")
    assert "currency: USD" in config
    (data / "spm.yaml").write_text(config.replace("currency: USD", "currency: EUR"))
    out = tmp_path / "reports"
    result = spm("run", "--data", str(data), "--out", str(out), "--jobs", "2", "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    folder = next(p.parent for p in out.glob("*/all/manifest.json"))
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {n["status"] for n in manifest["notebooks"]} == {"ok"}
    pages = sorted(folder.glob("*.html"))
    assert len(pages) == len(manifest["notebooks"]) + 1  # and the index
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "$" not in text, (page.name, text[max(text.index("$") - 120, 0) :][:240])
        assert "ReportContext(" not in text, page.name  # no cell ends on a value that prints
    for name in ("index", "forecasting", "compensation", "rep_performance", "training_gaps"):
        assert "€" in (folder / f"{name}.html").read_text(encoding="utf-8"), name
