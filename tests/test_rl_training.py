"""rl.train: seeding, the chain MDP learned by the lecture's loop, FrozenLake without slipping."""

import dataclasses
import json
import xml.etree.ElementTree as ElementTree

import gymnasium
import numpy as np
import pytest

import nn
import rl
from autodiff import Value

CHAIN = {"env_id": "rl/Chain-v0", "env_kwargs": {}}


def _small_run(seed):
    config = rl.QLearningConfig(**CHAIN, seed=seed, total_steps=250, learning_starts=50, batch_size=8,
                                eval_period=100, eval_episodes=2, target_sync_period=50)
    return rl.train(config)


def test_the_same_seed_gives_the_same_history_and_network():
    first, second = _small_run(3), _small_run(3)
    assert first.history == second.history
    assert first.q_network.state_dict() == second.q_network.state_dict()
    assert len(first.history["losses/td_loss"]) == 200


def test_another_seed_gives_another_history():
    assert _small_run(3).history != _small_run(4).history


def test_evaluating_more_often_does_not_change_training():
    settings = dict(CHAIN, total_steps=200, learning_starts=20, batch_size=4, eval_episodes=1)
    rarely = rl.train(rl.QLearningConfig(**settings, eval_period=None)).history
    often = rl.train(rl.QLearningConfig(**settings, eval_period=20)).history
    assert rarely["losses/td_loss"] == often["losses/td_loss"]
    assert len(often["eval/mean_return"]) == 10


def test_the_history_uses_namespaced_metrics():
    history = _small_run(0).history
    for name in ["charts/episodic_return", "charts/episodic_length", "charts/epsilon", "losses/td_loss",
                 "losses/q_values", "eval/mean_return", "eval/std_return", "eval/success_rate",
                 "eval/exact_return", "eval/exact_success"]:
        assert name in history
    assert history.steps("eval/mean_return") == [100, 200, 250]
    epsilons = history.values("charts/epsilon")
    assert all(later <= earlier for earlier, later in zip(epsilons, epsilons[1:], strict=False))
    with pytest.raises(KeyError, match="no metric 'charts/nothing'"):
        history["charts/nothing"]


def test_the_learning_rate_anneals_only_when_asked():
    settings = dict(CHAIN, total_steps=300, learning_starts=10, batch_size=4, eval_period=None, eval_episodes=1)
    constant = rl.train(rl.QLearningConfig(**settings)).history.values("charts/learning_rate")
    assert set(constant) == {3e-3}
    annealed = rl.train(rl.QLearningConfig(**settings, anneal_lr=True)).history["charts/learning_rate"]
    assert all(lr == pytest.approx(3e-3 * (1 - (step - 1) / 300)) for step, lr in annealed)


@pytest.mark.parametrize("compiled", [False, True])
def test_the_lectures_loop_learns_the_chain(compiled, monkeypatch):
    """Sum loss, plain SGD, no target network, one hidden layer of 8: Q* to 0.02 and "right" everywhere.

    With ``compiled=False`` every update is literally ``opt.zero_grad(); loss.backward(); opt.step()``
    on a graph of Values (`rl.td_update`); with True, the same update replayed by `rl.CompiledQ`.
    """
    value_graph_updates = []
    original_update = rl.learners.td_update

    def counting_update(*args, **kwargs):
        value_graph_updates.append(1)
        return original_update(*args, **kwargs)

    monkeypatch.setattr("rl.learners.td_update", counting_update)
    config = rl.QLearningConfig(**CHAIN, hidden_sizes=(8,), discount=0.9, loss="sum", optimizer="sgd",
                                learning_rate=0.01, target_sync_period=None, total_steps=2000,
                                eval_period=None, eval_episodes=1, seed=0, compiled=compiled)
    result = rl.train(config)
    assert len(value_graph_updates) == (0 if compiled else 2000 - config.learning_starts)
    encode = rl.ObservationEncoder(gymnasium.spaces.Discrete(6))
    learned = np.array([rl.q_values(result.q_network, encode(s)) for s in range(5)])
    assert np.abs(learned - rl.chain_optimal_q(6, 0.9)[:5]).max() < 0.02
    assert (learned.argmax(axis=1) == rl.RIGHT).all()


@pytest.mark.slow
def test_frozen_lake_without_slipping_is_solved_by_the_defaults():
    config = rl.QLearningConfig()
    result = rl.train(config)
    env = rl.make_env("FrozenLake-v1", env_kwargs={"is_slippery": False})
    assert rl.evaluate(result.q_network, env, episodes=10, seed=0).success_rate == 1.0
    optimum = rl.value_iteration(env, config.discount)
    learned = rl.evaluate_policy(env, rl.greedy_policy(result.q_network, env), discount=config.discount)
    assert learned.value == pytest.approx(optimum.start_value, abs=1e-9)  # shortest path: 6 steps


