"""rl.statistics against values computed by hand on small fixed data.

The bootstrap intervals are checked where the bootstrap distribution can be enumerated by hand:
with n runs, a resample is n independent draws, so the distribution of the statistic follows from
a binomial count. Each expected interval sits well inside a step of that distribution, so it does
not hinge on Monte Carlo noise (10,000 resamples put a percentile within about ±0.005 of its
probability).
"""

import math

import numpy as np
import pytest

from rl.statistics import (
    curve_bands,
    interquartile_mean,
    iqm_interval,
    optimality_gap,
    optimality_gap_interval,
    probability_of_improvement,
    probability_of_improvement_interval,
)


def test_iqm_is_the_mean_of_the_middle_half():
    # sorted: 0 1 2 3 | 7 8 ... the quarter cut at each end of 8 scores is 2 scores
    assert interquartile_mean([10, 0, 3, 7, 1, 9, 2, 8]) == pytest.approx((2 + 3 + 7 + 8) / 4)
    # 10 scores: 2 cut at each end (a quarter of 10, rounded down, as scipy.stats.trim_mean and rliable)
    assert interquartile_mean([5, 1, 9, 0, 4, 100, 6, 3, 2, 8]) == pytest.approx((2 + 3 + 4 + 5 + 6 + 8) / 6)


def test_iqm_pools_the_scores_of_every_task():
    runs_by_tasks = [[0, 10], [1, 20], [2, 30], [3, 40]]
    # pooled and sorted: 0 1 2 3 10 20 30 40 -> middle half 2 3 10 20
    assert interquartile_mean(runs_by_tasks) == pytest.approx((2 + 3 + 10 + 20) / 4)


def test_iqm_interval_matches_the_enumerated_bootstrap():
    # scores 0 0 0 1: a resample holds k ones, k ~ Binomial(4, 1/4):
    # P(k=0) = 81/256, P(k=1) = 108/256, P(k=2) = 54/256, P(k>=3) = 13/256.
    # The IQM of 4 scores is the mean of the middle two: 0 for k <= 1, 0.5 for k = 2, 1 for k >= 3.
    # Cumulative: P(IQM <= 0) = 189/256 = 0.738, P(IQM <= 0.5) = 243/256 = 0.949.
    # 95%: the 2.5th percentile is 0, the 97.5th is 1 (0.949 < 0.975).
    interval = iqm_interval([0, 0, 0, 1])
    assert (interval.estimate, interval.low, interval.high) == (0.0, 0.0, 1.0)
    # 50%: the 25th percentile is 0; the 75th is 0.5 (0.738 < 0.75 <= 0.949)
    interval = iqm_interval([0, 0, 0, 1], confidence=0.5)
    assert (interval.low, interval.high) == (0.0, 0.5)


def test_probability_of_improvement_counts_wins_and_half_ties():
    # pairs of X = 1 2 3 with Y = 2 2 0: 1 beats 0 (1); 2 ties 2 twice and beats 0 (0.5 + 0.5 + 1);
    # 3 beats all three (3): 6 of 9
    assert probability_of_improvement([1, 2, 3], [2, 2, 0]) == pytest.approx(6 / 9)
    assert probability_of_improvement([2, 2, 0], [1, 2, 3]) == pytest.approx(3 / 9)


def test_probability_of_improvement_interval_matches_the_enumerated_bootstrap():
    # X = 1 0 against Y = 0 0: a resample of X with k ones (k ~ Binomial(2, 1/2)) scores
    # (k * 1 + (2 - k) * 0.5) / 2 = 0.5 + k/4: 0.5, 0.75, 1 with probabilities 1/4, 1/2, 1/4.
    # 95%: 2.5th percentile 0.5, 97.5th percentile 1.
    interval = probability_of_improvement_interval([1, 0], [0, 0])
    assert (interval.estimate, interval.low, interval.high) == (0.75, 0.5, 1.0)


def test_optimality_gap_is_the_mean_shortfall_below_the_optimum():
    # shortfalls below 0.74: 0, 0.24, 0 (a score above the optimum counts 0, not a negative gap)
    assert optimality_gap([0.74, 0.5, 0.8], 0.74) == pytest.approx(0.08)
    # a shortfall of 0 or 1 per run with 1 0: the mean over a resample is 0, 0.5 or 1 (1/4, 1/2, 1/4)
    interval = optimality_gap_interval([1.0, 0.0], 1.0)
    assert (interval.estimate, interval.low, interval.high) == (0.5, 0.0, 1.0)


def test_curve_bands_are_pointwise_bootstrap_intervals_of_the_mean():
    mean, low, high = curve_bands([[0.0, 1.0], [1.0, 1.0]])
    # point 0: resampled means of 0 and 1 are 0, 0.5, 1 (1/4, 1/2, 1/4); point 1 is 1 in every resample
    assert mean.tolist() == [0.5, 1.0]
    assert low.tolist() == [0.0, 1.0]
    assert high.tolist() == [1.0, 1.0]


def test_one_run_has_no_interval():
    interval = iqm_interval([0.7])
    assert interval.estimate == 0.7
    assert math.isnan(interval.low) and math.isnan(interval.high)
    assert "no interval" in str(interval)
    _, low, high = curve_bands([[0.1, 0.2]])
    assert np.isnan(low).all() and np.isnan(high).all()


@pytest.mark.parametrize("scores", [[], [0.5, math.nan], [[]], [[[1.0]]]])
def test_bad_scores_are_refused(scores):
    with pytest.raises(ValueError, match="scores"):
        iqm_interval(scores)


def test_compared_settings_need_the_same_tasks():
    with pytest.raises(ValueError, match="tasks"):
        probability_of_improvement([[1, 2]], [1])


def test_confidence_must_be_a_fraction():
    with pytest.raises(ValueError, match="confidence"):
        iqm_interval([1, 2], confidence=95)
