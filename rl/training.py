"""`train`: semi-gradient Q-learning with an `nn.MLP` Q-function, a replay buffer and ε-greedy play."""

from __future__ import annotations

import copy
import math
import random
import time
from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np

import nn
from autodiff.extras import needs_extra
from rl.config import QLearningConfig
from rl.environments import ObservationEncoder, make_env
from rl.evaluation import evaluate, greedy_policy
from rl.exact import evaluate_policy
from rl.history import History
from rl.learners import make_learner
from rl.transitions import ReplayBuffer, Transition

with needs_extra("rl", "the progress bar of rl.train"):
    from tqdm.auto import tqdm  # a widget in Jupyter, text in a terminal

__all__ = ["TrainResult", "make_q_network", "train"]


@dataclass
class TrainResult:
    """What `train` returns: the trained Q-network, the metrics of the run and how long it took."""

    q_network: nn.MLP
    history: History
    config: QLearningConfig
    seconds: float
    """Wall-clock time of the run (kept out of `history`, which depends on the seed only)."""
    episodes: int
    """Training episodes finished."""
    kept_step: int
    """The environment step of the returned network: the last one, or with ``config.keep_best`` the
    step of the best greedy evaluation."""

    def _repr_svg_(self) -> str | None:
        # Jupyter shows a training run as its learning curve
        return self.history.learning_curve(f"{self.config.env_id}, seed {self.config.seed}: {self.episodes} episodes")


def make_q_network(config: QLearningConfig, n_inputs: int, n_actions: int, rng: random.Random | int) -> nn.MLP:
    """The Q-network of `config`: `n_inputs` → hidden_sizes → one linear output per action."""
    return nn.MLP(n_inputs, [*config.hidden_sizes, n_actions], activation=config.activation, rng=rng)