def test_an_env_instance_can_be_passed():
    config = rl.QLearningConfig(total_steps=60, learning_starts=20, batch_size=4, eval_period=None, eval_episodes=1)
    result = rl.train(config, env=rl.ChainEnv(3))
    assert result.q_network.nin == 3 and result.q_network.nouts[-1] == 2


def test_train_rejects_continuous_actions_and_other_configs():
    with pytest.raises(ValueError, match="Discrete action space"):
        rl.train(rl.QLearningConfig(env_id="Pendulum-v1", env_kwargs={}))
    with pytest.raises(TypeError, match="QLearningConfig"):
        rl.train({"total_steps": 10})  # type: ignore[arg-type]


def _always(action, n_actions=2):
    return lambda observation: [Value(1.0 if a == action else 0.0) for a in range(n_actions)]


def test_evaluate_plays_the_greedy_policy():
    env = rl.make_env("rl/Chain-v0")
    right = rl.evaluate(_always(rl.RIGHT), env, episodes=3, seed=0)
    assert right.returns == (1.0, 1.0, 1.0) and right.lengths == (5, 5, 5)
    assert (right.mean_return, right.std_return, right.success_rate) == (1.0, 0.0, 1.0)
    left = rl.evaluate(_always(rl.LEFT), env, episodes=2, seed=0)
    assert left.lengths == (100, 100) and left.success_rate == 0.0
    assert rl.evaluate(_always(rl.LEFT), env, episodes=2, seed=0, success="survival").success_rate == 1.0
    with pytest.raises(ValueError, match="episodes must be an int >= 1"):
        rl.evaluate(_always(rl.LEFT), env, episodes=0)


def test_greedy_policy_table():
    env = rl.make_env("rl/Chain-v0")
    assert list(rl.greedy_policy(_always(rl.RIGHT), env)) == [rl.RIGHT] * 6
    with pytest.raises(ValueError, match="Discrete observation space"):
        rl.greedy_policy(_always(0), rl.make_env("CartPole-v1"))


def test_cli_trains_saves_and_evaluates(tmp_path, capsys):
    from rl.cli import main

    out = tmp_path / "run"
    status = main(["--env", "rl/Chain-v0", "--env-kwargs", "{}", "--steps", "400", "--hidden-sizes", "8",
                   "--learning-starts", "50", "--discount", "0.9", "--eval-period", "none", "--out", str(out),
                   "--final-episodes", "3", "--no-progress"])
    assert status == 0
    printed = capsys.readouterr().out
    assert "learned greedy policy" in printed and "optimal (value iteration" in printed
    assert json.loads((out / "config.json").read_text())["total_steps"] == 400
    assert "charts/episodic_return" in json.loads((out / "history.json").read_text())
    svg = ElementTree.parse(out / "learning_curve.svg").getroot()
    assert svg.tag.endswith("svg")
    assert (out / "learning_curve.png").read_bytes().startswith(b"\x89PNG")
    assert main(["eval", str(out / "q_network.json"), "--episodes", "2"]) == 0
    assert "greedy policy of MLP(6 → 8 → 2" in capsys.readouterr().out
    assert main(["eval", str(out / "q_network.json"), "--env", "CartPole-v1"]) == 2
    assert "does not fit CartPole-v1, which needs 4 inputs and 2 outputs" in capsys.readouterr().err


def test_cli_reports_a_diverged_run_and_keeps_its_history(tmp_path, capsys):
    from rl.cli import main

    out = tmp_path / "run"
    status = main(["--env", "rl/Chain-v0", "--env-kwargs", "{}", "--steps", "300", "--hidden-sizes", "8",
                   "--loss", "sum", "--optimizer", "sgd", "--learning-rate", "50", "--eval-period", "none",
                   "--out", str(out), "--final-episodes", "1", "--no-progress"])
    assert status == 1
    assert "the run diverged, so no model was saved" in capsys.readouterr().err
    assert "losses/td_loss" in json.loads((out / "history.json").read_text())
    assert not (out / "q_network.json").exists()


def _saved_chain_model(folder):
    """A Q-network saved as python3 -m rl saves it, for the chain of 4 states with a 7-step limit."""
    folder.mkdir()
    nn.save(nn.MLP(4, [8, 2], rng=0), folder / "q_network.json")
    config = rl.QLearningConfig(**{**CHAIN, "env_kwargs": {"n": 4}}, max_episode_steps=7)
    (folder / "config.json").write_text(json.dumps(dataclasses.asdict(config)))
    return str(folder / "q_network.json")


