"""The README and the documentation's pages run as written and print what they say, so they cannot rot.

The python blocks of a page run in order, as one script, as a reader following the page runs them;
each ``print`` with a comment must print what its comment shows (the comment may go on after the
printed text with ": "). The blocks with a title are files: "Verify a custom function" saves its
tests as such and runs them.
"""

import importlib.util
import io
import os
import re
import subprocess
import sys
import tokenize
import tomllib

import pytest

from autodiff import GradcheckError, Value
from tests.doc_pages import DOCS, PAGES, README, ROOT, anchors, blocks, read, section, titled_block

VERIFY = DOCS / "how-to" / "verify-a-custom-function.md"
GETTING_STARTED = DOCS / "getting-started.md"
PRINTED = "\x1e"
"""What the test's ``print`` writes before each call's output, to tell the calls apart."""


def import_block(tmp_path, title):
    """The block of "Verify a custom function" titled `title`, saved under that name and imported, as a user runs it."""
    path = tmp_path / title
    path.write_text(titled_block(read(VERIFY), title), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_hypothesis_example_is_about_ten_lines_and_passes(tmp_path):
    snippet = import_block(tmp_path, "test_hinge.py")
    code_lines = [line for line in titled_block(read(VERIFY), "test_hinge.py").splitlines() if line.strip()]
    assert len(code_lines) <= 12
    snippet.test_smooth_hinge_gradients()


def test_the_hypothesis_example_fails_on_a_wrong_gradient(tmp_path):
    snippet = import_block(tmp_path, "test_hinge.py")
    # the same test around a function whose gradient to w is lost
    snippet.smooth_hinge = lambda x, w, b: (1 - (x * Value(w.data) + b)).softplus()
    with pytest.raises(GradcheckError, match=r"input 1"):
        snippet.test_smooth_hinge_gradients()


def test_the_report_shown_is_the_report_given(tmp_path):
    with pytest.raises(GradcheckError) as caught:
        import_block(tmp_path, "wrong_gradient.py")
    assert f"GradcheckError: {caught.value}\n" == blocks(read(VERIFY), "text")[0]


def test_the_kinks_example_skips_the_kinks_and_passes(tmp_path):
    import_block(tmp_path, "test_max_times_x.py").test_max_times_x_gradients()


def printed_comments(code):
    """What each ``print(...)`` line's comment (or the comment line below it) says it prints; None where none says."""
    lines = code.splitlines()
    comments = {token.start[0] - 1: token.string.lstrip("#").strip()
                for token in tokenize.generate_tokens(io.StringIO(code).readline) if token.type == tokenize.COMMENT}
    expected = []
    for number, line in enumerate(lines):
        if line.lstrip().startswith("print("):
            below = number + 1 < len(lines) and lines[number + 1].lstrip().startswith("#")
            expected.append(comments.get(number, comments.get(number + 1) if below else None))
    return expected


def unprinted_values(code):
    """Lines whose comment shows a value no ``print`` checks: a bare expression followed by ``# [1.0, ...]``."""
    shown = re.compile(r"#\s*([\[(\d\-'\"]|True|False|None)")
    return [line for line in code.splitlines()
            if shown.search(line) and not line.lstrip().startswith(("print(", "#")) and "=" not in line.split("#")[0]]


def page_code(page):
    return "\n\n".join(blocks(read(page), "python"))


RUN_PAGES = [page for page in PAGES if page_code(page)]
# a print that writes a separator first, so each call's output can be told apart
SEPARATED_PRINT = f"""
import builtins as _builtins, sys as _sys
def print(*args, **kwargs):
    if kwargs.get("file") in (None, _sys.stdout):
        _sys.stdout.write({PRINTED!r})
    _builtins.print(*args, **kwargs)
"""


def run_python(code, cwd, stdin=""):
    """`python3 -c code` in `cwd`, importing this checkout's packages as the tests do."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-c", code], input=stdin, cwd=cwd, capture_output=True, text=True,
                          timeout=600, env=env)


def test_the_pages_have_examples_with_prints():
    assert len(RUN_PAGES) >= 12
    assert sum(comment is not None for page in RUN_PAGES for comment in printed_comments(page_code(page))) >= 25


@pytest.mark.parametrize("page", RUN_PAGES, ids=[str(page.relative_to(ROOT)) for page in RUN_PAGES])
def test_a_pages_examples_run_in_order_and_print_what_their_comments_say(page, tmp_path):
    code = page_code(page)
    assert unprinted_values(code) == [], "a comment shows a value that no print checks"
    finished = run_python(SEPARATED_PRINT + code, tmp_path)
    assert finished.returncode == 0 and finished.stderr == "", finished.stderr
    before, *outputs = finished.stdout.split(PRINTED)
    expected = printed_comments(code)
    assert before == "" and len(outputs) == len(expected), (finished.stdout, expected)
    for output, comment in zip(outputs, expected, strict=True):
        if comment is not None:
            line = output.removesuffix("\n")
            assert comment == line or comment.startswith(line + ": "), (line, comment)


def quick_start_commands(page):
    return blocks(section(read(page), "## Quick start"), "bash")[0].splitlines()


VENV = "python3 -m venv .venv && . .venv/bin/activate && "


@pytest.mark.parametrize("page", [README, GETTING_STARTED], ids=["README", "getting-started"])
def test_the_quick_start_is_two_commands_in_a_virtual_environment_with_python3(page):
    demo, tests = quick_start_commands(page)
    assert demo == VENV + 'pip install -e ".[rl]" && python3 -m rl'
    assert tests.startswith(VENV)


@pytest.mark.parametrize("page", [README, GETTING_STARTED], ids=["README", "getting-started"])
def test_ci_runs_the_quick_starts_test_command(page):
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    commands = ci[ci.index('cd "$(dirname "$0")/.."') + 1:]
    assert commands[-1] == "ruff check . && mypy && python3 -m pytest"
    assert quick_start_commands(page)[1] == VENV + " && ".join(commands)


def extras():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]


def test_every_extra_is_listed_with_what_it_brings():
    table = section(read(GETTING_STARTED), "## Install")
    listed = re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE)
    assert sorted(listed) == sorted(extras())


def test_the_readme_names_every_extra():
    named = set(re.findall(r"`(\w+)`", section(read(README), "## Install")))
    assert set(extras()) <= named, sorted(set(extras()) - named)


def test_the_missing_extra_error_shown_is_the_one_line_given(tmp_path):
    shown = blocks(section(read(GETTING_STARTED), "## Install"), "text")[0].strip()
    # a gymnasium that is not there, ahead of the installed one
    (tmp_path / "gymnasium").mkdir()
    (tmp_path / "gymnasium" / "__init__.py").write_text(
        "raise ModuleNotFoundError('No module named gymnasium', name='gymnasium')", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    finished = subprocess.run([sys.executable, "-m", "rl"], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert (finished.returncode, finished.stdout, finished.stderr) == (1, "", shown + "\n")
    # imported as a library, rl raises the error itself
    imported = subprocess.run([sys.executable, "-c", "import rl"], cwd=tmp_path, capture_output=True, text=True,
                              env=env)
    assert imported.stderr.strip().splitlines()[-1] == "autodiff.extras.MissingExtraError: " + shown.split(": ", 1)[1]


@pytest.mark.slow
def test_the_demo_prints_what_the_guide_shows(tmp_path):
    shown = blocks(read(DOCS / "guide" / "q-learning.md"), "text")[0].splitlines()
    finished = run_python("import runpy; runpy.run_module('rl', run_name='__main__')", tmp_path)
    printed = finished.stdout.strip().splitlines()
    # the first line ends with the training time, which varies
    assert re.sub(r"in [0-9.]+ s$", "in T s", printed[0]) == re.sub(r"in [0-9.]+ s$", "in T s", shown[0])
    assert printed[1:] == shown[1:]
    assert (tmp_path / "runs" / "FrozenLake-v1-seed1" / "learning_curve.png").is_file()


def test_the_readme_is_a_landing_page():
    text = read(README)
    assert len(text.encode()) < 12_000
    assert [heading for heading in re.findall(r"^## (.*)$", text, flags=re.MULTILINE)] == [
        "Quick start", "Install", "Three examples", "Documentation", "Contributing"]
    assert len(blocks(section(text, "## Three examples"), "python")) == 3


def test_every_link_of_the_readme_reaches_a_file_or_a_heading():
    text = read(README)
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert len(links) >= 20
    for link in links:
        if re.match(r"[a-z]+://", link):
            continue
        path, _, heading = link.partition("#")
        target = ROOT / path if path else README
        assert target.exists(), link
        if heading:
            assert heading in anchors(read(target)), link


def test_every_command_of_the_times_table_is_one_readme_times_runs():
    spec = importlib.util.spec_from_file_location("readme_times", ROOT / "benchmarks" / "readme_times.py")
    assert spec is not None and spec.loader is not None
    readme_times = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(readme_times)
    runs = {command.replace(f"python3 {ROOT}{os.sep}", "python3 ") for command, _, _ in readme_times.COMMANDS.values()}
    table = section(read(DOCS / "performance.md"), "## Times")
    timed = re.findall(r"^\| `(python3 [^`]+)`", table, flags=re.MULTILINE)
    assert len(timed) >= 8
    assert set(timed) <= runs, sorted(set(timed) - runs)
