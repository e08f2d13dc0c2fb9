"""nn's optimizers against steps worked out by hand, with torch.optim's semantics."""

import json
import math

import numpy as np
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
        # ints beyond the floats: the documented ValueError, not OverflowError
        (lambda p: nn.SGD(p, lr=10**400), ValueError, "lr must be > 0, got an integer too large for a float"),
        (lambda p: nn.SGD(p, lr=0.1, momentum=10**400), ValueError, "momentum must be >= 0, got an integer too"),
        (lambda p: nn.Adam(p, eps=10**5000), ValueError, "eps must be > 0, got an integer too large"),
        (lambda p: nn.Adam(p, betas=(10**400, 0.9)), ValueError, r"betas\[0\] must be in \[0, 1\), got an integer"),
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


# state dicts: resuming a run continues it bit for bit


def train(model, opt, steps, offset=0):
    for k in range(offset, offset + steps):
        x = [math.sin(k), math.cos(3 * k)]
        loss = nn.mse_loss(model(x), [0.5 * x[0] - x[1]])
        opt.zero_grad()
        loss.backward()
        opt.step()


OPTIMIZERS = {
    "sgd": lambda ps: nn.SGD(ps, lr=0.05),
    "sgd_momentum": lambda ps: nn.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "sgd_nesterov": lambda ps: nn.SGD(ps, lr=0.05, momentum=0.8, nesterov=True),
    "adam": lambda ps: nn.Adam(ps, lr=1e-2, betas=(0.8, 0.99), weight_decay=1e-3),
}


@pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_resuming_from_a_state_dict_is_bit_identical(make):
    model = nn.MLP(2, [4, 1], activation="tanh", rng=0)
    opt = make(model.parameters())
    train(model, opt, 7)
    saved = json.loads(json.dumps({"model": model.state_dict(), "optimizer": opt.state_dict()}, allow_nan=False))
    train(model, opt, 5, offset=7)

    # a fresh model and optimizer, built with other hyperparameters: load_state_dict restores them too
    resumed = nn.MLP(2, [4, 1], activation="tanh", rng=1)
    resumed.load_state_dict(saved["model"])
    fresh = type(opt)(resumed.parameters(), lr=0.5)
    fresh.load_state_dict(saved["optimizer"])
    train(resumed, fresh, 5, offset=7)
    assert resumed.state_dict() == model.state_dict()
    assert fresh.state_dict() == opt.state_dict()


def test_a_state_dict_is_a_copy():
    p = Value(1.0)
    opt = nn.Adam([p], lr=0.1)
    run(opt, p, [0.5])
    state = opt.state_dict()
    run(opt, p, [0.5])
    assert state["steps"] == 1 and state["exp_avg"] == [pytest.approx(0.05)]


def test_sgd_state_dict_before_any_momentum_step():
    opt = nn.SGD([Value(1.0)], lr=0.1, momentum=0.9)
    assert opt.state_dict() == {"optimizer": "SGD", "lr": 0.1, "momentum": 0.9, "weight_decay": 0.0,
                                "nesterov": False, "num_parameters": 1, "momentum_buffer": None}


def stepped(kind, scale=1.0, steps=1):
    ps = [Value(1.0), Value(-2.0)]
    if kind == "sgd":
        opt = nn.SGD(ps, lr=0.1 * scale, momentum=0.5 * scale, weight_decay=0.01 * scale)
    else:
        opt = nn.Adam(ps, lr=0.1 * scale, betas=(0.5 * scale, 0.6 * scale), eps=scale, weight_decay=0.01 * scale)
    for _ in range(steps):
        for p in ps:
            p.grad = 0.5
        opt.step()
    return opt


def changed(state, **entries):
    state = dict(state)
    for key, value in entries.items():
        if value is DELETE:
            del state[key]
        else:
            state[key] = value
    return state


DELETE = object()


