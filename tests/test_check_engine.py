"""check_engine: other engines (micrograd, PyTorch, deliberately broken ones) checked against ours."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import strategies as st
from micrograd import engine as micrograd

import autodiff
from autodiff.checking.deep_chain import probe_chain
from autodiff.checking.engine import reference_engine
from autodiff.cli import main
from autodiff.testing import (
    Adapter,
    EngineCheckError,
    EngineLoadError,
    assert_engine,
    check_engine,
    load_engine,
    micrograd_style,
    torch_scalars,
)
from autodiff.testing import Step as ProgramStep
from tests import student_engines
from tests.conftest import import_or_skip

ROOT = Path(__file__).resolve().parents[1]
# few examples: every engine here fails, if it does, on the first simple examples Hypothesis draws
EXAMPLES = 25
MICROGRAD_OPS = ["add", "sub", "mul", "div", "add_const", "rsub_const", "mul_const", "div_const", "rdiv_const",
                 "pow_const", "neg", "relu"]


@pytest.fixture(scope="module")
def micrograd_report():
    # the how-to guide's run, with the default number of examples
    return check_engine(micrograd.Value, seed=0)


# ---------------------------------------------------------------------------------------------
# micrograd 0.1.0


def test_micrograd_passes_every_op_it_has_except_x_to_the_0_at_0(micrograd_report):
    for op in MICROGRAD_OPS:
        for check in ("value", "gradient", "node used twice", "programs"):
            finding = micrograd_report.finding(op, check)
            if (op, check) == ("pow_const", "gradient"):
                # micrograd's x ** 0 at x = 0: 0 * 0.0 ** -1 in backward(); the slope of the constant 1 is 0
                assert finding.status == "fail"
                assert finding.summary == (
                    "`pow_const` with constant 0.0: at 0.0 your backward() raises ZeroDivisionError: 0.0 cannot be "
                    "raised to a negative power (expected dv1/dv0 = 0)"
                )
                assert "v1 = v0 ** 0.0" in finding.example
            elif op == "pow_const":
                assert finding.status == ("pass" if check == "value" else "not run")
            else:
                assert finding.status == "pass", (op, check, finding)


def test_micrograd_lacks_the_other_ops_and_they_are_unsupported_not_failed(micrograd_report):
    unsupported = {f.subject: f.summary for f in micrograd_report.findings if f.status == "unsupported"}
    assert set(unsupported) == set(autodiff.OPS) - set(MICROGRAD_OPS)
    assert unsupported["pow"] == "`v0 ** v1` raises AssertionError: only supporting int/float powers for now"
    assert unsupported["tanh"] == "`v0.tanh()` raises AttributeError: 'Value' object has no attribute 'tanh'"
    assert re.fullmatch(r"`[0-9.]+ \*\* v0` raises TypeError: unsupported operand.*", unsupported["rpow_const"])
    assert unsupported["sum"] == "the adapter does not define it"
    assert {f.subject for f in micrograd_report.failures} == {"pow_const", "engine"}


def test_micrograd_fails_deep_chains_with_a_recursion_error_at_a_depth_the_report_gives(micrograd_report):
    finding = micrograd_report.finding("engine", "deep chain")
    assert finding.status == "note"
    depth = int(finding.summary.split("fail from depth ")[1].split(":")[0].replace(",", ""))
    assert 900 < depth <= 1000  # build_topo recurses once per node; the recursion limit is 1,000
    assert "RecursionError" in finding.summary
    assert f"right up to depth {depth - 1:,}" in finding.summary
    with pytest.raises(RecursionError):
        _micrograd_chain(depth + 50).backward()
    _micrograd_chain(depth - 50).backward()


def _micrograd_chain(depth):
    v = micrograd.Value(0.0)
    for _ in range(depth):
        v = v + 0.0
    return v


def test_micrograd_passes_on_gradients_left_on_inner_nodes(micrograd_report):
    finding = micrograd_report.finding("engine", "backward after backward")
    assert finding.status == "fail"
    assert "keep gradients from the first backward()" in finding.summary
    note = micrograd_report.finding("engine", "second backward()")
    assert note.status == "note" and "neither added again" in note.summary


def test_the_how_to_shows_this_run_as_it_is(micrograd_report):
    page = (ROOT / "docs" / "how-to" / "check-your-engine.md").read_text(encoding="utf-8")
    command = "$ python3 -m autodiff check-engine micrograd.engine:Value --seed 0\n"
    shown = page[page.index(command) + len(command) :].split("\n```", 1)[0]
    assert shown == str(micrograd_report)


def test_the_report_is_a_table_with_counterexamples_under_failures(micrograd_report):
    text = str(micrograd_report)
    assert text.startswith("Checked micrograd.engine:Value against autodiff (100 examples per check, seed 0")
    assert "\n  add         pass   pass      pass             pass\n" in text
    assert "\n  pow_const   pass   FAIL      —                —\n" in text
    assert "        from micrograd.engine import Value\n        v0 = Value(0.0)\n        v1 = v0 ** 0.0\n" in text
    assert "  pow         unsupported: `v0 ** v1` raises AssertionError" in text
    assert "  sum, dot, linear, max, min  unsupported: the adapter does not define it" in text
    assert text.endswith("2 of 48 checks failed; 18 ops unsupported.")


# ---------------------------------------------------------------------------------------------
# broken engines: each bug found, shrunk to one op, the op named


def test_tanh_slope_without_the_square_is_found_on_a_single_tanh():
    report = check_engine(student_engines.TanhSlopeWithoutSquare, ops=["add", "mul", "tanh"], seed=0,
                          max_examples=EXAMPLES)
    assert [(f.subject, f.check) for f in report.failures] == [("tanh", "gradient")]
    finding = report.finding("tanh", "gradient")
    # 1 − tanh(1) against 1 − tanh(1)²
    assert finding.summary == "`tanh`: your derivative at 1.0 is 0.238405844, expected 0.4199743416"
    assert finding.example.splitlines()[:5] == [
        "from tests.student_engines import TanhSlopeWithoutSquare",
        "v0 = TanhSlopeWithoutSquare(1.0)",
        "v1 = v0.tanh()",
        "v1.backward()",
        'print("dv1/dv0", v0.grad)  # expected 0.4199743416',
    ]


def test_a_mul_that_assigns_instead_of_adding_is_found_on_x_times_x():
    report = check_engine(student_engines.MulThatAssigns, ops=["add", "mul"], seed=0, max_examples=EXAMPLES)
    assert [(f.subject, f.check) for f in report.failures] == [("mul", "node used twice")]
    finding = report.finding("mul", "node used twice")
    assert finding.summary == "`mul` of a node used twice: your derivative at 1.0 is 1, expected 2"
    assert "\nv1 = v0 * v0\nv1.backward()\n" in finding.example
    assert report.finding("mul", "gradient").status == "pass"  # on two different leaves it is right


def test_an_op_of_one_input_that_assigns_is_found_on_two_uses_of_one_node():
    report = check_engine(student_engines.ExpThatAssigns, ops=["add", "exp"], seed=0, max_examples=EXAMPLES)
    finding = report.finding("exp", "node used twice")
    assert finding.status == "fail"
    assert finding.summary.startswith("`exp` used twice on one node")
    assert "\nv1 = v0.exp()\nv2 = v0.exp()\nv3 = v1 + v2\nv3.backward()\n" in finding.example


def test_a_wrong_backward_order_fails_programs_with_no_op_at_fault():
    report = check_engine(student_engines.BreadthFirstBackward, ops=["add", "mul"], seed=0, max_examples=EXAMPLES,
                          depth=100)
    finding = report.finding("engine", "programs")
    assert finding.status == "fail"
    assert finding.summary.startswith("every op of this program is right on its own")
    assert {f.check for f in report.findings if f.subject == "add"} == {"value", "gradient", "node used twice",
                                                                      "programs"}
    assert report.finding("add", "programs").status == "not run"


def test_a_method_that_raises_inside_the_engine_is_a_failure_not_unsupported():
    report = check_engine(student_engines.TanhWithATypo, ops=["tanh"], seed=0, max_examples=EXAMPLES)
    finding = report.finding("tanh", "value")
    assert finding.status == "fail"
    assert "AttributeError: module 'math' has no attribute 'tanhh'" in finding.summary
    assert "v1 = v0.tanh()  # raises AttributeError" in finding.example


def test_the_same_seed_gives_the_same_report():
    def report():
        return str(check_engine(student_engines.MulThatAssigns, ops=["add", "mul", "tanh"], seed=3, max_examples=10))

    assert report() == report()


def test_a_check_whose_examples_are_all_discarded_is_not_run_not_passed(monkeypatch):
    from autodiff.checking import engine

    # every program drawn is discarded, the way a filter that nothing passes discards it
    monkeypatch.setattr(engine, "programs", lambda **kwargs: st.just(None).filter(bool))
    report = check_engine(student_engines.Value, ops=["mul"], seed=0, max_examples=5)
    assert report.finding("mul", "gradient").status == "pass"  # its examples come from op_inputs
    for subject, check in [("mul", "node used twice"), ("mul", "programs"), ("engine", "programs")]:
        finding = report.finding(subject, check)
        assert (finding.status, finding.summary) == ("not run", "Hypothesis drew no example that fits (each was "
                                                                "discarded)")


def test_assert_engine_raises_with_the_report():
    with pytest.raises(EngineCheckError) as raised:
        assert_engine(student_engines.TanhSlopeWithoutSquare, ops=["tanh"], seed=0, max_examples=EXAMPLES)
    assert "`tanh`: your derivative at 1.0" in str(raised.value)
    assert raised.value.report.finding("tanh", "gradient").status == "fail"
    assert assert_engine(student_engines.Value, ops=["tanh", "exp"], seed=0, max_examples=10).passed


# ---------------------------------------------------------------------------------------------
# engines that must pass: ours, and PyTorch


def test_our_own_engine_passes_through_micrograd_style():
    report = check_engine(autodiff.Value, seed=0, max_examples=10)
    assert report.passed, str(report)
    assert {f.subject for f in report.findings if f.status == "unsupported"} == {"sum", "dot", "linear", "max", "min"}
    assert report.finding("engine", "deep chain").summary == "chains of `v = v + 0.0`: right up to depth 10,000"
    assert report.finding("engine", "second backward()").summary.startswith("accumulates")


def test_pytorch_scalars_pass_every_op():
    import_or_skip("torch", "torch")
    report = check_engine(torch_scalars(), seed=0, max_examples=5, depth=1_000)
    assert report.passed, str(report)
    assert not [f for f in report.findings if f.status in ("unsupported", "not run")]
    assert report.finding("engine", "second backward()").summary.startswith("accumulates")


def test_without_torch_the_adapter_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    with pytest.raises(ImportError, match=r"needs the package 'torch', which is not installed: it comes with the "
                                          r"'torch' extra: pip install 'scalar-autodiff\[torch\]'"):
        torch_scalars()


def test_cli_without_hypothesis_names_the_extra():
    code = "import sys; sys.modules['hypothesis'] = None\nfrom autodiff.cli import main\n" \
           "sys.exit(main(['check-engine', 'micrograd.engine:Value']))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert done.stderr.startswith("python3 -m autodiff check-engine: error: autodiff.testing needs the package "
                                  "'hypothesis', which is not installed: it comes with the 'testing' extra")


# ---------------------------------------------------------------------------------------------
# adapters for other conventions


class Scalar:
    """An engine with other names: .val, .dval, a tape-free backward, functions instead of methods."""

    def __init__(self, val, parents=()):
        self.val, self.dval, self.parents = val, 0.0, parents

    def propagate(self):
        order, seen = [], set()
        stack = [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack += [(parent, False) for parent, _ in node.parents]
        for node in order:
            if node.parents:
                node.dval = 0.0
        self.dval = 1.0
        for node in reversed(order):
            for parent, slope in node.parents:
                parent.dval += slope * node.dval


def scalar_adapter(tanh_slope=lambda t: 1 - t * t):
    import math

    return Adapter(
        name="scalar",
        leaf=Scalar,
        ops={
            "mul": lambda x, y: Scalar(x.val * y.val, ((x, y.val), (y, x.val))),
            "tanh": lambda x: Scalar(math.tanh(x.val), ((x, tanh_slope(math.tanh(x.val))),)),
        },
        backward=Scalar.propagate,
        value=lambda node: node.val,
        grad=lambda node: node.dval,
        zero_grad=lambda node: setattr(node, "dval", 0.0),
    )


def test_an_adapter_for_other_conventions_passes_and_prints_its_own_calls():
    assert check_engine(scalar_adapter(), seed=0, max_examples=EXAMPLES, depth=100).passed
    report = check_engine(scalar_adapter(tanh_slope=lambda t: 1 - t), seed=0, max_examples=EXAMPLES, depth=100)
    finding = report.finding("tanh", "gradient")
    assert finding.summary == "`tanh`: your derivative at 1.0 is 0.238405844, expected 0.4199743416"
    assert finding.example.splitlines()[:4] == [
        "engine = ...  # your Adapter 'scalar'",
        "v0 = engine.leaf(1.0)",
        'v1 = engine.ops["tanh"](v0)',
        "engine.backward(v1)",
    ]
    assert report.finding("add", "value").status == "unsupported"


def test_adapters_refuse_unknown_ops_and_uncallables():
    with pytest.raises(ValueError, match="'tanhh' are not in autodiff.OPS"):
        Adapter(name="x", leaf=float, ops={"tanhh": abs})
    with pytest.raises(TypeError, match="tanh must be callable"):
        Adapter(name="x", leaf=float, ops={"tanh": 3})


def test_micrograd_style_names_what_a_class_lacks():
    class NoGrad:
        def __init__(self, data):
            self.data = data

    with pytest.raises(TypeError, match=r"NoGrad\(0.5\) has no .grad, .backward"):
        micrograd_style(NoGrad)
    with pytest.raises(TypeError, match="takes a class"):
        micrograd_style(micrograd.Value(1.0))


def test_check_engine_refuses_bad_arguments():
    for kwargs, message in [
        ({"ops": "tanh"}, "not the string"),
        ({"ops": ["tanhh"]}, "'tanhh' is not an op"),
        ({"ops": []}, "at least one op"),
        ({"max_examples": 0}, "max_examples must be an int >= 1"),
        ({"depth": 2.5}, "depth must be an int"),
        ({"seed": "0"}, "seed must be an int or None"),
    ]:
        with pytest.raises(ValueError, match=message):
            check_engine(student_engines.Value, **kwargs)
    with pytest.raises(TypeError, match="takes an Adapter or a micrograd-style class"):
        check_engine(micrograd.Value(1.0))


# ---------------------------------------------------------------------------------------------
# the deep-chain probe keeps the checker safe


class SlowBackward(student_engines.Value):
    """A backward pass that takes 10 ms per node."""

    def backward(self):
        time.sleep(0.01 * (len(self._prev) and _depth(self)))
        super().backward()


def _depth(node):
    depth = 0
    while node._prev:
        node, depth = node._prev[0], depth + 1
    return depth


def _add_step():
    return ProgramStep(autodiff.OPS["add_const"], (0,), 1.0)


def test_the_probe_stops_before_a_depth_over_its_time_budget():
    result = probe_chain(micrograd_style(SlowBackward), reference_engine(), _add_step(), 0.0, 10_000, time_budget=2.0)
    # depth 10 takes 0.1 s, so depth 100 would take about 1 s and fits; depth 1,000 would take about 10 s
    assert (result.passed, result.failed) == (100, 0)
    assert result.stopped.startswith("depth 1,000 would take about")


def test_the_probe_stops_before_a_depth_over_its_memory_budget():
    result = probe_chain(micrograd_style(student_engines.Value), reference_engine(), _add_step(), 0.0, 10_000,
                         memory_budget=100_000)
    assert result.passed == 100 and result.stopped.startswith("depth 1,000 would take about")
    assert result.stopped.endswith(" MB")


class HangingBackward(student_engines.Value):
    def backward(self):
        time.sleep(3.0)


def test_the_probe_gives_up_on_an_engine_that_does_not_return():
    started = time.perf_counter()
    result = probe_chain(micrograd_style(HangingBackward), reference_engine(), _add_step(), 0.0, 100, time_budget=0.5)
    assert time.perf_counter() - started < 2.0
    assert result.stopped == "the engine did not finish a chain within 1 s"


class RecursionLimitChanger(student_engines.Value):
    def backward(self):
        sys.setrecursionlimit(200)
        super().backward()


def test_the_probe_puts_back_the_recursion_limit():
    limit = sys.getrecursionlimit()
    result = probe_chain(micrograd_style(RecursionLimitChanger), reference_engine(), _add_step(), 0.0, 1_000)
    assert sys.getrecursionlimit() == limit
    # each chain starts again from the limit it found: under 200, not under the limit it began with
    assert 100 < result.failed <= 200 and result.raised


# ---------------------------------------------------------------------------------------------
# loading an engine by name, and the command line


def test_load_engine_names_what_is_wrong(tmp_path, monkeypatch):
    (tmp_path / "raising_engine.py").write_text("raise RuntimeError('no GPU found')\n")
    (tmp_path / "engines_here.py").write_text(
        "from autodiff.testing import micrograd_style\n"
        "from micrograd.engine import Value\n"
        "number = 3\n"
        "def made():\n    return micrograd_style(Value)\n"
        "def not_made():\n    return 3\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert load_engine("micrograd.engine:Value").name == "micrograd.engine:Value"
    assert load_engine("engines_here:made").name == "micrograd.engine:Value"
    for spec, message in [
        ("micrograd.engine", "is not of the form package.module:Name"),
        ("micrograd.engine:Value()", "is not of the form"),
        ("no_such_module:Value", "cannot import no_such_module: ModuleNotFoundError"),
        ("raising_engine:Value", "importing raising_engine raised RuntimeError: no GPU found"),
        ("micrograd.engine:Nope", "micrograd.engine has no Nope"),
        ("engines_here:number", "engines_here:number is a int"),
        ("engines_here:not_made", r"engines_here:not_made\(\) returned int, not an autodiff.testing.Adapter"),
        ("fractions:Fraction", r"fractions:Fraction is not a micrograd-style value: Fraction\(0.5\) has no .data"),
    ]:
        with pytest.raises(EngineLoadError, match=message):
            load_engine(spec)


def test_cli_exit_status_is_0_when_everything_supported_passes(capsys):
    status = main(["check-engine", "autodiff:Value", "--ops", "add,tanh,sum", "--examples", "10", "--seed", "0",
                   "--depth", "100"])
    out = capsys.readouterr().out
    assert status == 0
    assert "  add   pass   pass      pass             pass" in out
    assert "  sum   unsupported: the adapter does not define it" in out
    assert out.rstrip().endswith("All 11 checks passed; 1 ops unsupported.")


def test_cli_exit_status_is_1_on_a_failure_with_its_counterexample(capsys):
    status = main(["check-engine", "tests.student_engines:TanhSlopeWithoutSquare", "--ops", "tanh", "--examples",
                   str(EXAMPLES), "--seed", "0"])
    out = capsys.readouterr().out
    assert status == 1
    assert "  tanh  pass   FAIL      —                —\n      `tanh`: your derivative at 1.0 is 0.238405844" in out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nosuch:Value"], "error: cannot import nosuch: ModuleNotFoundError: No module named 'nosuch'"),
        (["micrograd.engine"], "is not of the form package.module:Name"),
        (["micrograd.engine:Value", "--ops", "tanh,tanhh"], "argument --ops: tanhh: not an op; the ops are add, sub"),
        (["micrograd.engine:Value", "--examples", "0"], "argument --examples: '0' must be at least 1"),
        (["micrograd.engine:Value", "--seed", "x"], "argument --seed: 'x' is not a whole number"),
    ],
)
def test_cli_bad_arguments_exit_2_with_a_message_and_no_traceback(arguments, message):
    done = subprocess.run([sys.executable, "-m", "autodiff", "check-engine", *arguments], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


# ---------------------------------------------------------------------------------------------
# the pytest recipe a course drops into a student's repository


RECIPE = ROOT / "examples" / "course" / "test_engine.py"


def test_the_pytest_recipe_fails_a_broken_engine_with_its_counterexample(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(RECIPE), "-q", "-rs", "-p", "no:cacheprovider", f"--rootdir={tmp_path}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        env={**os.environ, "AUTODIFF_ENGINE": "tests.student_engines:TanhSlopeWithoutSquare", "AUTODIFF_OPS": "tanh"},
    )
    assert done.returncode == 1, done.stdout + done.stderr
    # the value passes, the gradient fails, the rest is not run and skipped with the reason
    assert "1 failed, 1 passed, 6 skipped" in done.stdout
    assert "_ test_engine[tanh: gradient] _" in done.stdout
    summary = "`tanh`: your derivative at 1.0 is 0.238405844, expected 0.4199743416"
    assert f"{summary}\n\nfrom tests.student_engines import TanhSlopeWithoutSquare\n" in done.stdout
    assert "SKIPPED [1] examples/course/test_engine.py:42: not run: its value or gradient fails" in done.stdout


def test_the_adapter_docstring_example_runs():
    import doctest

    from autodiff.checking import adapters

    assert doctest.testmod(adapters, raise_on_error=True).attempted == 5
