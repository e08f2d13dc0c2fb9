"""On CI a missing extra fails the tests that need it (elsewhere they skip, naming the extra to install)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_differential_tests_fail_without_torch_on_ci(tmp_path):
    # a torch package that cannot be imported stands first on the path, as if PyTorch were not installed
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text("raise ModuleNotFoundError('torch is blocked for this test')\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_torch_differential.py", "--collect-only", "-q", "-rs",
         "-p", "no:cacheprovider"],
        cwd=ROOT, env={**os.environ, "CI": "true", "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])},
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == pytest.ExitCode.INTERRUPTED, done.stdout + done.stderr
    assert "ModuleNotFoundError: torch is blocked for this test" in done.stdout
