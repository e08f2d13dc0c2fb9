"""Gymnasium environments for Q-learning: making them, checking them, encoding their observations."""

from __future__ import annotations

import reprlib
import sys
from collections.abc import Mapping
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.wrappers import TimeLimit

__all__ = ["DEFAULT_MAX_EPISODE_STEPS", "ObservationEncoder", "check_registered", "make_env", "time_limit"]

# ids and env_kwargs in messages, cut short: they may come from a file and be a megabyte long
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 120

DEFAULT_MAX_EPISODE_STEPS = 500
"""The time limit given to an environment that has none (CliffWalking-v1 has none)."""


def make_env(
    env: str | gymnasium.Env[Any, Any],
    *,
    max_episode_steps: int | None = None,
    env_kwargs: Mapping[str, Any] | None = None,
) -> gymnasium.Env[Any, Any]:
    """A Gymnasium environment ready for Q-learning: a discrete action space and a time limit.

    `env` is a registered id (``"FrozenLake-v1"``) made with ``gymnasium.make(env, **env_kwargs)``,
    or an `Env` instance used as it is. `max_episode_steps` overrides the registered time limit;
    an environment with no time limit at all gets `DEFAULT_MAX_EPISODE_STEPS`, since an episode
    that never ends (CliffWalking-v1 under a bad policy) would stall training.
    Raises `ValueError` for an action space that is not `Discrete`, an observation space that
    cannot be flattened into a vector of floats, or any failure of making the environment from its
    id (an unknown id, a module named by ``"module:Id"`` that cannot be imported, env_kwargs the
    environment refuses). An id with a ``module:`` prefix imports that module, as
    ``gymnasium.make`` does: see `check_registered` for ids read from a file.
    """
    if max_episode_steps is not None and (type(max_episode_steps) is not int or max_episode_steps < 1):
        raise ValueError(f"max_episode_steps must be a positive int or None, got {max_episode_steps!r}")
    if isinstance(env, str):
        kwargs = dict(env_kwargs or {})
        try:
            made = gymnasium.make(env, max_episode_steps=max_episode_steps, **kwargs)
        except gymnasium.error.Error as error:
            raise ValueError(f"cannot make the Gymnasium environment {_SHORT.repr(env)}: {error}") from error
        except TypeError as error:
            what = f"{_SHORT.repr(env)} with env_kwargs {_SHORT.repr(kwargs)}"
            raise ValueError(f"cannot make {what}: {error}") from error
        except Exception as error:  # the environment's own code (or a module the id names) failed: any error
            what = f"{_SHORT.repr(env)} with env_kwargs {_SHORT.repr(kwargs)}"
            raise ValueError(f"cannot make {what}: {type(error).__name__}: {error}") from error
        env = made
    elif isinstance(env, gymnasium.Env):
        if env_kwargs:
            raise ValueError("env_kwargs are for making an environment from an id, not for an Env instance")
        if max_episode_steps is not None and time_limit(env) != max_episode_steps:
            env = TimeLimit(env, max_episode_steps)
    else:
        raise TypeError(f"env must be a Gymnasium id (str) or a gymnasium.Env, got {type(env).__name__}")
    _check_spaces(env)
    if time_limit(env) is None:
        env = TimeLimit(env, DEFAULT_MAX_EPISODE_STEPS)
    return env


def check_registered(env_id: object, source: str, *, advice: str = "pass the id yourself with --env") -> str:
    """`env_id` if making it imports nothing new, else `ValueError` saying so (with `advice` on what to do).

    An id read from a file (a saved run's ``config.json``, a sweep's ``sweep.json``, named by
    `source` in the message) must pass this check before it reaches `make_env`, so that reading a
    file never runs code: it must be an id in Gymnasium's registry, or ``"module:Id"`` whose module
    is already imported in this process (the user's own command imported it: importing it again runs
    nothing) and whose ``Id`` is registered. An id the user types keeps Gymnasium's behaviour,
    since the user chose it.
    """
    if isinstance(env_id, str):
        module, colon, name = env_id.partition(":")
        if not colon and env_id in gymnasium.registry:
            return env_id
        if colon and module in sys.modules and ":" not in name and name in gymnasium.registry:
            return env_id
    raise ValueError(
        f"{source} names the environment {_SHORT.repr(env_id)}, which is not an id in Gymnasium's registry; "
        f"an id read from a file may not import a module (\"module:Id\"), so that loading a file never runs "
        f"code: if you trust it, {advice}"
    )


def time_limit(env: gymnasium.Env[Any, Any]) -> int | None:
    """The `max_episode_steps` of the outermost `TimeLimit` wrapper of `env`, or None if it has none."""
    layer: Any = env
    while isinstance(layer, gymnasium.Wrapper):
        if isinstance(layer, TimeLimit):
            # Gymnasium's only record of the limit: the wrapper's spec is None for an env not made by gymnasium.make
            return int(layer._max_episode_steps)
        layer = layer.env
    return None


def _check_spaces(env: gymnasium.Env[Any, Any]) -> None:
    if not isinstance(env.action_space, spaces.Discrete):
        raise ValueError(
            f"Q-learning needs a Discrete action space (it takes the max of Q over the actions), "
            f"but this environment's action space is {env.action_space}"
        )
    ObservationEncoder(env.observation_space)


class ObservationEncoder:
    """Turns an observation into the network's input: a tuple of floats.

    A `Discrete` observation becomes a one-hot vector, a `Box` its flattened float vector; `Tuple`,
    `Dict`, `MultiDiscrete` and `MultiBinary` spaces concatenate those (Gymnasium's `flatten`).
    """

    def __init__(self, space: spaces.Space[Any]) -> None:
        try:
            self.size = spaces.flatdim(space)
        except (NotImplementedError, ValueError) as error:
            raise ValueError(
                f"cannot encode observations of {space} as a vector of floats: {error}"
            ) from error
        self.space = space
        # a Discrete space has few observations: encode each once
        self._one_hots: dict[int, tuple[float, ...]] | None = {} if isinstance(space, spaces.Discrete) else None

    def __repr__(self) -> str:
        return f"ObservationEncoder({self.space}, size={self.size})"

    def __call__(self, observation: Any) -> tuple[float, ...]:
        """The float vector that encodes `observation`."""
        if self._one_hots is None:
            return tuple(np.asarray(spaces.flatten(self.space, observation), dtype=np.float64).tolist())
        key = int(observation)
        encoded = self._one_hots.get(key)
        if encoded is None:
            encoded = tuple(float(x) for x in spaces.flatten(self.space, observation))
            self._one_hots[key] = encoded
        return encoded
