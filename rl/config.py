"""`QLearningConfig`: every setting of a Q-learning run, in one frozen dataclass (CleanRL's ``Args``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import nn
from rl.success import SUCCESS_RULES
from rl.update import OPTIMIZER_MAKERS, TD_LOSSES

__all__ = ["LOSSES", "OPTIMIZERS", "QLearningConfig"]

LOSSES = tuple(TD_LOSSES)
"""The TD losses (`rl.TD_LOSSES`): the lecture's sum of squares, their mean, and the mean Huber loss."""
OPTIMIZERS = tuple(OPTIMIZER_MAKERS)
"""The optimizers (`rl.OPTIMIZER_MAKERS`): `nn.Adam` and `nn.SGD`."""
ACTIVATIONS = tuple(nn.ACTIVATIONS)

if TYPE_CHECKING:
    ActivationName: TypeAlias = str
    OptimizerName: TypeAlias = str
    LossName: TypeAlias = str
else:  # at run time, Literals of the registries' names, which the command line offers as choices
    ActivationName, OptimizerName, LossName = Literal[ACTIVATIONS], Literal[OPTIMIZERS], Literal[LOSSES]


@dataclass(frozen=True)
class QLearningConfig:
    """Settings of a run of semi-gradient Q-learning with a replay buffer (the lecture's algorithm).

    The defaults learn the optimal policy of FrozenLake-v1 4x4 without slipping in well under a
    minute. Invalid values raise `ValueError` when the config is made, and so do settings that could
    never learn (no update within `total_steps`) or that have no effect (momentum with Adam).
    """

    env_id: str = "FrozenLake-v1"
    """Gymnasium id of the environment (its action space must be Discrete)."""
    env_kwargs: dict[str, Any] = field(default_factory=lambda: {"is_slippery": False})
    """Keyword arguments for ``gymnasium.make(env_id, ...)``, e.g. ``{"map_name": "8x8"}``; the
    default belongs to the default env (pass ``{}`` with most others)."""
    max_episode_steps: int | None = None
    """Time limit of an episode; None keeps the registered one (500 for an env that has none)."""
    seed: int = 1
    """Seed of the one random generator behind everything: env resets, network init, ε-greedy, replay."""
    total_steps: int = 3_000
    """Number of environment steps to train for."""
    max_episodes: int | None = None
    """Stop after this many finished episodes, if that comes before `total_steps`; None: no limit."""
    hidden_sizes: tuple[int, ...] = (32,)
    """Widths of the Q-network's hidden layers; the output layer has one unit per action."""
    activation: ActivationName = "relu"
    """Activation of the hidden layers: one of `nn.ACTIVATIONS` (relu, leaky_relu, tanh, sigmoid, linear)."""
    discount: float = 0.9
    """Discount factor (α in the lecture, γ elsewhere), in [0, 1]. The default is 0.9, not the usual
    0.99: the max in the target turns noise into a bias that bootstrapping multiplies by up to
    1/(1 − α), and at 0.99 that swamps the 1% gaps between the actions of a sparse-reward task."""
    learning_rate: float = 3e-3
    """Step size of the optimizer (β in the lecture)."""
    anneal_lr: bool = False
    """Decay the learning rate linearly from `learning_rate` toward 0 over the run (as CleanRL's PPO
    does): it settles the greedy policy where the values of actions are close (slippery FrozenLake)."""
    optimizer: OptimizerName = "adam"
    """adam (`nn.Adam`) or sgd (`nn.SGD`, the lecture's w ← w − β∇L)."""
    momentum: float = 0.0
    """Momentum of SGD, in [0, 1]; with Adam it must stay 0 (Adam has no such setting)."""
    loss: LossName = "mean"
    """TD loss over a mini-batch: sum (the lecture's Σ_m (Q̂_m − Q̃_m)²), mean (its mean), or huber
    (mean Huber loss). The default is mean: with the sum, the step grows with the batch size."""
    huber_delta: float = 1.0
    """Where the Huber loss turns from quadratic to linear; other losses must leave it at 1.0."""
    compiled: bool = True
    """Learn with the compiled Q-network, its weights in numpy arrays (`rl.CompiledLearner`, `rl.CompiledQ`,
    `nn.MLP.compile`) rather than a graph of Values per sample (`rl.ValueGraphLearner`), for the
    mini-batch updates and the greedy actions (of ε-greedy play and of the greedy evaluations): the
    same targets, loss and gradients up to float rounding, and so the same actions except between
    Q-values within rounding of each other; tens of times faster."""
    batch_size: int = 32
    """Transitions per mini-batch sampled from the replay buffer."""
    buffer_size: int = 10_000
    """Capacity of the replay buffer; the oldest transitions are dropped first."""
    learning_starts: int = 200
    """Warm-up: environment steps taken before the first update (the buffer fills first); it must
    leave at least one update before `total_steps`."""
    train_frequency: int = 1
    """Environment steps between two gradient updates."""
    target_sync_period: int | None = 100
    """Environment steps between copies of the Q-network into the target network; None: no target
    network, the target uses the current network (the lecture's loop)."""
    epsilon_start: float = 1.0
    """Exploration rate ε at the first step."""
    epsilon_end: float = 0.05
    """Exploration rate ε at the end of the linear decay and after it, at most `epsilon_start`."""
    exploration_fraction: float = 0.5
    """Fraction of `total_steps` over which ε decays linearly from `epsilon_start` to `epsilon_end`."""
    eval_period: int | None = 500
    """Environment steps between greedy evaluations (and at the end); None: only at the end."""
    eval_episodes: int = 10
    """Episodes per greedy evaluation."""
    keep_best: bool = False
    """Return the Q-network of the best greedy evaluation (the first of equal ones) instead of the
    last: DQN's greedy return oscillates (CartPole), and keeping the best checkpoint is standard."""
    success: Literal["goal", "end", "survival"] = "goal"
    """What counts as a successful episode (see `rl.SUCCESS_RULES`): goal (terminated with a positive
    reward: FrozenLake, Taxi), end (terminated: CliffWalking) or survival (not terminated: CartPole)."""

    def __post_init__(self) -> None:
        # accept any mapping and any sequence of widths, stored as a dict and a tuple
        try:
            object.__setattr__(self, "env_kwargs", dict(self.env_kwargs))
            object.__setattr__(self, "hidden_sizes", tuple(self.hidden_sizes))
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"invalid QLearningConfig: env_kwargs must be a mapping and hidden_sizes a sequence of ints "
                f"({error})"
            ) from error
        problems = list(_problems(self))
        if problems:
            raise ValueError("invalid QLearningConfig: " + "; ".join(problems))

    def epsilon(self, step: int) -> float:
        """ε at environment step `step`: linear from `epsilon_start` to `epsilon_end`, then constant."""
        duration = self.exploration_fraction * self.total_steps
        if step >= duration:
            return self.epsilon_end
        return self.epsilon_start + (self.epsilon_end - self.epsilon_start) * step / duration


