"""Environment steps per second of DQN on CartPole-v1: `rl.train` against a PyTorch DQN, side by side.

Usage: ``pip install -e ".[torch]" && python3 benchmarks/rl_throughput.py [--steps 20000] [--rounds 5]``

Both learners run `rl.TUNED_SETTINGS["CartPole-v1"]` (a 4 → 64 → 2 ReLU network, Adam 1e-3, a
mini-batch of 64 every 4 steps after 1,000 warm-up steps, a target network synced every 500 steps,
ε from 1 to 0.05 over the first 10% of the run) for the same number of environment steps, with no
periodic evaluation. The PyTorch DQN is written here the way CleanRL's ``dqn.py`` is (a
``nn.Sequential`` Q-network, a numpy replay buffer, ``F.mse_loss`` of the gathered Q-values against
targets under ``torch.no_grad()``, ``optimizer.zero_grad(); loss.backward(); optimizer.step()``),
on the CPU with ``torch.set_num_threads(1)``. Each learner first runs once untimed (PyTorch's first
calls set up its dispatcher and autograd engine); then the rounds interleave the learners and the
medians are reported with their spread. `rl.train` with ``compiled=False`` (the Value graph per sample) is
measured on fewer steps, for reference.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from datetime import date
from pathlib import Path

import gymnasium
import numpy as np

import rl
from autodiff.files import atomic_write

try:
    import torch
    import torch.nn.functional as F  # noqa: N812 - PyTorch's own convention
    from torch import nn as torch_nn
except ModuleNotFoundError as missing:
    raise SystemExit('this benchmark needs PyTorch: pip install -e ".[torch]"') from missing

SETTINGS = rl.TUNED_SETTINGS["CartPole-v1"]


def ours(steps: int, seed: int, compiled: bool = True) -> float:
    """Seconds of ``rl.train`` for `steps` environment steps, evaluations off (one greedy episode at the end)."""
    config = rl.tuned_config("CartPole-v1", seed=seed, total_steps=steps, eval_period=None, eval_episodes=1,
                             keep_best=False, compiled=compiled)
    started = time.perf_counter()
    rl.train(config)
    return time.perf_counter() - started


class TorchReplayBuffer:
    """Arrays of observations, actions, rewards, next observations and terminations, as CleanRL's buffer."""

    def __init__(self, capacity: int, n_inputs: int) -> None:
        self.observations = np.zeros((capacity, n_inputs), dtype=np.float32)
        self.next_observations = np.zeros((capacity, n_inputs), dtype=np.float32)
        self.actions = np.zeros((capacity, 1), dtype=np.int64)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.dones = np.zeros(capacity, dtype=np.float32)
        self.capacity, self.position, self.size = capacity, 0, 0

    def add(self, observation: np.ndarray, next_observation: np.ndarray, action: int, reward: float,
            done: bool) -> None:
        i = self.position
        self.observations[i], self.next_observations[i] = observation, next_observation
        self.actions[i], self.rewards[i], self.dones[i] = action, reward, done
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int, generator: np.random.Generator) -> tuple[torch.Tensor, ...]:
        index = generator.integers(0, self.size, size=batch_size)
        return (torch.from_numpy(self.observations[index]), torch.from_numpy(self.actions[index]),
                torch.from_numpy(self.next_observations[index]), torch.from_numpy(self.rewards[index]),
                torch.from_numpy(self.dones[index]))


