"""Every example answers --help without running, and writes nothing where it is started."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def run_help(example, folder):
    """`python EXAMPLE --help` started in `folder`, importing the packages of this checkout, as the tests do."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, str(example), "--help"], cwd=folder, capture_output=True, text=True,
                          timeout=120, env=env)


def test_there_are_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_help_prints_usage_and_writes_nothing(example, tmp_path):
    finished = run_help(example, tmp_path)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.startswith(f"usage: {example.name}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.name != "neuron.py"], ids=lambda path: path.name)
def test_examples_that_write_files_have_an_output_folder_under_runs(example, tmp_path):
    finished = run_help(example, tmp_path)
    assert "--out OUT" in finished.stdout and "(default: runs/" in " ".join(finished.stdout.split())
