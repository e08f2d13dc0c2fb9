"""``python3 -m autodiff`` and its parser at their limits: huge, deep or odd input is a clear error, never a hang."""

import threading

import pytest

import autodiff.cli.expression as expression
from autodiff.cli.expression import MAX_LENGTH, ExpressionError, parse, parse_binding
from autodiff.pictures.render import MAX_TIMEOUT, RenderError, check_timeout
from tests.test_cli import run
from tests.test_draw import STAND_IN


def test_a_megabyte_expression_is_refused_naming_the_limit():
    with pytest.raises(ExpressionError, match=f"1,000,001 characters long, more than the limit of {MAX_LENGTH:,}"):
        parse("x+" * 500_000 + "x")


def test_parsing_converts_no_position_per_name(monkeypatch):
    """Converting a name's byte column to characters costs the text's length: done per name, parsing was quadratic."""
    conversions = []
    real_span = expression.character_span
    monkeypatch.setattr(
        expression, "character_span", lambda text, node: conversions.append(node) or real_span(text, node)
    )
    names = [f"x{i}" for i in range(8000)]
    text = "sum(" + ", ".join(reversed(names)) + ", x0)"
    assert len(text) <= MAX_LENGTH
    assert parse(text).names == tuple(reversed(names))  # in order of first use
    assert conversions == []


def test_a_name_first_used_after_a_wide_character_comes_in_text_order():
    assert parse("é + b * a").names == ("é", "b", "a")
    assert parse("a * é + (b\n + c)").names == ("a", "é", "b", "c")


@pytest.mark.parametrize("text", ["-" * 50_000 + "x", "+".join(["x"] * 20_000), "(" * 5_000 + "x" + ")" * 5_000])
def test_too_deep_an_expression_says_why(text):
    with pytest.raises(ExpressionError) as error:
        parse(text)
    message = error.value.message
    assert message.split(": ", 1)[1]  # a reason follows the colon
    assert "nested too deeply" in message or "too many nested parentheses" in message


def test_the_long_chain_advice_works():
    names = ", ".join(f"x{i}" for i in range(5_000))
    assert len(parse(f"sum({names})").names) == 5_000


def test_bindings_are_normalised_like_the_expression():
    assert parse_binding("ｘ=1") == ("x", 1.0)
    assert parse_binding("ﬁ=2") == ("fi", 2.0)
    with pytest.raises(ExpressionError, match="'1x' is not a name"):
        parse_binding("1x=2")


def test_the_cli_binds_a_fullwidth_name(tmp_path):
    done = run("grad", "ｘ*2", "ｘ=1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["ｘ*2 = 2.0", "d/dx = 2.0"]


def test_an_unused_fullwidth_binding_points_at_the_name_as_typed(tmp_path):
    done = run("grad", "x*2", "x=1", "ｙ=1", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["python3 -m autodiff: error: y is not used by the expression", "  ｙ=1", "  ^"]


@pytest.mark.parametrize("timeout", ["1e10", "9223372037", "1e308"])
def test_a_timeout_beyond_the_renderers_limit_is_refused_by_the_cli(tmp_path, timeout):
    done = run("draw", "x*y", "x=1", "y=2", "-o", "g.svg", "--timeout", timeout, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"'{timeout}' is not a positive, finite float of at most {MAX_TIMEOUT:g} seconds" in done.stderr
    assert not (tmp_path / "g.svg").exists()


def test_the_longest_timeout_the_cli_takes_renders(tmp_path):
    done = run("draw", "x*y", "x=1", "y=2", "-o", "g.svg", "--timeout", repr(MAX_TIMEOUT), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    check_timeout(MAX_TIMEOUT)
    with pytest.raises(ValueError, match="at most"):
        check_timeout(MAX_TIMEOUT * 2)


def test_a_render_waiting_for_another_counts_the_wait_in_its_timeout():
    import wasmtime

    from autodiff.pictures.render import WasmGraphviz

    renderer = WasmGraphviz(wasmtime.wat2wasm(STAND_IN.replace("BODY", "i32.const 0")))
    outcome = []

    def second_render():
        try:
            renderer.render("digraph { a }", timeout=0.2)
        except RenderError as error:
            outcome.append(str(error))

    renderer.lock.acquire()  # a first render that never ends
    try:
        waiting = threading.Thread(target=second_render)
        waiting.start()
        waiting.join(timeout=30)
        assert not waiting.is_alive(), "the second render waited past its timeout"
    finally:
        renderer.lock.release()
        waiting.join()
    assert len(outcome) == 1 and "waiting for another render, took more than 0.2 s" in outcome[0]


def test_ctrl_c_is_one_line_and_exit_130(monkeypatch, capsys):
    import autodiff.cli.command as command

    def interrupted(text):
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "parse", interrupted)
    assert command.main(["grad", "x", "x=1"]) == command.INTERRUPTED == 130
    assert capsys.readouterr().err.strip() == "python3 -m autodiff: interrupted (Ctrl-C)"
