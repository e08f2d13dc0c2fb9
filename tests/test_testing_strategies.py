"""autodiff.testing: the strategies draw what they promise, and refuse bad arguments clearly."""

import doctest
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import Phase, example, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument, NoSuchExample

import autodiff
import autodiff.testing
from autodiff import OPS, GradcheckError, Value, gradcheck
from autodiff.core.ops import VARIADIC
from autodiff.testing import (
    OpCall,
    Program,
    Step,
    assert_gradients_close,
    finite_floats,
    op_inputs,
    programs,
    values,
)

ROOT = Path(__file__).resolve().parents[1]
# find() with these settings returns the first example that fits: these tests need one, not the simplest
FIRST = settings(database=None, phases=[Phase.generate])


def test_importing_autodiff_does_not_import_hypothesis():
    code = "import sys, autodiff, autodiff.checking.gradcheck; print([m for m in sys.modules if 'hypothesis' in m])"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_hypothesis_is_imported_by_autodiff_testing_in_the_same_check():
    # the check above can fail: the same command sees hypothesis once autodiff.testing is imported
    code = "import sys, autodiff.testing; print('hypothesis' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.stdout.strip() == "True", result.stderr


@given(finite_floats(min_value=-2.5, max_value=0.5))
def test_finite_floats_stay_in_range(x):
    assert math.isfinite(x) and -2.5 <= x <= 0.5


@given(values(min_value=1.0, max_value=2.0, name="w"))
def test_values_are_named_leaves(v):
    assert isinstance(v, Value) and v.op is None and v.name == "w" and 1.0 <= v.data <= 2.0


@pytest.mark.parametrize(
    "make",
    [
        lambda: finite_floats(min_value=2.0, max_value=1.0),
        lambda: finite_floats(min_value=math.nan),
        lambda: finite_floats(max_value=math.inf),
        lambda: finite_floats(min_value="0"),
        lambda: values(name=3),
        lambda: op_inputs("no_such_op"),
        lambda: op_inputs(3),
        lambda: op_inputs("log", margin=-1.0),
        lambda: op_inputs("log", args=0.5),
        lambda: programs(n_inputs=0),
        lambda: programs(n_inputs=True),
        lambda: programs(max_ops=0),
        lambda: programs(ops=[]),
        lambda: programs(ops=["tanh", "no_such_op"]),
        lambda: programs(margin=math.nan),
    ],
)
def test_bad_arguments_are_invalid_argument(make):
    with pytest.raises(InvalidArgument):
        make()


def test_ops_given_as_one_string_is_invalid_argument_that_says_so():
    # a string is iterable: without the check, "tanh" would be read as the ops "t", "a", "n", "h"
    with pytest.raises(InvalidArgument, match=r"not the string 'tanh'"):
        programs(ops="tanh")


def test_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        finite_floats(0.0, 1.0)  # type: ignore[misc]
    with pytest.raises(TypeError):
        programs(2)  # type: ignore[misc]


def test_an_op_with_no_input_in_range_is_invalid_argument_when_drawn():
    @given(op_inputs("log", min_value=-2.0, max_value=-1.0))
    def draw(call):
        pass

    with pytest.raises(InvalidArgument, match="log needs x > 0"):
        draw()


def test_programs_whose_ops_have_no_domain_point_in_range_are_invalid_argument():
    # without the check, every step is filtered out and Hypothesis ends in FailedHealthCheck
    with pytest.raises(InvalidArgument, match=r"\[-3\.0, -1\.0\].* sqrt, log"):
        programs(ops=["sqrt", "log"], min_value=-3.0, max_value=-1.0)
    # one op that runs there is enough; so is an integer power, whose domain is every real
    programs(ops=["sqrt", "tanh"], min_value=-3.0, max_value=-1.0)
    programs(ops=["pow_const"], min_value=-3.0, max_value=-1.0)


@pytest.mark.parametrize("op", list(OPS.values()), ids=list(OPS))
@settings(max_examples=40)
@given(data=st.data())
def test_op_inputs_over_a_wide_range_pass_gradcheck(op, data):
    call = data.draw(op_inputs(op, min_value=-100.0, max_value=100.0))
    gradcheck(call, call.inputs)


