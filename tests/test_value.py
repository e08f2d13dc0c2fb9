"""The engine: Value's API, backprop semantics, n-ary ops, bad input, big graphs, no cycles."""

import dataclasses
import gc
import inspect
import math
import sys
import threading

import numpy as np
import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

import autodiff
from autodiff import OPS, Value, topological_order
from autodiff.core.backends import FLOAT, NUMPY, Backend
from autodiff.core.ops import VARIADIC
from autodiff.core.value import VALUE
from autodiff.testing import OpCall


def same_number(a, b):
    """Equal, NaN included (float64 rounding aside: numpy's exp, tanh... may differ in the last bit)."""
    return (math.isnan(a) and math.isnan(b)) or a == b or abs(a - b) <= 1e-12 * abs(b)


def test_readme_example():
    x, w, b = Value(2.0, name="x"), Value(-3.0, name="w"), Value(6.8813735870195432, name="b")
    y = (x * w + b).tanh()
    y.backward()
    # tanh(0.8813735870195432) = 1/sqrt(2); dy/dx = w·(1 − y²) = −3/2, dy/dw = x·(1 − y²) = 1
    assert y.data == pytest.approx(1 / math.sqrt(2), rel=1e-15)
    assert x.grad == pytest.approx(-1.5, rel=1e-14)
    assert w.grad == pytest.approx(1.0, rel=1e-14)
    assert b.grad == pytest.approx(0.5, rel=1e-14)


@pytest.mark.parametrize("data", [3, 2.5, np.float64(1.5), np.int64(3), np.float32(0.5), np.int8(-2)])
def test_accepts_python_and_numpy_real_scalars_as_float(data):
    v = Value(data)
    assert type(v.data) is float and v.data == float(data)
    assert v.grad == 0.0 and v.name is None and v.op is None and v.parents == () and v.arg is None


@pytest.mark.parametrize("data", ["abc", None, [1.0], np.array([1.0, 2.0]), 1 + 2j, True])
def test_rejects_what_is_not_a_real_scalar(data):
    with pytest.raises(TypeError, match=type(data).__name__):
        Value(data)


def test_rejects_a_name_that_is_not_a_string():
    with pytest.raises(TypeError, match="name"):
        Value(1.0, name=3)  # type: ignore[arg-type]


@pytest.mark.parametrize("other", ["a", None, [1.0], object()])
def test_arithmetic_with_a_non_number_is_a_type_error(other):
    for operation in (
        lambda: Value(1) + other,
        lambda: other + Value(1),
        lambda: Value(1) - other,
        lambda: Value(1) * other,
        lambda: Value(1) / other,
        lambda: Value(1) ** other,
    ):
        with pytest.raises(TypeError):
            operation()


def test_repr_shows_data_grad_and_name():
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    assert repr(Value(2, name="x")) == "Value(data=2.0, grad=0.0, name='x')"


def test_parents_are_a_tuple_in_argument_order():
    a, b = Value(1.0), Value(2.0)
    assert (a - b).parents == (a, b)
    assert (b - a).parents == (b, a)
    square = a * a
    assert square.parents == (a, a) and square.op is OPS["mul"]
    assert autodiff.sum([a, b, a]).parents == (a, b, a)


@pytest.mark.parametrize(
    ("make", "op", "arg"),
    [
        (lambda x: x * 2, "mul_const", 2.0),
        (lambda x: 2 * x, "mul_const", 2.0),
        (lambda x: x + 1, "add_const", 1.0),
        (lambda x: x - 1, "add_const", -1.0),
        (lambda x: 1 - x, "rsub_const", 1.0),
        (lambda x: x / 4, "div_const", 4.0),
        (lambda x: 4 / x, "rdiv_const", 4.0),
        (lambda x: x**3, "pow_const", 3.0),
        (lambda x: 2**x, "rpow_const", 2.0),
        (lambda x: x.leaky_relu(0.1), "leaky_relu", 0.1),
        (lambda x: np.float64(2.0) * x, "mul_const", 2.0),
    ],
)
def test_a_constant_operand_is_the_nodes_argument_not_a_node(make, op, arg):
    x = Value(1.5)
    y = make(x)
    assert y.op is OPS[op] and y.arg == arg and y.parents == (x,)


