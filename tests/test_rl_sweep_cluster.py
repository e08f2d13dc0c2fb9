"""A sweep on a 2-node local Ray cluster (ray.cluster_utils.Cluster): runs on both nodes, results as local runs."""

import dataclasses

import pytest

import rl
from rl.sweeps import run_one
from rl.sweeps.store import load_runs

cluster_utils = pytest.importorskip("ray.cluster_utils", reason="the sweep extra is part of dev")


@pytest.fixture
def two_nodes(monkeypatch):
    # every node of the test cluster on loopback (Ray's single-machine mode), not on the network
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    cluster = cluster_utils.Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        yield cluster
    finally:
        cluster.shutdown()


def test_runs_spread_over_both_nodes_and_equal_local_runs(tmp_path, two_nodes):
    base = rl.QLearningConfig(total_steps=300, learning_starts=100, eval_period=150, eval_episodes=1)
    summary = rl.sweep(base, {"loss": ["sum", "mean"]}, [1, 2], out=tmp_path, address=two_nodes.address,
                       final_episodes=3, progress=False, report=False)
    assert (summary.ran, summary.failed, summary.diverged) == (4, 0, 0)
    records = list(load_runs(tmp_path).values())
    node_ids = {node.node_id for node in two_nodes.list_all_nodes()}
    assert {record.node for record in records} == node_ids  # both nodes ran runs
    for record in records:
        local = run_one(dataclasses.asdict(rl.QLearningConfig(**record.config)), 3)
        assert record.history == local["history"]  # seed for seed, the same history wherever it ran
        assert record.final == local["final"]
