"""Which source is worth more once the reps who work it and the segment are accounted for."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.special import expit

from spm_lib.dataset import Dataset
from spm_lib.exceptions import DataError
from spm_lib.leads.frame import NONE, lead_frame
from spm_lib.leads.timing import STALL_QUANTILE

MIN_LEVEL_LEADS = 30  # smaller sources (SDRs) are pooled in the regression
POOLED = "(pooled: fewer than 30 leads or no variation)"
FACTORS = {"source": "source", "segment": "segment", "sdr": "owner_rep_id"}


@dataclass(frozen=True)
class Unusable:
    """Why a factor (or the whole comparison) cannot go into the model: a code and its
    evidence, worded by the lead-conversion page.

    Codes: ``not_recorded`` (the column is empty); ``recorded_on_conversion`` (known on
    ``share_converted`` of converted leads but ``share_others`` of the others);
    ``single_value``; ``single_value_after_pooling`` (small levels pooled, one left);
    ``no_mature_leads`` (no leads created by ``cutoff`` with both outcomes).
    """

    code: str
    column: str
    share_converted: float | None = None
    share_others: float | None = None
    cutoff: pd.Timestamp | None = None


class SourcesNotCompared(DataError):
    """The sources cannot be compared; ``reason`` (:class:`Unusable`) says why."""

    def __init__(self, reason: Unusable, expected: str) -> None:
        super().__init__(
            f"cannot compare sources: {reason.code} ({reason.column})",
            table="leads",
            column=reason.column,
            expected=expected,
        )
        self.reason = reason


@dataclass
class SourceEffects:
    """The logistic regression of conversion on source (and segment, SDR where usable).

    ``table``: per source, leads, converted, odds_ratio with lower/upper (95%) against
    ``reference`` (log scale in log_odds_ratio), adjusted_rate with adjusted_lower/upper (the
    conversion if every lead had come from the source, other factors as they are), rank.
    ``left_out``: the factors not in the model and why (:class:`Unusable`).
    """

    table: pd.DataFrame
    reference: str
    factors: list[str]
    left_out: dict[str, Unusable] = field(default_factory=dict)
    pooled: dict[str, list[str]] = field(default_factory=dict)
    leads_used: int = 0
    mature_days: int = 0
    others: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def known(self) -> pd.DataFrame:
        """The table without the unknown source and the pooled small ones (best first)."""
        return self.table[~self.table["source"].isin([NONE, POOLED])]

    @property
    def held_equal(self) -> list[str]:
        """The model's factors other than the source (``segment``, ``sdr``)."""
        return [f for f in self.factors if f != "source"]


def usable_factor(frame: pd.DataFrame, factor: str) -> Unusable | None:
    """Why ``factor`` cannot go into the regression, or None when it can: it must be known for
    at least half of the converted and half of the unconverted leads (a field filled in only on
    conversion says who recorded conversions, not who converts)."""
    column = FACTORS[factor]
    known = frame[column] != NONE
    if not known.any():
        return Unusable("not_recorded", column)
    conv = frame["converted"]
    share_conv = float(known[conv].mean()) if conv.any() else 0.0
    share_open = float(known[~conv].mean()) if (~conv).any() else 0.0
    if share_conv < 0.5 or share_open < 0.5:
        return Unusable("recorded_on_conversion", column, share_conv, share_open)
    if frame.loc[known, column].nunique() < 2:
        return Unusable("single_value", column)
    return None


def _pool(levels: pd.Series, converted: pd.Series) -> tuple[pd.Series, list[str]]:
    stats = converted.groupby(levels).agg(["size", "sum"])
    small = stats[
        (stats["size"] < MIN_LEVEL_LEADS) | (stats["sum"] == 0) | (stats["sum"] == stats["size"])
    ].index
    if len(small) == 0:
        return levels, []
    return levels.where(~levels.isin(small), POOLED), sorted(small)


def maturity_days(frame: pd.DataFrame, quantile: float = STALL_QUANTILE) -> int:
    """Days after which most conversions have happened: the ``quantile`` of days to convert."""
    days = frame.loc[frame["converted"] & frame["days_to_convert"].ge(0), "days_to_convert"]
    return int(np.ceil(days.quantile(quantile))) if len(days) else 0