def test_every_op_in_the_table_is_complete():
    for name, op in OPS.items():
        assert op.name == name
        assert op.arity in (1, 2, autodiff.core.ops.VARIADIC)
        assert op.doc and op.label(2.0)
        assert callable(op.forward) and callable(op.derivative)


BACKEND_FUNCTIONS = sorted(name for name in vars(Backend) if not name.startswith("_"))


@pytest.mark.parametrize("backend", [FLOAT, NUMPY, VALUE], ids=["FLOAT", "NUMPY", "VALUE"])
def test_every_backend_provides_every_function_of_the_protocol(backend):
    assert BACKEND_FUNCTIONS  # the protocol's functions are found at all
    missing = [name for name in BACKEND_FUNCTIONS if not callable(getattr(backend, name, None))]
    assert missing == []
    assert isinstance(backend, Backend)


def float_arguments(name):
    """Arguments for the backend function `name`, read from the protocol's parameter names."""
    parameters = list(inspect.signature(getattr(Backend, name)).parameters)[1:]
    if parameters == ["xs"]:
        return ([0.7, -0.3, 0.2],)
    if parameters == ["xs", "out"]:
        return ([0.7, -0.3, 0.7], 0.7)
    return (0.7, -0.3)[: len(parameters)]


@pytest.mark.parametrize("name", BACKEND_FUNCTIONS)
def test_the_value_backend_computes_what_the_float_backend_does(name):
    arguments = float_arguments(name)
    as_values = [[Value(x) for x in a] if isinstance(a, list) else Value(a) for a in arguments]
    expected = getattr(FLOAT, name)(*arguments)
    got = getattr(VALUE, name)(*as_values)
    numbers = lambda r: [float(x) for x in r] if isinstance(r, tuple) else [float(r)]
    assert numbers(got) == pytest.approx(numbers(expected), rel=1e-15)


def test_apply_makes_the_node_the_operators_make():
    x, y = Value(1.5), Value(-2.0)
    assert autodiff.apply(OPS["mul"], x, y).parents == (x, y)
    made = autodiff.apply(OPS["pow_const"], x, arg=3.0)
    assert made.op is OPS["pow_const"] and made.arg == 3.0 and made.data == (x**3).data
    assert autodiff.apply(OPS["max"], x, y, arg=0.0).data == autodiff.max([x, y, 0.0]).data


def test_apply_runs_an_op_of_your_own_through_the_whole_engine():
    cube = autodiff.Op("cube", 1, lambda m, x, a: x * x * x, lambda m, x, out, a: 3.0 * x * x, "cube", "x ** 3.")
    x = Value(2.0)
    y = autodiff.apply(cube, x) * 1.0
    y.backward()
    assert (y.data, x.grad) == (8.0, 12.0)
    assert autodiff.grad(autodiff.grad(autodiff.apply(cube, x), [x], create_graph=True)[0], [x])[0].data == 12.0
    assert autodiff.gradcheck(lambda v: autodiff.apply(cube, v), [0.3])


def test_apply_refuses_bad_arguments_by_name():
    x = Value(1.0)
    with pytest.raises(TypeError, match="needs an Op"):
        autodiff.apply("tanh", x)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"apply\(tanh\) inputs must be Values, got float 1.0 at index 0"):
        autodiff.apply(OPS["tanh"], 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"apply\(mul\) takes 2 input\(s\), got 1"):
        autodiff.apply(OPS["mul"], x)
    with pytest.raises(TypeError, match=r"apply\(sum\) needs at least one input"):
        autodiff.apply(OPS["sum"], arg=0.0)


