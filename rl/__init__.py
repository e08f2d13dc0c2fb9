"""rl: semi-gradient Q-learning with a neural Q-function (`nn.MLP`) on Gymnasium environments.

>>> import rl
>>> config = rl.QLearningConfig(total_steps=3000, seed=1)      # FrozenLake-v1 4x4, no slipping
>>> result = rl.train(config)                                   # doctest: +SKIP
>>> rl.evaluate(result.q_network, rl.make_env("FrozenLake-v1", env_kwargs={"is_slippery": False}))  # doctest: +SKIP

Exact oracles for environments that expose their model: `value_iteration`, `evaluate_policy`.
Experiments across seeds and settings on Ray: `sweep`, `load_sweep` (`rl.sweeps`, ``python3 -m rl sweep``).
Importing `rl` registers the chain MDP as ``"rl/Chain-v0"``.
"""

import importlib
import sys
from typing import Any

from autodiff.extras import MissingExtraError, needs_extra

try:
    with needs_extra("rl", "rl"):
        import gymnasium
except MissingExtraError as error:
    # python3 -m rl imports this package while sys.argv[0] is still "-m" (Python's documented way of
    # locating the module): a command line answers with one line, a library import with the error
    if sys.argv[:1] == ["-m"]:
        raise SystemExit(f"python3 -m rl: {error}") from None
    raise

from rl.chain import ChainEnv, chain_optimal_q
from rl.compiled import CompiledQ
from rl.config import LOSSES, OPTIMIZERS, QLearningConfig
from rl.environments import ObservationEncoder, make_env
from rl.evaluation import EvaluationResult, QFunction, evaluate, greedy_action, greedy_policy, q_values
from rl.exact import (
    PolicyEvaluation,
    TabularModel,
    ValueIterationResult,
    evaluate_policy,
    tabular_model,
    value_iteration,
)
from rl.history import History
from rl.learners import CompiledLearner, QLearner, ValueGraphLearner, make_learner
from rl.success import SUCCESS_RULES
from rl.sweeps import SweepSummary, load_sweep, sweep
from rl.training import TrainResult, make_q_network, train
from rl.transitions import ReplayBuffer, Transition, TransitionBatch
from rl.tuned import TUNED_SETTINGS, tuned_config
from rl.update import OPTIMIZER_MAKERS, TD_LOSSES, TDLoss, td_update

__all__ = [
    "LOSSES",
    "OPTIMIZERS",
    "OPTIMIZER_MAKERS",
    "SUCCESS_RULES",
    "TD_LOSSES",
    "TUNED_SETTINGS",
    "ChainEnv",
    "CompiledLearner",
    "CompiledQ",
    "EvaluationResult",
    "History",
    "ObservationEncoder",
    "PolicyEvaluation",
    "QFunction",
    "QLearner",
    "QLearningConfig",
    "ReplayBuffer",
    "SweepSummary",
    "TDLoss",
    "TabularModel",
    "TrainResult",
    "Transition",
    "TransitionBatch",
    "ValueGraphLearner",
    "ValueIterationResult",
    "chain_optimal_q",
    "evaluate",
    "evaluate_policy",
    "greedy_action",
    "greedy_policy",
    "load_sweep",
    "make_env",
    "make_learner",
    "make_q_network",
    "q_values",
    "sweep",
    "tabular_model",
    "td_update",
    "train",
    "tuned_config",
    "value_iteration",
]

# Names `rl` exported before its surface was narrowed to what a library user needs: each still
# works as ``rl.NAME`` (and ``from rl import NAME``), read from its module on first use.
_FROM_MODULES = {
    "LEFT": "rl.chain",
    "RIGHT": "rl.chain",
    "per_sample_loss": "rl.compiled",
    "DEFAULT_MAX_EPISODE_STEPS": "rl.environments",
    "time_limit": "rl.environments",
    "BatchedQFunction": "rl.evaluation",
    "SuccessRule": "rl.success",
    "is_success": "rl.success",
    "Loss": "rl.update",
    "Optimizer": "rl.update",
    "UpdateStats": "rl.update",
    "loss_function": "rl.update",
    "td_targets": "rl.update",
}


def __getattr__(name: str) -> Any:
    """``rl.NAME`` for a name kept in its own module (see `_FROM_MODULES`)."""
    if name in _FROM_MODULES:
        return getattr(importlib.import_module(_FROM_MODULES[name]), name)
    raise AttributeError(f"module 'rl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_FROM_MODULES])


if "rl/Chain-v0" not in gymnasium.registry:
    gymnasium.register("rl/Chain-v0", entry_point="rl.chain:ChainEnv", max_episode_steps=100)
