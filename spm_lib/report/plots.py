"""The house chart style: seaborn's clean look, PNG output, titles that state the finding.

Charts are embedded as PNG (deterministic bytes for the same data, unlike SVG, which carries a
date), so the same data gives the same HTML.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=False)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from spm_lib.periods import quarter_label  # noqa: E402
from spm_lib.report.formats import format_currency, format_percent  # noqa: E402
from spm_lib.report.section import emit  # noqa: E402

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
            # names from the data are drawn as text: "$\\unicode{x}$" in a rep's name is not
            # mathtext (it failed two reports), "$5M to $7M" is not an equation
            "text.parse_math": False,
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
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_currency(v)))
    elif yunit == "percent":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_percent(v)))
    ax.figure.tight_layout()
    return ax


def finding(fig: Figure) -> str:
    """What a chart says, for its alt text: its title (the house style titles every chart with
    its finding), else the first axes' title, else its axis labels."""
    suptitle = getattr(fig, "_suptitle", None)
    texts = [suptitle.get_text() if suptitle is not None else ""]
    for ax in fig.axes:
        texts += [ax.get_title(loc=loc) for loc in ("left", "center", "right")]
    found = next((t.strip() for t in texts if t and t.strip()), "")
    if found:
        return found
    labels = [
        f"{ax.get_ylabel()} by {ax.get_xlabel()}"
        for ax in fig.axes[:1]
        if ax.get_xlabel() or ax.get_ylabel()
    ]
    return labels[0] if labels else "Chart"


def show(fig: Figure | None = None) -> None:
    """Display ``fig`` (default: the current figure), its finding as the image's alt text
    (output metadata ``image/png.alt``, which the report template writes), and close it."""
    fig = fig or plt.gcf()
    emit(fig, metadata={"image/png": {"alt": finding(fig)}})
    plt.close(fig)


def _x(index: pd.Index) -> pd.DatetimeIndex:
    return index.to_timestamp() if isinstance(index, pd.PeriodIndex) else pd.DatetimeIndex(index)


def fan_chart(
    history: pd.Series, forecast: pd.DataFrame, title: str, ylabel: str, interval: float
) -> Figure:
    """History as a line, the forecast mean dashed, its interval shaded."""
    fig, ax = new_figure()
    ax.plot(_x(history.index), history.to_numpy(), color=PALETTE[0], label="Actual")
    x = _x(forecast.index)
    ax.plot(x, forecast["mean"], color=PALETTE[1], linestyle="--", label="Forecast")
    ax.fill_between(
        x,
        forecast["lower"],
        forecast["upper"],
        color=PALETTE[1],
        alpha=0.25,
        label=f"{interval:.0%} interval",
    )
    ax.legend(loc="upper left")
    finish(ax, title, "Month", ylabel, yunit="currency")
    return fig


def distribution_chart(
    totals: np.ndarray, marks: dict[str, float], title: str, xlabel: str
) -> Figure:
    """Histogram of simulated totals with vertical lines at ``marks`` (label -> value)."""
    fig, ax = new_figure()
    ax.hist(totals, bins=60, color=PALETTE[0], alpha=0.8)
    styles = ["--", "-", "--", ":"]
    for (label, value), style in zip(marks.items(), styles, strict=False):
        ax.axvline(
            value, color=PALETTE[1], linestyle=style, label=f"{label}: {format_currency(value)}"
        )
    ax.legend(loc="upper right")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_currency(v)))
    finish(ax, title, xlabel, "Simulations (count)")
    return fig


def forecast_vs_actual_chart(scored: pd.DataFrame, title: str) -> Figure:
    """Forecasts (with intervals) against actuals by target quarter, one quarter ahead."""
    fig, ax = new_figure()
    rows = scored.sort_values("target")
    x = np.arange(len(rows))
    ax.errorbar(
        x,
        rows["mean"],
        yerr=[rows["mean"] - rows["lower"], rows["upper"] - rows["mean"]],
        fmt="o",
        color=PALETTE[1],
        capsize=4,
        label="Forecast and interval",
    )
    ax.plot(x, rows["actual"], "s", color=PALETTE[0], label="Actual")
    ax.set_xticks(x, [quarter_label(t) for t in rows["target"]])
    ax.legend(loc="upper left")
    finish(ax, title, "Quarter forecast (made one quarter before)", "Bookings", yunit="currency")
    return fig


def waterfall_chart(movement: pd.DataFrame, title: str) -> Figure:
    """Waterfall of the computable buckets of :func:`spm_lib.rep_performance.pipeline_movement`."""
    rows = movement[movement["computable"]].reset_index(drop=True)
    fig, ax = new_figure()
    level = 0.0
    for i, row in rows.iterrows():
        if row["bucket"] in ("starting pipeline", "ending pipeline"):
            bottom, height, color = 0.0, row["amount"], PALETTE[0]
            level = row["amount"]
        else:
            bottom = level if row["amount"] >= 0 else level + row["amount"]
            height, color = abs(row["amount"]), PALETTE[2] if row["amount"] >= 0 else PALETTE[3]
            level += row["amount"]
        ax.bar(i, height, bottom=bottom, color=color)
    ax.set_xticks(range(len(rows)), rows["bucket"].tolist())
    finish(ax, title, "", "Open pipeline", yunit="currency")
    return fig


