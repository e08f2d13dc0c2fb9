"""The compiled TD update (`rl.CompiledQ`) learns exactly as the Value-graph `rl.td_update` does."""

import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
import rl
from autodiff import Value

N_INPUTS, N_ACTIONS = 3, 2


def _networks():
    q = nn.MLP(N_INPUTS, [5, N_ACTIONS], rng=7)
    target_q = nn.MLP(N_INPUTS, [5, N_ACTIONS], rng=8)
    return q, target_q


def _batch():
    """Ongoing, truncated (stored as not terminated) and terminated steps, one state seen twice."""
    rng = random.Random(0)
    states = [tuple(rng.uniform(-2, 2) for _ in range(N_INPUTS)) for _ in range(4)]
    return [
        rl.Transition(states[0], 0, 0.5, states[1], False),
        rl.Transition(states[1], 1, -3.0, states[2], False),  # as a truncated step is stored
        rl.Transition(states[2], 1, 4.0, states[3], True),
        rl.Transition(states[0], 1, 0.0, states[0], False),
        rl.Transition(states[3], 0, 1.0, states[1], True),
    ]


def _params(q):
    return np.array([p.data for p in q.parameters()])


@pytest.mark.parametrize("loss", rl.LOSSES)
@pytest.mark.parametrize("with_target_network", [True, False])
def test_one_compiled_update_moves_the_parameters_as_the_value_graph_does(loss, with_target_network):
    delta = 0.7
    results = []
    for compiled in (False, True):
        q, target_q = _networks()
        if not with_target_network:
            target_q = q  # the lecture's loop: no gradient may flow through the target either
        optimizer = nn.SGD(q.parameters(), lr=0.1)
        if compiled:
            stats = rl.CompiledQ(q, target_q, loss=loss, huber_delta=delta).td_update(optimizer, _batch(), discount=0.9)
        else:
            stats = rl.td_update(q, target_q, optimizer, _batch(), discount=0.9,
                                 loss=rl.loss_function(loss, delta))
        results.append((stats, _params(q), [p.grad for p in q.parameters()], _params(target_q)))
    (value_stats, value_params, value_grads, _), (compiled_stats, compiled_params, compiled_grads, _) = results
    assert any(g != 0.0 for g in value_grads)
    np.testing.assert_allclose(compiled_grads, value_grads, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(compiled_params, value_params, rtol=1e-12, atol=1e-15)
    assert compiled_stats.loss == pytest.approx(value_stats.loss, rel=1e-12)
    assert compiled_stats.mean_q == pytest.approx(value_stats.mean_q, rel=1e-12)


def test_the_huber_batch_has_errors_on_both_sides_of_delta():
    # so the comparison above covers the quadratic and the linear pieces of the Huber loss
    q, target_q = _networks()
    batch = _batch()
    targets = rl.td_targets(target_q, batch, 0.9)
    errors = [abs(rl.q_values(q, t.observation)[t.action] - y) for t, y in zip(batch, targets, strict=True)]
    assert min(errors) < 0.7 < max(errors)


def test_targets_bootstrap_unless_terminated_and_the_target_network_gets_no_gradient():
    q, target_q = _networks()
    compiled = rl.CompiledQ(q, target_q, loss="mean")
    batch = _batch()
    np.testing.assert_allclose(compiled.td_targets(batch, 0.9), rl.td_targets(target_q, batch, 0.9), rtol=1e-12)
    assert compiled.td_targets(batch, 0.9)[2] == 4.0  # terminated: the reward alone
    before = _params(target_q)
    compiled.td_update(nn.SGD(q.parameters(), lr=0.1), batch, discount=0.9)
    assert all(p.grad == 0.0 for p in target_q.parameters())
    np.testing.assert_array_equal(_params(target_q), before)


def test_compiled_q_values_and_greedy_actions_match_the_network():
    q, target_q = _networks()
    compiled = rl.CompiledQ(q, target_q, loss="sum")
    for t in _batch():
        expected = rl.q_values(q, t.observation)
        np.testing.assert_allclose(compiled.q_values([t.observation])[0], expected, rtol=1e-12)
        assert compiled.greedy_action(t.observation) == rl.greedy_action(q, t.observation)


def test_the_compiled_networks_read_the_current_weights():
    q, target_q = _networks()
    compiled = rl.CompiledQ(q, target_q, loss="sum")
    batch = _batch()
    compiled.td_targets(batch, 0.9)  # traced here
    target_q.load_state_dict(q.state_dict())  # a target sync after tracing
    np.testing.assert_allclose(compiled.td_targets(batch, 0.9), rl.td_targets(q, batch, 0.9), rtol=1e-12)


@given(st.floats(-5, 5), st.floats(-5, 5), st.sampled_from([0.25, 1.0, 2.0]))
def test_the_per_sample_huber_term_is_nn_huber_loss_of_one_pair(prediction, target, delta):
    term, is_mean = rl.per_sample_loss("huber", delta)
    assert is_mean
    p, expected_p = Value(prediction), Value(prediction)
    loss = term(p, Value(target))
    expected = nn.huber_loss([expected_p], [target], delta=delta)
    loss.backward()
    expected.backward()
    assert loss.data == pytest.approx(expected.data, rel=1e-12, abs=1e-15)
    assert p.grad == pytest.approx(expected_p.grad, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("error", [-1.0, 1.0, 0.0])
def test_the_per_sample_huber_term_at_its_kinks(error):
    # |d| = δ takes the quadratic piece, as nn.huber_loss's `|d| <= delta` does; d = 0 has gradient 0
    term, _ = rl.per_sample_loss("huber", 1.0)
    p = Value(2.0 + error)
    loss = term(p, Value(2.0))
    loss.backward()
    assert (loss.data, p.grad) == (0.5 * error * error, error)


def test_an_unknown_loss_is_named_in_the_error():
    with pytest.raises(ValueError, match="unknown loss 'l1'"):
        rl.per_sample_loss("l1")


def _count_compiled_updates(monkeypatch):
    """The batch size of every compiled TD gradient (`CompiledQ.td_gradient`) from now on, in a list that grows."""
    batches = []
    original = rl.CompiledQ.td_gradient

    def counting(self, batch, discount, **weights):
        batches.append(len(batch.actions))
        return original(self, batch, discount, **weights)

    monkeypatch.setattr(rl.CompiledQ, "td_gradient", counting)
    return batches


def test_training_uses_the_compiled_update_when_configured(monkeypatch):
    calls = _count_compiled_updates(monkeypatch)
    settings = dict(env_id="rl/Chain-v0", env_kwargs={}, total_steps=60, learning_starts=20, batch_size=4,
                    eval_period=None, eval_episodes=1)
    rl.train(rl.QLearningConfig(**settings, compiled=False))
    assert calls == []
    result = rl.train(rl.QLearningConfig(**settings))
    assert calls == [4] * 40
    assert len(result.history["losses/td_loss"]) == 40


def test_compiled_and_value_graph_training_give_the_same_run():
    settings = dict(env_id="rl/Chain-v0", env_kwargs={}, total_steps=150, learning_starts=30, batch_size=8,
                    loss="huber", target_sync_period=40, eval_period=None, eval_episodes=2)
    value_run = rl.train(rl.QLearningConfig(**settings, compiled=False))
    compiled_run = rl.train(rl.QLearningConfig(**settings, compiled=True))
    np.testing.assert_allclose(compiled_run.history.values("losses/td_loss"),
                               value_run.history.values("losses/td_loss"), rtol=1e-9)
    np.testing.assert_allclose(_params(compiled_run.q_network), _params(value_run.q_network), rtol=1e-9, atol=1e-12)


def test_a_short_cartpole_run_trains_through_the_compiled_graph(monkeypatch):
    # a smoke run of the tuned settings (the benchmark is benchmarks/cartpole.py)
    batches = _count_compiled_updates(monkeypatch)
    evaluated = []
    original_evaluate = rl.training.evaluate

    def recording_evaluate(q, *args, **kwargs):
        assert isinstance(q, rl.CompiledLearner)  # the greedy evaluations play the compiled network too
        evaluated.append(q.weights())
        return original_evaluate(q, *args, **kwargs)

    monkeypatch.setattr("rl.training.evaluate", recording_evaluate)
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
    assert result.kept_step < 2_000  # so the network returned is not simply the last one
    kept = evaluated[[step for step, _ in evaluations].index(result.kept_step)]
    assert [p.data for p in result.q_network.parameters()] == kept


@pytest.mark.parametrize(("env_id", "env_kwargs"), [("FrozenLake-v1", {"map_name": "8x8"}), ("CliffWalking-v1", {})])
def test_compiled_greedy_policy_and_evaluation_match_the_value_graph(env_id, env_kwargs, monkeypatch):
    env = rl.make_env(env_id, env_kwargs=env_kwargs)
    n_states, n_actions = int(env.observation_space.n), int(env.action_space.n)
    q = nn.MLP(n_states, [16, n_actions], rng=3)
    compiled = rl.CompiledQ(q)
    expected = rl.greedy_policy(q, env)
    assert len(set(expected.tolist())) > 1  # so a table of one repeated action would not pass
    np.testing.assert_array_equal(rl.greedy_policy(compiled, env), expected)
    monkeypatch.setattr("rl.evaluation.STATES_PER_FORWARD", 5)  # several batches, the last one short
    np.testing.assert_array_equal(rl.greedy_policy(compiled, env), expected)
    monkeypatch.undo()
    for episodes, seed in [(3, 0), (2, 7)]:
        assert rl.evaluate(compiled, env, episodes, seed) == rl.evaluate(q, env, episodes, seed)


def test_compiled_evaluation_matches_the_value_graph_on_a_box_observation_space():
    env = rl.make_env("CartPole-v1")
    q = nn.MLP(4, [8, 2], rng=5)
    value_graph = rl.evaluate(q, env, 3, seed=2, success="survival")
    assert rl.evaluate(rl.CompiledQ(q), env, 3, seed=2, success="survival") == value_graph
    assert len(set(value_graph.lengths)) > 1


def test_compiled_greedy_actions_break_ties_toward_the_first_action():
    env = rl.make_env("FrozenLake-v1")
    q = nn.MLP(16, [4, 4], rng=0)
    q.load_state_dict({name: 0.0 for name in q.state_dict()})  # every Q-value is 0
    assert rl.greedy_policy(rl.CompiledQ(q), env).tolist() == [0] * 16 == rl.greedy_policy(q, env).tolist()


class _RecordingBatchedQ:
    """A `rl.BatchedQFunction` that records the size of each batch it is asked for."""

    def __init__(self, n_actions):
        self.n_actions, self.batches = n_actions, []

    def q_values(self, observations):
        self.batches.append(len(observations))
        return np.tile(np.arange(self.n_actions, dtype=float), (len(observations), 1))  # the last action is best


def test_a_taxi_policy_table_is_one_batched_forward_and_so_is_an_evaluation():
    env = rl.make_env("Taxi-v4")
    q = _RecordingBatchedQ(6)
    assert rl.greedy_policy(q, env).tolist() == [5] * 500
    assert q.batches == [500]
    q.batches.clear()
    result = rl.evaluate(q, env, episodes=2, seed=0)
    assert q.batches == [500] and sum(result.lengths) > 2  # many steps, one forward


def test_training_evaluates_through_the_compiled_network_with_the_same_results(monkeypatch):
    players = []
    original_policy = rl.training.greedy_policy

    def recording_policy(q, env):
        players.append(type(q).__name__)
        return original_policy(q, env)

    monkeypatch.setattr("rl.training.greedy_policy", recording_policy)
    settings = dict(env_id="FrozenLake-v1", env_kwargs={"is_slippery": True}, total_steps=300, learning_starts=50,
                    batch_size=8, eval_period=100, eval_episodes=5, seed=2)
    histories = {}
    for compiled in (False, True):
        history = rl.train(rl.QLearningConfig(**settings, compiled=compiled)).history
        histories[compiled] = {name: values for name, values in history.metrics.items() if name.startswith("eval/")}
    assert players == ["MLP"] * 3 + ["CompiledLearner"] * 3
    assert histories[True] == histories[False]
    assert len(histories[True]["eval/exact_return"]) == 3
