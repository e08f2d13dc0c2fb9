"""rl: semi-gradient Q-learning with a neural Q-function (`nn.MLP`) on Gymnasium environments.

>>> import rl
>>> config = rl.QLearningConfig(total_steps=3000, seed=1)      # FrozenLake-v1 4x4, no slipping
>>> result = rl.train(config)                                   # doctest: +SKIP
>>> rl.evaluate(result.q_network, rl.make_env("FrozenLake-v1", env_kwargs={"is_slippery": False}))  # doctest: +SKIP

Exact oracles for environments that expose their model: `value_iteration`, `evaluate_policy`.
Importing `rl` registers the chain MDP as ``"rl/Chain-v0"``.
"""

from autodiff.extras import needs_extra

with needs_extra("rl", "rl (and python -m rl)"):
    import gymnasium

from rl.chain import LEFT, RIGHT, ChainEnv, chain_optimal_q
from rl.compiled import CompiledQ, per_sample_loss
from rl.config import LOSSES, OPTIMIZERS, QLearningConfig
from rl.environments import DEFAULT_MAX_EPISODE_STEPS, ObservationEncoder, make_env, time_limit
from rl.evaluation import (
    BatchedQFunction,
    EvaluationResult,
    QFunction,
    evaluate,
    greedy_action,
    greedy_policy,
    q_values,
)
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
from rl.success import SUCCESS_RULES, SuccessRule, is_success
from rl.training import TrainResult, make_q_network, train
from rl.transitions import ReplayBuffer, Transition, TransitionBatch
from rl.tuned import TUNED_SETTINGS, tuned_config
from rl.update import (
    OPTIMIZER_MAKERS,
    TD_LOSSES,
    Loss,
    Optimizer,
    TDLoss,
    UpdateStats,
    loss_function,
    td_targets,
    td_update,
)

__all__ = [
    "DEFAULT_MAX_EPISODE_STEPS",
    "LEFT",
    "LOSSES",
    "OPTIMIZERS",
    "OPTIMIZER_MAKERS",
    "RIGHT",
    "SUCCESS_RULES",
    "TD_LOSSES",
    "TUNED_SETTINGS",
    "BatchedQFunction",
    "ChainEnv",
    "CompiledLearner",
    "CompiledQ",
    "EvaluationResult",
    "History",
    "Loss",
    "ObservationEncoder",
    "Optimizer",
    "PolicyEvaluation",
    "QFunction",
    "QLearner",
    "QLearningConfig",
    "ReplayBuffer",
    "SuccessRule",
    "TDLoss",
    "TabularModel",
    "TrainResult",
    "Transition",
    "TransitionBatch",
    "UpdateStats",
    "ValueGraphLearner",
    "ValueIterationResult",
    "chain_optimal_q",
    "evaluate",
    "evaluate_policy",
    "greedy_action",
    "greedy_policy",
    "is_success",
    "loss_function",
    "make_env",
    "make_learner",
    "make_q_network",
    "tabular_model",
    "td_targets",
    "td_update",
    "time_limit",
    "train",
    "tuned_config",
    "per_sample_loss",
    "q_values",
    "value_iteration",
]

if "rl/Chain-v0" not in gymnasium.registry:
    gymnasium.register("rl/Chain-v0", entry_point="rl.chain:ChainEnv", max_episode_steps=100)
