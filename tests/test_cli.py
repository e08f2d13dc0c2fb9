"""``python3 -m autodiff``: run as a user would, in a subprocess, on a machine without Graphviz."""

# ruff: noqa: E501 - one rejected input and its expected caret per line

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"


def run(*arguments, cwd):
    # PATH holds no Graphviz: SVG must come from the WebAssembly build
    empty = Path(cwd) / "empty-bin"
    empty.mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PATH": str(empty)}
    return subprocess.run(
        [sys.executable, "-m", "autodiff", *arguments], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=120,
    )


def test_draw_prints_the_value_and_gradients_and_writes_the_picture(tmp_path):
    done = run("draw", "tanh(x*w + b)", "x=2", "w=-3", "b=6.8813735870195432", "-o", "neuron.svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("tanh(x*w + b) = 0.70710678118654")
    assert [line.split(" = ")[0] for line in lines[1:4]] == ["d/dx", "d/dw", "d/db"]
    assert [round(float(line.split(" = ")[1]), 12) for line in lines[1:4]] == [-1.5, 1.0, 0.5]
    assert lines[4] == "wrote neuron.svg" and len(lines) == 5 and done.stderr == ""
    root = ET.parse(tmp_path / "neuron.svg").getroot()
    titles = {g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "node"}
    assert titles == {"v0", "v1", "v2", "v3", "v4", "v5", "o3", "o4", "o5"}


def test_grad_prints_values_and_gradients_only(tmp_path):
    done = run("grad", "x*x + 3*x", "x=2", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "x*x + 3*x = 10.0\nd/dx = 7.0\n", "")
    assert list(tmp_path.iterdir()) == [tmp_path / "empty-bin"]


def test_draw_saves_dot_source_and_png(tmp_path):
    assert run("draw", "x * y", "x=2", "y=3", "-o", "g.dot", cwd=tmp_path).returncode == 0
    assert (tmp_path / "g.dot").read_text().startswith("digraph autodiff {")
    assert run("draw", "x * y", "x=2", "y=3", "-o", "g.png", cwd=tmp_path).returncode == 0
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")


def test_an_expression_starting_with_minus_goes_after_double_dash(tmp_path):
    assert run("grad", "--", "-x", "x=2", cwd=tmp_path).stdout == "-x = -2.0\nd/dx = -1.0\n"


def test_help_documents_the_grammar(tmp_path):
    done = run("draw", "--help", cwd=tmp_path)
    assert done.returncode == 0
    for part in ("parsed, never run by Python", "+ - * / **", "leaky_relu(x, slope=0.01)", "max(x, y, ...)",
                 "NAME=VALUE", "-o PATH", ".svg, .png, .pdf, .dot"):
        assert part in done.stdout


@pytest.mark.parametrize(
    ("arguments", "message", "pointer"),
    [
        (["x.real", "x=1"], "attributes are not supported", "x.real\n^^^^^^"),
        (["x[0]", "x=1"], "subscripts are not supported", "x[0]\n^^^^"),
        (["(lambda: 1)()", "x=1"], "only the functions of --help can be called", "(lambda: 1)()\n ^^^^^^^^^"),
        (["'x'"], "str constants are not supported", "'x'\n^^^"),
        (["sum([x for x in y])", "y=1"], "comprehensions are not supported", "sum([x for x in y])\n    ^^^^^^^^^^^^^^"),
        (['__import__("os").system("touch pwned")'], "only the functions of --help can be called",
         '__import__("os").system("touch pwned")\n^^^^^^^^^^^^^^^^^^^^^^^'),
        (["open('f').read()"], "only the functions of --help can be called", "open('f').read()\n^^^^^^^^^^^^^^"),
        (["eval(x)", "x=1"], "unknown function 'eval'", "eval(x)\n^^^^"),
        (["x + y", "x=1"], "name 'y' has no value: pass it as y=NUMBER", "x + y\n    ^"),
        (["tanh(x, x)", "x=1"], "tanh() takes 1 argument, got 2", "tanh(x, x)\n^^^^^^^^^^"),
        (["min()"], "min() needs at least one argument", "min()\n^^^^^"),
        (["x + 1", "x=1", "y=2"], "y is not used by the expression", "y=2\n^"),
        (["x + 1", "x=1", "x=2"], "x is given twice", "x=2\n^"),
        (["x + 1", "x=one"], "'one' is not a number", "x=one\n  ^^^"),
        (["x + 1", "x=nan"], "nan is not a finite number", "x=nan\n  ^^^"),
        (["x + 1", "x"], "'x' is not a binding: write NAME=NUMBER", "x\n^"),
        (["x + 1", "x y=1"], "'x y' is not a name", "x y=1\n^^^"),
        (["log(x)", "x=-1"], "log(-1.0) is undefined: log needs x > 0", "log(x)\n^^^^^^"),
        (["x ** 0.5", "x=-4"], "needs x >= 0, got x = -4.0", "x ** 0.5\n^^^^^^^^"),
        (["x // 2", "x=1"], "unsupported operator", "x // 2\n  ^^"),
        (["x +", "x=1"], "syntax error", "x +\n   ^"),
        (["1/x", "x=0"], "division by zero in 1/x", "1/x\n^^^"),
        (["x / 0", "x=1"], "division by zero in x / 0", "x / 0\n^^^^^"),
        (["9**9**9"], "9**9**9 overflows: the result is too large for a float", "9**9**9\n^^^^^^^"),
        (["(yield x)", "x=1"], "'yield' expressions are not supported", "(yield x)\n ^^^^^^^"),
    ],
)
def test_rejected_input_exits_2_with_one_line_and_a_caret(tmp_path, arguments, message, pointer):
    done = run("grad", *arguments, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    first, *rest = done.stderr.splitlines()
    assert first.startswith("python3 -m autodiff: error: ") and message in first
    assert "\n".join(line.removeprefix("  ") for line in rest) == pointer
    assert not (tmp_path / "pwned").exists()


def test_an_infinite_slope_is_printed_as_inf(tmp_path):
    # d sqrt(x)/dx at 0 is inf, as in PyTorch, not an error
    done = run("grad", "sqrt(x)", "x=0", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout == "sqrt(x) = 0.0\nd/dx = inf\n"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["draw", "x", "x=1", "-o", "g.jpg"], "'g.jpg' needs one of the extensions .svg, .png, .pdf, .dot"),
        (["draw", "x", "x=1"], "the following arguments are required: -o/--output"),
        (["plot", "x"], "invalid choice: 'plot'"),
        ([], "the following arguments are required"),
    ],
)
def test_bad_command_lines_exit_2_with_usage(tmp_path, arguments, message):
    done = run(*arguments, cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr and done.stderr.startswith("usage:")


def test_pdf_without_graphviz_says_what_to_install(tmp_path):
    done = run("draw", "x * 2", "x=1", "-o", "g.pdf", cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "PDF needs Graphviz's dot program" in done.stderr and "apt install graphviz" in done.stderr
    assert not (tmp_path / "g.pdf").exists()


def test_a_long_expression_hits_the_size_guard_not_a_hang(tmp_path):
    expression = "x" + "".join(f"+x*{i}" for i in range(1, 300))
    done = run("draw", expression, "x=1", "-o", "big.svg", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "1197 nodes to draw" in done.stderr and "pass --max-nodes 1197" in done.stderr
    assert not (tmp_path / "big.svg").exists()
    done = run("draw", "x" + "".join(f"+x*{i}" for i in range(1, 120)), "x=1", "-o", "big.svg",
               "--max-nodes", "500", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "big.svg").exists()


@pytest.mark.parametrize("timeout", ["inf", "nan", "0", "-3"])
def test_a_timeout_that_is_not_a_positive_finite_number_is_refused(tmp_path, timeout):
    done = run("draw", "x*y", "x=1", "y=2", "-o", "g.svg", "--timeout", timeout, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"'{timeout}' is not a positive, finite float" in done.stderr
