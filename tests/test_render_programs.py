"""How `render` finds its programs: graphviz-pure through its installed package, wherever pip put it."""

import stat
import sysconfig

import pytest

from autodiff.pictures import render as render_module
from autodiff.pictures.render import PNG_PROGRAM, RenderError, find_program, render

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def only_installed_files(monkeypatch, tmp_path):
    """No program on PATH or in this Python's scripts folder, as in a venv made with --system-site-packages."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    real_get_path = sysconfig.get_path

    def get_path(name, *args, **kwargs):
        return str(empty) if name == "scripts" else real_get_path(name, *args, **kwargs)

    monkeypatch.setattr(sysconfig, "get_path", get_path)
    return empty


def _install_fake_distribution(monkeypatch, folder, name, *, program_made=True, executable=True):
    """A distribution `name` whose RECORD lists the program `name` in a bin folder beside its site folder."""
    site, bin_folder = folder / "site", folder / "bin"
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    bin_folder.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "RECORD").write_text(f"../bin/{name},,\n{info.name}/METADATA,,\n{info.name}/RECORD,,\n")
    program = bin_folder / name
    if program_made:
        program.write_text("#!/bin/sh\nexit 0\n")
        if executable:
            program.chmod(program.stat().st_mode | stat.S_IEXEC)
    monkeypatch.syspath_prepend(str(site))
    return program


def test_png_renders_with_graphviz_pure_on_neither_path_nor_beside_python(only_installed_files):
    # the --system-site-packages venv: the package is installed in the base Python, its program in the base's bin
    assert find_program(PNG_PROGRAM) is None
    found = find_program(PNG_PROGRAM, distribution=PNG_PROGRAM)
    assert found is not None and not found.startswith(str(only_installed_files))
    assert render("digraph { a -> b }", "png").startswith(PNG_MAGIC)


def test_a_program_is_found_through_its_distributions_file_list(monkeypatch, tmp_path, only_installed_files):
    program = _install_fake_distribution(monkeypatch, tmp_path, "fake-renderer")
    assert find_program("fake-renderer", distribution="fake-renderer") == str(program)
    assert find_program("fake-renderer") is None  # not on PATH, not beside Python
    assert find_program("fake-renderer", distribution="no-such-distribution") is None
    assert find_program("other-program", distribution="fake-renderer") is None


def test_a_listed_program_that_cannot_run_is_not_found(monkeypatch, tmp_path, only_installed_files):
    _install_fake_distribution(monkeypatch, tmp_path, "fake-renderer", executable=False)
    assert find_program("fake-renderer", distribution="fake-renderer") is None


def test_graphviz_pure_installed_without_its_program_says_to_reinstall_it(monkeypatch, tmp_path, only_installed_files):
    # found first on sys.path, this broken copy stands in for the real package
    _install_fake_distribution(monkeypatch, tmp_path, PNG_PROGRAM, program_made=False)
    with pytest.raises(RenderError, match=r"'png' extra's graphviz-pure package is installed but its program is "
                                          r"missing: reinstall it \(pip install --force-reinstall graphviz-pure\)"):
        render("digraph { a }", "png")


def test_without_the_png_extra_the_error_names_it(monkeypatch, only_installed_files):
    monkeypatch.setattr(render_module, "PNG_PROGRAM", "graphviz-pure-never-installed")
    with pytest.raises(RenderError, match=r"install the 'png' extra: pip install 'scalar-autodiff\[png\]'"):
        render("digraph { a }", "png")
