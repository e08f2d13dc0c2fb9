"""A CartPole smoke run with the tuned settings: it trains through the compiled graph and keeps the best network.

The benchmark that CartPole is solved is ``python benchmarks/cartpole.py``, not a unit test.
"""

import numpy as np

import rl


def test_a_short_cartpole_run_trains_through_the_compiled_graph(monkeypatch):
    batches = []
    original = rl.CompiledQ.td_update

    def counting(self, optimizer, batch, *, discount):
        batches.append(len(batch))
        return original(self, optimizer, batch, discount=discount)

    monkeypatch.setattr(rl.CompiledQ, "td_update", counting)
    config = rl.tuned_config("CartPole-v1", total_steps=2_000, learning_starts=500, eval_period=500, eval_episodes=2)
    result = rl.train(config)
    updates = (2_000 - 500) // config.train_frequency
    assert batches == [config.batch_size] * updates
    assert len(result.history["losses/td_loss"]) == updates
    assert np.isfinite(result.history.values("losses/td_loss")).all()
    q = result.q_network
    assert (q.nin, q.nouts) == (4, (*config.hidden_sizes, 2))
    evaluations = result.history["eval/mean_return"]
    assert [step for step, _ in evaluations] == [500, 1_000, 1_500, 2_000]
    # the kept network is the one of the first best evaluation, and it is the network returned
    best = max(value for _, value in evaluations)
    assert result.kept_step == next(step for step, value in evaluations if value == best)
    assert all(1 <= value <= 500 for _, value in evaluations)


def test_the_cli_starts_cartpole_from_its_tuned_settings():
    from rl.cli import _env_named_in, _train_parser

    tuned = _train_parser(_env_named_in(["--env", "CartPole-v1"])).parse_args(["--env", "CartPole-v1", "--seed", "3"])
    assert tuned.total_steps == rl.TUNED_SETTINGS["CartPole-v1"]["total_steps"]
    assert tuned.success == "survival" and tuned.keep_best and tuned.seed == 3
    overridden = _train_parser("CartPole-v1").parse_args(["--env", "CartPole-v1", "--steps", "500", "--no-keep-best"])
    assert (overridden.total_steps, overridden.keep_best) == (500, False)
    assert _train_parser(_env_named_in([])).parse_args([]).total_steps == rl.QLearningConfig().total_steps


def test_tuned_config_drops_the_default_env_kwargs_and_takes_overrides():
    config = rl.tuned_config("CartPole-v1", seed=4)
    assert (config.env_kwargs, config.seed, config.keep_best) == ({}, 4, True)
    assert rl.tuned_config("Taxi-v3") == rl.QLearningConfig(env_id="Taxi-v3", env_kwargs={})