def test_op_check_names_the_op_and_the_domain():
    OPS["log"].check([2.0])
    with pytest.raises(ValueError, match=r"log\(-1.0\) is undefined: log needs x > 0, got x = -1.0"):
        OPS["log"].check([-1.0])
    with pytest.raises(ZeroDivisionError, match="div needs y != 0"):
        OPS["div"].check([1.0, 0.0])
    checked = dataclasses.replace(OPS["sum"], domain=lambda a: (autodiff.Interval(low=0.0),))
    with pytest.raises(ValueError, match="x >= 0, got x = -1.0"):
        autodiff.apply(checked, Value(1.0), Value(-1.0), arg=0.0)


@pytest.mark.parametrize("op", [op for op in OPS.values() if op.method is not None], ids=lambda op: op.name)
def test_the_method_of_each_op_makes_it(op):
    inputs = [Value(0.5), Value(0.25)] if op.arity != 1 else [Value(0.5)]
    if op.arity == VARIADIC:
        function = getattr(autodiff, op.method)
        if len(inspect.signature(function).parameters) == 1:
            made = function(inputs)
        else:
            # dot(ws, xs): Values by Values make a dot node, Values by numbers a linear one
            made = function(inputs, inputs if op.paired else [0.5, 2.0])
    elif op.arity == 2:
        made = getattr(Value, op.method)(*inputs)
    elif op.constant is not None and op.syntax == "infix":
        made = getattr(Value, op.method)(inputs[0], 2.0)
    else:
        made = getattr(Value, op.method)(inputs[0])
    assert made.op is op


def test_shared_nodes_receive_every_path():
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0
    a = Value(-2.0)
    (a + a).backward()
    assert a.grad == 2.0
    # diamond: x feeds b and c, both feed d = b·c with b = 2x, c = x + 1 → dd/dx = 2(x+1) + 2x
    x = Value(3.0)
    b, c = x * 2, x + 1
    (b * c).backward()
    assert x.grad == 2 * 4.0 + 2 * 3.0


def test_backward_accumulates_into_leaves_and_resets_interior_nodes():
    x, w = Value(2.0), Value(-1.0)
    h = x * w
    y = h.tanh()
    y.backward()
    first_x, first_h = x.grad, h.grad
    y.backward()
    assert x.grad == 2 * first_x
    assert h.grad == first_h
    y.zero_grad()
    assert x.grad == w.grad == h.grad == y.grad == 0.0


def test_backward_scales_with_the_upstream_gradient_and_accepts_numbers():
    x = Value(0.3)
    y = x.sin()
    y.backward(np.float64(2.5))
    assert x.grad == pytest.approx(2.5 * math.cos(0.3), rel=1e-15)
    with pytest.raises(TypeError):
        y.backward("1")  # type: ignore[arg-type]


def test_backward_on_a_leaf_accumulates_its_own_grad():
    x = Value(1.0)
    x.backward()
    x.backward(3)
    assert x.grad == 4.0


def test_value_power_value_reaches_both():
    x, y = Value(2.0), Value(3.0)
    z = x**y
    z.backward()
    assert z.data == 8.0
    assert x.grad == pytest.approx(3 * 2.0**2)
    assert y.grad == pytest.approx(8.0 * math.log(2.0))


def test_detach_cuts_the_graph():
    x = Value(2.0)
    y = x * 3
    target = y.detach()
    assert target.data == y.data and target.op is None and target.parents == ()
    (y - target).backward()
    assert x.grad == 3.0


def test_no_grad_makes_leaves_and_restores_recording():
    x = Value(2.0)
    with autodiff.no_grad():
        y = (x * x + 1).exp().log()
        z = autodiff.sum([x, y])
    assert y.data == pytest.approx(5.0) and y.op is None and y.parents == ()
    assert z.op is None
    (x * y).backward()
    assert x.grad == pytest.approx(5.0)  # y is a constant: no path back to x through it
    assert (x * x).op is OPS["mul"]