def test_op_inputs_over_a_wide_range_keep_results_moderate():
    # an absolute margin alone drew 0.001 ** -76, where central differences lose every digit
    with pytest.raises(NoSuchExample):
        find(
            op_inputs("pow", min_value=-100.0, max_value=100.0),
            lambda call: abs(call(*call.inputs)) > 1e3,
            settings=settings(FIRST, max_examples=300),
        )


def _away(x, points, margin):
    return all(abs(x - p) >= margin for p in points)


@pytest.mark.parametrize("op", list(OPS.values()), ids=list(OPS))
@settings(max_examples=50)
@given(data=st.data())
def test_op_inputs_are_in_the_domain_a_margin_from_poles_ends_kinks_and_ties(op, data):
    margin = 1e-3
    call = data.draw(op_inputs(op, min_value=-4.0, max_value=4.0, margin=margin))
    assert call.op is op
    if op.arity != VARIADIC:
        assert len(call.inputs) == op.arity
    for j, x in enumerate(call.inputs):
        interval = op.input_domain(call.arg, j)
        ends = [e for e in (interval.low, interval.high) if math.isfinite(e)]
        assert -4.0 <= x <= 4.0 and x in interval
        assert _away(x, [*ends, *interval.poles, *op.kinks], margin)
    if op.arity == VARIADIC:
        others = list(call.inputs) + ([call.arg] if isinstance(call.arg, float) else [])
        assert all(abs(a - b) >= margin for k, a in enumerate(others) for b in others[k + 1 :])
    # the call runs the same rule on floats and on Values
    out = call(*(Value(x) for x in call.inputs))
    assert math.isfinite(out.data) and out.data == call(*call.inputs)
    assert out.op is op and out.parents and all(p.op is None for p in out.parents)


def test_op_inputs_takes_a_name_and_an_argument_strategy():
    call = find(op_inputs("pow_const", args=st.just(0.5)), lambda call: True, settings=FIRST)
    assert call.arg == 0.5 and call.inputs[0] >= 1e-3
    assert repr(call) == f"OpCall({call.inputs[0]!r} ** 0.5)"


def test_op_inputs_draws_the_constant_arguments_the_op_needs():
    linear = find(op_inputs("linear"), lambda call: len(call.inputs) >= 3, settings=FIRST)
    assert isinstance(linear.arg, tuple) and len(linear.arg) == len(linear.inputs)
    dot = find(op_inputs("dot"), lambda call: len(call.inputs) > 2, settings=FIRST)
    assert len(dot.inputs) % 2 == 0
    assert find(op_inputs("leaky_relu"), lambda call: call.arg != 0.01, settings=FIRST).arg != 0.01
    # fractional exponents, which need a non-negative base
    fractional = find(op_inputs("pow_const"), lambda call: not float(call.arg).is_integer(), settings=FIRST)
    assert fractional.inputs[0] > 0


def test_program_repr_reads_like_code():
    mul, tanh, add = OPS["mul"], OPS["tanh"], OPS["add"]
    program = Program((0.5, -1.25), (Step(mul, (0, 1)), Step(tanh, (2,)), Step(add, (3, 0))))
    assert repr(program) == "program(v0=0.5, v1=-1.25): v2 = v0 × v1; v3 = tanh(v2); v4 = v3 + v0; return v4"


@pytest.mark.parametrize(
    ("step", "line"),
    [
        (Step(OPS["pow_const"], (0,), 3.0), "v1 = v0 ** 3.0"),
        (Step(OPS["rpow_const"], (0,), 2.0), "v1 = 2.0 ** v0"),
        (Step(OPS["rsub_const"], (0,), 1.5), "v1 = 1.5 − v0"),
        (Step(OPS["neg"], (0,)), "v1 = −v0"),
        (Step(OPS["sigmoid"], (0,)), "v1 = sigmoid(v0)"),
        (Step(OPS["leaky_relu"], (0,), 0.01), "v1 = leaky_relu(v0, 0.01)"),
        (Step(OPS["max"], (0, 0), 1.0), "v1 = max(v0, v0, arg=1.0)"),
        (Step(OPS["sum"], (0, 0), 0.25), "v1 = sum(v0, v0, arg=0.25)"),
        (Step(OPS["linear"], (0,), (2.0,)), "v1 = linear(v0, arg=(2.0,))"),
    ],
)
def test_program_lines_use_symbols_and_constant_arguments(step, line):
    assert repr(Program((2.0,), (step,))) == f"program(v0=2.0): {line}; return v1"


