"""A missing optional dependency raises an error that names the extra to install."""

import subprocess
import sys

import pytest

from autodiff.extras import MissingExtraError, install_command, needs_extra


def run_without(module, code):
    """Run `code` in a fresh interpreter where importing `module` fails as if it were not installed."""
    blocked = f"import sys; sys.modules[{module!r}] = None\n"
    return subprocess.run([sys.executable, "-c", blocked + code], capture_output=True, text=True, timeout=120)


def test_a_missing_module_names_its_extra_and_the_command_that_installs_it():
    with pytest.raises(MissingExtraError) as caught, needs_extra("testing", "autodiff.testing"):
        import a_module_that_is_not_installed  # noqa: F401
    message = str(caught.value)
    assert message.startswith("autodiff.testing needs the package 'a_module_that_is_not_installed', which is not "
                              "installed: it comes with the 'testing' extra: pip install 'scalar-autodiff[testing]'")
    assert caught.value.name == "a_module_that_is_not_installed"
    assert isinstance(caught.value, ModuleNotFoundError)  # code that catches ImportError still does


def test_other_errors_pass_through_unchanged():
    with pytest.raises(ImportError, match="cannot import name 'nothing'"), needs_extra("rl", "rl"):
        from math import nothing  # noqa: F401


def test_install_command_for_a_release_and_for_a_clone():
    assert install_command("png") == ("pip install 'scalar-autodiff[png]' "
                                      "(in a clone of the repository: pip install -e '.[png]')")


@pytest.mark.parametrize(("module", "code", "extra"), [
    ("hypothesis", "import autodiff.testing", "testing"),
    ("gymnasium", "import rl", "rl"),
    ("gymnasium", "import runpy; runpy.run_module('rl', run_name='__main__')", "rl"),
    ("tqdm", "import rl", "rl"),
    ("matplotlib", "import rl.plot; rl.plot.learning_curve_figure(rl.History(), 'title')", "rl"),
    ("scipy", "import rl.statistics; rl.statistics.iqm_interval([0.5, 0.7])", "sweep"),
    ("ray", "import rl.sweeps.runner; rl.sweeps.runner.import_ray()", "sweep"),
])
def test_the_packages_name_their_extra(module, code, extra):
    finished = run_without(module, code)
    assert finished.returncode == 1
    last_line = finished.stderr.strip().splitlines()[-1]
    assert last_line.startswith("autodiff.extras.MissingExtraError: ")
    assert f"needs the package '{module}', which is not installed: it comes with the '{extra}' extra" in last_line
