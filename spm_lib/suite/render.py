"""Render an executed notebook as a self-contained HTML report with nbconvert.

The ``spm_report`` template shows no code and no prompts, puts the report header (from
:func:`spm_lib.report.header`) and a table of contents first, hides the outputs that carry data
for the runner, replaces tracebacks with a one-line message, and inlines its CSS: the page makes
no request to any other host (no require.js, MathJax or mermaid).
"""

from __future__ import annotations

import copy
import html
import re
from functools import cache
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from spm_lib.report.display import REPORT_MIME, header_html

TEMPLATES = Path(__file__).parent / "templates"
TOC_MARK = "<!--SPM-TOC-->"
_H2 = re.compile(r'<h2 id="([^"]*)">(.*?)</h2>', re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
# Cells not shown in the HTML: papermill's error banner (the runner shows its own) and cells an
# analyst reads in JupyterLab only (the notebook's intro and parameter notes).
HIDDEN_TAGS = {"papermill-error-cell-tag", "analyst-only"}


@cache
def _css() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


@cache
def _exporter() -> HTMLExporter:
    """One exporter per process: building one compiles the templates (0.3 s a page)."""
    return HTMLExporter(
        template_name="spm_report",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
    )


def warm_up() -> None:
    """Build the exporter and read the CSS now (a process that forks report processes)."""
    _exporter()
    _css()


def report_info(nb: nbformat.NotebookNode) -> dict | None:
    """The header registered by :func:`spm_lib.report.header` in an executed notebook."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            info = output.get("data", {}).get(REPORT_MIME)
            if info:
                return dict(info)
    return None


def section_anchors(body: str) -> dict[str, str]:
    """``{heading text: id}`` of a rendered page's sections (its ``<h2>``), so that the brief
    links a section by the heading a page module names (``html.unescape``d text)."""
    import html as html_text

    return {
        html_text.unescape(_TAGS.sub("", inner).strip()): anchor
        for anchor, inner in _H2.findall(body)
    }


def _toc(body: str) -> str:
    entries = []
    for anchor, inner in _H2.findall(body):
        text = _TAGS.sub("", inner).strip()
        if text:
            entries.append(f'<li><a href="#{anchor}">{text}</a></li>')
    if len(entries) < 2:
        return ""
    return f'<nav class="spm-toc"><p>Contents</p><ol>{"".join(entries)}</ol></nav>'


def failure_html(error: dict) -> str:
    """The banner of a report that stopped: which section, which exception, what message."""
    e = html.escape
    section = f" in cell {error['cell']}" if error.get("cell") is not None else ""
    return (
        '<div class="spm-error"><strong>This report did not complete.</strong> It stopped'
        f"{section} with {e(str(error.get('exception', 'an error')))}: "
        f"{e(str(error.get('message', '')))}. The sections below are those computed before the "
        "stop; analysts find the full traceback in the executed notebook.</div>"
    )


def render_html(
    nb: nbformat.NotebookNode,
    *,
    name: str,
    error: dict | None = None,
    footer: str = "",
) -> str:
    """HTML of executed notebook ``nb`` as a report page (deterministic for the same notebook)."""
    nb = copy.deepcopy(nb)
    # Code cells without outputs show nothing; dropping them also drops papermill's
    # injected-parameters cell, whose random id would make the HTML differ run to run.
    nb.cells = [
        c
        for c in nb.cells
        if not HIDDEN_TAGS & set(c.get("metadata", {}).get("tags", []))
        and not (c.cell_type == "code" and not c.get("outputs"))
    ]
    info = report_info(nb)
    meta: dict = {"title": info["title"] if info else name.replace("_", " ").capitalize()}
    if info:
        meta["period"] = info.get("period", "")
        meta["header_html"] = header_html(info)
    else:
        meta["header_html"] = (
            '<header class="spm-header"><h1 class="spm-title">'
            f"{html.escape(meta['title'])}</h1></header>"
        )
    if error:
        meta["failure_html"] = failure_html(error)
    if footer:
        meta["footer_html"] = f'<footer class="spm-footer">{html.escape(footer)}</footer>'
    nb.metadata["spm"] = meta
    body, _ = _exporter().from_notebook_node(
        nb, resources={"spm_css": _css(), "metadata": {"name": name}}
    )
    return body.replace(TOC_MARK, _toc(body), 1)
