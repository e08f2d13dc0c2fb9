"""Differential tests against PyTorch float64: every op (wide magnitudes too), random programs, MLP losses, optimizers.

PyTorch is the optional extra ``scalar-autodiff[torch]``: without it these tests skip, except on CI
(CI=true), which installs it, where a missing torch is a failure.
"""

import math
import random

import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

import autodiff
import nn
from autodiff import OPS, Value
from autodiff.testing import programs
from nn import reference
from tests.conftest import ON_CI, import_or_skip

torch = import_or_skip("torch", "torch")

F = torch.nn.functional


def tensor(x):
    return torch.tensor(float(x), dtype=torch.float64, requires_grad=True)


def stacked(xs):
    return torch.stack(list(xs))


def torch_max(xs, bound):
    """max as the engine has it: the first maximal tensor takes the gradient (torch.max on a dim), a bound none."""
    best = torch.max(stacked(xs), dim=0).values
    return best if bound is None else torch.where(best >= bound, best, torch.tensor(float(bound), dtype=torch.float64))


def torch_min(xs, bound):
    best = torch.min(stacked(xs), dim=0).values
    return best if bound is None else torch.where(best <= bound, best, torch.tensor(float(bound), dtype=torch.float64))


# each op of the engine's table, written with PyTorch
TORCH_OPS = {
    "add": lambda x, y, a: x + y,
    "sub": lambda x, y, a: x - y,
    "mul": lambda x, y, a: x * y,
    "div": lambda x, y, a: x / y,
    "pow": lambda x, y, a: torch.pow(x, y),
    "add_const": lambda x, a: x + a,
    "rsub_const": lambda x, a: a - x,
    "mul_const": lambda x, a: x * a,
    "div_const": lambda x, a: x / a,
    # a tensor over a tensor: `a / x` would multiply by x's reciprocal, whose square underflows
    "rdiv_const": lambda x, a: torch.div(torch.tensor(float(a), dtype=torch.float64), x),
    "pow_const": lambda x, a: torch.pow(x, a),
    "rpow_const": lambda x, a: torch.pow(torch.tensor(float(a), dtype=torch.float64), x),
    "neg": lambda x, a: -x,
    "abs": lambda x, a: torch.abs(x),
    "exp": lambda x, a: torch.exp(x),
    "log": lambda x, a: torch.log(x),
    "sqrt": lambda x, a: torch.sqrt(x),
    "tanh": lambda x, a: torch.tanh(x),
    "sigmoid": lambda x, a: torch.sigmoid(x),
    "relu": lambda x, a: torch.relu(x),
    "leaky_relu": lambda x, a: F.leaky_relu(x, a),
    "sin": lambda x, a: torch.sin(x),
    "cos": lambda x, a: torch.cos(x),
    "atan": lambda x, a: torch.atan(x),
    # log(1 + e^x) exactly: F.softplus is linear above its threshold of 20
    "softplus": lambda x, a: torch.logaddexp(x, torch.zeros((), dtype=torch.float64)),
    "sum": lambda xs, a: stacked(xs).sum() + a,
    "dot": lambda xs, a: (stacked(xs[: len(xs) // 2]) * stacked(xs[len(xs) // 2 :])).sum(),
    "linear": lambda xs, a: (stacked(xs) * torch.tensor(a, dtype=torch.float64)).sum(),
    "max": torch_max,
    "min": torch_min,
}


def test_every_op_has_a_pytorch_twin():
    assert set(TORCH_OPS) == set(OPS)


def run_torch(op, inputs, arg):
    leaves = [tensor(x) for x in inputs]
    if op.arity == 1:
        out = TORCH_OPS[op.name](leaves[0], arg)
    elif op.arity == 2:
        out = TORCH_OPS[op.name](leaves[0], leaves[1], arg)
    else:
        out = TORCH_OPS[op.name](leaves, arg)
    out.backward()
    return out.item(), [leaf.grad.item() for leaf in leaves]


def run_engine(op, inputs, arg):
    from autodiff.testing import OpCall

    leaves = [Value(x) for x in inputs]
    out = OpCall(op, tuple(inputs), arg)(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def close(ours, theirs, rtol, scale=0.0):
    """Equal, both NaN, or within `rtol` of the larger magnitude (or of `scale`, a sum's sum of magnitudes)."""
    if ours == theirs or (math.isnan(ours) and math.isnan(theirs)):
        return True
    if not (math.isfinite(ours) and math.isfinite(theirs)):
        return False
    return abs(ours - theirs) <= rtol * max(abs(ours), abs(theirs), scale) + 1e-300


# wide magnitudes: every kind of finite float, with the everyday ones
WIDE = st.sampled_from([0.0, -0.0, 5e-324, -1e-310, 1e-200, 1e-20, 0.5, 1.0, -2.0, 3.0, 700.0, 1e15, 1e200, -1e300]) | (
    st.floats(allow_nan=False, allow_infinity=False)
)
ARGS = {
    **dict.fromkeys(["add_const", "rsub_const", "mul_const", "div_const", "rdiv_const", "pow_const", "sum"], WIDE),
    "leaky_relu": st.floats(-2.0, 2.0),
    "rpow_const": st.floats(min_value=1e-300, max_value=1e300),
    **dict.fromkeys(["max", "min"], st.none() | WIDE),
}
# the sums of many inputs round in another order than PyTorch's: compared at the scale of their terms
SUMS = {"sum", "dot", "linear"}


@pytest.mark.parametrize("op", list(OPS.values()), ids=list(OPS))
@settings(max_examples=40 if ON_CI else 20)
@given(data=st.data())
def test_every_op_agrees_with_pytorch_at_every_magnitude(op, data):
    count = op.arity if op.arity > 0 else 2 * data.draw(st.integers(1, 3)) if op.name == "dot" else data.draw(
        st.integers(1, 4))
    arg = data.draw(st.tuples(*[WIDE] * count)) if op.name == "linear" else data.draw(ARGS.get(op.name, st.none()))
    if op.name == "div_const" and arg == 0:
        reject()
    inputs = data.draw(st.lists(WIDE, min_size=count, max_size=count))
    try:
        value, grads = run_engine(op, inputs, arg)
    except (ArithmeticError, ValueError):
        reject()  # outside the op's domain, or an overflow the engine reports
    their_value, their_grads = run_torch(op, inputs, arg)
    scale = 0.0
    if op.name in SUMS:
        terms = [a * b for a, b in zip(inputs[: count // 2], inputs[count // 2 :], strict=True)] if op.name == "dot" \
            else [a * x for a, x in zip(arg, inputs, strict=True)] if op.name == "linear" else [*inputs, arg]
        scale = sum(abs(t) for t in terms)
    assert close(value, their_value, 1e-12, scale), (value, their_value)
    # tanh's slope 1 − out² (ours and PyTorch's alike) subtracts two numbers near 1 when |x| is large: its
    # error is an ulp of 1, not of the result (at x = −12, 1.5e-10 carries an error of 1e-16, 7e-7 of it)
    grad_scale = 1.0 if op.name == "tanh" else 0.0
    for ours, theirs in zip(grads, their_grads, strict=True):
        assert close(ours, theirs, 1e-12, grad_scale), (grads, their_grads)


def torch_program(program, leaves):
    results = list(leaves)
    for step in program.steps:
        operands = [results[i] for i in step.operands]
        if step.op.arity == 1:
            results.append(TORCH_OPS[step.op.name](operands[0], step.arg))
        elif step.op.arity == 2:
            results.append(TORCH_OPS[step.op.name](*operands, step.arg))
        else:
            results.append(TORCH_OPS[step.op.name](operands, step.arg))
    return [results[i] for i in program.outputs]


@settings(max_examples=100 if ON_CI else 40)
@given(program=programs(n_inputs=st.integers(1, 4), max_ops=10, min_value=-20.0, max_value=20.0),
       weights=st.lists(st.floats(-2.0, 2.0), min_size=12, max_size=12))
def test_random_programs_agree_with_pytorch(program, weights):
    """Outputs and the gradient of a weighted sum of them, over programs that share subexpressions."""
    leaves = [Value(x) for x in program.inputs]
    outputs = program(*leaves)
    autodiff.sum([out * w for out, w in zip(outputs, weights, strict=False)]).backward()
    torch_leaves = [tensor(x) for x in program.inputs]
    torch_outputs = torch_program(program, torch_leaves)
    sum(out * w for out, w in zip(torch_outputs, weights, strict=False)).backward()
    for ours, theirs in zip(outputs, torch_outputs, strict=True):
        assert close(ours.data, theirs.item(), 1e-10), (ours.data, theirs.item())
    for leaf, theirs in zip(leaves, torch_leaves, strict=True):
        their_grad = 0.0 if theirs.grad is None else theirs.grad.item()
        assert close(leaf.grad, their_grad, 1e-9, scale=1.0), (leaf.grad, their_grad)


TORCH_ACTIVATIONS = {"relu": torch.relu, "leaky_relu": lambda x: F.leaky_relu(x, nn.activations.LEAKY_RELU_SLOPE),
                     "tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda x: x}


def torch_network(model):
    """The layers of `model` as float64 tensors that require grad: [(W, b), ...]."""
    return [(torch.tensor(layer.w, dtype=torch.float64, requires_grad=True),
             torch.tensor(layer.b, dtype=torch.float64, requires_grad=True))
            for layer in reference.network_of(model).layers]


def torch_forward(model, layers, x):
    y = torch.tensor(x, dtype=torch.float64)
    for i, (w, b) in enumerate(layers):
        y = w @ y + b
        if i < len(layers) - 1:
            y = TORCH_ACTIVATIONS[model.activation](y)
    return y


LOSSES = {
    "mse": (nn.mse_loss, lambda p, t: F.mse_loss(p, t)),
    "sse": (nn.sse_loss, lambda p, t: F.mse_loss(p, t, reduction="sum")),
    "huber": (lambda p, t: nn.huber_loss(p, t, delta=0.7), lambda p, t: F.huber_loss(p, t, delta=0.7)),
    "hinge": (nn.hinge_loss, lambda s, y: torch.relu(1.0 - y * s).mean()),
    "bce": (nn.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits),
}


def torch_grads(layers):
    return [reference.LayerArrays(w.grad.numpy(), b.grad.numpy()) for w, b in layers]


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("activation", list(TORCH_ACTIVATIONS))
@settings(max_examples=10 if ON_CI else 4)
@given(seed=st.integers(0, 2**32 - 1), x=st.lists(st.floats(-3.0, 3.0), min_size=3, max_size=3))
def test_mlp_losses_and_gradients_agree_with_pytorch(loss, activation, seed, x):
    model = nn.MLP(3, [5, 4, 3], activation=activation, rng=seed)
    rng = random.Random(seed)
    targets = [rng.choice([-1.0, 1.0]) if loss == "hinge" else rng.random() if loss == "bce" else rng.gauss(0, 2)
               for _ in range(3)]
    ours_loss, their_loss = LOSSES[loss]
    value = ours_loss(model(x), targets)
    value.backward()
    layers = torch_network(model)
    theirs = their_loss(torch_forward(model, layers, x), torch.tensor(targets, dtype=torch.float64))
    theirs.backward()
    assert close(value.data, theirs.item(), 1e-12, scale=1e-12)
    expected = reference.named(torch_grads(layers))
    for name, parameter in model.named_parameters():
        assert close(parameter.grad, expected[name], 1e-9, scale=1e-12), (name, parameter.grad, expected[name])


OPTIMIZERS = {
    "sgd": (lambda ps: nn.SGD(ps, 0.05), lambda ps: torch.optim.SGD(ps, 0.05)),
    "sgd momentum decay": (lambda ps: nn.SGD(ps, 0.05, momentum=0.9, weight_decay=0.01),
                           lambda ps: torch.optim.SGD(ps, 0.05, momentum=0.9, weight_decay=0.01)),
    "sgd nesterov": (lambda ps: nn.SGD(ps, 0.02, momentum=0.8, nesterov=True, weight_decay=1e-3),
                     lambda ps: torch.optim.SGD(ps, 0.02, momentum=0.8, nesterov=True, weight_decay=1e-3)),
    "adam": (lambda ps: nn.Adam(ps, 0.01), lambda ps: torch.optim.Adam(ps, 0.01)),
    "adam decay": (lambda ps: nn.Adam(ps, 0.003, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05),
                   lambda ps: torch.optim.Adam(ps, 0.003, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
}


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_twenty_optimizer_steps_agree_with_torch_optim(optimizer):
    model = nn.MLP(2, [6, 1], activation="tanh", rng=3)
    layers = torch_network(model)
    ours, theirs = OPTIMIZERS[optimizer]
    opt = ours(model.parameters())
    torch_opt = theirs([t for layer in layers for t in layer])
    data = np.random.default_rng(0).normal(size=(20, 3))
    for x0, x1, target in data:
        opt.zero_grad()
        nn.mse_loss(model([x0, x1]), [target]).backward()
        opt.step()
        torch_opt.zero_grad()
        F.mse_loss(torch_forward(model, layers, [x0, x1]), torch.tensor([target], dtype=torch.float64)).backward()
        torch_opt.step()
        expected = reference.named([reference.LayerArrays(w.detach().numpy(), b.detach().numpy()) for w, b in layers])
        for name, value in model.state_dict().items():
            assert close(value, expected[name], 1e-10, scale=1e-10), (name, value, expected[name])
