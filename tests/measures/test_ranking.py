"""Shrunk win rates: small samples do not top the board; the prior fit recovers its truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spm_lib.measures.ranking import fit_beta_prior, shrunk_rates


def test_prior_fit_recovers_planted_parameters():
    rng = np.random.default_rng(0)
    p = rng.beta(20, 60, 400)
    trials = rng.integers(30, 300, 400)
    a, b = fit_beta_prior(rng.binomial(trials, p), trials)
    assert a / (a + b) == pytest.approx(0.25, abs=0.01)
    assert a + b == pytest.approx(80, rel=0.25)


def test_three_lucky_deals_do_not_top_the_board():
    rng = np.random.default_rng(1)
    trials = rng.integers(40, 120, 30)
    won = rng.binomial(trials, 0.25)
    won = np.r_[won, 3, 45]
    trials = np.r_[trials, 3, 100]  # a rep with 3 of 3, and one with 45 of 100
    index = [f"r{i}" for i in range(len(won))]
    rates = shrunk_rates(pd.Series(won, index=index), pd.Series(trials - won, index=index))
    lucky, strong = rates.loc["r30"], rates.loc["r31"]
    assert strong["shrunk_rate"] > lucky["shrunk_rate"]
    assert rates["shrunk_rate"].idxmax() == "r31"
    assert (lucky["upper"] - lucky["lower"]) > (strong["upper"] - strong["lower"])
    assert lucky["lower"] < lucky["shrunk_rate"] < lucky["upper"]


def test_too_few_groups_fall_back_to_a_weak_prior():
    a, b = fit_beta_prior(np.array([1, 2]), np.array([4, 4]))
    assert a + b == pytest.approx(2.0)