def _is_int(x: object) -> bool:
    return type(x) is int


def _is_real(x: object) -> bool:
    if type(x) not in (int, float):
        return False
    try:
        return math.isfinite(x)  # type: ignore[arg-type]
    except OverflowError:  # an int beyond the floats, such as 10**400
        return False


def _problems(c: QLearningConfig) -> list[str]:
    found = []
    if not isinstance(c.env_id, str) or not c.env_id:
        found.append(f"env_id must be a non-empty Gymnasium id, got {c.env_id!r}")
    if not all(isinstance(key, str) for key in c.env_kwargs):
        found.append("env_kwargs keys must be strings")
    positive_ints = ["total_steps", "batch_size", "buffer_size", "train_frequency", "eval_episodes"]
    optional_positive_ints = ["max_episode_steps", "max_episodes", "target_sync_period", "eval_period"]
    for name in positive_ints:
        value = getattr(c, name)
        if not _is_int(value) or value < 1:
            found.append(f"{name} must be an int >= 1, got {value!r}")
    for name in optional_positive_ints:
        value = getattr(c, name)
        if value is not None and (not _is_int(value) or value < 1):
            found.append(f"{name} must be an int >= 1 or None, got {value!r}")
    for name in ["seed", "learning_starts"]:
        value = getattr(c, name)
        if not _is_int(value) or value < 0:
            found.append(f"{name} must be an int >= 0, got {value!r}")
    if not all(_is_int(width) and width >= 1 for width in c.hidden_sizes):
        found.append(f"hidden_sizes must be ints >= 1, got {c.hidden_sizes!r}")
    # the choices are tested with isinstance first: a list or dict read from a file is unhashable
    if not isinstance(c.activation, str) or c.activation not in ACTIVATIONS:
        found.append(f"activation must be one of {', '.join(ACTIVATIONS)}, got {c.activation!r}")
    if not isinstance(c.optimizer, str) or c.optimizer not in OPTIMIZERS:
        found.append(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {c.optimizer!r}")
    for name in ["anneal_lr", "compiled", "keep_best"]:
        if type(getattr(c, name)) is not bool:
            found.append(f"{name} must be True or False, got {getattr(c, name)!r}")
    if not isinstance(c.success, str) or c.success not in SUCCESS_RULES:
        found.append(f"success must be one of {', '.join(SUCCESS_RULES)}, got {c.success!r}")
    if not isinstance(c.loss, str) or c.loss not in LOSSES:
        found.append(f"loss must be one of {', '.join(LOSSES)}, got {c.loss!r}")
    for name, low, high in [
        ("discount", 0.0, 1.0),
        ("momentum", 0.0, 1.0),
        ("epsilon_start", 0.0, 1.0),
        ("epsilon_end", 0.0, 1.0),
        ("exploration_fraction", 0.0, 1.0),
    ]:
        value = getattr(c, name)
        if not _is_real(value) or not low <= value <= high:
            found.append(f"{name} must be a number in [{low}, {high}], got {value!r}")
    for name in ["learning_rate", "huber_delta"]:
        value = getattr(c, name)
        if not _is_real(value) or value <= 0:
            found.append(f"{name} must be a number > 0, got {value!r}")
    if _is_int(c.batch_size) and _is_int(c.buffer_size) and c.batch_size > c.buffer_size:
        found.append(f"batch_size ({c.batch_size}) cannot exceed buffer_size ({c.buffer_size})")
    if not found:  # combinations are checked once every field is valid on its own
        found.extend(_settings_that_do_nothing(c))
    return found


def _settings_that_do_nothing(c: QLearningConfig) -> list[str]:
    """Valid values that together make a run that cannot learn, or a setting that has no effect."""
    found = []
    # updates come at the steps after learning_starts that are multiples of train_frequency
    if c.total_steps // c.train_frequency <= c.learning_starts // c.train_frequency:
        found.append(
            f"learning_starts ({c.learning_starts}) and train_frequency ({c.train_frequency}) leave no update "
            f"within total_steps ({c.total_steps}): the run would never learn"
        )
    if c.epsilon_end > c.epsilon_start:
        found.append(f"epsilon_end ({c.epsilon_end}) cannot exceed epsilon_start ({c.epsilon_start}): ε decays")
    if c.optimizer != "sgd" and c.momentum != 0:
        found.append(f"momentum ({c.momentum}) is a setting of optimizer 'sgd', but optimizer is {c.optimizer!r}")
    if c.loss != "huber" and c.huber_delta != 1.0:
        found.append(f"huber_delta ({c.huber_delta}) is a setting of loss 'huber', but loss is {c.loss!r}")
    return found