def train(
    config: QLearningConfig,
    env: gymnasium.Env[Any, Any] | None = None,
    *,
    eval_env: gymnasium.Env[Any, Any] | None = None,
    progress: bool = False,
) -> TrainResult:
    """Train a Q-network on `env` (default: ``config.env_id``) by semi-gradient Q-learning.

    Each step plays ε-greedily, stores the transition in the replay buffer, and (after the
    warm-up, every `train_frequency` steps) takes one TD update on a sampled mini-batch. The
    Q-function is a `rl.QLearner` chosen once by ``config.compiled``: the compiled network on
    arrays (`rl.CompiledLearner`), or a graph of Values per update (`rl.ValueGraphLearner`,
    `rl.td_update`); it plays the greedy actions, in training and in the evaluations.
    One generator seeded with ``config.seed`` drives the environment's resets and spaces, the
    network's initialisation, ε-greedy play and replay sampling (through a numpy generator seeded
    from it): the same config gives the same `history`. A passed `env` instance is used in place
    of ``config.env_id``; the greedy evaluations play `eval_env`, by default an environment made
    like `env` (from ``config.env_id``, or a deep copy of the `env` instance). `progress` shows a
    tqdm progress bar. With
    ``config.keep_best`` the returned network is the one of the best greedy evaluation.
    """
    if not isinstance(config, QLearningConfig):
        raise TypeError(f"train() needs a QLearningConfig, got {type(config).__name__}")
    started = time.perf_counter()
    made_from_id = env is None
    env = _env_of(config, env)
    eval_env = _env_of(config, eval_env) if eval_env is not None or made_from_id else _copy_env(env)

    # seeding: one generator, every other random stream seeded from it
    rng = random.Random(config.seed)
    env.action_space.seed(rng.getrandbits(32))
    env.observation_space.seed(rng.getrandbits(32))
    reset_seed = rng.getrandbits(31)
    # evaluations draw from their own stream, so how often they run does not change training
    eval_rng = random.Random(rng.getrandbits(64))
    sampling = np.random.default_rng(rng.getrandbits(64))
    encode = ObservationEncoder(env.observation_space)
    n_actions = int(env.action_space.n)  # type: ignore[attr-defined]  # make_env checked: Discrete
    first_action = int(env.action_space.start)  # type: ignore[attr-defined]
    learner = make_learner(config, make_q_network(config, encode.size, n_actions, rng))
    optimizer = learner.optimizer
    buffer = ReplayBuffer(config.buffer_size)
    history = History()
    knows_model = isinstance(env.observation_space, gymnasium.spaces.Discrete) and all(
        hasattr(env.unwrapped, name) for name in ("P", "initial_state_distrib")
    )

    best_return, kept = -math.inf, (0, learner.weights())

    def record_evaluation(step: int) -> None:
        nonlocal best_return, kept
        player = learner.player()
        result = evaluate(player, eval_env, config.eval_episodes, seed=eval_rng.getrandbits(31), success=config.success)
        history.record("eval/mean_return", step, result.mean_return)
        history.record("eval/std_return", step, result.std_return)
        history.record("eval/success_rate", step, result.success_rate)
        if config.keep_best and result.mean_return > best_return:
            best_return, kept = result.mean_return, (step, learner.weights())
        if knows_model:
            exact = evaluate_policy(eval_env, greedy_policy(player, eval_env), success=config.success)
            history.record("eval/exact_return", step, exact.value)
            history.record("eval/exact_success", step, exact.success_probability)

    observation, _ = env.reset(seed=reset_seed)
    x = encode(observation)
    episode_return, episode_length, episodes = 0.0, 0, 0
    # closed on any exit, Ctrl-C included: a bar left open would redraw itself after the error message
    with tqdm(total=config.total_steps, disable=not progress, unit="step", dynamic_ncols=True) as bar:
        step = 0
        for step in range(1, config.total_steps + 1):
            epsilon = config.epsilon(step - 1)
            if config.anneal_lr:
                optimizer.lr = config.learning_rate * (1.0 - (step - 1) / config.total_steps)
            explore = rng.random() < epsilon
            if explore:
                action = rng.randrange(n_actions)
            else:
                action = learner.greedy_action(x)
            observation, reward, terminated, truncated, _ = env.step(first_action + action)
            next_x = encode(observation)
            # only a terminated step stops the bootstrap: a truncated one stores terminated=False
            buffer.add(Transition(x, action, float(reward), next_x, bool(terminated)))
            episode_return += float(reward)
            episode_length += 1
            x = next_x
            if terminated or truncated:
                episodes += 1
                history.record("charts/episodic_return", step, episode_return)
                history.record("charts/episodic_length", step, episode_length)
                history.record("charts/epsilon", step, epsilon)
                history.record("charts/learning_rate", step, optimizer.lr)
                bar.set_postfix(episode=episodes, ret=f"{episode_return:.2f}", eps=f"{epsilon:.2f}", refresh=False)
                observation, _ = env.reset()
                x = encode(observation)
                episode_return, episode_length = 0.0, 0

            if step > config.learning_starts and step % config.train_frequency == 0:
                stats = learner.td_update(buffer.sample_arrays(config.batch_size, sampling), config.discount)
                history.record("losses/td_loss", step, stats.loss)
                history.record("losses/q_values", step, stats.mean_q)
            if config.target_sync_period is not None and step % config.target_sync_period == 0:
                learner.sync_target()
            if config.eval_period is not None and step % config.eval_period == 0:
                record_evaluation(step)
            bar.update()
            if config.max_episodes is not None and episodes >= config.max_episodes:
                break
    if config.eval_period is None or step % config.eval_period != 0:
        record_evaluation(step)
    kept_step, weights = kept if config.keep_best else (step, None)
    q = learner.network(weights)
    return TrainResult(q, history, config, time.perf_counter() - started, episodes, kept_step)


def _env_of(config: QLearningConfig, env: gymnasium.Env[Any, Any] | None) -> gymnasium.Env[Any, Any]:
    """`env` checked and time-limited for `config`, or, if None, a new one made from ``config.env_id``."""
    if env is None:
        return make_env(config.env_id, max_episode_steps=config.max_episode_steps, env_kwargs=config.env_kwargs)
    return make_env(env, max_episode_steps=config.max_episode_steps)


def _copy_env(env: gymnasium.Env[Any, Any]) -> gymnasium.Env[Any, Any]:
    try:
        return copy.deepcopy(env)
    except Exception as error:
        raise ValueError(
            f"train() evaluates the greedy policy on a copy of the env it is given, and this one cannot "
            f"be copied ({error}); pass its id as config.env_id instead"
        ) from error

