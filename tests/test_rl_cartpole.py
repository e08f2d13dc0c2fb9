"""Settings tuned per environment: `rl.tuned_config` and the command line's CartPole defaults.

The CartPole smoke run is in test_rl_compiled.py; the benchmark that CartPole is solved is
``python benchmarks/cartpole.py``, not a unit test.
"""

import rl


def test_the_cli_starts_cartpole_from_its_tuned_settings():
    from rl.cli import parse_train_arguments

    tuned = parse_train_arguments(["--env", "CartPole-v1", "--seed", "3"])
    assert tuned.total_steps == rl.TUNED_SETTINGS["CartPole-v1"]["total_steps"]
    assert tuned.success == "survival" and tuned.keep_best and tuned.seed == 3
    overridden = parse_train_arguments(["--env", "CartPole-v1", "--steps", "500", "--no-keep-best"])
    assert (overridden.total_steps, overridden.keep_best) == (500, False)
    assert parse_train_arguments([]).total_steps == rl.QLearningConfig().total_steps


def test_tuned_config_drops_the_default_env_kwargs_and_takes_overrides():
    config = rl.tuned_config("CartPole-v1", seed=4)
    assert (config.env_kwargs, config.seed, config.keep_best) == ({}, 4, True)
    assert rl.tuned_config("Taxi-v3") == rl.QLearningConfig(env_id="Taxi-v3", env_kwargs={})
