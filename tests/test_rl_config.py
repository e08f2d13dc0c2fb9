"""QLearningConfig: validation, the ε schedule; ReplayBuffer: capacity and seeded sampling."""

import dataclasses
import random

import pytest

import rl


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"total_steps": 0}, "total_steps must be an int >= 1"),
        ({"total_steps": 10.0}, "total_steps must be an int >= 1"),
        ({"batch_size": 64, "buffer_size": 32}, "batch_size .64. cannot exceed buffer_size .32."),
        ({"discount": 1.5}, "discount must be a number in"),
        ({"discount": float("nan")}, "discount must be a number in"),
        ({"learning_rate": 0}, "learning_rate must be a number > 0"),
        ({"learning_rate": -1e-3}, "learning_rate must be a number > 0"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of adam, sgd"),
        ({"loss": "l1"}, "loss must be one of sum, mean, huber"),
        ({"activation": "gelu"}, "activation must be one of relu"),
        ({"hidden_sizes": (16, 0)}, "hidden_sizes must be ints >= 1"),
        ({"hidden_sizes": 16}, "hidden_sizes a sequence of ints"),
        ({"epsilon_end": -0.1}, "epsilon_end must be a number in"),
        ({"exploration_fraction": 2.0}, "exploration_fraction must be a number in"),
        ({"target_sync_period": 0}, "target_sync_period must be an int >= 1 or None"),
        ({"eval_period": -5}, "eval_period must be an int >= 1 or None"),
        ({"max_episode_steps": 0}, "max_episode_steps must be an int >= 1 or None"),
        ({"seed": -1}, "seed must be an int >= 0"),
        ({"learning_starts": -1}, "learning_starts must be an int >= 0"),
        ({"huber_delta": 0.0}, "huber_delta must be a number > 0"),
        ({"success": "win"}, "success must be one of goal, end, survival"),
        ({"env_id": ""}, "env_id must be a non-empty Gymnasium id"),
        ({"anneal_lr": 1}, "anneal_lr must be True or False"),
        # valid values that could never learn, or that have no effect
        ({"total_steps": 100, "learning_starts": 100},
         r"learning_starts \(100\) and train_frequency \(1\) leave no update within total_steps \(100\)"),
        ({"total_steps": 10, "learning_starts": 200}, "leave no update within total_steps"),
        ({"total_steps": 1000, "learning_starts": 10, "train_frequency": 1001}, r"train_frequency \(1001\) leave no"),
        ({"epsilon_start": 0.1, "epsilon_end": 0.5}, r"epsilon_end \(0.5\) cannot exceed epsilon_start \(0.1\)"),
        ({"momentum": 0.9}, r"momentum \(0.9\) is a setting of optimizer 'sgd', but optimizer is 'adam'"),
        ({"huber_delta": 2.0}, r"huber_delta \(2.0\) is a setting of loss 'huber', but loss is 'mean'"),
    ],
)
def test_bad_configs_are_rejected_naming_the_field(change, message):
    with pytest.raises(ValueError, match=message):
        rl.QLearningConfig(**change)


@pytest.mark.parametrize(
    "settings",
    [
        {"total_steps": 101, "learning_starts": 100},  # one update, at the last step
        {"total_steps": 1000, "learning_starts": 0, "train_frequency": 1000},
        {"epsilon_start": 0.1, "epsilon_end": 0.1},  # constant ε
        {"optimizer": "sgd", "momentum": 0.9},
        {"loss": "huber", "huber_delta": 2.0},
    ],
)
def test_settings_at_the_edge_of_doing_something_are_accepted(settings):
    rl.QLearningConfig(**settings)


def test_all_problems_are_reported_at_once():
    with pytest.raises(ValueError, match="total_steps.*batch_size"):
        rl.QLearningConfig(total_steps=0, batch_size=0)


def test_config_is_frozen_and_normalizes_sequences():
    config = rl.QLearningConfig(hidden_sizes=[8, 8])  # type: ignore[arg-type]
    assert config.hidden_sizes == (8, 8)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.seed = 3  # type: ignore[misc]


def test_every_field_has_a_docstring_shown_by_the_cli():
    from rl.cli import field_docstrings

    docs = field_docstrings(rl.QLearningConfig)
    assert set(docs) == {field.name for field in dataclasses.fields(rl.QLearningConfig)}
    assert all(len(doc) > 10 for doc in docs.values())


def test_epsilon_decays_linearly_then_stays():
    config = rl.QLearningConfig(total_steps=1000, epsilon_start=1.0, epsilon_end=0.1, exploration_fraction=0.5)
    assert config.epsilon(0) == 1.0
    assert config.epsilon(250) == pytest.approx(0.55)
    assert config.epsilon(500) == 0.1
    assert config.epsilon(999) == 0.1
    assert rl.QLearningConfig(exploration_fraction=0.0, epsilon_end=0.2).epsilon(0) == 0.2


def _transition(i: int) -> rl.Transition:
    return rl.Transition((float(i),), 0, 0.0, (float(i + 1),), False)


def test_replay_buffer_drops_the_oldest():
    buffer = rl.ReplayBuffer(3)
    for i in range(5):
        buffer.add(_transition(i))
    assert len(buffer) == 3
    seen = {t.observation[0] for t in buffer.sample(200, random.Random(0))}
    assert seen == {2.0, 3.0, 4.0}


def test_replay_sampling_follows_the_generator():
    buffer = rl.ReplayBuffer(100)
    for i in range(50):
        buffer.add(_transition(i))
    assert buffer.sample(10, random.Random(7)) == buffer.sample(10, random.Random(7))
    assert buffer.sample(10, random.Random(7)) != buffer.sample(10, random.Random(8))


def test_replay_buffer_errors():
    with pytest.raises(ValueError, match="empty replay buffer"):
        rl.ReplayBuffer(4).sample(1, random.Random(0))
    with pytest.raises(ValueError, match="capacity >= 1"):
        rl.ReplayBuffer(0)
