"""Backprop against central differences: every op of the table, and random programs over all of them.

Each check is shown to fail when an op's derivative in the table is wrong: a checker that cannot
fail checks nothing.
"""

import contextlib

import pytest
from conftest import ON_CI, says_true
from hypothesis import Phase, assume, given, settings
from hypothesis import strategies as st

from autodiff import OPS, GradcheckError, Value, gradcheck
from autodiff.core.backends import FLOAT
from autodiff.core.graph import input_partials
from autodiff.core.ops import Op
from autodiff.testing import OpCall, Program, op_inputs, programs

# the ci profile (CI true, see conftest.py) checks at least 500 random programs; dev stays quick
PROGRAM_EXAMPLES = 1000 if ON_CI else 200
PROGRAMS = programs(n_inputs=st.integers(1, 4))


# float64 tolerances for one op: gradcheck's defaults (PyTorch's, atol=1e-5, rtol=1e-3) let a
# derivative 0.05% wrong pass
OP_ATOL, OP_RTOL = 1e-8, 1e-6


def op_calls(op: Op) -> st.SearchStrategy[OpCall]:
    """`op` with inputs 1e-2 (not op_inputs' 1e-3) from its poles and domain ends.

    Central differences err by about (eps / distance)² relative near a pole (``x ** -3``, ``y``
    of ``x ** y`` near 0): at a distance of 1e-2 that is at most 2e-7, below OP_RTOL.
    """
    return op_inputs(op, margin=1e-2)


def check_op(call: OpCall) -> None:
    gradcheck(call, call.inputs, atol=OP_ATOL, rtol=OP_RTOL)


def check_program(program: Program) -> None:
    gradcheck(program, program.inputs)


@pytest.mark.parametrize("op", list(OPS.values()), ids=list(OPS))
@given(data=st.data())
def test_every_op_matches_central_differences_over_its_domain(op, data):
    check_op(data.draw(op_calls(op)))


def test_only_a_true_ci_setting_selects_the_ci_profile():
    assert [says_true(v) for v in ("true", "1", "yes", " True ", "YES")] == [True] * 5
    assert [says_true(v) for v in (None, "", "false", "0", "no", "False")] == [False] * 6
    assert settings.default.derandomize is ON_CI and PROGRAM_EXAMPLES >= (500 if ON_CI else 100)


@settings(max_examples=PROGRAM_EXAMPLES)
@given(PROGRAMS)
def test_random_programs_match_central_differences(program):
    check_program(program)


@contextlib.contextmanager
def wrong_derivative(op: Op):
    """`op`'s table derivative made wrong everywhere: each partial d becomes d + 0.25 + |d|/2.

    `Op` is a frozen dataclass and the engine holds the Op objects themselves (value.py binds
    them at import), so the rule is replaced on the object, and put back afterwards.
    """
    right = op.derivative

    def skew(d):
        return d + 0.25 + abs(d) / 2

    def wrong(*args):
        partials = right(*args)
        return tuple(map(skew, partials)) if isinstance(partials, tuple) else skew(partials)

    object.__setattr__(op, "derivative", wrong)
    try:
        yield
    finally:
        object.__setattr__(op, "derivative", right)


@contextlib.contextmanager
def scaled_derivative(op: Op, factor: float):
    """`op`'s table derivative multiplied by `factor`: every partial, everywhere."""
    right = op.derivative

    def scaled(*args):
        partials = right(*args)
        return tuple(d * factor for d in partials) if isinstance(partials, tuple) else partials * factor

    object.__setattr__(op, "derivative", scaled)
    try:
        yield
    finally:
        object.__setattr__(op, "derivative", right)


def first_mismatch(message: str) -> list[str]:
    marked = [line for line in message.splitlines() if line.startswith("  ✗")]
    return marked[0][4:].split()


@pytest.mark.parametrize("op", list(OPS.values()), ids=list(OPS))
@settings(max_examples=10)
@given(data=st.data())
def test_gradcheck_catches_a_wrong_derivative_of_every_op(op, data):
    call = data.draw(op_calls(op))
    with wrong_derivative(op), pytest.raises(GradcheckError) as caught:
        check_op(call)
    message = " ".join(str(caught.value).split())
    # output 0, input 0 of the op, marked first; and the op's entry is named as the culprit
    assert first_mismatch(str(caught.value))[:2] == ["0", "0"]
    assert "its table derivative makes this step's slope" in message
    assert f"the table entry of {op.name!r} looks wrong" in message
    # with the right rule back, the same point passes
    check_op(call)


@pytest.mark.parametrize("op", list(OPS.values()), ids=list(OPS))
@settings(max_examples=10)
@given(data=st.data())
def test_the_per_op_check_catches_a_derivative_only_five_hundredths_of_a_percent_off(op, data):
    call = data.draw(op_calls(op))
    partials = list(input_partials(call(*[Value(x) for x in call.inputs]), FLOAT))
    # where every partial is 0 (relu left of 0), no factor can make it wrong
    assume(max(abs(d) for _, d in partials) > 1e-3)
    with scaled_derivative(op, 1.0005), pytest.raises(GradcheckError) as caught:
        check_op(call)
    assert first_mismatch(str(caught.value))[0] == "0"
    check_op(call)


@pytest.mark.parametrize("op", list(OPS.values()), ids=list(OPS))
def test_the_random_program_test_catches_a_wrong_derivative_of_every_op(op):
    # the same property over the same programs, stopped at the first failure (no shrinking)
    run = settings(
        max_examples=PROGRAM_EXAMPLES, database=None, phases=[Phase.generate], report_multiple_bugs=False
    )(given(PROGRAMS)(check_program))
    with wrong_derivative(op), pytest.raises(GradcheckError) as caught:
        run()
    message = " ".join(str(caught.value).split())
    assert f"the table entry of {op.name!r} looks wrong" in message
    assert "between input " in message and first_mismatch(str(caught.value))


def test_gradcheck_catches_a_backward_that_is_not_reentrant():
    tanh = OPS["tanh"]
    right = tanh.derivative
    calls = []

    def every_other_call_wrong(*args):
        calls.append(args)
        return right(*args) * (1.0 if len(calls) % 2 else 1.5)

    object.__setattr__(tanh, "derivative", every_other_call_wrong)
    try:
        with pytest.raises(GradcheckError, match="not reentrant") as caught:
            gradcheck(lambda x: x.tanh(), [0.5])
    finally:
        object.__setattr__(tanh, "derivative", right)
    assert "first backward()" in str(caught.value) and "second backward()" in str(caught.value)
    assert first_mismatch(str(caught.value))[:2] == ["0", "0"]
    assert gradcheck(lambda x: x.tanh(), [0.5])
