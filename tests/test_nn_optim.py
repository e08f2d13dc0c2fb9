"""nn's optimizers against steps worked out by hand, with torch.optim's semantics."""

import math

import pytest

import nn
from autodiff import Value


def run(opt, p, grads):
    trajectory = []
    for g in grads:
        opt.zero_grad()
        p.grad = g
        opt.step()
        trajectory.append(p.data)
    return trajectory


def test_sgd():
    p = Value(1.0)
    assert run(nn.SGD([p], lr=0.1), p, [0.5, -2.0]) == pytest.approx([0.95, 1.15], rel=1e-15)


def test_sgd_weight_decay_is_added_to_the_gradient():
    p = Value(2.0)
    # g = 0.5 + 0.1 · 2 = 0.7
    assert run(nn.SGD([p], lr=0.1, weight_decay=0.1), p, [0.5]) == pytest.approx([1.93], rel=1e-15)


def test_sgd_momentum():
    p = Value(1.0)
    # step 1: g = 0.5 + 0.01 · 1 = 0.51, b = g, p = 1 − 0.051 = 0.949
    # step 2: g = 0.5 + 0.01 · 0.949 = 0.50949, b = 0.9 · 0.51 + 0.50949 = 0.96849, p = 0.949 − 0.096849
    got = run(nn.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01), p, [0.5, 0.5])
    assert got == pytest.approx([0.949, 0.852151], rel=1e-14)


def test_sgd_nesterov():
    p = Value(1.0)
    # step 1: b = 0.5, p −= 0.1 · (0.5 + 0.9 · 0.5) → 0.905
    # step 2: b = 0.9 · 0.5 + 0.5 = 0.95, p −= 0.1 · (0.5 + 0.9 · 0.95) → 0.905 − 0.1355 = 0.7695
    got = run(nn.SGD([p], lr=0.1, momentum=0.9, nesterov=True), p, [0.5, 0.5])
    assert got == pytest.approx([0.905, 0.7695], rel=1e-14)


def test_adam_two_steps():
    p = Value(1.0)
    got = run(nn.Adam([p], lr=0.1), p, [0.5, 0.25])
    # step 1: m = 0.1 · 0.5 = 0.05, v = 0.001 · 0.25 = 0.00025, m̂ = 0.05 / 0.1 = 0.5, v̂ = 0.00025 / 0.001 = 0.25
    p1 = 1 - 0.1 * 0.5 / (math.sqrt(0.25) + 1e-8)
    # step 2: m = 0.9 · 0.05 + 0.1 · 0.25 = 0.07, v = 0.999 · 0.00025 + 0.001 · 0.0625 = 0.00031225
    # m̂ = 0.07 / (1 − 0.9²) = 0.07 / 0.19, v̂ = 0.00031225 / (1 − 0.999²) = 0.00031225 / 0.001999
    p2 = p1 - 0.1 * (0.07 / 0.19) / (math.sqrt(0.00031225 / 0.001999) + 1e-8)
    assert got == pytest.approx([p1, p2], rel=1e-14)
    # the same, worked out with bc to 30 digits
    assert got == pytest.approx([0.900000001999999960, 0.806782040477461669], rel=1e-15)


def test_adam_eps_is_outside_the_square_root():
    p = Value(1.0)
    # v̂ = 0.25 after one step with g = 0.5: outside, 0.5 / (0.5 + 1); inside it would be 0.5 / √1.25
    assert run(nn.Adam([p], lr=0.1, eps=1.0), p, [0.5]) == pytest.approx([1 - 0.1 * 0.5 / 1.5], rel=1e-15)


def test_adam_weight_decay_is_added_to_the_gradient_not_decoupled():
    p = Value(1.0)
    # grad 0 plus decay 0.5 · 1 acts as g = 0.5; AdamW would move by lr · decay · p = 0.05 instead
    assert run(nn.Adam([p], lr=0.1, weight_decay=0.5), p, [0.0]) == pytest.approx([1 - 0.1 * 0.5 / (0.5 + 1e-8)])


def test_adam_betas_shape_the_moments():
    p = Value(0.0)
    # β₁ = 0 and β₂ = 0: m̂ = g, v̂ = g², so each step moves lr · g / (|g| + eps)
    got = run(nn.Adam([p], lr=0.5, betas=(0.0, 0.0), eps=1e-300), p, [2.0, -4.0])
    assert got == [-0.5, 0.0]


def test_optimizers_minimise_a_quadratic():
    for make in (lambda ps: nn.SGD(ps, lr=0.1, momentum=0.5), lambda ps: nn.Adam(ps, lr=0.05)):
        p = Value(-2.0)
        opt = make([p])
        for _ in range(500):
            loss = (p - 3.0) * (p - 3.0)
            opt.zero_grad()
            loss.backward()
            opt.step()
        assert p.data == pytest.approx(3.0, abs=1e-3)


def test_zero_grad_and_a_schedule():
    model = nn.MLP(2, [2, 1], rng=0)
    opt = nn.SGD(model.parameters(), lr=1.0)
    model([1.0, 1.0])[0].backward()
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    opt.lr = 0.5
    assert opt.lr == 0.5
    with pytest.raises(ValueError, match="lr"):
        opt.lr = 0.0


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda p: nn.SGD(p, lr=0.0), ValueError, "lr must be > 0"),
        (lambda p: nn.SGD(p, lr=-0.1), ValueError, "lr"),
        (lambda p: nn.SGD(p, lr=float("nan")), ValueError, "lr"),
        (lambda p: nn.SGD(p, lr=float("inf")), ValueError, "lr"),
        (lambda p: nn.SGD(p, lr="0.1"), TypeError, "lr"),
        (lambda p: nn.SGD(p, lr=0.1, momentum=-0.5), ValueError, "momentum"),
        (lambda p: nn.SGD(p, lr=0.1, weight_decay=-1), ValueError, "weight_decay"),
        (lambda p: nn.SGD(p, lr=0.1, nesterov=True), ValueError, "nesterov"),
        (lambda p: nn.Adam(p, lr=0), ValueError, "lr"),
        (lambda p: nn.Adam(p, betas=(1.0, 0.999)), ValueError, r"betas\[0\]"),
        (lambda p: nn.Adam(p, betas=(0.9, -0.1)), ValueError, r"betas\[1\]"),
        (lambda p: nn.Adam(p, betas=(0.9,)), ValueError, "pair"),
        (lambda p: nn.Adam(p, eps=-1e-8), ValueError, "eps"),
        (lambda p: nn.Adam(p, eps=0.0), ValueError, "eps"),
        (lambda p: nn.Adam(p, weight_decay=-0.1), ValueError, "weight_decay"),
    ],
)
def test_invalid_hyperparameters(make, error, message):
    with pytest.raises(error, match=message):
        make([Value(1.0)])


def test_invalid_parameter_lists():
    model = nn.MLP(2, [1], rng=0)
    with pytest.raises(TypeError, match="model.parameters()"):
        nn.SGD(model, lr=0.1)
    with pytest.raises(ValueError, match="empty"):
        nn.Adam([])
    with pytest.raises(TypeError, match="float"):
        nn.SGD([1.0], lr=0.1)
    p = Value(1.0)
    with pytest.raises(ValueError, match="twice"):
        nn.SGD([p, p], lr=0.1)