def test_every_op_renders_as_a_line():
    for op in OPS.values():
        count = 1 if op.arity == VARIADIC else op.arity
        arg = {"linear": (1.0,), "sum": 0.0}.get(op.name, 2.0 if "{arg}" in op.template else None)
        line = repr(Program((1.0, 2.0), (Step(op, (0, 1)[:count], arg),)))
        assert "v2 = " in line and ("v0" in line.split("v2 = ")[1])


def test_outputs_are_the_results_no_later_step_uses():
    tanh, add = OPS["tanh"], OPS["add"]
    program = Program((1.0,), (Step(tanh, (0,)), Step(tanh, (0,)), Step(add, (1, 1))))
    assert program.outputs == (2, 3)
    assert program(0.5) == (math.tanh(0.5), 2 * math.tanh(0.5))
    with pytest.raises(TypeError, match="takes 1 inputs, got 2"):
        program(0.5, 0.5)
    with pytest.raises(TypeError, match="not a mix"):
        Program((1.0, 1.0), (Step(add, (0, 1)),))(Value(1.0), 2.0)


@given(programs(n_inputs=st.integers(1, 4)))
def test_programs_run_the_same_on_floats_and_values(program):
    on_values = program(*(Value(x) for x in program.inputs))
    assert [v.data for v in on_values] == list(program(*program.inputs))
    assert 1 <= len(program.steps) <= 8 and program.outputs


@given(programs(n_inputs=st.integers(1, 4), margin=1e-2))
def test_every_step_of_a_program_is_inside_its_domain_and_away_from_kinks(program):
    results = list(program.inputs)
    for step in program.steps:
        xs = [results[i] for i in step.operands]
        for j, x in enumerate(xs):
            interval = step.op.input_domain(step.arg, j)
            ends = [e for e in (interval.low, interval.high) if math.isfinite(e)]
            assert x in interval and _away(x, [*ends, *interval.poles, *step.op.kinks], 1e-2)
        results.append(Program(tuple(xs), (Step(step.op, tuple(range(len(xs))), step.arg),))(*xs)[0])
        assert abs(results[-1]) <= 1e3


def _shares_a_node(program):
    """Some result feeds two different steps (a diamond), not only one step twice."""
    users = {}
    for k, step in enumerate(program.steps):
        for i in set(step.operands):
            users.setdefault(i, set()).add(k)
    return any(len(steps) >= 2 and i >= len(program.inputs) for i, steps in users.items())


def test_programs_make_dags_with_shared_subexpressions():
    diamond = find(programs(), _shares_a_node, settings=FIRST)
    assert _shares_a_node(diamond)
    square = find(programs(), lambda p: any(len(set(s.operands)) < len(s.operands) for s in p.steps), settings=FIRST)
    assert any(len(set(s.operands)) < len(s.operands) for s in square.steps)


def test_every_op_of_the_table_appears_in_default_programs():
    seen = set()

    # every op can be drawn: checked on one fixed sample of about 1,200 steps over the table's ops
    # (a random sample of 300 programs missed an op once, outside CI: Hypothesis does not draw uniformly)
    @settings(max_examples=300, database=None, derandomize=True)
    @given(programs())
    def record(program):
        seen.update(step.op.name for step in program.steps)

    record()
    assert seen == set(OPS)


@given(programs(ops=["tanh", "mul", "log"], n_inputs=2))
def test_programs_use_only_the_ops_asked_for(program):
    assert {step.op.name for step in program.steps} <= {"tanh", "mul", "log"}
    assert len(program.inputs) == 2


def test_a_failing_example_shows_the_program():
    @settings(database=None)
    @given(programs())
    def never_more_than_two_steps(program):
        assert len(program.steps) <= 2

    with pytest.raises(AssertionError) as caught:
        never_more_than_two_steps()
    shown = "\n".join(getattr(caught.value, "__notes__", []))
    assert "program(v0=" in shown and "v5 = " in shown and "; return v" in shown


def test_op_call_refuses_the_wrong_operand_count():
    call = OpCall(OPS["tanh"], (0.5,))
    assert call(0.5) == math.tanh(0.5)
    with pytest.raises(TypeError, match="takes 1 operands, got 2"):
        call(0.5, 0.5)


