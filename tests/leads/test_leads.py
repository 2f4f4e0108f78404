"""Lead conversion: hand-computed funnel rates, censoring in the Kaplan-Meier curves, stalled
leads, the same-age key figures, and the planted source and SDR effects of the sample."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

from spm_lib import leads, load_dataset
from spm_lib.pages import lead_conversion as page
from spm_lib.periods import parse_period
from tests.helpers import REPS

SDRS = [
    {"rep_id": "S1", "name": "Sue Dev", "team": "SDR", "region": "West", "role": "SDR"},
    {"rep_id": "S2", "name": "Sid Dev", "team": "SDR", "region": "East", "role": "sdr"},
]
LEADS = [
    # lead, created, source, owner, converted, opportunity, segment, disqualified
    ("L1", "2025-01-01", "Inbound", "S1", "2025-01-05", "O1", "Commercial", ""),  # won 1000
    ("L2", "2025-01-02", "Inbound", "S1", "2025-01-10", "O2", "Commercial", ""),  # lost
    ("L3", "2025-01-03", "Inbound", "S1", "", "", "Commercial", ""),
    ("L4", "2025-01-04", "Inbound", "S2", "", "", "Commercial", "2025-01-20"),
    ("L5", "2025-01-20", "Event", "S2", "2025-02-01", "O3", "Commercial", ""),  # open
    ("L6", "2025-02-01", "Event", "S2", "", "", "Commercial", ""),
    ("L7", "2025-02-15", "Referral", "S1", "2025-03-01", "O4", "Enterprise", ""),  # won 9000
    ("L8", "2025-04-25", "Referral", "S1", "", "", "Enterprise", ""),
]
COLUMNS = [
    "lead_id",
    "created_date",
    "source",
    "owner_rep_id",
    "converted_date",
    "opportunity_id",
    "segment",
    "disqualified_date",
]
AS_OF = "as_of: 2025-04-30\n"


def lead_rows(extra: list[tuple] = ()) -> pd.DataFrame:
    return pd.DataFrame([*LEADS, *extra], columns=COLUMNS)


@pytest.fixture
def small(make_dataset):
    reps = [*REPS, *SDRS]
    return load_dataset(make_dataset(AS_OF, reps=reps, leads=lead_rows()))


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    z = 1.959964
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_funnel_by_source_by_hand(small):
    f = leads.funnel(small, "source").set_index("source")
    assert f.loc["Inbound", ["leads", "converted", "won"]].tolist() == [4, 2, 1]
    assert f.loc["Inbound", "conversion_rate"] == 0.5
    assert f.loc["Inbound", "win_rate"] == 0.5  # O1 won, O2 lost
    assert f.loc["Inbound", "revenue"] == 1000
    assert f.loc["Inbound", "revenue_per_lead"] == 250
    assert f.loc["Inbound", "lower"] == pytest.approx(0.1500, abs=1e-4)  # Wilson 2 of 4
    assert f.loc["Inbound", "upper"] == pytest.approx(0.8500, abs=1e-4)
    assert f.loc["Event", ["leads", "converted", "won"]].tolist() == [2, 1, 0]
    assert np.isnan(f.loc["Event", "win_rate"])  # O3 is still open: no win rate yet
    assert f.loc["Referral", ["leads", "converted", "won", "revenue"]].tolist() == [2, 1, 1, 9000]
    low, high = wilson_by_hand(1, 2)
    assert f.loc["Referral", "lower"] == pytest.approx(low) and f.loc["Referral", "upper"] == (
        pytest.approx(high)
    )
    assert list(f.columns) == leads.FUNNEL_COLUMNS


def test_funnel_by_sdr_ae_cohort_and_period(small):
    by_sdr = leads.funnel(small, "sdr").set_index("owner_rep_id")
    assert by_sdr.loc["S1", ["leads", "converted"]].tolist() == [5, 3]
    assert by_sdr.loc["S2", ["leads", "converted"]].tolist() == [3, 1]
    by_ae = leads.funnel(small, "ae").set_index("rep_id")
    assert by_ae.loc["R1", ["leads", "won"]].tolist() == [2, 1]  # O1 and O2 came from leads
    cohort = leads.funnel(small, "cohort").set_index("cohort")
    assert cohort["leads"].to_dict() == {"2025-01": 5, "2025-02": 2, "2025-04": 1}
    january = leads.funnel(small, None, small.period("2025-01"))
    assert january[["leads", "converted"]].iloc[0].tolist() == [5, 3]


def test_sdrs_own_leads_but_are_not_selling_reps(small):
    assert {"S1", "S2"}.isdisjoint(small.reps["rep_id"])  # role SDR, any case
    assert {"S1", "S2"} <= set(small["reps"]["rep_id"])


def test_a_lead_opened_yesterday_does_not_lower_the_conversion_curve(make_dataset):
    reps = [*REPS, *SDRS]
    base = load_dataset(make_dataset(AS_OF, reps=reps, leads=lead_rows()))
    newcomer = ("L9", "2025-04-29", "Inbound", "S1", "", "", "Commercial", "")
    more = load_dataset(make_dataset(AS_OF, reps=reps, leads=lead_rows([newcomer])))
    before = leads.conversion_curves(base, None)
    after = leads.conversion_curves(more, None)
    shared = ["days", "converted_share"]
    pd.testing.assert_frame_equal(before[shared], after[shared])
    # the naive rate (converted / leads) does fall: the curve is what keeps the newcomer out
    assert (
        leads.funnel(more, None)["conversion_rate"].iloc[0]
        < (leads.funnel(base, None)["conversion_rate"].iloc[0])
    )
    # whereas a lead open for months is a real non-conversion and lowers the curve
    veteran = ("L9", "2025-01-01", "Inbound", "S1", "", "", "Commercial", "")
    old = load_dataset(make_dataset(AS_OF, reps=reps, leads=lead_rows([veteran])))
    assert (
        leads.conversion_curves(old, None)["converted_share"].iloc[-1]
        < (before["converted_share"].iloc[-1])
    )


def test_kaplan_meier_by_hand(small):
    curve = leads.conversion_curves(small, None).set_index("days")["converted_share"]
    # conversions at 4, 8, 12, 14 days; L8 (open, created 04-25) is censored at 5 days, the
    # other open or disqualified leads at 88-117 days: S = 7/8, x 5/6, x 4/5, x 3/4
    # (then flat to the longest follow-up, L3's 117 days)
    assert curve.index.tolist() == [0, 4, 8, 12, 14, 117]
    survival = np.cumprod([1, 7 / 8, 5 / 6, 4 / 5, 3 / 4, 1])
    assert curve.to_numpy() == pytest.approx(1 - survival)


def test_speed_medians(small):
    speed = leads.speed(small, None)
    # the share converted reaches half its final 56.25% (28.1%) on day 12, not day 8 (27.1%)
    assert speed["median_days_to_convert"].iloc[0] == 12
    assert speed["leads"].iloc[0] == 8
    assert speed["converted_30d"].iloc[0] == pytest.approx(1 - 7 / 8 * 5 / 6 * 4 / 5 * 3 / 4)


def test_stalled_leads_and_by_owner(small):
    stalled = leads.stalled_leads(small)
    # threshold: 90th percentile of 4, 8, 12, 14 days (every source has < 20 conversions)
    assert stalled["threshold_days"].unique().tolist() == [pytest.approx(13.4)]
    assert stalled["lead_id"].tolist() == ["L3", "L6"]  # L4 disqualified, L8 only 5 days old
    assert stalled.set_index("lead_id").loc["L3", "age_days"] == 117
    owners = leads.stalled_by_owner(small, stalled).set_index("owner_rep_id")
    assert owners.loc["S1", ["open_leads", "stalled"]].tolist() == [2, 1]  # L3, L8
    assert owners.loc["S2", ["open_leads", "stalled"]].tolist() == [1, 1]  # L6
    assert owners.loc["S1", "name"] == "Sue Dev"


def test_period_figures_judge_outcomes_as_of_a_date(small):
    frame = leads.lead_frame(small)
    january = parse_period("2025-01")
    early = leads.period_figures(frame, january, dt.date(2025, 1, 8))
    assert (early["leads"], early["converted"]) == (5, 1)  # only L1 converted by Jan 8
    late = leads.period_figures(frame, january, dt.date(2025, 4, 30))
    assert late["converted"] == 3 and late["lead_conversion_rate"] == pytest.approx(0.6)
    assert late["revenue_per_lead"] == pytest.approx(1000 / 5)
    assert early["median_days_to_convert"] == 4  # by Jan 8 only L1 (4 days) had converted
    assert late["median_days_to_convert"] == 6  # L1 (4 days) and L2 (8 days)


def test_key_figures_compare_at_the_same_age(small):
    figures = leads.key_figures(small, small.period("2025-02")).set_index("figure")
    # as of 2025-04-30 = 61 days after February; January is judged as of 2025-04-02
    assert figures.attrs["follow_up_days"] == 61
    assert figures.at["leads", "value"] == 2 and figures.at["leads", "previous"] == 5
    assert figures.at["lead_conversion_rate", "value"] == 0.5  # L7 of L6, L7
    assert figures.at["lead_conversion_rate", "previous"] == pytest.approx(0.6)
    assert figures.at["leads", "change"] == pytest.approx(2 / 5 - 1)


def test_a_conversion_whose_opportunity_is_missing_still_counts(make_dataset):
    rows = lead_rows([("L9", "2025-03-01", "Partner", "S1", "2025-03-05", "O99", "", "")])
    ds = load_dataset(make_dataset(AS_OF, reps=[*REPS, *SDRS], leads=rows))
    assert "L9" in set(ds["leads"]["lead_id"])  # not quarantined: the lead did convert
    frame = leads.lead_frame(ds).set_index("lead_id")
    assert frame.loc["L9", "converted"] and not frame.loc["L9", "opportunity_found"]
    assert not frame.loc["L9", "won"]
    assert "1 converted lead points to an opportunity" in page.missing_opportunity_note(
        frame.reset_index()
    )
    assert (
        page.missing_opportunity_note(
            leads.lead_frame(
                load_dataset(make_dataset(AS_OF, reps=[*REPS, *SDRS], leads=lead_rows()))
            )
        )
        == ""
    )


def test_a_factor_recorded_only_on_conversions_is_left_out():
    frame = pd.DataFrame(
        {
            "converted": [True, True, False, False],
            "owner_rep_id": ["A", "B", leads.NONE, leads.NONE],
        }
    )
    reason = leads.usable_factor(frame, "sdr")
    assert reason == leads.Unusable("recorded_on_conversion", "owner_rep_id", 1.0, 0.0)
    frame["owner_rep_id"] = ["A", "B", "A", "B"]
    assert leads.usable_factor(frame, "sdr") is None


@pytest.fixture(scope="module")
def sample(default_sample):
    truth = json.loads((default_sample / "ground_truth.json").read_text())
    return load_dataset(default_sample), truth


def test_planted_best_source_ranks_first_and_its_effect_is_recovered(sample):
    ds, truth = sample
    planted = {s["source"]: s for s in truth["lead_sources"]}
    best = truth["best_lead_source"]
    effects = leads.source_effects(ds)
    table = effects.table.set_index("source")
    assert effects.table["source"].iloc[0] == best
    assert effects.factors == ["source", "segment", "sdr"]
    expected = planted[best]["log_odds"] - planted[effects.reference]["log_odds"]
    low, high = np.log(table.loc[best, "lower"]), np.log(table.loc[best, "upper"])
    assert low <= expected <= high
    # every source's planted effect is inside its interval, or within a whisker of it
    for source, row in table.iterrows():
        planted_effect = planted[source]["log_odds"] - planted[effects.reference]["log_odds"]
        assert np.log(row["lower"]) - 0.05 <= planted_effect <= np.log(row["upper"]) + 0.05
    # and the plain funnel agrees on the best source, by conversion and by revenue per lead
    funnel = leads.funnel(ds, "source")
    assert funnel.sort_values("conversion_rate")["source"].iloc[-1] == best
    assert funnel.sort_values("revenue_per_lead")["source"].iloc[-1] == best


def test_planted_sdr_effects_are_recovered(sample):
    ds, truth = sample
    effects = leads.source_effects(ds)
    sdr = effects.others[effects.others["factor"] == "sdr"].set_index("level")
    planted = {o["rep_id"]: o["log_odds_effect"] for o in truth["lead_owners"]}
    reference = sdr["reference"].iloc[0]
    for rep_id, row in sdr.iterrows():
        expected = planted[rep_id] - planted[reference]
        assert np.log(row["lower"]) - 0.05 <= expected <= np.log(row["upper"]) + 0.05
    best = max(planted, key=planted.get)
    ranked = sdr["odds_ratio"].reindex(list(planted)).fillna(1.0)  # the reference is 1
    assert ranked.idxmax() == best


def test_sample_leads_feed_its_opportunities(sample):
    ds, _ = sample
    frame = leads.lead_frame(ds)
    converted = frame[frame["converted"]]
    assert converted["opportunity_found"].all()
    opps = ds.opportunities.set_index("opportunity_id")
    created = opps.loc[converted["opportunity_id"], "created_date"].to_numpy()
    assert (converted["converted_date"].to_numpy() == created).all()
    assert (converted["days_to_convert"] >= 0).all()
    assert not converted["opportunity_id"].duplicated().any()


def test_an_ae_team_audience_is_warned_that_its_conversion_is_by_construction(small):
    team = small.narrow("team=West A")  # R1 and R2: they own no leads, only opportunities
    assert leads.funnel(team, None)["conversion_rate"].iloc[0] == 1.0
    assert "100% by construction" in page.audience_caveat(team)
    assert page.audience_caveat(small.narrow("team=SDR")) == ""
    assert page.audience_caveat(small) == ""


def test_titles_name_a_known_group_with_enough_conversions():
    speed = pd.DataFrame(
        {
            "source": ["Tiny", "Big", leads.NONE],
            "converted": [3, 200, 500],
            "median_days_to_convert": [2.0, 9.0, 1.0],
        }
    )
    assert page.speed_title(speed).startswith("Big leads convert fastest")
    table = pd.DataFrame({"source": [leads.NONE, "Web"], "adjusted_rate": [0.3, 0.2]})
    effects = leads.SourceEffects(table=table, reference="Web", factors=["source"])
    assert page.effects_title(effects) == "Web leads convert best"


def test_the_curve_chart_keeps_one_colour_per_group():
    from spm_lib.report import plots

    rows = [
        {
            "source": f"S{i}",
            "days": d,
            "converted_share": s,
            "lower": s,
            "upper": s,
            "at_risk": 100 * (i + 1) if d == 0 else 10,
        }
        for i in range(8)
        for d, s in ((0, 0.0), (5, 0.1 + i / 100))
    ]
    fig = plots.conversion_curve_chart(pd.DataFrame(rows), "source", "t", "days")
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [f"S{i}" for i in range(2, 8)]
    assert legend.get_title().get_text() == "6 largest of 8"


def test_sources_that_cannot_be_compared_say_why(small):
    effects, reason = leads.try_source_effects(small, leads.lead_frame(small))
    assert effects is None  # 8 leads: every source has fewer than 30
    assert reason.code == "single_value_after_pooling" and reason.column == "source"
