# %% [markdown]
# # Checking gradients with Hypothesis
#
# A gradient can be wrong without anything crashing: the loss still goes down, just not as it
# should. This notebook writes a function of `Value`s, lets [Hypothesis](https://hypothesis.readthedocs.io)
# search for an input where its gradients disagree with finite differences, reads the report,
# deals with kinks, and checks a new op of your own.
#
# In a project you would put each check in a test file and run `pytest`; here we call the tests
# directly. `derandomize=True` makes Hypothesis try the same examples on every run.

# %%
from hypothesis import given, settings

import autodiff
from autodiff import GradcheckError, Op, Value
from autodiff.testing import assert_gradients_close, finite_floats, op_inputs

checks = settings(derandomize=True, database=None, max_examples=100)

# %% [markdown]
# ## A function and its check
#
# A loss of one sample with label +1: softplus(1 − (w·x + b)), a smooth hinge. The check says:
# for any finite x, w, b in [−10, 10], the gradients of `backward()` match central differences.
# The inputs are passed by name, so the report can name them.

# %%
def smooth_hinge(x, w, b):
    return (1 - (w * x + b)).softplus()


@checks
@given(x=finite_floats(), w=finite_floats(), b=finite_floats())
def test_smooth_hinge_gradients(x, w, b):
    assert_gradients_close(smooth_hinge, {"x": x, "w": w, "b": b})


test_smooth_hinge_gradients()
print("no mismatch in 100 examples")

# %% [markdown]
# ## A wrong gradient, found
#
# A classic mistake: computing with a parameter's number, `w.data`, instead of the `Value`
# itself. The forward result is right, so nothing looks wrong, but no gradient reaches `w`.

# %%
def leaky_hinge(x, w, b):
    return (1 - (Value(w.data) * x + b)).softplus()


@checks
@given(x=finite_floats(), w=finite_floats(), b=finite_floats())
def test_leaky_hinge_gradients(x, w, b):
    assert_gradients_close(leaky_hinge, {"x": x, "w": w, "b": b})


try:
    test_leaky_hinge_gradients()
except GradcheckError as report:
    print(report)

# %% [markdown]
# Hypothesis shrank the failure to a simple point. The report's table lists every partial
# derivative: ✗ marks the mismatch, `analytical` is what `backward()` gave and `numerical` the
# central difference. The last lines name the likely cause: there is no path in the graph from
# `w` to the output, yet the output changes with `w`.

# %% [markdown]
# ## Kinks
#
# `max(x, y) · x` has no derivative where x = y: the slope jumps. Central differences straddle the
# two slopes there, so a check at a tie fails, and Hypothesis finds ties at once.

# %%
def max_times_x(x, y):
    return autodiff.max([x, y]) * x


@checks
@given(x=finite_floats(), y=finite_floats())
def test_max_times_x(x, y):
    assert_gradients_close(max_times_x, {"x": x, "y": y})


try:
    test_max_times_x()
except GradcheckError as report:
    print(str(report).splitlines()[0])
    print("...")
    print("\n".join(str(report).splitlines()[-3:]))

# %% [markdown]
# The ops of the table declare their kinks (`Op.kinks`, and ties for `max`/`min`).
# `kinks="skip"` skips the points at or next to one, and checks every other point as strictly
# as before:

# %%
@checks
@given(x=finite_floats(), y=finite_floats())
def test_max_times_x_away_from_ties(x, y):
    assert_gradients_close(max_times_x, {"x": x, "y": y}, kinks="skip")


test_max_times_x_away_from_ties()
print("no mismatch away from the ties")

# %% [markdown]
# ## An op of your own
#
# Every operation of the engine is one `Op` entry: a forward rule and its local derivative, both
# written against a backend `m` (floats, numpy arrays or `Value`s). Here is swish,
# x·σ(x), with a derivative that forgets the product rule:

# %%
swish = Op(
    name="swish",
    arity=1,
    forward=lambda m, x, arg: x * m.sigmoid(x),
    derivative=lambda m, x, out, arg: m.sigmoid(x),  # wrong: d/dx x·σ(x) = σ(x) + x·σ(x)(1 − σ(x))
    template="swish",
    doc="x·σ(x), the SiLU activation.",
)

# %% [markdown]
# `op_inputs(op)` draws a call of the op at a point inside its domain; calling it on `Value`s
# makes the op's node, so `gradcheck` can check the entry's derivative there.

# %%
def check_derivative(op):
    @checks
    @given(call=op_inputs(op))
    def test_derivative(call):
        assert_gradients_close(call, list(call.inputs))

    test_derivative()


try:
    check_derivative(swish)
except GradcheckError as report:
    print(report)

# %% [markdown]
# Hypothesis found a point where the entry is wrong, and the report says which entry. With the
# product rule, it passes:

# %%
swish = Op(
    name="swish",
    arity=1,
    forward=lambda m, x, arg: x * m.sigmoid(x),
    derivative=lambda m, x, out, arg: m.sigmoid(x) * (1 + x * (1 - m.sigmoid(x))),
    template="swish",
    doc="x·σ(x), the SiLU activation.",
)
check_derivative(swish)
print("swish's derivative matches central differences on 100 examples")