def torch_dqn(steps: int, seed: int) -> float:
    """Seconds of a CleanRL-style PyTorch DQN for `steps` environment steps with the same settings."""
    config = rl.tuned_config("CartPole-v1", seed=seed, total_steps=steps)
    started = time.perf_counter()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    generator = np.random.default_rng(seed)
    env = gymnasium.make("CartPole-v1")
    n_inputs, n_actions = env.observation_space.shape[0], int(env.action_space.n)
    hidden = SETTINGS["hidden_sizes"][0]

    def network() -> torch_nn.Module:
        return torch_nn.Sequential(torch_nn.Linear(n_inputs, hidden), torch_nn.ReLU(),
                                   torch_nn.Linear(hidden, n_actions))

    q_network, target_network = network(), network()
    target_network.load_state_dict(q_network.state_dict())
    optimizer = torch.optim.Adam(q_network.parameters(), lr=config.learning_rate)
    buffer = TorchReplayBuffer(config.buffer_size, n_inputs)
    obs, _ = env.reset(seed=seed)
    for global_step in range(steps):
        epsilon = config.epsilon(global_step)
        if random.random() < epsilon:
            action = env.action_space.sample()
        else:
            q_values = q_network(torch.Tensor(obs))
            action = int(torch.argmax(q_values).item())
        next_obs, reward, terminated, truncated, _ = env.step(action)
        buffer.add(obs, next_obs, action, float(reward), bool(terminated))
        obs = next_obs
        if terminated or truncated:
            obs, _ = env.reset()
        if global_step > config.learning_starts and global_step % config.train_frequency == 0:
            observations, actions, next_observations, rewards, dones = buffer.sample(config.batch_size, generator)
            with torch.no_grad():
                target_max, _ = target_network(next_observations).max(dim=1)
                td_target = rewards + config.discount * target_max * (1 - dones)
            old_val = q_network(observations).gather(1, actions).squeeze()
            loss = F.mse_loss(td_target, old_val)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if global_step % config.target_sync_period == 0:
            target_network.load_state_dict(q_network.state_dict())
    return time.perf_counter() - started


def main() -> None:
    """Interleave the learners for `--rounds` rounds and print steps per second, medians and ranges."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000, help="environment steps per run")
    parser.add_argument("--value-graph-steps", type=int, default=3_000,
                        help="environment steps per run of rl.train(compiled=False)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="write the raw figures here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    load_before = os.getloadavg()

    runs = {
        "rl.train (compiled)": (args.steps, lambda seed: ours(args.steps, seed)),
        "PyTorch DQN (CleanRL structure)": (args.steps, lambda seed: torch_dqn(args.steps, seed)),
        "rl.train (compiled=False, Value graph)": (
            args.value_graph_steps, lambda seed: ours(args.value_graph_steps, seed, compiled=False)),
    }
    untimed_steps = SETTINGS["learning_starts"] + 100 * SETTINGS["train_frequency"]
    ours(untimed_steps, 0)
    torch_dqn(untimed_steps, 0)
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for round_index in range(args.rounds):
        for name, (steps, run) in runs.items():
            rates[name].append(steps / run(round_index + 1))
        print(f"round {round_index + 1}: " + ", ".join(f"{name} {rates[name][-1]:,.0f}" for name in runs),
              flush=True)

    print(f"DQN on CartPole-v1, {date.today()}, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, torch {torch.__version__} ({torch.get_num_threads()} thread)")
    print(f"{'learner':<42} {'steps':>7} {'median steps/s':>15} {'range':>19}")
    for name, (steps, _) in runs.items():
        low, high = min(rates[name]), max(rates[name])
        print(f"{name:<42} {steps:>7,} {statistics.median(rates[name]):>15,.0f} {low:>8,.0f} – {high:>8,.0f}")
    ratios = [a / b for a, b in zip(rates["rl.train (compiled)"], rates["PyTorch DQN (CleanRL structure)"],
                                    strict=True)]
    print(f"rl.train (compiled) / PyTorch DQN, per round: median {statistics.median(ratios):.2f}× "
          f"(range {min(ratios):.2f}–{max(ratios):.2f}×; target ≥ 1.5×)")
    load_after = os.getloadavg()
    print("load average (1, 5, 15 min), before: " + ", ".join(f"{x:.2f}" for x in load_before)
          + "; after: " + ", ".join(f"{x:.2f}" for x in load_after))
    if args.json is not None:
        atomic_write(args.json, json.dumps({"date": str(date.today()), "steps": args.steps, "rates": rates,
                                            "ratios": ratios, "load_before": load_before, "load_after": load_after},
                                           indent=1) + "\n")


if __name__ == "__main__":
    main()
