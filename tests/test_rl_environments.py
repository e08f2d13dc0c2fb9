"""Environments: making them, time limits, observation encoding, the chain MDP."""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import rl


def test_chain_passes_gymnasiums_env_checker():
    check_env(gymnasium.make("rl/Chain-v0").unwrapped)


def test_chain_moves():
    env = rl.ChainEnv(4)
    assert env.reset(seed=0) == (0, {})
    assert env.step(rl.LEFT) == (0, 0.0, False, False, {})
    assert env.step(rl.RIGHT)[:3] == (1, 0.0, False)
    env.step(rl.RIGHT)
    assert env.step(rl.RIGHT)[:3] == (3, 1.0, True)
    with pytest.raises(ValueError, match="chain needs an int n >= 2"):
        rl.ChainEnv(1)


def test_an_env_without_a_time_limit_gets_one():
    assert rl.time_limit(gymnasium.make("CliffWalking-v1")) is None
    assert rl.time_limit(rl.make_env("CliffWalking-v1")) == rl.DEFAULT_MAX_EPISODE_STEPS
    assert rl.time_limit(rl.make_env("CliffWalking-v1", max_episode_steps=50)) == 50
    assert rl.time_limit(rl.make_env("FrozenLake-v1")) == 100
    assert rl.time_limit(rl.make_env(rl.ChainEnv(), max_episode_steps=7)) == 7
    assert rl.time_limit(rl.make_env(rl.ChainEnv())) == rl.DEFAULT_MAX_EPISODE_STEPS


def test_the_time_limit_truncates():
    env = rl.make_env("CliffWalking-v1", max_episode_steps=3)
    env.reset(seed=0)
    outcomes = [env.step(0)[2:4] for _ in range(3)]  # up, up, up: never terminal
    assert outcomes == [(False, False), (False, False), (False, True)]


def test_continuous_actions_are_rejected_with_the_reason():
    with pytest.raises(ValueError, match="needs a Discrete action space.*Box"):
        rl.make_env("Pendulum-v1")


def test_unknown_ids_and_wrong_types_are_rejected():
    with pytest.raises(ValueError, match="NoSuchEnv-v0"):
        rl.make_env("NoSuchEnv-v0")
    with pytest.raises(TypeError, match="Gymnasium id"):
        rl.make_env(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_episode_steps"):
        rl.make_env("FrozenLake-v1", max_episode_steps=0)
    with pytest.raises(ValueError, match="env_kwargs"):
        rl.make_env(rl.ChainEnv(), env_kwargs={"n": 3})
    with pytest.raises(ValueError, match="cannot make 'CartPole-v1' with env_kwargs {'is_slippery': False}"):
        rl.make_env("CartPole-v1", env_kwargs={"is_slippery": False})


def test_discrete_observations_are_one_hot():
    encode = rl.ObservationEncoder(gymnasium.spaces.Discrete(4, start=2))
    assert encode.size == 4
    assert encode(np.int64(3)) == (0.0, 1.0, 0.0, 0.0)
    assert encode(5) == (0.0, 0.0, 0.0, 1.0)


def test_box_observations_are_float_vectors():
    encode = rl.ObservationEncoder(gymnasium.make("CartPole-v1").observation_space)
    assert encode.size == 4
    encoded = encode(np.array([0.5, -1.0, 0.25, 2.0], dtype=np.float32))
    assert encoded == (0.5, -1.0, 0.25, 2.0)
    assert all(type(x) is float for x in encoded)


def test_tuple_observations_concatenate_one_hots():
    encode = rl.ObservationEncoder(gymnasium.make("Blackjack-v1").observation_space)
    assert encode.size == 32 + 11 + 2
    encoded = encode((20, 3, 0))
    assert encoded.index(1.0) == 20 and encoded[32 + 3] == 1.0 and encoded[43] == 1.0 and sum(encoded) == 3


def test_unencodable_observations_are_rejected():
    with pytest.raises(ValueError, match="cannot encode observations"):
        rl.ObservationEncoder(gymnasium.spaces.Sequence(gymnasium.spaces.Discrete(2)))
