"""Hypothesis profiles, registered once: `ci` (derandomized, thorough) when CI is true, else `dev`."""

import importlib
import os
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings


def says_true(setting: str | None) -> bool:
    """Whether an environment variable's value means true: ``true``, ``1`` or ``yes`` (any case)."""
    return (setting or "").strip().lower() in {"true", "1", "yes"}


ON_CI = says_true(os.environ.get("CI"))
"""Whether CI is set to a true value: ``CI=false`` or ``CI=0`` is not CI."""


def import_or_skip(module: str, extra: str) -> ModuleType:
    """`module` imported; if it is missing, a skip naming `extra`, except on CI, where it is a failure.

    CI installs every extra the tests use (``.ci/run``), so there a missing module is a broken install,
    not a reason to skip.
    """
    if ON_CI:
        return importlib.import_module(module)
    return pytest.importorskip(module, reason=f"{module} comes with the {extra!r} extra: pip install -e '.[{extra}]'")


# Hypothesis itself loads a CI profile of its own when CI is set to anything, CI=false included:
# both profiles start from Hypothesis' plain defaults instead of whatever it loaded
settings.register_profile(
    "ci",
    settings.get_profile("default"),
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=300,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", settings.get_profile("default"), deadline=None, max_examples=100)
settings.load_profile("ci" if ON_CI else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Ray reads its single-machine switch (rl.sweeps.runner.LOOPBACK_SETTING) once, when first imported: set before
# any test imports ray, it keeps the test cluster and every Ray driver of the tests on loopback
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"


@pytest.fixture(scope="session")
def two_node_ray_cluster():
    """A 2-node local Ray cluster (1 CPU each, on loopback only), started once for the sweep tests that join it.

    Ray's start is most of a sweep test's time on this machine: the tests share one cluster, and each
    `rl.sweep(..., address=cluster.address)` joins it and leaves it again.
    """
    cluster_utils = import_or_skip("ray.cluster_utils", "sweep")
    cluster = cluster_utils.Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        yield cluster
    finally:
        cluster.shutdown()