def test_no_grad_applies_to_the_current_thread_only():
    made = {}

    def elsewhere():
        made["recorded"] = Value(1.0) * Value(2.0)

    with autodiff.no_grad():
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
        assert (Value(1.0) * 2).op is None
    assert made["recorded"].op is OPS["mul"]
    # and the other way round: a thread inside no_grad while this one records
    entered, release = threading.Event(), threading.Event()

    def quietly():
        with autodiff.no_grad():
            entered.set()
            release.wait(10)
            made["leaf"] = Value(1.0) * 2

    thread = threading.Thread(target=quietly)
    thread.start()
    assert entered.wait(10)
    recorded = Value(1.0) * 2
    release.set()
    thread.join()
    assert recorded.op is OPS["mul_const"] and made["leaf"].op is None


def test_no_grad_restores_recording_after_an_error():
    with pytest.raises(ValueError), autodiff.no_grad():
        Value(-1.0).log()
    assert (Value(1.0) + Value(2.0)).parents != ()


def test_sum_is_one_node_with_a_constant_offset():
    a, b = Value(1.0), Value(2.0)
    s = autodiff.sum([a, 3, b, 0.5])
    assert s.data == 6.5 and s.op is OPS["sum"] and s.parents == (a, b) and s.arg == 3.5
    s.backward()
    assert a.grad == b.grad == 1.0
    empty = autodiff.sum([])
    assert empty.data == 0.0 and empty.op is None


def test_dot_is_one_node_and_takes_numbers_on_either_side():
    w = [Value(1.0), Value(-2.0), Value(0.5)]
    x = [Value(3.0), Value(4.0), Value(-1.0)]
    d = autodiff.dot(w, x)
    assert d.op is OPS["dot"] and len(d.parents) == 6
    assert d.data == 3.0 - 8.0 - 0.5
    d.backward()
    assert [v.grad for v in w] == [3.0, 4.0, -1.0]
    assert [v.grad for v in x] == [1.0, -2.0, 0.5]
    for v in w:
        v.grad = 0.0
    numbers = autodiff.dot([2.0, 1, np.float64(-1.0)], w)
    assert numbers.op is OPS["linear"] and numbers.parents == tuple(w) and numbers.data == 2.0 - 2.0 - 0.5
    numbers.backward()
    assert [v.grad for v in w] == [2.0, 1.0, -1.0]


def test_dot_of_mixed_pairs_adds_the_parts():
    a, b = Value(2.0), Value(3.0)
    d = autodiff.dot([a, 2.0, 4.0], [b, a, 0.5])
    assert d.data == 6.0 + 4.0 + 2.0
    d.backward()
    assert a.grad == 3.0 + 2.0 and b.grad == 2.0


def test_dot_rejects_different_lengths_naming_both():
    with pytest.raises(ValueError, match="3 and 2"):
        autodiff.dot([Value(1.0)] * 3, [1.0, 2.0])
    with pytest.raises(TypeError):
        autodiff.dot([Value(1.0)], ["x"])


def test_max_and_min_send_the_gradient_to_the_first_extreme():
    a, b, c = Value(1.0), Value(5.0), Value(5.0)
    m = autodiff.max([a, b, c])
    assert m.op is OPS["max"] and m.data == 5.0
    m.backward()
    assert (a.grad, b.grad, c.grad) == (0.0, 1.0, 0.0)
    a, b, c = Value(1.0), Value(-5.0), Value(-5.0)
    m = autodiff.min([a, b, c])
    m.backward()
    assert (a.grad, b.grad, c.grad) == (0.0, 1.0, 0.0)


