"""The README runs as written and prints what it says, so it cannot rot.

Its section "Verify your own function's gradients" is made of test files, run as such. Every other
python block is pasted into Python's interactive console, as a reader would, and each ``print``
must print what its comment shows (the comment may go on after the printed text with ": ").
"""

import importlib.util
import io
import os
import re
import subprocess
import sys
import tokenize
import tomllib
from pathlib import Path

import pytest

from autodiff import GradcheckError, Value

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SECTION = "## Verify your own function's gradients"


def section_blocks(language):
    text = README.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :]
    following = section.find("\n## ", len(SECTION))
    section = section if following < 0 else section[:following]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)


def import_block(tmp_path, index, name):
    """The README's `index`-th python block of the section, imported as a module, as a user runs it."""
    path = tmp_path / f"{name}.py"
    path.write_text(section_blocks("python")[index], encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_hypothesis_example_is_about_ten_lines_and_passes(tmp_path):
    snippet = import_block(tmp_path, 0, "test_hinge")
    code_lines = [line for line in section_blocks("python")[0].splitlines() if line.strip()]
    assert len(code_lines) <= 12
    snippet.test_smooth_hinge_gradients()


def test_the_hypothesis_example_fails_on_a_wrong_gradient(tmp_path):
    snippet = import_block(tmp_path, 0, "test_hinge")
    # the same test around a function whose gradient to w is lost
    snippet.smooth_hinge = lambda x, w, b: (1 - (x * Value(w.data) + b)).softplus()
    with pytest.raises(GradcheckError, match=r"input 1"):
        snippet.test_smooth_hinge_gradients()


def test_the_report_shown_is_the_report_given(tmp_path):
    assert "gradcheck(" in section_blocks("python")[1]
    with pytest.raises(GradcheckError) as caught:
        import_block(tmp_path, 1, "report_example")
    assert f"GradcheckError: {caught.value}\n" == section_blocks("text")[0]


def sections():
    """(heading, text) of every ``## `` section of the README."""
    parts = re.split(r"^(## .*)$", README.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def blocks(language, text):
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


PASTED = [(heading, block) for heading, text in sections() if heading != SECTION for block in blocks("python", text)]

# the interactive console, fed one line at a time as a paste into `python3` is
CONSOLE = """
import code, sys
console = code.InteractiveConsole()
for line in sys.stdin.read().splitlines():
    console.push(line)
console.push("")
"""


def run_python(code, cwd, stdin=""):
    """`python3 -c code` in `cwd`, importing this checkout's packages as the tests do."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-c", code], input=stdin, cwd=cwd, capture_output=True, text=True,
                          timeout=600, env=env)


def printed_comments(block):
    """What each ``print(...)`` line's comment (or, lacking one, the comment line below it) says it prints."""
    lines = block.splitlines()
    comments = {token.start[0] - 1: token.string.lstrip("#").strip()
                for token in tokenize.generate_tokens(io.StringIO(block).readline) if token.type == tokenize.COMMENT}
    expected = []
    for number, line in enumerate(lines):
        if line.lstrip().startswith("print("):
            below = number + 1 < len(lines) and lines[number + 1].lstrip().startswith("#")
            assert number in comments or below, f"this print has no comment showing its output: {line}"
            expected.append(comments[number] if number in comments else comments[number + 1])
    return expected


def test_there_are_pasted_blocks_with_prints():
    assert len(PASTED) >= 8
    assert sum(len(printed_comments(block)) for _, block in PASTED) >= 10


@pytest.mark.parametrize(("heading", "block"), PASTED, ids=[f"{h[3:]} #{i}" for i, (h, _) in enumerate(PASTED)])
def test_a_block_pasted_into_the_console_prints_what_its_comments_say(heading, block, tmp_path):
    finished = run_python(CONSOLE, tmp_path, stdin=block)
    assert finished.stderr == "", finished.stderr
    printed = finished.stdout.splitlines()
    expected = printed_comments(block)
    assert len(printed) == len(expected), (printed, expected)
    for line, comment in zip(printed, expected, strict=True):
        assert comment == line or comment.startswith(line + ": "), (line, comment)


def quick_start_commands():
    text = dict(sections())["## Quick start"]
    return blocks("bash", text)[0].splitlines()


VENV = "python3 -m venv .venv && . .venv/bin/activate && "


def test_the_quick_start_is_two_commands_in_a_virtual_environment_with_python3():
    demo, tests = quick_start_commands()
    assert demo == VENV + 'pip install -e ".[rl]" && python3 -m rl'
    assert tests.startswith(VENV)


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    commands = ci[ci.index('cd "$(dirname "$0")/.."') + 1:]
    assert commands[-1] == "ruff check . && mypy && python3 -m pytest"
    assert quick_start_commands()[1] == VENV + " && ".join(commands)


def test_every_extra_is_listed_with_what_it_brings():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    table = dict(sections())["## Install"]
    listed = re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE)
    assert sorted(listed) == sorted(extras)


def test_the_missing_extra_error_shown_is_the_one_given(tmp_path):
    shown = blocks("text", dict(sections())["## Install"])[0].strip()
    finished = run_python("import sys; sys.modules['gymnasium'] = None; import runpy; "
                          "runpy.run_module('rl', run_name='__main__')", tmp_path)
    assert finished.stderr.strip().splitlines()[-1] == shown


@pytest.mark.slow
def test_the_demo_prints_what_the_readme_shows(tmp_path):
    shown = blocks("text", dict(sections())["## Q-learning: `rl`"])[0].splitlines()
    finished = run_python("import runpy; runpy.run_module('rl', run_name='__main__')", tmp_path)
    printed = finished.stdout.strip().splitlines()
    # the first line ends with the training time, which varies
    assert re.sub(r"in [0-9.]+ s$", "in T s", printed[0]) == re.sub(r"in [0-9.]+ s$", "in T s", shown[0])
    assert printed[1:] == shown[1:]
    assert (tmp_path / "runs" / "FrozenLake-v1-seed1" / "learning_curve.png").is_file()


def anchor(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_contents_list_every_section_in_order():
    text = README.read_text(encoding="utf-8")
    contents = next(line for line in text.splitlines() if line.startswith("**Contents:**"))
    listed = re.findall(r"\]\(#([^)]+)\)", contents)
    wanted = [anchor(h.removeprefix("## ")) for h, _ in sections()]
    assert listed == wanted, f"the README's **Contents:** line must link every ## section in order: {wanted}"


def test_every_link_inside_the_readme_reaches_a_heading():
    text = README.read_text(encoding="utf-8")
    headings = {anchor(h) for h in re.findall(r"^#{2,4} (.*)$", text, flags=re.MULTILINE)}
    links = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert links and links <= headings, sorted(links - headings)


def test_every_command_of_the_times_table_is_one_readme_times_runs():
    spec = importlib.util.spec_from_file_location("readme_times", ROOT / "benchmarks" / "readme_times.py")
    assert spec is not None and spec.loader is not None
    readme_times = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(readme_times)
    runs = {command.replace(f"python3 {ROOT}{os.sep}", "python3 ") for command, _, _ in readme_times.COMMANDS.values()}
    table = dict(sections())["## Times"]
    timed = re.findall(r"^\| `(python3 [^`]+)`", table, flags=re.MULTILINE)
    assert len(timed) >= 8
    assert set(timed) <= runs, sorted(set(timed) - runs)
