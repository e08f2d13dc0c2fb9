"""A sweep on a 2-node local Ray cluster (ray.cluster_utils.Cluster): runs on both nodes, results as local runs."""

import dataclasses

import rl
from rl.sweeps import run_one
from rl.sweeps.store import load_runs


def test_runs_spread_over_both_nodes_and_equal_local_runs(tmp_path, two_node_ray_cluster):
    base = rl.QLearningConfig(total_steps=300, learning_starts=100, eval_period=150, eval_episodes=1)
    summary = rl.sweep(base, {"loss": ["sum", "mean"]}, [1, 2], out=tmp_path, address=two_node_ray_cluster.address,
                       final_episodes=3, progress=False, report=False)
    assert (summary.ran, summary.failed, summary.diverged) == (4, 0, 0)
    records = list(load_runs(tmp_path).values())
    node_ids = {node.node_id for node in two_node_ray_cluster.list_all_nodes()}
    assert {record.node for record in records} == node_ids  # both nodes ran runs
    for record in records:
        local = run_one(dataclasses.asdict(rl.QLearningConfig(**record.config)), 3)
        assert record.history == local["history"]  # seed for seed, the same history wherever it ran
        assert record.final == local["final"]
