"""The house chart style: seaborn's clean look, PNG output, titles that state the finding.

Charts are embedded as PNG (deterministic bytes for the same data, unlike SVG, which carries a
date), so the same data gives the same HTML.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=False)

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from spm_lib.report.context import CONTEXT  # noqa: E402
from spm_lib.report.formats import format_currency, format_percent  # noqa: E402

PALETTE = ["#1f5f8b", "#e07b39", "#3a9d5d", "#b8474f", "#7a5ea8", "#8c8c8c"]


def set_style() -> None:
    """Apply the house style and make inline figures PNG at a readable size."""
    sns.set_theme(style="whitegrid", palette=PALETTE, font_scale=0.95)
    plt.rcParams.update(
        {
            "figure.figsize": (9, 4),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "spm",
        }
    )
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except ImportError:  # pragma: no cover - outside IPython
        pass


def new_figure(width: float = 9, height: float = 4) -> tuple[Figure, Axes]:
    fig, ax = plt.subplots(figsize=(width, height))
    return fig, ax


def finish(ax: Axes, title: str, xlabel: str, ylabel: str, yunit: str | None = None) -> Axes:
    """Title (the finding), labelled axes with units, money or percent ticks."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if yunit == "currency":
        ax.yaxis.set_major_formatter(
            FuncFormatter(lambda v, _: format_currency(v, CONTEXT.currency))
        )
    elif yunit == "percent":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_percent(v)))
    ax.figure.tight_layout()
    return ax


def show(fig: Figure | None = None) -> None:
    """Display ``fig`` (default: the current figure) and close it."""
    from IPython.display import display

    fig = fig or plt.gcf()
    display(fig)
    plt.close(fig)