def test_max_with_a_winning_constant_sends_no_gradient():
    a = Value(1.0)
    m = autodiff.max([a, 3.0])
    assert m.data == 3.0 and m.parents == (a,)
    m.backward()
    assert a.grad == 0.0
    assert autodiff.min([a, 3.0]).data == 1.0


def test_max_and_min_of_nothing_are_errors():
    with pytest.raises(ValueError, match="empty"):
        autodiff.max([])
    with pytest.raises(ValueError, match="empty"):
        autodiff.min([])


@pytest.mark.parametrize(
    ("operation", "error", "words"),
    [
        (lambda: Value(0.0).log(), ValueError, ["log", "x > 0", "0.0"]),
        (lambda: Value(-1.0).log(), ValueError, ["log", "-1.0"]),
        (lambda: Value(-1.0).sqrt(), ValueError, ["sqrt", "-1.0"]),
        (lambda: Value(-8.0) ** (1 / 3), ValueError, ["pow_const", "-8.0"]),
        (lambda: Value(-2.0) ** Value(2.0), ValueError, ["pow", "x > 0", "-2.0"]),
        (lambda: Value(0.0) ** Value(2.0), ValueError, ["pow", "0.0"]),
        (lambda: (-2) ** Value(0.5), ValueError, ["c > 0"]),
        (lambda: Value(1.0) / 0, ZeroDivisionError, ["div_const"]),
        (lambda: Value(1.0) / Value(0.0), ZeroDivisionError, ["div", "y != 0"]),
        (lambda: 1 / Value(0.0), ZeroDivisionError, ["rdiv_const"]),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, ["pow_const"]),
        (lambda: Value(1000.0).exp(), OverflowError, ["exp", "1000.0"]),
        (lambda: Value(10.0) ** 400, OverflowError, ["pow_const"]),
    ],
)
def test_outside_a_domain_the_error_names_the_op_and_the_input(operation, error, words):
    with pytest.raises(error) as info:
        operation()
    for word in words:
        assert word in str(info.value)


def grads_of(f, *inputs):
    leaves = [Value(x) for x in inputs]
    f(*leaves).backward()
    return [leaf.grad for leaf in leaves]


@pytest.mark.parametrize(
    ("f", "inputs", "expected"),
    [
        # infinite slopes, as PyTorch: d sqrt(x)/dx at 0 is inf (-inf at -0.0, where sqrt is -0.0)
        (Value.sqrt, [0.0], [math.inf]),
        (Value.sqrt, [-0.0], [-math.inf]),
        (lambda x: x**0.5, [0.0], [math.inf]),
        (lambda x: x**0.25, [0.0], [math.inf]),
        # slopes too large for a float, where Python's ** raises OverflowError
        (lambda x: x**-1, [1e-200], [-math.inf]),
        (lambda x: x**-2, [-1e-120], [math.inf]),
        (lambda x: x**-0.5, [1e-300], [-math.inf]),
        (lambda x, y: x**y, [1e-200, -1.0], [-math.inf, 1e200 * math.log(1e-200)]),
        # a leaf's other paths still get their whole gradient
        (lambda x, z: x * 3 + z.sqrt(), [2.0, 0.0], [3.0, math.inf]),
        # 0 · inf is NaN, as in PyTorch: the norm at the origin
        (lambda x, y: (x * x + y * y).sqrt(), [0.0, 0.0], [math.nan, math.nan]),
    ],
)
def test_an_infinite_local_derivative_gives_an_infinite_gradient(f, inputs, expected):
    assert grads_of(f, *inputs) == pytest.approx(expected, nan_ok=True)