@pytest.mark.parametrize(
    ("kind", "entries", "error", "message"),
    [
        ("sgd", {"optimizer": "Adam"}, ValueError, "state of a 'Adam' optimizer, not of SGD"),
        ("adam", {"optimizer": "SGD"}, ValueError, "state of a 'SGD' optimizer, not of Adam"),
        ("sgd", {"optimizer": DELETE}, ValueError, "lacks 'optimizer'"),
        ("sgd", {"num_parameters": 3}, ValueError, "for 3 parameters, this optimizer has 2"),
        ("adam", {"num_parameters": 1}, ValueError, "for 1 parameters, this optimizer has 2"),
        ("adam", {"num_parameters": 2.0}, TypeError, "num_parameters is 2.0, not an int"),
        ("sgd", {"momentum_buffer": DELETE}, ValueError, "lacks 'momentum_buffer'"),
        ("adam", {"steps": DELETE, "eps": DELETE}, ValueError, "lacks 'eps', 'steps'"),
        ("sgd", {"dampening": 0.0}, ValueError, "unexpected keys 'dampening'"),
        ("adam", {"amsgrad": False}, ValueError, "unexpected keys 'amsgrad'"),
        ("sgd", {"lr": float("nan")}, ValueError, "lr must be > 0"),
        ("sgd", {"lr": "0.1"}, TypeError, "lr must be a number"),
        ("sgd", {"momentum": -1.0}, ValueError, "momentum must be >= 0"),
        ("sgd", {"nesterov": 1}, TypeError, "nesterov must be true or false"),
        ("sgd", {"nesterov": True, "momentum": 0.0}, ValueError, "nesterov=True needs a momentum"),
        ("sgd", {"momentum_buffer": [0.5]}, ValueError, "momentum_buffer has 1 entries, but there are 2 parameters"),
        ("sgd", {"momentum_buffer": {"0": 0.5}}, TypeError, "momentum_buffer must be a list"),
        ("sgd", {"momentum_buffer": [0.5, float("inf")]}, ValueError, r"momentum_buffer\[1\] is inf"),
        ("sgd", {"momentum_buffer": [0.5, None]}, TypeError, r"momentum_buffer\[1\] is None, not a number"),
        ("adam", {"betas": [0.9]}, ValueError, "betas must be a pair"),
        ("adam", {"betas": [0.9, 1.0]}, ValueError, r"betas\[1\] must be in \[0, 1\)"),
        ("adam", {"eps": 0.0}, ValueError, "eps must be > 0"),
        ("adam", {"steps": 1.0}, TypeError, "steps must be an int"),
        ("adam", {"steps": True}, TypeError, "steps must be an int"),
        ("adam", {"steps": -1}, ValueError, r"steps must be in \[0, 9007199254740992\], got -1"),
        ("adam", {"steps": 10**400}, ValueError, r"steps must be in \[0, 9007199254740992\], got an integer of"),
        ("sgd", {"lr": 10**400}, ValueError, "lr must be > 0, got an integer too large for a float"),
        ("adam", {"weight_decay": -(10**5000)}, ValueError, "weight_decay must be >= 0, got an integer too large"),
        ("adam", {"exp_avg": [0.1, float("nan")]}, ValueError, r"exp_avg\[1\] is nan"),
        ("adam", {"exp_avg": [0.1, "0.2"]}, TypeError, r"exp_avg\[1\] is '0.2', not a number"),
        ("adam", {"exp_avg_sq": [0.1]}, ValueError, "exp_avg_sq has 1 entries"),
        ("adam", {"exp_avg_sq": [0.1, -0.2]}, ValueError, r"exp_avg_sq\[1\] is -0.2, but it must be >= 0"),
    ],
)
def test_load_state_dict_errors_change_nothing(kind, entries, error, message):
    source = stepped(kind, scale=1.5, steps=2)  # a state different from the target's in every entry
    target = stepped(kind)
    before = target.state_dict()
    with pytest.raises(error, match=message):
        target.load_state_dict(changed(source.state_dict(), **entries))
    assert target.state_dict() == before


def test_load_state_dict_takes_a_dict():
    with pytest.raises(TypeError, match="takes the dict state_dict"):
        nn.SGD([Value(1.0)], lr=0.1).load_state_dict([("lr", 0.1)])


def _scalar_step(kind, settings, state, data, grad):
    """One step written parameter by parameter with floats, as torch.optim documents it."""
    lr, decay = settings["lr"], settings.get("weight_decay", 0.0)
    g = [gi + decay * x if decay else gi for x, gi in zip(data, grad, strict=True)]
    if kind == "adam":
        state["t"] += 1
        beta1, beta2 = settings.get("betas", (0.9, 0.999))
        eps = settings.get("eps", 1e-8)
        c1, c2 = 1.0 - beta1 ** state["t"], 1.0 - beta2 ** state["t"]
        state["m"] = [beta1 * m + (1.0 - beta1) * gi for m, gi in zip(state["m"], g, strict=True)]
        state["v"] = [beta2 * v + (1.0 - beta2) * gi * gi for v, gi in zip(state["v"], g, strict=True)]
        return [x - lr * (m / c1) / (math.sqrt(v / c2) + eps)
                for x, m, v in zip(data, state["m"], state["v"], strict=True)]
    momentum = settings.get("momentum", 0.0)
    if not momentum:
        return [x - lr * gi for x, gi in zip(data, g, strict=True)]
    b = g if state["b"] is None else [momentum * bi + gi for bi, gi in zip(state["b"], g, strict=True)]
    state["b"] = b
    step = [gi + momentum * bi for gi, bi in zip(g, b, strict=True)] if settings.get("nesterov") else b
    return [x - lr * si for x, si in zip(data, step, strict=True)]


@pytest.mark.parametrize("kind, settings", [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.05, "weight_decay": 0.01}),
    ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.1, "momentum": 0.8, "nesterov": True, "weight_decay": 0.02}),
    ("adam", {"lr": 1e-2}),
    ("adam", {"lr": 3e-3, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
])
def test_the_array_update_is_the_values_step_to_the_last_bit(kind, settings):
    # step() on Values, update() on an array and a float-by-float loop, from the same random
    # gradients for six steps: identical numbers, so the compiled path trains as the Value graph does
    rng = np.random.default_rng(3)
    start = rng.normal(size=7)
    values = [Value(x) for x in start.tolist()]
    make = nn.Adam if kind == "adam" else nn.SGD
    on_values, on_arrays = make(values, **settings), make([Value(0.0) for _ in values], **settings)
    data = start.copy()
    floats = start.tolist()
    state = {"t": 0, "m": [0.0] * 7, "v": [0.0] * 7, "b": None}
    for _ in range(6):
        grad = rng.normal(size=7)
        for p, g in zip(values, grad.tolist(), strict=True):
            p.grad = g
        on_values.step()
        on_arrays.update(data, grad)
        floats = _scalar_step(kind, settings, state, floats, grad.tolist())
        assert [p.data for p in values] == data.tolist() == floats
    assert on_values.state_dict() == on_arrays.state_dict()


def test_adam_at_the_most_steps_it_takes_still_steps():
    p = Value(1.0)
    opt = nn.Adam([p], lr=0.1)
    state = opt.state_dict()
    opt.load_state_dict({**state, "steps": nn.optim.MAX_STEPS})
    p.grad = 1.0
    opt.step()
    assert math.isfinite(p.data) and p.data < 1.0