def test_cli_eval_keeps_the_saved_env_kwargs_for_the_saved_env(tmp_path, capsys):
    from rl.cli import main

    model = _saved_chain_model(tmp_path / "run")
    for env_flag in ([], ["--env", "rl/Chain-v0"]):
        assert main(["eval", model, *env_flag, "--episodes", "1"]) == 0, capsys.readouterr().err
        printed = capsys.readouterr().out
        assert 'rl/Chain-v0 {"n": 4}: greedy policy of MLP(4 → 8 → 2' in printed
        assert "7-step limit" in printed and "note:" not in printed
    # --env-kwargs still wins over the saved ones (a chain of 6 states needs 6 inputs)
    assert main(["eval", model, "--env", "rl/Chain-v0", "--env-kwargs", '{"n": 6}']) == 2
    assert "does not fit rl/Chain-v0, which needs 6 inputs" in capsys.readouterr().err


def test_cli_eval_on_another_env_says_which_env_kwargs_it_uses(tmp_path, capsys):
    from rl.cli import main

    model = _saved_chain_model(tmp_path / "run")  # 4 inputs and 2 actions: CartPole's shape too
    assert main(["eval", model, "--env", "CartPole-v1", "--episodes", "1", "--success", "survival"]) == 0
    printed = capsys.readouterr().out
    assert ('note: --env CartPole-v1 is not the saved env rl/Chain-v0, whose env_kwargs {"n": 4} and time limit '
            'are not used: CartPole-v1 gets env_kwargs {} (set them with --env-kwargs)') in printed
    assert "CartPole-v1 {}: greedy policy" in printed


def test_cli_evaluations_play_the_compiled_network_when_the_config_says_compiled(tmp_path, capsys, monkeypatch):
    from rl.cli import main

    players = []
    original_evaluate = rl.cli.evaluate

    def recording_evaluate(q, *args, **kwargs):
        players.append(type(q).__name__)
        return original_evaluate(q, *args, **kwargs)

    monkeypatch.setattr("rl.cli.evaluate", recording_evaluate)
    out = tmp_path / "run"
    for compiled in ("--compiled", "--no-compiled"):
        assert main(["--env", "rl/Chain-v0", "--env-kwargs", "{}", "--steps", "60", "--learning-starts", "50",
                     "--eval-period", "none", "--eval-episodes", "1", "--final-episodes", "1", compiled,
                     "--out", str(out), "--no-progress"]) == 0
        assert main(["eval", str(out / "q_network.json"), "--episodes", "1"]) == 0
    capsys.readouterr()
    assert players == ["CompiledQ", "CompiledQ", "MLP", "MLP"]


def test_cli_on_another_env_drops_the_default_env_kwargs(tmp_path, capsys):
    from rl.cli import main

    status = main(["--env", "CartPole-v1", "--steps", "40", "--learning-starts", "10", "--batch-size", "4",
                   "--success", "survival", "--eval-period", "none", "--eval-episodes", "1", "--final-episodes", "1",
                   "--out", str(tmp_path), "--no-progress"])
    assert status == 0
    assert json.loads((tmp_path / "config.json").read_text())["env_kwargs"] == {}
    assert "does not expose its model" in capsys.readouterr().out


def test_cli_reports_bad_settings(tmp_path, capsys):
    from rl.cli import main

    assert main(["--steps", "0", "--out", str(tmp_path)]) == 2
    assert "total_steps must be an int >= 1" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "missing.json")]) == 2
    assert main(["--env", "Pendulum-v1", "--out", str(tmp_path)]) == 2
    assert "Discrete action space" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--loss", "l1"])


def test_cli_help_documents_the_fields(capsys):
    from rl.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for flag in ["--env", "--seed", "--steps", "--target-sync-period", "--loss", "python3 -m rl eval"]:
        assert flag in text
    assert "Discount factor (α in the lecture" in text
    # the fields' docstrings mark code for the API reference; a terminal shows it plain
    assert "Keyword arguments for gymnasium.make(env_id, ...)" in text and "`" not in text


@pytest.mark.parametrize("compiled", [True, False])
def test_a_diverging_run_finishes_and_its_history_shows_the_divergence(compiled):
    """A step size far too large makes the TD loss NaN; target syncs and keep_best still copy the weights."""
    config = rl.QLearningConfig(**CHAIN, hidden_sizes=(8,), loss="sum", optimizer="sgd", learning_rate=50.0,
                                target_sync_period=10, total_steps=300, eval_period=100, eval_episodes=1, seed=0,
                                compiled=compiled, keep_best=True)
    losses = [loss for _, loss in rl.train(config).history.metrics["losses/td_loss"]]
    assert not np.isfinite(losses[-1])