def interval_chart(board: pd.DataFrame, title: str, label: str = "name") -> Figure:
    """Shrunk rates as dots with their intervals, raw rates as crosses, one row per entry."""
    fig = rate_interval_chart(
        board,
        label,
        "shrunk_rate",
        "lower",
        "upper",
        title,
        "Win rate (won / closed)",
        legend="Shrunk win rate, 90% interval",
    )
    ax = fig.axes[0]
    ax.plot(
        board["raw_rate"].iloc[::-1].to_numpy(),
        np.arange(len(board)),
        "x",
        color=PALETTE[1],
        label="Raw win rate",
    )
    ax.legend(loc="lower right")
    return fig


def ramp_chart(curve: pd.DataFrame, title: str) -> Figure:
    """Productivity by months since hire against tenured reps (points), its monotone fit
    (line), the level new hires settle at and 80% of it (:func:`spm_lib.measures.ramp.ramp_curve`
    and its ``plateau``)."""
    fig, ax = new_figure()
    ax.plot(
        curve["months_since_hire"],
        curve["productivity"],
        "o",
        color=PALETTE[0],
        alpha=0.5,
        label="Productivity that month",
    )
    ax.plot(curve["months_since_hire"], curve["fitted"], color=PALETTE[0], label="Monotone fit")
    full = curve.attrs["plateau"] if curve.attrs.get("plateau_used") else 1.0
    ax.axhline(full, color=PALETTE[2], linestyle=":", label="Full productivity")
    ax.axhline(0.8 * full, color=PALETTE[1], linestyle="--", label="80% of it")
    ax.legend(loc="lower right")
    finish(ax, title, "Months since hire", "Bookings relative to tenured reps", yunit="percent")
    return fig


def balance_chart(
    before: pd.DataFrame, after: pd.DataFrame, tolerance: float, title: str
) -> Figure:
    """Each rep's potential as a share of the mean of the rep's pool, today and proposed
    (``share_of_pool_mean`` of :func:`spm_lib.territory.balance`), sorted by today's share,
    with the tolerance band shaded."""
    merged = (
        before[["rep_id", "share_of_pool_mean"]]
        .merge(
            after[["rep_id", "share_of_pool_mean"]],
            on="rep_id",
            suffixes=("_before", "_after"),
            how="outer",
        )
        .fillna(0.0)
        .sort_values("share_of_pool_mean_before")
    )
    fig, ax = new_figure(9, 4)
    x = np.arange(len(merged))
    ax.axhspan(
        1 - tolerance,
        1 + tolerance,
        color=PALETTE[2],
        alpha=0.12,
        label=f"Tolerance (±{tolerance:.0%})",
    )
    ax.axhline(1.0, color="0.4", linewidth=0.8)
    ax.bar(x - 0.2, merged["share_of_pool_mean_before"], width=0.4, color=PALETTE[5], label="Today")
    ax.bar(
        x + 0.2, merged["share_of_pool_mean_after"], width=0.4, color=PALETTE[0], label="Proposed"
    )
    ax.set_xticks(x, merged["rep_id"].tolist(), rotation=90, fontsize=7)
    ax.legend(loc="upper left")
    finish(ax, title, "Rep", "Potential, share of the pool's mean", yunit="percent")
    return fig


def payout_curve_chart(curves: pd.DataFrame, points: pd.DataFrame, title: str) -> Figure:
    """Each plan's commission (share of target pay) against attainment, with the reps' actual
    positions (``curves``/``points``: plan, attainment, pay_share; see
    :func:`spm_lib.compensation.plan_curves`)."""
    fig, ax = new_figure(9, 4.5)
    for i, (plan, curve) in enumerate(curves.groupby("plan", sort=True)):
        color = PALETTE[i % len(PALETTE)]
        ax.plot(curve["attainment"], curve["pay_share"], color=color, label=f"{plan} plan")
        mine = points[points["plan"] == plan]
        ax.scatter(
            mine["attainment"],
            mine["pay_share"],
            color=color,
            s=18,
            alpha=0.7,
            label=f"{plan} reps ({len(mine)})",
        )
    ax.axvline(1.0, color="0.5", linewidth=0.8, linestyle=":")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_percent(v)))
    ax.legend(loc="upper left")
    finish(
        ax,
        title,
        "Attainment (credited bookings / quota)",
        "Commission, share of target pay",
        yunit="percent",
    )
    return fig


