"""The index page of a run: every report with its status, duration and key figures."""

from __future__ import annotations

from pathlib import Path

import jinja2

from spm_lib.report.formats import format_value

TEMPLATES = Path(__file__).parent / "templates"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def index_html(manifest: dict, results: list[dict], currency: str = "USD") -> str:
    """Render the index from the manifest and the per-notebook results (with labels, titles)."""
    reports = []
    for r in results:
        figures = [
            {
                "label": meta.get("label") or name,
                "value": format_value(meta.get("value"), meta.get("unit"), currency),
            }
            for name, meta in r.get("key_figure_labels", {}).items()
        ]
        reports.append(
            {
                "name": r["name"],
                "title": r.get("title") or r["name"],
                "status": r["status"],
                "html": r.get("html"),
                "seconds": f"{r['seconds']:.1f} s",
                "error": r.get("error"),
                "figures": figures,
            }
        )
    failed = sum(r["status"] != "ok" for r in results)
    summary = (
        ("The report rendered." if len(results) == 1 else f"All {len(results)} reports rendered.")
        if not failed
        else f"{failed} of {len(results)} reports failed; the others rendered."
    )
    audience = "All reps" if manifest.get("audience") in (None, "All") else manifest["audience"]
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    return (
        _environment()
        .get_template("index/index.html.j2")
        .render(manifest=manifest, reports=reports, summary=summary, audience=audience, css=css)
    )


def write_index(path: Path, manifest: dict, results: list[dict], currency: str = "USD") -> Path:
    path.write_text(index_html(manifest, results, currency), encoding="utf-8")
    return path
