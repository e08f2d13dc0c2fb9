"""Loss functions: a prediction sequence against a target sequence, reduced to one `Value`.

Each takes two sequences of equal, non-zero length holding `Value`s or numbers. All but
`sse_loss` average over the elements, as PyTorch's defaults do; `sse_loss` is the lecture's
sum L(w) = Σ_m (Q̂_m − Q̃_m)². Targets that are Values are differentiated through like any
input: compute them under `autodiff.no_grad()` when they must stay constant.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import autodiff
from autodiff import Value
from nn.checks import is_real

__all__ = [
    "binary_cross_entropy_with_logits",
    "hinge_loss",
    "huber",
    "huber_loss",
    "mse_loss",
    "squared_error",
    "sse_loss",
]

Operands = Sequence[Value | float]
"""Predictions or targets: a sequence of Values or numbers (a list, tuple or 1-D array)."""


def squared_error(prediction: Value, target: Value | float) -> Value:
    """(p − t)² for one prediction and its target: the term of `sse_loss` and `mse_loss`."""
    error = prediction - target
    return error * error


def huber(prediction: Value, target: Value | float, delta: float = 1.0) -> Value:
    """The Huber term of one prediction and its target: the term `huber_loss` averages.

    ½ d² when |d| ≤ `delta` and `delta` · (|d| − ½ `delta`) beyond, for d = p − t, written as
    ½ c² + δ (|d| − c) with c = min(|d|, δ): the piece is chosen inside the ops, per value, so a
    compiled trace (`nn.MLP.compile`) picks it per sample instead of freezing the first sample's
    branch. ``min`` sends the gradient to |d| on a tie, so |d| = δ takes the quadratic piece.
    """
    size = abs(prediction - target)
    clipped = autodiff.min([size, delta])
    return 0.5 * (clipped * clipped) + delta * (size - clipped)


def sse_loss(predictions: Operands, targets: Operands) -> Value:
    """The sum of squared errors Σ (p − t)², the lecture's loss."""
    return autodiff.sum([squared_error(p, t) for p, t in _pairs("sse_loss", predictions, targets)])


def mse_loss(predictions: Operands, targets: Operands) -> Value:
    """The mean squared error (1/n) Σ (p − t)², as ``torch.nn.functional.mse_loss``."""
    return _mean([squared_error(p, t) for p, t in _pairs("mse_loss", predictions, targets)])


def huber_loss(predictions: Operands, targets: Operands, delta: float = 1.0) -> Value:
    """The mean Huber loss, as ``torch.nn.functional.huber_loss``: quadratic near 0, linear beyond.

    Each term is ½ d² when |d| ≤ `delta` and `delta` · (|d| − ½ `delta`) otherwise, for d = p − t,
    so a large error's gradient is clipped to ±`delta`. `delta` must be a number > 0.
    """
    if not is_real(delta) or not delta > 0:
        raise ValueError(f"huber_loss() delta must be a number > 0, got {delta!r}")
    delta = float(delta)
    return _mean([huber(p, t, delta) for p, t in _pairs("huber_loss", predictions, targets)])


def hinge_loss(scores: Operands, labels: Operands) -> Value:
    """micrograd's SVM max-margin loss: the mean of relu(1 − y · score), for labels y = ±1.

    A score is right with a margin when it has its label's sign and |score| ≥ 1; only the
    others add to the loss. Labels of 0/1 data become ±1 with ``2 * y - 1``.
    """
    pairs = _pairs("hinge_loss", scores, labels)
    for _, label in pairs:
        if _data(label) not in (-1.0, 1.0):
            raise ValueError(f"hinge_loss() labels must be -1 or +1, got {_data(label)!r} (for 0/1 labels use 2*y - 1)")
    return _mean([(1.0 - label * score).relu() for score, label in pairs])


def binary_cross_entropy_with_logits(logits: Operands, targets: Operands) -> Value:
    """The mean binary cross-entropy of σ(logit) against targets in [0, 1], as PyTorch's.

    Each term is −t log σ(z) − (1 − t) log(1 − σ(z)), computed as softplus(z) − t · z, which
    never overflows nor takes the log of 0, however large |z| is. Its gradient is σ(z) − t.
    """
    pairs = _pairs("binary_cross_entropy_with_logits", logits, targets)
    for _, target in pairs:
        if not 0.0 <= _data(target) <= 1.0:
            raise ValueError(f"binary_cross_entropy_with_logits() targets must lie in [0, 1], got {_data(target)!r}")
    return _mean([logit.softplus() - target * logit for logit, target in pairs])


def _mean(terms: list[Value]) -> Value:
    return autodiff.sum(terms) / len(terms)


def _pairs(where: str, predictions: Operands, targets: Operands) -> list[tuple[Value, Value | float]]:
    for name, sequence in (("predictions", predictions), ("targets", targets)):
        if isinstance(sequence, Value | numbers.Number | str) or not hasattr(sequence, "__len__"):
            raise TypeError(f"{where}() takes sequences of Values or numbers as {name}, got {type(sequence).__name__}"
                            " (wrap a single Value in a list)")
    if len(predictions) != len(targets):
        raise ValueError(f"{where}() got {len(predictions)} predictions but {len(targets)} targets")
    if not len(predictions):
        raise ValueError(f"{where}() got no predictions: the loss of nothing is undefined")
    return [(_value(p, where), _operand(t, where)) for p, t in zip(predictions, targets, strict=True)]


def _value(x: object, where: str) -> Value:
    # a number as a prediction becomes a constant leaf, so every term is built from Value ops
    if isinstance(x, Value):
        return x
    return Value(_number(x, where))


def _operand(x: object, where: str) -> Value | float:
    return x if isinstance(x, Value) else _number(x, where)


def _number(x: object, where: str) -> float:
    if is_real(x):
        return float(x)
    raise TypeError(f"{where}() takes Values and numbers, got {type(x).__name__} {x!r:.60}")


def _data(x: Value | float) -> float:
    return x.data if isinstance(x, Value) else x
