"""Settings tuned per environment, as RL Baselines3 Zoo keeps its hyperparameters by env id."""

from __future__ import annotations

from typing import Any

from rl.config import QLearningConfig

__all__ = ["TUNED_SETTINGS", "tuned_config"]

TUNED_SETTINGS: dict[str, dict[str, Any]] = {
    "CartPole-v1": {
        # DQN as in the literature: a 4 → 64 → 2 network, Adam, a target network, ε from 1 to 0.05
        # over the first 10% of 200k steps, a mini-batch every 4 steps; the network of the best
        # greedy evaluation is kept, since DQN's greedy return on CartPole oscillates
        "total_steps": 200_000,
        "hidden_sizes": (64,),
        "discount": 0.99,
        "learning_rate": 1e-3,
        "loss": "mean",
        "batch_size": 64,
        "buffer_size": 50_000,
        "learning_starts": 1_000,
        "train_frequency": 4,
        "target_sync_period": 500,
        "exploration_fraction": 0.1,
        "eval_period": 5_000,
        "eval_episodes": 10,
        "keep_best": True,
        "success": "survival",
    },
}
"""For each Gymnasium id listed, the `QLearningConfig` fields that differ from the defaults there.

``python3 -m rl --env CartPole-v1`` starts from these settings; flags given on the command line
override them.
"""


def tuned_config(env_id: str, **overrides: Any) -> QLearningConfig:
    """The `QLearningConfig` for `env_id` with its `TUNED_SETTINGS` (if any), then `overrides`.

    An environment without tuned settings gets the defaults, with ``env_kwargs={}`` since the
    default keyword arguments belong to the default environment.
    """
    settings: dict[str, Any] = {"env_id": env_id}
    if env_id != QLearningConfig.env_id:
        settings["env_kwargs"] = {}
    return QLearningConfig(**{**settings, **TUNED_SETTINGS.get(env_id, {}), **overrides})
