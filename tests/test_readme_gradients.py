"""The README's section "Verify your own function's gradients" runs as written, so it cannot rot."""

import importlib.util
import re
from pathlib import Path

import pytest

from autodiff import GradcheckError, Value

README = Path(__file__).resolve().parents[1] / "README.md"
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
