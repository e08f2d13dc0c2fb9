"""Statistics over seeds as in rliable (Agarwal et al., NeurIPS 2021): IQM, stratified bootstrap intervals.

Scores are given per run, or as a runs × tasks array. Every interval is a percentile bootstrap
(rliable's default) computed by `scipy.stats.bootstrap`; with several tasks each task's runs are
resampled on their own (scipy resamples each of several samples independently), which is
rliable's stratified bootstrap. The aggregates pool all scores, as rliable's do: the interquartile
mean is `scipy.stats.trim_mean` with a quarter cut at each end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from autodiff.extras import needs_extra

__all__ = [
    "Interval",
    "curve_bands",
    "interquartile_mean",
    "iqm_interval",
    "optimality_gap",
    "optimality_gap_interval",
    "probability_of_improvement",
    "probability_of_improvement_interval",
]

FloatArray = npt.NDArray[np.float64]
Scores = Sequence[float] | Sequence[Sequence[float]] | FloatArray
"""Final scores: one per run, or runs × tasks."""

RESAMPLES = 10_000
"""Bootstrap resamples of every interval: enough for stable 95% percentile bounds."""


@dataclass(frozen=True)
class Interval:
    """A point estimate with its bootstrap confidence interval (NaN bounds when a sample has one run)."""

    estimate: float
    low: float
    high: float
    confidence: float

    def __str__(self) -> str:
        if np.isnan(self.low):
            return f"{self.estimate:.4g} [one run: no interval]"
        return f"{self.estimate:.4g} [{self.low:.4g}, {self.high:.4g}]"


def interquartile_mean(scores: Scores) -> float:
    """The mean of the middle half of all scores (a quarter cut from each end), as rliable's IQM."""
    return float(_trimmed(np.concatenate(_task_columns(scores), axis=-1)))


def iqm_interval(scores: Scores, *, confidence: float = 0.95, resamples: int = RESAMPLES, seed: int = 0) -> Interval:
    """The interquartile mean of `scores` with its stratified percentile-bootstrap interval."""
    return _interval(lambda *tasks: _trimmed(np.concatenate(tasks, axis=-1)), _task_columns(scores),
                     confidence, resamples, seed)


def optimality_gap(scores: Scores, optimum: float) -> float:
    """How far the scores fall short of `optimum` on average: mean of optimum − min(score, optimum).

    rliable's optimality gap, with the optimum from value iteration instead of a normalised 1.
    """
    return float(_gap(np.concatenate(_task_columns(scores), axis=-1), optimum))


def optimality_gap_interval(
    scores: Scores, optimum: float, *, confidence: float = 0.95, resamples: int = RESAMPLES, seed: int = 0
) -> Interval:
    """`optimality_gap` with its stratified percentile-bootstrap interval."""
    return _interval(lambda *tasks: _gap(np.concatenate(tasks, axis=-1), optimum), _task_columns(scores),
                     confidence, resamples, seed)


def probability_of_improvement(x: Scores, y: Scores) -> float:
    """P(X > Y): the chance that a run of X beats a run of Y on a task (ties count half), averaged over tasks.

    The Mann-Whitney U statistic divided by the number of pairs, as rliable's
    ``probability_of_improvement``.
    """
    x_tasks, y_tasks = _task_columns(x), _task_columns(y)
    _check_same_tasks(x_tasks, y_tasks)
    return float(_improvement(x_tasks, y_tasks))


def probability_of_improvement_interval(
    x: Scores, y: Scores, *, confidence: float = 0.95, resamples: int = RESAMPLES, seed: int = 0
) -> Interval:
    """`probability_of_improvement` with its stratified percentile-bootstrap interval (X and Y resampled apart)."""
    x_tasks, y_tasks = _task_columns(x), _task_columns(y)
    _check_same_tasks(x_tasks, y_tasks)
    split = len(x_tasks)
    return _interval(lambda *tasks: _improvement(tasks[:split], tasks[split:]), [*x_tasks, *y_tasks],
                     confidence, resamples, seed)


def curve_bands(
    curves: Sequence[Sequence[float]] | FloatArray,
    *,
    confidence: float = 0.95,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The mean learning curve over runs (rows) and its percentile-bootstrap band, point by point.

    `curves` is runs × points (every run measured at the same steps). Returns (mean, low, high),
    each one value per point; the band is NaN with a single run.
    """
    values = np.asarray(curves, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] == 0 or values.shape[1] == 0:
        raise ValueError(f"curves must be runs × points with at least one of each, got shape {values.shape}")
    _check_finite(values)
    mean = values.mean(axis=0)
    if values.shape[0] < 2:
        nan = np.full_like(mean, np.nan)
        return mean, nan, nan
    result = _scipy_stats().bootstrap(
        (values,), np.mean, axis=0, confidence_level=confidence, n_resamples=resamples,
        method="percentile", rng=np.random.default_rng(seed),
    )
    return mean, np.asarray(result.confidence_interval.low), np.asarray(result.confidence_interval.high)


def _task_columns(scores: Scores) -> list[FloatArray]:
    """The scores of each task, as a list of 1-D arrays of runs."""
    values = np.asarray(scores, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, np.newaxis]
    if values.ndim != 2 or values.shape[0] == 0 or values.shape[1] == 0:
        raise ValueError(f"scores must be runs, or runs × tasks, with at least one of each; got shape {values.shape}")
    _check_finite(values)
    return [values[:, task] for task in range(values.shape[1])]


def _check_finite(values: FloatArray) -> None:
    if not np.all(np.isfinite(values)):
        raise ValueError("scores must be finite numbers (leave out failed runs instead of scoring them NaN)")


def _check_same_tasks(x: list[FloatArray], y: list[FloatArray]) -> None:
    if len(x) != len(y):
        raise ValueError(f"X has {len(x)} tasks and Y has {len(y)}: compare them task by task")


def _trimmed(values: FloatArray) -> Any:
    return _scipy_stats().trim_mean(values, 0.25, axis=-1)


def _gap(values: FloatArray, optimum: float) -> Any:
    return np.mean(optimum - np.minimum(values, optimum), axis=-1)


def _improvement(x_tasks: Sequence[FloatArray], y_tasks: Sequence[FloatArray]) -> Any:
    per_task = []
    for x, y in zip(x_tasks, y_tasks, strict=True):
        wins = x[..., :, np.newaxis] > y[..., np.newaxis, :]
        ties = x[..., :, np.newaxis] == y[..., np.newaxis, :]
        per_task.append((wins + 0.5 * ties).mean(axis=(-2, -1)))
    return np.mean(per_task, axis=0)


def _interval(
    statistic: Callable[..., Any], samples: Sequence[FloatArray], confidence: float, resamples: int, seed: int
) -> Interval:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    estimate = float(statistic(*samples))
    if min(len(sample) for sample in samples) < 2:
        return Interval(estimate, float("nan"), float("nan"), confidence)
    result = _scipy_stats().bootstrap(
        tuple(samples), lambda *resampled, axis: statistic(*resampled), vectorized=True, paired=False,
        confidence_level=confidence, n_resamples=resamples, method="percentile", rng=np.random.default_rng(seed),
    )
    return Interval(estimate, float(result.confidence_interval.low), float(result.confidence_interval.high), confidence)


def _scipy_stats() -> Any:
    with needs_extra("sweep", "rl.statistics"):
        from scipy import stats
    return stats
