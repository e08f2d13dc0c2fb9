"""A sweep on a 2-node local Ray cluster (ray.cluster_utils.Cluster): every run stored, each as a local run.

Ray's SPREAD strategy, which the sweep asks for, spreads tasks over the nodes as best it can, not
for sure (on a busy machine one node may take all four short runs): that a run gives the same
result on either node is checked with each node named explicitly.
"""

import dataclasses

import rl
from rl.sweeps import run_one
from rl.sweeps.runner import import_ray
from rl.sweeps.store import load_runs

BASE = rl.QLearningConfig(total_steps=300, learning_starts=100, eval_period=150, eval_episodes=1)


def test_a_sweep_on_the_cluster_stores_every_run_as_a_local_run_gives_it(tmp_path, two_node_ray_cluster):
    summary = rl.sweep(BASE, {"loss": ["sum", "mean"]}, [1, 2], out=tmp_path, address=two_node_ray_cluster.address,
                       final_episodes=3, progress=False, report=False)
    assert (summary.ran, summary.failed, summary.diverged) == (4, 0, 0)
    records = list(load_runs(tmp_path).values())
    node_ids = {node.node_id for node in two_node_ray_cluster.list_all_nodes()}
    assert len(records) == 4 and {record.node for record in records} <= node_ids
    for record in records:
        local = run_one(dataclasses.asdict(rl.QLearningConfig(**record.config)), 3)
        assert record.history == local["history"]  # seed for seed, the same history wherever it ran
        assert record.final == local["final"]


def test_a_run_gives_the_same_result_on_each_node(two_node_ray_cluster):
    ray = import_ray()
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    config = dataclasses.asdict(dataclasses.replace(BASE, seed=3))
    local = run_one(config, 3)
    ray.init(address=two_node_ray_cluster.address)
    try:
        nodes = [node["NodeID"] for node in ray.nodes() if node["Alive"]]
        assert len(nodes) == 2
        remote_run = ray.remote(num_cpus=1, max_retries=0)(run_one)
        pinned = [remote_run.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False))
                  .remote(config, 3) for node in nodes]
        results = ray.get(pinned, timeout=120)
    finally:
        ray.shutdown()
    assert sorted(result["node"] for result in results) == sorted(nodes)
    for result in results:
        assert (result["history"], result["final"]) == (local["history"], local["final"])
