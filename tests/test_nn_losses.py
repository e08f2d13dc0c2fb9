"""nn's losses against hand computations: values, gradients, reductions and bad input."""

import math

import numpy as np
import pytest

import nn
from autodiff import Value


def values(*xs):
    return [Value(x) for x in xs]


def test_mse_and_sse():
    p = values(1.0, 2.0)
    loss = nn.mse_loss(p, [0.0, 4.0])
    loss.backward()
    # ((1 − 0)² + (2 − 4)²) / 2 and d/dp = 2 (p − t) / 2
    assert loss.data == 2.5
    assert [x.grad for x in p] == [1.0, -2.0]
    p = values(1.0, 2.0)
    loss = nn.sse_loss(p, [0.0, 4.0])
    loss.backward()
    assert loss.data == 5.0
    assert [x.grad for x in p] == [2.0, -4.0]


def test_value_targets_are_differentiated_too():
    p, t = Value(3.0), Value(1.0)
    nn.sse_loss([p], [t]).backward()
    assert (p.grad, t.grad) == (4.0, -4.0)


@pytest.mark.parametrize(
    ("predictions", "delta", "loss", "grads"),
    [
        # |0.5| ≤ 1: ½ · 0.25; |3| > 1: 1 · (3 − ½) → mean (0.125 + 2.5) / 2
        ([0.5, 3.0], 1.0, 1.3125, [0.25, 0.5]),
        # δ = 2: ½ · 1 and 2 · (5 − 1) → mean 4.25; gradients −1 / 2 and δ / 2
        ([-1.0, 5.0], 2.0, 4.25, [-0.5, 1.0]),
        # at |d| = δ both pieces give ½ δ² and slope δ
        ([-1.0], 1.0, 0.5, [-1.0]),
        ([-4.0], 1.0, 3.5, [-1.0]),
    ],
)
def test_huber(predictions, delta, loss, grads):
    p = values(*predictions)
    result = nn.huber_loss(p, [0.0] * len(p), delta=delta)
    result.backward()
    assert result.data == loss
    assert [x.grad for x in p] == grads


def test_hinge_is_micrograds_max_margin():
    scores = values(2.0, 0.5, 0.3)
    loss = nn.hinge_loss(scores, [1, 1, -1])
    loss.backward()
    # relu(1 − 2) = 0, relu(1 − 0.5) = 0.5, relu(1 + 0.3) = 1.3; mean 0.6
    assert loss.data == pytest.approx(0.6, rel=1e-15)
    assert [s.grad for s in scores] == pytest.approx([0.0, -1 / 3, 1 / 3], rel=1e-15)


def test_binary_cross_entropy_with_logits():
    z = values(2.0, -1.0)
    loss = nn.binary_cross_entropy_with_logits(z, [1.0, 0.25])
    loss.backward()
    sigmoid = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    # −t log σ(z) − (1 − t) log(1 − σ(z)), averaged; gradient (σ(z) − t) / n
    first = -math.log(sigmoid(2.0))
    second = -0.25 * math.log(sigmoid(-1.0)) - 0.75 * math.log(1 - sigmoid(-1.0))
    assert loss.data == pytest.approx((first + second) / 2, rel=1e-14)
    assert [x.grad for x in z] == pytest.approx([(sigmoid(2.0) - 1) / 2, (sigmoid(-1.0) - 0.25) / 2], rel=1e-14)


def test_binary_cross_entropy_is_stable_for_large_logits():
    z = values(1000.0, -1000.0, 1000.0, -1000.0)
    loss = nn.binary_cross_entropy_with_logits(z, [1, 0, 0, 1])
    loss.backward()
    # right with certainty costs 0, wrong with certainty costs |z|; σ(±1000) is 1 or 0
    assert loss.data == (0 + 0 + 1000 + 1000) / 4
    assert [x.grad for x in z] == [0.0, 0.0, 0.25, -0.25]


@pytest.mark.parametrize("loss", [nn.mse_loss, nn.sse_loss, nn.huber_loss, nn.hinge_loss,
                                  nn.binary_cross_entropy_with_logits])
def test_lengths_and_types_are_checked(loss):
    with pytest.raises(ValueError, match="3 predictions but 2 targets"):
        loss(values(1.0, 1.0, 1.0), [1.0, 1.0])
    with pytest.raises(ValueError, match="no predictions"):
        loss([], [])
    with pytest.raises(TypeError, match="sequences"):
        loss(Value(1.0), 1.0)
    with pytest.raises(TypeError, match="str"):
        loss(["a"], [1.0])


@pytest.mark.parametrize("loss", [nn.mse_loss, nn.sse_loss, nn.huber_loss, nn.hinge_loss,
                                  nn.binary_cross_entropy_with_logits])
def test_numbers_and_arrays_are_accepted(loss):
    result = loss(np.array([0.5, -0.25]), (1, 1.0))
    assert isinstance(result, Value)
    assert result.data == loss(values(0.5, -0.25), [1.0, 1.0]).data


def test_bad_labels_targets_and_delta():
    with pytest.raises(ValueError, match=r"-1 or \+1, got 0.0"):
        nn.hinge_loss(values(1.0, 2.0), [1, 0])
    with pytest.raises(ValueError, match=r"\[0, 1\], got 2.0"):
        nn.binary_cross_entropy_with_logits(values(1.0), [2])
    for delta in (0.0, -1.0, float("nan"), "1"):
        with pytest.raises(ValueError, match="delta"):
            nn.huber_loss(values(1.0), [0.0], delta=delta)
