"""`ReplayBuffer`: the last transitions seen, sampled uniformly into mini-batches."""

from __future__ import annotations

import random
from typing import NamedTuple

__all__ = ["ReplayBuffer", "Transition"]


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


class ReplayBuffer:
    """A ring buffer of the last `capacity` transitions, sampled uniformly with replacement."""

    def __init__(self, capacity: int) -> None:
        if type(capacity) is not int or capacity < 1:
            raise ValueError(f"a replay buffer needs an int capacity >= 1, got {capacity!r}")
        self.capacity = capacity
        self._items: list[Transition] = []
        self._next = 0

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"ReplayBuffer({len(self)}/{self.capacity} transitions)"

    def add(self, transition: Transition) -> None:
        """Store `transition`, overwriting the oldest once the buffer is full."""
        if len(self._items) < self.capacity:
            self._items.append(transition)
        else:
            self._items[self._next] = transition
        self._next = (self._next + 1) % self.capacity

    def sample(self, batch_size: int, rng: random.Random) -> list[Transition]:
        """`batch_size` transitions drawn uniformly with replacement, using `rng`."""
        if not self._items:
            raise ValueError("cannot sample from an empty replay buffer")
        if type(batch_size) is not int or batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
        items, size = self._items, len(self._items)
        return [items[rng.randrange(size)] for _ in range(batch_size)]
