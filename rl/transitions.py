"""Transitions and the replay buffer that holds them: a numpy ring buffer, sampled uniformly into mini-batches."""

from __future__ import annotations

import random
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

__all__ = ["ReplayBuffer", "Transition", "TransitionBatch"]


class Transition(NamedTuple):
    """One step (x_k, u_k, r_k, x_{k+1}) and whether the episode terminated on it.

    Only `terminated` stops the bootstrap: a step cut by a time limit (truncated) is stored with
    ``terminated=False``, since its next state still has a value.
    """

    observation: tuple[float, ...]
    action: int
    reward: float
    next_observation: tuple[float, ...]
    terminated: bool


class TransitionBatch(NamedTuple):
    """A mini-batch of transitions as arrays, one row (or entry) per transition."""

    observations: NDArray[np.float64]
    """Shape ``(batch, n_inputs)``."""
    actions: NDArray[np.intp]
    """Shape ``(batch,)``: the index of each action taken."""
    rewards: NDArray[np.float64]
    """Shape ``(batch,)``."""
    next_observations: NDArray[np.float64]
    """Shape ``(batch, n_inputs)``."""
    terminated: NDArray[np.bool_]
    """Shape ``(batch,)``: True where the episode terminated, so the target does not bootstrap."""

    @classmethod
    def of(cls, transitions: list[Transition] | tuple[Transition, ...]) -> TransitionBatch:
        """The batch of a sequence of `Transition`s."""
        if not transitions:
            raise ValueError("a batch needs at least one transition")
        return cls(
            np.array([t.observation for t in transitions], dtype=np.float64),
            np.array([t.action for t in transitions], dtype=np.intp),
            np.array([t.reward for t in transitions], dtype=np.float64),
            np.array([t.next_observation for t in transitions], dtype=np.float64),
            np.array([t.terminated for t in transitions], dtype=np.bool_),
        )

    def transitions(self) -> list[Transition]:
        """The batch as a list of `Transition`s, for the Value-graph update."""
        return [
            Transition(tuple(x), a, r, tuple(y), done)
            for x, a, r, y, done in zip(self.observations.tolist(), self.actions.tolist(), self.rewards.tolist(),
                                        self.next_observations.tolist(), self.terminated.tolist(), strict=True)
        ]


class ReplayBuffer:
    """A ring buffer of the last `capacity` transitions in numpy arrays, sampled uniformly with replacement.

    The arrays are allocated at the first `add`, sized by its observation.
    """

    def __init__(self, capacity: int) -> None:
        if type(capacity) is not int or capacity < 1:
            raise ValueError(f"a replay buffer needs an int capacity >= 1, got {capacity!r}")
        self.capacity = capacity
        self._size = self._next = 0
        self._arrays: TransitionBatch | None = None

    def __len__(self) -> int:
        return self._size

    def __repr__(self) -> str:
        return f"ReplayBuffer({len(self)}/{self.capacity} transitions)"

    def add(self, transition: Transition) -> None:
        """Store `transition`, overwriting the oldest once the buffer is full."""
        arrays = self._arrays
        if arrays is None:
            n = len(transition.observation)
            arrays = self._arrays = TransitionBatch(
                np.zeros((self.capacity, n)), np.zeros(self.capacity, dtype=np.intp), np.zeros(self.capacity),
                np.zeros((self.capacity, n)), np.zeros(self.capacity, dtype=np.bool_))
        i = self._next
        arrays.observations[i] = transition.observation
        arrays.actions[i] = transition.action
        arrays.rewards[i] = transition.reward
        arrays.next_observations[i] = transition.next_observation
        arrays.terminated[i] = transition.terminated
        self._next = (i + 1) % self.capacity
        self._size = min(self._size + 1, self.capacity)

    def sample(self, batch_size: int, rng: random.Random) -> list[Transition]:
        """`batch_size` transitions drawn uniformly with replacement, using `rng`."""
        self._check(batch_size)
        index = np.array([rng.randrange(self._size) for _ in range(batch_size)], dtype=np.intp)
        return self._at(index).transitions()

    def sample_arrays(self, batch_size: int, rng: np.random.Generator) -> TransitionBatch:
        """`batch_size` transitions drawn uniformly with replacement by `rng`, as arrays."""
        self._check(batch_size)
        return self._at(rng.integers(0, self._size, size=batch_size))

    def _check(self, batch_size: int) -> None:
        if not self._size:
            raise ValueError("cannot sample from an empty replay buffer")
        if type(batch_size) is not int or batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")

    def _at(self, index: NDArray[np.intp]) -> TransitionBatch:
        arrays = self._arrays
        assert arrays is not None  # _check saw a transition
        return TransitionBatch(arrays.observations[index], arrays.actions[index], arrays.rewards[index],
                               arrays.next_observations[index], arrays.terminated[index])