# every kind of float: zeros of both signs, infinities, NaN, subnormal, huge, tiny, everyday
EXTREMES = [0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, -1e-310, 1e-200, -1e-120, 1e300, -1e300, 1.0, -2.0, 0.5]
WIDE = st.sampled_from(EXTREMES) | st.floats()
WIDE_ARGS = {
    **dict.fromkeys(["add_const", "rsub_const", "mul_const", "div_const", "rdiv_const", "pow_const"], WIDE),
    **dict.fromkeys(["leaky_relu", "sum"], WIDE),
    # the public API takes c ** x for c > 0 only (c <= 0 raises before the op)
    "rpow_const": st.sampled_from([math.inf, 5e-324, 1e300, 0.5, 2.0]) | st.floats(min_value=0.0, exclude_min=True),
    **dict.fromkeys(["max", "min"], st.none() | WIDE),
}


def test_the_wide_inputs_cover_every_constant_argument():
    assert {op.name for op in OPS.values() if "{arg}" in op.template} - {"linear"} <= set(WIDE_ARGS)


@pytest.mark.parametrize("op", list(OPS.values()), ids=list(OPS))
@given(data=st.data())
def test_backward_never_raises_after_a_forward_that_succeeded(op, data):
    """NaN and infinity never crash the engine; the numpy backend's derivatives are the same numbers."""
    if op.arity != VARIADIC:
        count = op.arity
    else:
        count = 2 * data.draw(st.integers(1, 2)) if op.name == "dot" else data.draw(st.integers(1, 4))
    arg = data.draw(st.tuples(*[WIDE] * count) if op.name == "linear" else WIDE_ARGS.get(op.name, st.none()))
    inputs = data.draw(st.lists(WIDE, min_size=count, max_size=count))
    leaves = [Value(x) for x in inputs]
    try:
        out = OpCall(op, tuple(inputs), arg)(*leaves)
    except (ArithmeticError, ValueError):
        # outside the op's domain: the forward rule raised, with a message naming the op. Not a
        # pass: Hypothesis counts the example as invalid and draws another
        reject()
    assert type(out.data) is float
    out.backward()
    columns = [np.array([x]) for x in inputs]
    with np.errstate(all="ignore"):
        if op.arity == 1:
            partials = [op.derivative(NUMPY, columns[0], np.array([out.data]), arg)]
        elif op.arity == 2:
            partials = op.derivative(NUMPY, *columns, np.array([out.data]), arg)
        else:
            partials = op.derivative(NUMPY, columns, np.array([out.data]), arg)
    for leaf, partial in zip(leaves, partials, strict=True):
        assert same_number(leaf.grad, float(np.broadcast_to(partial, (1,))[0])), (leaf.grad, partial)


@pytest.mark.parametrize("extremum", [autodiff.max, autodiff.min])
@pytest.mark.parametrize("position", [0, 1, 2])
def test_nan_propagates_through_max_and_min_wherever_it_sits(extremum, position):
    xs = [Value(1.0), Value(2.0)]
    xs.insert(position, Value(math.nan))
    y = extremum(xs)
    y.backward()
    assert math.isnan(y.data)
    # the gradient goes to the NaN input, the first one if there are several
    assert [x.grad for x in xs] == [1.0 if i == position else 0.0 for i in range(3)]
    twice = [Value(math.nan), Value(1.0), Value(math.nan)]
    extremum(twice[position:] + twice[:position]).backward()
    assert sum(x.grad for x in twice) == 1.0 and twice[1].grad == 0.0


@pytest.mark.parametrize("extremum", [autodiff.max, autodiff.min])
def test_a_nan_among_the_numbers_of_max_and_min_wins_and_sends_no_gradient(extremum):
    for numbers in ([math.nan, 5.0], [5.0, math.nan]):
        x = Value(1.0)
        y = extremum([x, *numbers])
        y.backward()
        assert math.isnan(y.data) and x.grad == 0.0
        assert math.isnan(extremum(numbers).data)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("bound", [None, 0.5, math.nan])