def source_effects(
    ds: Dataset, frame: pd.DataFrame | None = None, draws: int = 2000, seed: int = 0
) -> SourceEffects:
    """Logistic regression: logit P(converted) = source + segment + SDR, on the leads old enough
    to have converted (created at least :func:`maturity_days` before the as-of date), so that a
    source's effect is separated from the reps who work it and the segment it serves.

    Sources (SDRs) with fewer than 30 leads, or no variation in outcome, are pooled into one
    level; a factor known only on converted leads is left out (:func:`usable_factor`). The
    reference is the source with the most leads. Intervals: Wald 95% for odds ratios; for the
    adjusted rates, quantiles of the rate over ``draws`` coefficient draws from their estimated
    normal distribution.
    """
    frame = lead_frame(ds) if frame is None else frame
    mature = maturity_days(frame)
    cutoff = pd.Timestamp(ds.as_of) - pd.Timedelta(days=mature)
    data = frame[frame["created_date"] <= cutoff]
    if data.empty or data["converted"].nunique() < 2:
        raise SourcesNotCompared(
            Unusable("no_mature_leads", "converted_date", cutoff=cutoff),
            f"converted and unconverted leads created before {cutoff:%Y-%m-%d}",
        )
    y = data["converted"].astype(float)
    factors, left_out, pooled, levels = [], {}, {}, {}
    for factor, column in FACTORS.items():
        reason = usable_factor(data, factor)
        if reason is not None and factor == "source":
            raise SourcesNotCompared(reason, "a source on most leads")
        if reason is not None:
            left_out[factor] = reason
            continue
        values, small = _pool(data[column], data["converted"])
        if values.nunique() < 2:
            left_out[factor] = Unusable("single_value_after_pooling", column)
            continue
        factors.append(factor)
        levels[factor] = values
        if small:
            pooled[factor] = small
    if "source" not in levels:
        raise SourcesNotCompared(
            left_out["source"], "at least two sources with 30 leads and both outcomes"
        )
    counts = levels["source"].value_counts()
    reference = str(counts.index[0])
    design, names = _design(levels, reference)
    fit = sm.GLM(y.to_numpy(), design, family=sm.families.Binomial()).fit()
    params, cov = fit.params, fit.cov_params()
    src_cols = [i for i, n in enumerate(names) if n[0] == "source"]
    table = _source_table(levels["source"], data["converted"], reference, names, params, cov)
    table = _adjusted_rates(table, design, names, params, cov, src_cols, draws, seed)
    table["rank"] = table["adjusted_rate"].rank(ascending=False, method="min").astype(int)
    others = _other_effects(names, params, cov, levels, data["converted"])
    return SourceEffects(
        table=table.sort_values("rank").reset_index(drop=True),
        reference=reference,
        factors=factors,
        left_out=left_out,
        pooled=pooled,
        leads_used=len(data),
        mature_days=mature,
        others=others,
    )


def try_source_effects(
    ds: Dataset, frame: pd.DataFrame
) -> tuple[SourceEffects | None, Unusable | None]:
    """:func:`source_effects` and None, or None and why the sources cannot be compared."""
    try:
        return source_effects(ds, frame), None
    except SourcesNotCompared as error:
        return None, error.reason


def _design(levels: dict[str, pd.Series], source_reference: str):
    """Intercept plus treatment dummies (reference: the source with most leads, the commonest
    level of other factors); names are (factor, level) pairs."""
    columns = [np.ones(len(next(iter(levels.values()))))]
    names: list[tuple[str, str]] = [("intercept", "")]
    for factor, values in levels.items():
        counts = values.value_counts()
        reference = source_reference if factor == "source" else str(counts.index[0])
        for level in sorted(counts.index):
            if level != reference:
                columns.append((values == level).to_numpy(dtype=float))
                names.append((factor, str(level)))
    return np.column_stack(columns), names


def _source_table(sources, converted, reference, names, params, cov) -> pd.DataFrame:
    stats = converted.groupby(sources).agg(leads="size", converted="sum")
    rows = []
    for source, row in stats.iterrows():
        if source == reference:
            coef, se = 0.0, 0.0
        else:
            i = names.index(("source", str(source)))
            coef, se = float(params[i]), float(np.sqrt(cov[i, i]))
        rows.append(
            {
                "source": source,
                "leads": int(row["leads"]),
                "converted": int(row["converted"]),
                "log_odds_ratio": coef,
                "odds_ratio": np.exp(coef),
                "lower": np.exp(coef - 1.96 * se),
                "upper": np.exp(coef + 1.96 * se),
            }
        )
    return pd.DataFrame(rows)


def _adjusted_rates(table, design, names, params, cov, src_cols, draws, seed) -> pd.DataFrame:
    """The mean predicted conversion with every lead's source set to each source in turn, over
    the distinct patterns of the other factors (weighted by their counts)."""
    other = np.delete(design, src_cols, axis=1)
    patterns, weights = np.unique(other, axis=0, return_counts=True)
    keep = [i for i in range(len(names)) if i not in src_cols]
    rng = np.random.default_rng(seed)
    sims = rng.multivariate_normal(params, cov, size=draws)
    rates, lows, highs = [], [], []
    for source in table["source"]:
        shift = np.zeros(len(names))
        if ("source", str(source)) in names:
            shift[names.index(("source", str(source)))] = 1.0
        base = patterns @ params[keep] + float(shift @ params)
        rates.append(float(np.average(expit(base), weights=weights)))
        sim_base = sims[:, keep] @ patterns.T + (sims @ shift)[:, None]
        sim_rates = (expit(sim_base) * weights).sum(axis=1) / weights.sum()
        lows.append(float(np.quantile(sim_rates, 0.025)))
        highs.append(float(np.quantile(sim_rates, 0.975)))
    return table.assign(adjusted_rate=rates, adjusted_lower=lows, adjusted_upper=highs)


def _other_effects(names, params, cov, levels, converted) -> pd.DataFrame:
    """Odds ratios of the other factors' levels against their reference level."""
    rows = []
    for i, (factor, level) in enumerate(names):
        if factor in ("intercept", "source"):
            continue
        se = float(np.sqrt(cov[i, i]))
        values = levels[factor]
        rows.append(
            {
                "factor": factor,
                "level": level,
                "reference": str(values.value_counts().index[0]),
                "leads": int((values == level).sum()),
                "conversion_rate": float(converted[values == level].mean()),
                "odds_ratio": float(np.exp(params[i])),
                "lower": float(np.exp(params[i] - 1.96 * se)),
                "upper": float(np.exp(params[i] + 1.96 * se)),
            }
        )
    return pd.DataFrame(rows)
