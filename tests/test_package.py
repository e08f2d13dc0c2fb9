"""The package's face: its version comes from the installed metadata, which pyproject.toml sets."""

import tomllib
from pathlib import Path

import autodiff

ROOT = Path(__file__).resolve().parents[1]


def test_version_is_the_one_pyproject_declares():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert autodiff.__version__ == declared


def test_the_license_file_is_the_license_pyproject_names():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["license"]["text"]
    assert declared == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