def overlaid_distributions_chart(samples: dict[str, np.ndarray], title: str, xlabel: str) -> Figure:
    """Histograms of several simulated distributions (label -> draws) on one axis, with each
    one's median marked."""
    fig, ax = new_figure()
    edges = np.histogram_bin_edges(np.concatenate(list(samples.values())), bins=60)
    for i, (label, draws) in enumerate(samples.items()):
        color = PALETTE[i % len(PALETTE)]
        median = float(np.median(draws))
        ax.hist(
            draws,
            bins=edges,
            color=color,
            alpha=0.5,
            label=f"{label} (median {format_currency(median)})",
        )
        ax.axvline(median, color=color, linestyle="--")
    ax.legend(loc="upper right")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_currency(v)))
    finish(ax, title, xlabel, "Simulations (count)")
    return fig


def conversion_curve_chart(curves: pd.DataFrame, group: str, title: str, xlabel: str) -> Figure:
    """Kaplan-Meier cumulative conversion, one step line per ``group`` with its 95% band (the
    six largest groups when there are more, so that each keeps its own colour)."""
    fig, ax = new_figure()
    sizes = curves.groupby(group)["at_risk"].max().astype(float)  # each group's leads (day 0)
    shown = sorted(sizes.nlargest(len(PALETTE)).index)  # one colour each: the largest groups
    curves = curves[curves[group].isin(shown)]
    last_change, last_day = 0.0, 0.0
    for i, (key, rows) in enumerate(curves.groupby(group, sort=True)):
        color = PALETTE[i % len(PALETTE)]
        ax.step(rows["days"], rows["converted_share"], where="post", color=color, label=str(key))
        ax.fill_between(
            rows["days"], rows["lower"], rows["upper"], step="post", color=color, alpha=0.12
        )
        changes = rows.loc[rows["converted_share"].diff().fillna(0) != 0, "days"]
        last_change = max(last_change, float(changes.max()) if len(changes) else 0.0)
        last_day = max(last_day, float(rows["days"].max()))
    if last_change > 0:  # flat tails say little: stop a quarter past the last conversion
        ax.set_xlim(0, min(last_day, 1.25 * last_change))
    legend_title = f"{len(shown)} largest of {len(sizes)}" if len(sizes) > len(shown) else None
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title=legend_title)
    finish(ax, title, xlabel, "Share of leads converted", yunit="percent")
    return fig


def rate_interval_chart(
    rows: pd.DataFrame,
    label: str,
    rate: str,
    lower: str,
    upper: str,
    title: str,
    xlabel: str,
    legend: str | None = None,
) -> Figure:
    """Rates as dots with their intervals, one row per entry, the first on top."""
    rows = rows.iloc[::-1].reset_index(drop=True)
    fig, ax = new_figure(9, max(3.0, 0.3 * len(rows) + 1))
    y = np.arange(len(rows))
    ax.errorbar(
        rows[rate],
        y,
        xerr=[rows[rate] - rows[lower], rows[upper] - rows[rate]],
        fmt="o",
        color=PALETTE[0],
        capsize=3,
        label=legend,
    )
    ax.set_yticks(y, rows[label].astype(str).tolist())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_percent(v)))
    finish(ax, title, xlabel, "")
    return fig


def count_line_chart(x: pd.Series, y: pd.Series, title: str, xlabel: str, ylabel: str) -> Figure:
    """One count over time, as a line with its points."""
    fig, ax = new_figure()
    ax.plot(x, y, marker="o", markersize=3)
    finish(ax, title, xlabel, ylabel)
    return fig


def gap_heatmap(heat: pd.DataFrame, title: str, label: str) -> Figure:
    """Rows x columns of signed gaps, red above zero and blue below (``label`` on the scale)."""
    fig, ax = new_figure(9, max(4, 0.22 * len(heat)))
    sns.heatmap(heat, cmap="RdBu_r", center=0, ax=ax, cbar_kws={"label": label})
    finish(ax, title, str(heat.columns.name or ""), str(heat.index.name or ""))
    return fig


def move_curve_chart(curve: pd.DataFrame, title: str) -> Figure:
    """Expected bookings gained a year after the cost of moving, against the share of
    accounts allowed to move (``curve``: :func:`spm_lib.territory.move_curve`)."""
    fig, ax = new_figure()
    ax.plot(curve["max_moves_pct"] * 100, curve["net_gain"], marker="o")
    for x, y, n in zip(
        curve["max_moves_pct"] * 100, curve["net_gain"], curve["accounts_moved"], strict=True
    ):
        ax.annotate(f"{n:,} moves", (x, y), textcoords="offset points", xytext=(4, -12), fontsize=8)
    finish(ax, title, "Accounts allowed to move (%)", "Gain after cost a year", yunit="currency")
    return fig


def share_at_quota_chart(shares: np.ndarray, title: str) -> Figure:
    """How often each share of reps at quota comes up over the simulated quarters."""
    fig, ax = new_figure()
    values, counts = np.unique(np.round(shares, 6), return_counts=True)
    ax.bar(
        values,
        counts / counts.sum(),
        width=0.8 * (np.diff(values).min() if len(values) > 1 else 0.05),
    )
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_percent(v)))
    finish(ax, title, "Share of reps at or above quota", "Share of simulations", yunit="percent")
    return fig