def test_strategies_are_exported():
    public = {"finite_floats", "values", "op_inputs", "programs", "assert_gradients_close"}
    assert set(autodiff.testing.__all__) >= public
    assert "testing" not in autodiff.__all__


def test_assert_gradients_close_is_an_assertion():
    assert assert_gradients_close(lambda x, y: x * y.exp(), [0.5, -1.0]) is None
    with pytest.raises(AssertionError, match="first mismatch"):
        assert_gradients_close(lambda x, y: x * Value(y.data).exp(), [0.5, -1.0])


def test_docstring_examples_run():
    results = doctest.testmod(autodiff.testing)
    assert results.attempted > 0 and results.failed == 0


# functions with kinks, each with a point Hypothesis finds at once: a tie, and a zero straddled by eps
KINKED = [
    pytest.param(lambda x, y: autodiff.max([x, y]) * x, (1.0, 1.0), id="max(x, y) * x"),
    pytest.param(lambda x, y: abs(x - y), (0.0, 1.4e-251), id="abs(x - y)"),
]


@pytest.mark.parametrize(("f", "point"), KINKED)
def test_kinks_fail_by_default_and_the_report_says_so(f, point):
    @settings(database=None)
    @given(x=finite_floats(), y=finite_floats())
    @example(*point)
    def check(x, y):
        assert_gradients_close(f, [x, y])

    with pytest.raises(GradcheckError, match="at a kink or a tie"):
        check()


@pytest.mark.parametrize(("f", "point"), KINKED)
def test_kinks_skip_discards_examples_at_kinks_and_ties(f, point):
    @settings(database=None)
    @given(x=finite_floats(), y=finite_floats())
    @example(*point)
    def check(x, y):
        assert_gradients_close(f, [x, y], kinks="skip")

    check()


def test_kinks_skip_still_catches_a_wrong_gradient_away_from_kinks():
    # Value(x.data): x enters the product as a plain number, so backward() misses that path
    @settings(database=None)
    @given(x=finite_floats(), y=finite_floats())
    def check(x, y):
        assert_gradients_close(lambda x, y: autodiff.max([x, y]) * Value(x.data), [x, y], kinks="skip")

    with pytest.raises(GradcheckError, match="first mismatch"):
        check()


@pytest.mark.parametrize(
    ("f", "point", "message"),
    [
        (lambda x, y: abs(x - y), [1.0, 1.0], r"abs\(0\) is at its kink 0"),
        (lambda x, y: autodiff.max([x, y]) * x, [2.0, 2.0 + 1e-9], r"max\(2, 2\.000000001\) is at a tie of its inputs"),
        (lambda x: autodiff.max([x, 1.5]), [1.5 - 1e-8], "at a tie with its bound 1.5"),
        # relu's input is 5e-4 from its kink, beyond the margin, but moves by 1000·eps: eps crosses it
        (lambda x: (x * 1000 - 0.01).relu(), [1.05e-5], r"relu\(.*\) is at its kink 0"),
    ],
)
def test_kinks_skip_outside_hypothesis_is_value_error_naming_the_op(f, point, message):
    with pytest.raises(ValueError, match=message) as caught:
        assert_gradients_close(f, point, kinks="skip")
    assert "pick a point away from it" in str(caught.value)


def test_kinks_skip_checks_points_near_no_kink_as_usual():
    assert_gradients_close(lambda x, y: abs(x - y) * autodiff.max([x, y]), [0.5, 2.0], kinks="skip")
    assert_gradients_close(lambda x: abs(x - x) + autodiff.max([x, x]), [0.0], kinks="skip")
    with pytest.raises(InvalidArgument, match="kinks must be 'report' or 'skip'"):
        assert_gradients_close(lambda x: abs(x), [0.5], kinks="ignore")  # type: ignore[arg-type]


def test_the_how_to_example_of_kinks_skip_skips_the_kink_hypothesis_finds():
    page = (ROOT / "docs" / "how-to" / "verify-a-custom-function.md").read_text(encoding="utf-8")
    (block,) = [b for b in page.split('```python title="')[1:] if 'kinks="skip"' in b.split("```")[0]]
    namespace: dict[str, object] = {}
    exec(block.split("\n", 1)[1].split("```")[0], namespace)
    namespace["test_max_times_x_gradients"]()  # type: ignore[operator]
