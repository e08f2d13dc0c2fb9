"""A student's autodiff engine checked against scalar-autodiff: one file for a course to drop in.

Copy this file into the student's repository (``tests/test_engine.py``), set ENGINE to the
student's class (``module:Name``, imported from the folder pytest runs in) and OPS to the ops the
course asks for, then run ``pytest``. It needs ``pip install "scalar-autodiff[testing]"``.

Each op × check is one test: a failure prints what is wrong ("`tanh`: your derivative at 1.0 is
0.238405844, expected 0.4199743416") and the smallest program that shows it, as code to paste.
Ops the engine lacks, checks not run because an earlier one failed, and facts reported rather
than judged (what a second backward() does, the depth at which a deep chain fails) are skipped
with the reason, so ``pytest -rs`` lists them. The same seed gives the same tests every run.

The environment variables AUTODIFF_ENGINE and AUTODIFF_OPS (comma-separated) override ENGINE
and OPS, so one copy can check several engines.
"""

import os

import pytest

from autodiff.testing import ENGINE_CHECKS, OP_CHECKS, check_engine, load_engine

ENGINE = os.environ.get("AUTODIFF_ENGINE", "engine:Value")
OPS = os.environ.get("AUTODIFF_OPS", "add,sub,mul,div,add_const,mul_const,pow_const,neg,tanh,exp,relu").split(",")
SEED = 0
EXAMPLES = 100

CHECKS = [(op, check) for op in OPS for check in OP_CHECKS] + [("engine", check) for check in ENGINE_CHECKS]


@pytest.fixture(scope="module")
def report():
    return check_engine(load_engine(ENGINE), ops=OPS, seed=SEED, max_examples=EXAMPLES)


@pytest.mark.parametrize(("subject", "check"), CHECKS, ids=[f"{subject}: {check}" for subject, check in CHECKS])
def test_engine(report, subject, check):
    finding = report.finding(subject, check)
    if finding.status == "fail":
        pytest.fail(f"{finding.summary}\n\n{finding.example}", pytrace=False)
    if finding.status != "pass":
        pytest.skip(f"{finding.status}: {finding.summary}")