def test_max_and_min_with_nan_agree_with_the_numpy_backend(name, bound):
    op = OPS[name]
    nan = math.nan
    rows = [[1.0, nan, 3.0], [nan, 1.0, 3.0], [1.0, 3.0, nan], [nan, nan, 1.0], [1.0, 3.0, 2.0]]
    columns = [np.array(column) for column in zip(*rows, strict=True)]
    with np.errstate(all="ignore"):
        out = op.forward(NUMPY, columns, bound)
        partials = op.derivative(NUMPY, columns, out, bound)
    for k, row in enumerate(rows):
        expected = op.forward(FLOAT, row, bound)
        assert same_number(out[k], expected), (row, out[k], expected)
        assert [p[k] for p in partials] == list(op.derivative(FLOAT, row, expected, bound))


def test_nan_and_infinity_propagate():
    nan, inf = Value(math.nan), Value(math.inf)
    assert math.isnan((nan * 2).log().data)
    assert math.isnan(inf.sin().data) and math.isnan(inf.cos().data)
    assert (inf + 1).data == math.inf and inf.tanh().data == 1.0 and inf.sigmoid().data == 1.0
    assert (-inf).exp().data == 0.0 and inf.log().data == math.inf and inf.softplus().data == math.inf
    y = nan * Value(2.0)
    y.backward()
    assert math.isnan(y.parents[1].grad)


def test_numpy_scalars_on_the_left_make_values():
    x = Value(2.0)
    for y in (np.float64(3.0) * x, np.int64(3) * x, np.float32(3.0) + x):
        assert isinstance(y, Value)


def test_stable_sigmoid_and_softplus_at_extremes():
    assert Value(-800.0).sigmoid().data == 0.0
    assert Value(800.0).sigmoid().data == 1.0
    assert Value(-800.0).softplus().data == 0.0
    assert Value(800.0).softplus().data == 800.0
    assert Value(0.0).softplus().data == math.log(2.0)


def test_topological_order_puts_parents_first_each_node_once():
    x, w = Value(1.0), Value(2.0)
    h = x * w
    y = h + x * h
    order = topological_order(y)
    assert len(order) == len(set(order)) == 5
    position = {node: i for i, node in enumerate(order)}
    assert all(position[p] < position[node] for node in order for p in node.parents)
    assert order[-1] is y
    with pytest.raises(TypeError):
        topological_order(1.0)  # type: ignore[arg-type]


@pytest.mark.slow
def test_a_million_node_chain_needs_no_recursion():
    assert sys.getrecursionlimit() <= 10_000
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0000001
    y.backward()
    assert x.grad == pytest.approx(1.0000001**1_000_000, rel=1e-9)
    assert len(topological_order(y)) == 1_000_001
    y.zero_grad()
    assert x.grad == 0.0
    assert repr(y).startswith("Value(data=")


def test_a_training_like_step_leaves_no_cyclic_garbage():
    gc.collect()
    gc.disable()
    try:
        params = [Value(0.1 * i, name=f"w{i}") for i in range(20)]
        losses = []
        for k in range(10):
            xs = [Value(float(k + i)) for i in range(20)]
            score = autodiff.dot(params, xs).tanh() + autodiff.max(xs) * params[0]
            losses.append((1 - score).relu() ** 2)
        loss = autodiff.sum(losses) / len(losses)
        loss.backward()
        del loss, losses, xs, score
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        leaked = [obj for obj in gc.garbage if isinstance(obj, Value)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert leaked == []


@pytest.mark.parametrize("name", ["data", "grad", "name", "op", "arg", "parents", "first_parent", "second_parent",
                                  "variadic_parents", "__add__", "__radd__", "__sub__", "__rsub__", "__mul__",
                                  "__rmul__", "__truediv__", "__rtruediv__", "__pow__", "__rpow__", "__neg__",
                                  "__pos__", "__abs__", "__float__"])
def test_every_attribute_and_operator_has_a_docstring(name):
    doc = inspect.getdoc(getattr(Value, name))  # as help() reads it: a slot's doc comes from __slots__
    assert doc is not None and len(doc.split()) >= 3
